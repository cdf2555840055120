// The `steps` list of a YAML playbook (DESIGN §2, §17): step ids, and `- parallel: [...]`
// entries opened into their steps, each marked with its block's number. One step's keys are
// read by compiler/yaml/step.cc.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "compiler/yaml/reader.h"

namespace writ::yaml_detail {
namespace {

// A scalar value of a step mapping, without reporting anything (for the id pre-pass).
std::optional<std::string> peek(const YAML::Node& step, std::string_view key) {
  if (!step.IsMap()) return std::nullopt;
  for (const auto& item : step) {
    if (item.first.IsScalar() && item.first.Scalar() == key) {
      if (item.second.IsScalar()) return item.second.Scalar();
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Step ids: an explicit `id`, else the action name, de-duplicated against every explicit id
// and every earlier default as `isolate_host`, `isolate_host_2`, ... Explicit ids that repeat
// are left as they are (the duplicate-step rule reports them).
std::vector<std::string> step_ids(const std::vector<YAML::Node>& steps) {
  std::size_t count = steps.size();
  std::set<std::string> used;
  std::vector<std::optional<std::string>> explicit_ids;
  for (std::size_t i = 0; i < count; ++i) {
    explicit_ids.push_back(peek(steps[i], "id"));
    if (explicit_ids.back()) used.insert(*explicit_ids.back());
  }
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < count; ++i) {
    if (explicit_ids[i]) {
      ids.push_back(*explicit_ids[i]);
      continue;
    }
    std::string base = peek(steps[i], "action").value_or(fmt::format("step_{}", i + 1));
    std::string id = base;
    for (int n = 2; used.count(id) != 0; ++n) id = fmt::format("{}_{}", base, n);
    used.insert(id);
    ids.push_back(id);
  }
  return ids;
}

// One entry of `steps` once `- parallel: [...]` blocks are opened: the step and its block.
struct Listed {
  YAML::Node node;
  int block = 0;
};

bool is_parallel(const YAML::Node& node) {
  if (!node.IsMap()) return false;
  return std::any_of(node.begin(), node.end(),
                     [](const auto& item) { return item.first.IsScalar() && item.first.Scalar() == "parallel"; });
}

const std::vector<std::string>& parallel_keys() {
  static const std::vector<std::string> keys = {"parallel"};
  return keys;
}

// The steps of `- parallel: [step, ...]`; a nested parallel block is reported (not supported).
std::vector<YAML::Node> parallel_members(Reader& reader, const YAML::Node& node, std::vector<Span>& blocks) {
  std::vector<YAML::Node> out;
  for (const Entry& e : reader.entries(node, parallel_keys(), "a parallel block")) {
    if (!e.value.IsSequence() || e.value.size() == 0) {
      Diagnostic& d = reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                                   "`parallel` must be a list of the steps that start together");
      d.help.push_back("- parallel:\n    - action: trigger_forensic_imaging\n    - action: notify_regulatory_contact");
      continue;
    }
    blocks.push_back(reader.span_of(node));
    for (const auto& member : e.value) {
      if (is_parallel(member)) {
        Diagnostic& d = reader.error(Rule::Syntax, reader.span_of(member),
                                     "a `parallel` block cannot hold another `parallel` block (not supported)");
        d.help.push_back("put its steps in the outer block");
        continue;
      }
      out.push_back(member);
    }
  }
  return out;
}

std::vector<Listed> listed_steps(Reader& reader, const Entry& steps, const std::string& runbook, std::size_t max_steps,
                                 std::vector<Span>& blocks) {
  std::vector<Listed> out;
  for (const auto& node : steps.value) {
    std::vector<YAML::Node> members{node};
    int block = 0;
    if (is_parallel(node)) {
      members = parallel_members(reader, node, blocks);
      block = static_cast<int>(blocks.size());
    }
    for (const auto& member : members) {
      if (out.size() == max_steps) {
        reader.set_context(runbook, "");
        reader.error(Rule::InputLimit, reader.span_of(member),
                     fmt::format("playbook `{}` has more than {} steps (the limit)", runbook, max_steps));
        return out;
      }
      out.push_back({member, block});
    }
  }
  return out;
}

}  // namespace

LoadedSteps load_steps(Reader& reader, const Entry& steps, const std::string& runbook, std::size_t max_steps) {
  LoadedSteps out;
  if (!steps.value.IsSequence()) {
    Diagnostic& d = reader.error(Rule::Syntax, steps.value.IsNull() ? steps.span : steps.value_span,
                                 "`steps` must be a list of steps");
    d.help.push_back("steps:\n  - action: isolate_host\n    target: \"{{ event.host_id }}\"");
    return out;
  }
  std::vector<Listed> listed = listed_steps(reader, steps, runbook, max_steps, out.parallel);
  std::vector<YAML::Node> nodes;
  for (const auto& item : listed) nodes.push_back(item.node);
  std::vector<std::string> ids = step_ids(nodes);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    reader.set_context(runbook, ids[i]);
    if (auto step = read_step(reader, nodes[i], ids[i])) {
      step->parallel_block = listed[i].block;
      out.steps.push_back(std::move(*step));
    }
  }
  reader.set_context(runbook, "");
  return out;
}

}  // namespace writ::yaml_detail
