#include "compiler/rules/worst_case.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace writ::rules {

namespace {

void add_part(Arrival& arrival, std::size_t step, bool approval, std::int64_t seconds) {
  arrival.seconds += seconds;
  if (seconds > 0) arrival.path.push_back({step, approval, seconds});
}

bool names(const ir::Step& step, const std::string& obligation) {
  return std::find(step.satisfies.begin(), step.satisfies.end(), obligation) != step.satisfies.end();
}

Candidate judge(const ir::Runbook& runbook, std::size_t index, bool named, const ObligationStatus& status) {
  Candidate c;
  c.step = index;
  c.named = named;
  c.arrival = worst_case_arrival(runbook, index);
  const auto& deadline = runbook.steps[index].deadline_seconds;
  c.deadline_ok = !deadline || *deadline <= status.bound_seconds;
  c.arrival_ok = c.arrival.seconds <= status.bound_seconds || (status.asap && !c.arrival.approval_on_path);
  c.conditional = !guaranteed(runbook.steps[index]);
  return c;
}

bool better(const Candidate& a, const Candidate& b) {
  auto key = [](const Candidate& c) {
    return std::make_tuple(!c.holds(), !c.in_time(), !c.deadline_ok, !c.named, c.arrival.seconds, c.step);
  };
  return key(a) < key(b);
}

ObligationStatus evaluate(const ir::Runbook& runbook, const Catalog& catalog, const ObligationInfo& info,
                          std::string tag) {
  ObligationStatus status;
  status.obligation = info.id;
  status.tag = std::move(tag);
  status.asap = !info.deadline_seconds;
  status.follow_up = info.follow_up();
  status.bound_seconds = info.deadline_seconds.value_or(catalog.policy().asap_seconds);
  for (std::size_t i = 0; i < runbook.steps.size(); ++i) {
    const auto& step = runbook.steps[i];
    if (never_runs(step)) continue;
    bool named = names(step, info.id);
    bool unnamed_notice =
        !status.follow_up && step.satisfies.empty() && step.effect == "notify" && step.deadline_seconds.has_value();
    if (named || unnamed_notice) status.candidates.push_back(judge(runbook, i, named, status));
  }
  std::stable_sort(status.candidates.begin(), status.candidates.end(), better);
  return status;
}

}  // namespace

bool guaranteed(const ir::Step& step) {
  return (!step.when || expr::constant_truth(*step.when) == true) && !may_be_empty(step);
}

bool may_be_empty(const ir::Step& step) {
  if (!step.for_each) return false;
  const auto& list = step.for_each->list;
  return !list || list->kind != expr::Node::Kind::List || list->children.empty();
}

std::string run_condition(const ir::Step& step) {
  std::vector<std::string> parts;
  if (step.when && expr::constant_truth(*step.when) != true) parts.push_back("`" + expr::to_source(*step.when) + "`");
  if (may_be_empty(step)) {
    parts.push_back("`" + (step.for_each->list ? expr::to_source(*step.for_each->list) : std::string("list")) +
                    "` is not empty");
  }
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : " and ") + part;
  return out;
}

std::int64_t run_seconds(const ir::Step& step) {
  return step.task && step.task->within_seconds > 0 ? step.task->within_seconds : step.timeout_seconds;
}

namespace {

bool ill_typed(const expr::Node& node) {
  return node.type.is_error() ||
         std::any_of(node.children.begin(), node.children.end(), [](const auto& c) { return c && ill_typed(*c); });
}

}  // namespace

// An ill-typed condition was reported already; it is not also called dead.
bool never_runs(const ir::Step& step) {
  return step.when && !ill_typed(*step.when) && expr::constant_truth(*step.when) == false;
}

namespace {

// A sequential step: its approval wait, then its run.
void add_step(Arrival& arrival, const ir::Runbook& runbook, std::size_t i) {
  const auto& s = runbook.steps[i];
  if (s.approval) {
    arrival.approval_on_path = true;
    add_part(arrival, i, true, s.approval->timeout_seconds);
  }
  add_part(arrival, i, false, run_seconds(s));
}

// A parallel block (steps [begin, end)): it ends when its longest branch does. Any branch's
// approval may hold the block's end.
void add_block(Arrival& arrival, const ir::Runbook& runbook, std::size_t begin, std::size_t end) {
  std::size_t longest = begin;
  std::int64_t longest_seconds = -1;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& s = runbook.steps[i];
    std::int64_t seconds = (s.approval ? s.approval->timeout_seconds : 0) + run_seconds(s);
    if (seconds > longest_seconds) {
      longest = i;
      longest_seconds = seconds;
    }
    if (s.approval) arrival.approval_on_path = true;
  }
  bool any_approval = arrival.approval_on_path;
  add_step(arrival, runbook, longest);
  arrival.approval_on_path = any_approval || arrival.approval_on_path;
}

}  // namespace

Arrival worst_case_arrival(const ir::Runbook& runbook, std::size_t step) {
  Arrival arrival;
  arrival.step = step;
  const std::size_t count = runbook.steps.size();
  const int own_block = step < count ? runbook.steps[step].parallel_block : 0;
  for (std::size_t i = 0; i < step && i < count;) {
    int block = runbook.steps[i].parallel_block;
    if (block == 0) {
      add_step(arrival, runbook, i++);
      continue;
    }
    if (block == own_block) break;  // the step's siblings start with it
    std::size_t end = i;
    while (end < count && runbook.steps[end].parallel_block == block) ++end;
    add_block(arrival, runbook, i, end);
    i = end;
  }
  if (step < count && runbook.steps[step].approval) {
    arrival.approval_on_path = true;
    add_part(arrival, step, true, runbook.steps[step].approval->timeout_seconds);
  }
  return arrival;
}

std::vector<ObligationStatus> evaluate_obligations(const ir::Runbook& runbook, const Catalog& catalog) {
  std::vector<ObligationStatus> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& id, const std::string& tag) {
    auto it = catalog.obligations.find(id);
    if (it == catalog.obligations.end() || !seen.insert(id).second) return;
    out.push_back(evaluate(runbook, catalog, it->second, tag));
  };
  for (const auto& tag : runbook.compliance) {
    for (const auto& id : catalog.obligations_for_tag(tag)) add(id, tag);
  }
  for (const auto& step : runbook.steps) {
    for (const auto& id : step.satisfies) add(id, "");
  }
  return out;
}

}  // namespace writ::rules
