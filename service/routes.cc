// The routes of `writ serve` (DESIGN §14): authentication and scopes first, then one small
// handler per route. Every answer is JSON ({"error": …} for a refusal) but /metrics.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/callback_approval.h"
#include "runtime/json_input.h"
#include "runtime/metrics.h"
#include "runtime/pg/connection.h"
#include "runtime/router.h"
#include "service/alertmanager.h"
#include "service/service.h"

namespace writ::service {

namespace rt = writ::runtime;

namespace {

Response json_response(int status, const nlohmann::json& body) { return Response{status, body.dump() + "\n", "application/json", {}}; }

Response error(int status, const std::string& message) { return json_response(status, {{"error", message}}); }

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t begin = 1;
  while (begin <= path.size()) {
    const auto end = std::min(path.find('/', begin), path.size());
    out.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

std::string event_id_of(const nlohmann::json& event) {
  auto it = event.find("id");
  if (it == event.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return "";
}

// {"approved": bool, "rollback"?: bool, "reason"?: string}, nothing else.
std::optional<std::string> vote_shape_error(const nlohmann::json& body) {
  if (!body.is_object()) return std::string("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key == "approved" || key == "rollback") {
      if (!value.is_boolean()) return fmt::format("`{}` must be true or false", key);
    } else if (key == "reason") {
      if (!value.is_string() || value.get<std::string>().size() > 1024) return std::string("`reason` must be a string of at most 1024 bytes");
    } else {
      return fmt::format("unknown key `{}` (expected approved, rollback, reason)", key);
    }
  }
  if (!body.contains("approved")) return std::string("`approved` is missing");
  return std::nullopt;
}

// The body of a task completion: {} or {"note": str (<= 1024 bytes)}.
std::optional<std::string> completion_shape_error(const nlohmann::json& body) {
  if (!body.is_object()) return std::string("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "note") return fmt::format("unknown key `{}` (expected note)", key);
    if (!value.is_string() || value.get<std::string>().size() > 1024) return std::string("`note` must be a string of at most 1024 bytes");
  }
  return std::nullopt;
}

const char* required_scope(const std::vector<std::string>& s, const std::string& method) {
  if (s.size() == 2 && s[1] == "events") return "events";
  if (s.size() == 6 && (s[5] == "approval" || s[5] == "complete")) return "approve";
  if (s.size() == 4 && (s[3] == "rollback" || s[3] == "replay")) return "admin";
  return method == "GET" ? "read" : nullptr;
}

}  // namespace

Response Service::handle(const Request& request) {
  if (request.path == "/healthz") return request.method == "GET" ? json_response(200, {{"status", "ok"}}) : error(405, "GET only");
  if (request.body.size() > options_.max_body_bytes) {
    return error(413, fmt::format("the body is larger than {} bytes", options_.max_body_bytes));
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  const auto auth = auth_.check(request.authorization, request.signature, request.body, now);
  if (!auth.principal) {
    auto response = error(401, auth.error);
    response.headers["WWW-Authenticate"] = "Bearer";
    return response;
  }
  if (stopping_) return error(503, "the service is shutting down");
  return guarded(request, *auth.principal);
}

// With the shared store, anything a request needs from the database may be unreachable: the
// answer is then 503 (retry later; nothing was lost), never a 500.
Response Service::guarded(const Request& request, const Principal& who) {
  try {
    return route(request, who);
  } catch (const std::exception& e) {
    const auto* journal = dynamic_cast<const rt::JournalError*>(&e);
    const bool database = dynamic_cast<const rt::pg::PgError*>(&e) || dynamic_cast<const IntakeError*>(&e) ||
                          (journal && journal->problem == rt::JournalProblem::io);
    if (shared_ && (database || store_down())) {
      auto out = error(503, fmt::format("the store cannot be used now: {}", e.what()));
      out.headers["Retry-After"] = std::to_string(options_.retry_after.count());
      return out;
    }
    throw;
  }
}

Response Service::route(const Request& request, const Principal& who) {
  const auto s = segments(request.path);
  const auto& m = request.method;
  const bool v1 = !s.empty() && s[0] == "v1";
  const bool known = (s == std::vector<std::string>{"metrics"}) || (s == std::vector<std::string>{"readyz"}) ||
                     (v1 && ((s.size() == 2 && (s[1] == "events" || s[1] == "runs" || s[1] == "intake")) ||
                             (s.size() == 3 && s[1] == "runs") || (s.size() == 4 && s[1] == "runs" && s[3] == "rollback") ||
                             (s.size() == 4 && s[1] == "intake" && s[3] == "replay") ||
                             (s.size() == 6 && s[1] == "runs" && s[3] == "steps" && (s[5] == "approval" || s[5] == "complete"))));
  if (!known) return error(404, fmt::format("no route {}", request.path));
  const bool post = s.size() == 6 || (s.size() == 2 && s[1] == "events") || s.size() == 4;
  if (m != (post ? "POST" : "GET")) return error(405, fmt::format("{} takes {}", request.path, post ? "POST" : "GET"));
  const char* scope = required_scope(s, m);
  if (!scope || !who.has(scope)) return error(403, fmt::format("`{}` lacks the scope `{}`", who.name, scope ? scope : "?"));
  if (s[0] == "metrics") return metrics();
  if (s[0] == "readyz") return ready();
  if (s[1] == "events") return post_events(request);
  if (s[1] == "intake") return s.size() == 2 ? get_intake(request) : replay(s[2]);
  if (s.size() == 2) return get_runs(request);
  if (s.size() == 3) return get_run(s[2]);
  if (s.size() == 4) return post_rollback(s[2]);
  if (s[5] == "complete") return post_complete(s[2], s[4], request, who);
  return post_approval(s[2], s[4], request, who);
}

nlohmann::json Service::run_entry(const std::string& run_id, const RunSummary& summary) const {
  return {{"run_id", run_id}, {"event_id", summary.event_id}, {"runbook", summary.runbook}, {"status", summary.status},
          {"awaiting", summary.awaiting}, {"deadlines", rt::clocks_view(summary.deadlines)}, {"status_url", options_.public_url + "/v1/runs/" + run_id}};
}

Response Service::post_events(const Request& request) {
  nlohmann::json payload;
  try {
    payload = rt::parse_json(request.body, "body", options_.max_json_depth);
  } catch (const rt::JsonInputError& e) {
    std::lock_guard lock(mutex_);
    ++events_["invalid"];
    return error(400, e.what());
  }
  std::vector<nlohmann::json> events;
  try {
    if (is_alertmanager_payload(payload)) {
      events = alertmanager_events(payload);
    } else if (payload.is_object()) {
      events.push_back(payload);
    } else {
      return error(400, "the body must be a JSON object: a writ event or an Alertmanager webhook payload");
    }
  } catch (const PayloadError& e) {
    return error(400, fmt::format("Alertmanager payload: {}", e.what()));
  }
  auto runs = nlohmann::json::array();
  auto unrouted = nlohmann::json::array();
  bool accepted = false;
  std::optional<Response> refusal;
  for (const auto& event : events) {
    auto response = intake_one(event, runs, unrouted, accepted);
    if (response.status >= 400 && !refusal) refusal = response;
  }
  if (!accepted && refusal) {
    auto body = nlohmann::json::parse(refusal->body);
    body["runs"] = runs;
    body["unrouted"] = unrouted;
    auto out = json_response(refusal->status, body);
    if (refusal->status == 429) out.headers["Retry-After"] = std::to_string(options_.retry_after.count());
    return out;
  }
  return json_response(accepted ? 202 : 200, {{"runs", runs}, {"unrouted", unrouted}});
}

Response Service::intake_one(const nlohmann::json& event, nlohmann::json& runs, nlohmann::json& unrouted, bool& accepted) {
  const auto event_id = event_id_of(event);
  const auto at = rt::format_rfc3339(clock_.now());
  std::lock_guard intake(intake_mutex_);
  auto duplicate = [&](const std::string& run_id) {
    intake_->add_duplicate(event_id, run_id, at);
    std::lock_guard lock(mutex_);
    ++events_["duplicate"];
    runs.push_back(run_entry(run_id, runs_[run_id]));
    return Response{200, "", "", {}};
  };
  std::optional<std::string> known;
  {
    std::lock_guard lock(mutex_);
    if (auto it = run_of_event_.find(event_id); !event_id.empty() && it != run_of_event_.end()) known = it->second;
  }
  if (known) return duplicate(*known);
  int status = 0;
  std::string message;
  bool unroutable = false;
  std::string duplicate_of;  // another node's run holds the id (shared store)
  const auto run = begin_run(event.dump(), status, message, unroutable, &duplicate_of);
  if (!run && !duplicate_of.empty()) {
    index_run(duplicate_of);
    return duplicate(duplicate_of);
  }
  std::lock_guard lock(mutex_);
  if (run) {
    if (!event_id.empty()) run_of_event_[event_id] = *run;
    ++events_["accepted"];
    accepted = true;
    runs.push_back(run_entry(*run, runs_[*run]));
    return Response{202, "", "", {}};
  }
  ++events_[unroutable ? "unrouted" : status == 429 ? "refused" : "invalid"];
  if (unroutable) {
    const UnroutedEvent u{"in-" + rt::new_run_id(clock_.now()), event_id, at, message, event.dump(), ""};
    intake_->add_unrouted(u);
    unrouted.push_back({{"intake_id", u.id}, {"event_id", event_id}, {"reason", message}});
  }
  return error(status, message);
}

Response Service::get_runs(const Request& request) {
  refresh_index();  // the same list on every node of a shared store
  const auto wanted = request.query.count("status") ? request.query.at("status") : "";
  auto out = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const auto& [id, summary] : runs_) {
    if (wanted.empty() || summary.status == wanted) out.push_back(run_entry(id, summary));
  }
  return json_response(200, {{"runs", out}});
}

Response Service::get_run(const std::string& run_id) {
  refresh_index();
  RunSummary summary;
  {
    std::lock_guard lock(mutex_);
    auto it = runs_.find(run_id);
    if (it == runs_.end()) return error(404, fmt::format("no run {}", run_id));
    summary = it->second;
  }
  auto log = engine_->read(run_id).log();
  rt::overdue_clocks(log.deadlines, clock_.now());  // the view is live; the journal records it when the run next moves
  auto body = rt::to_json(log);
  body["awaiting"] = summary.awaiting;
  std::lock_guard intake(intake_mutex_);
  intake_->refresh();
  const auto* repeats = intake_->duplicates(run_id);
  body["duplicates"] = repeats ? repeats->count : 0;
  body["last_seen_at"] = repeats ? nlohmann::json(repeats->last_seen_at) : nlohmann::json(nullptr);
  return json_response(200, body);
}

Response Service::post_approval(const std::string& run_id, const std::string& step, const Request& request, const Principal& who) {
  nlohmann::json vote;
  try {
    vote = rt::parse_json(request.body, "body", options_.max_json_depth);
  } catch (const rt::JsonInputError& e) {
    return error(400, e.what());
  }
  if (auto why = vote_shape_error(vote)) return error(400, *why);
  refresh_index();
  {
    std::lock_guard lock(mutex_);
    if (!runs_.count(run_id)) return error(404, fmt::format("no run {}", run_id));
  }
  if (!engine_->config().approvals.empty()) return error(409, "this service asks the approval service given by --approvals");
  const auto lock = run_lock(run_id);
  std::lock_guard guard(*lock);
  const auto state = engine_->read(run_id);
  const auto* planned = state.plan().find(step);
  if (!planned) return error(404, fmt::format("run {} has no step `{}`", run_id, step));
  const auto* p = state.find_step(step);
  if (state.finished() || !p || !p->approval_pending || p->decision || !planned->approval) {
    return error(409, fmt::format("step `{}` of run {} is not awaiting approval", step, run_id));
  }
  const auto& required = planned->approval->roles;
  const bool holds = std::any_of(who.roles.begin(), who.roles.end(),
                                 [&](const std::string& r) { return std::find(required.begin(), required.end(), r) != required.end(); });
  if (!holds) return error(403, fmt::format("`{}` holds none of the roles step `{}` requires ({})", who.name, step, fmt::join(required, ", ")));
  for (const auto& v : p->votes) {
    if (v.approver == who.name) return error(409, fmt::format("`{}` has already answered for step `{}`", who.name, step));
  }
  rt::RunState after;
  try {
    after = engine_->append(run_id, "approval_vote",
                                     {{"step", step}, {"approver", who.name}, {"roles", who.roles}, {"approved", vote["approved"]},
                                      {"rollback", vote.value("rollback", false)}, {"reason", vote.value("reason", "")}});
  } catch (const rt::RunRefused& e) {
    if (store_down()) throw;
    auto out = error(409, fmt::format("run {} is busy (another writ node holds it for a moment): {}; send the vote again", run_id, e.what()));
    out.headers["Retry-After"] = std::to_string(options_.retry_after.count());
    return out;
  }
  const auto decision = rt::decide_votes(after.find_step(step)->votes, required);
  if (!decision.pending) enqueue(Job{JobKind::proceed, run_id, ""}, true);
  std::vector<rt::Approver> approvers;
  for (const auto& v : after.find_step(step)->votes) {
    for (const auto& r : v.roles) approvers.push_back(rt::Approver{v.approver, r});
  }
  return json_response(200, {{"run_id", run_id}, {"step", step}, {"approver", who.name}, {"decided", !decision.pending},
                             {"uncovered", decision.pending ? rt::uncovered_roles(approvers, required) : std::vector<std::string>{}}});
}

// A person holding the task's assignee role marks it done; the run is continued on a worker.
Response Service::post_complete(const std::string& run_id, const std::string& step, const Request& request, const Principal& who) {
  nlohmann::json body = nlohmann::json::object();
  try {
    if (!request.body.empty()) body = rt::parse_json(request.body, "body", options_.max_json_depth);
  } catch (const rt::JsonInputError& e) {
    return error(400, e.what());
  }
  if (auto why = completion_shape_error(body)) return error(400, *why);
  {
    std::lock_guard lock(mutex_);
    if (!runs_.count(run_id)) return error(404, fmt::format("no run {}", run_id));
  }
  const auto lock = run_lock(run_id);
  std::lock_guard guard(*lock);
  const auto state = engine_->read(run_id);
  const auto* planned = state.plan().find(step);
  if (!planned) return error(404, fmt::format("run {} has no step `{}`", run_id, step));
  if (auto why = rt::task_refusal(state, step)) return error(409, *why);
  const auto& role = planned->task->assignee;
  if (std::find(who.roles.begin(), who.roles.end(), role) == who.roles.end()) {
    return error(403, fmt::format("`{}` does not hold the role `{}` task `{}` is assigned to", who.name, role, step));
  }
  const auto note = body.value("note", std::string());
  engine_->append(run_id, "task_done", {{"step", step}, {"by", who.name}, {"note", note}, {"via", "serve"}});
  enqueue(Job{JobKind::proceed, run_id, ""}, true);
  return json_response(200, {{"run_id", run_id}, {"step", step}, {"done_by", who.name}});
}

Response Service::post_rollback(const std::string& run_id) {
  refresh_index();
  {
    std::lock_guard lock(mutex_);
    if (!runs_.count(run_id)) return error(404, fmt::format("no run {}", run_id));
  }
  const auto state = engine_->read(run_id);  // the journal, not the index: it may lag a worker
  if (!state.finished()) return error(409, fmt::format("run {} has not finished", run_id));
  if (*state.finished() == "rolled_back") return error(409, fmt::format("run {} is already rolled back", run_id));
  enqueue(Job{JobKind::rollback, run_id, ""}, true);
  return json_response(202, {{"run_id", run_id}, {"status_url", options_.public_url + "/v1/runs/" + run_id}});
}

Response Service::get_intake(const Request& request) {
  const auto wanted = request.query.count("status") ? request.query.at("status") : "unrouted";
  if (wanted != "unrouted" && wanted != "replayed") return error(400, "status must be unrouted or replayed");
  auto out = nlohmann::json::array();
  std::lock_guard intake(intake_mutex_);
  intake_->refresh();
  for (const auto& u : intake_->unrouted()) {
    if ((wanted == "replayed") != !u.replayed_run.empty()) continue;
    out.push_back({{"id", u.id}, {"event_id", u.event_id}, {"received_at", u.at}, {"reason", u.reason},
                   {"run_id", u.replayed_run.empty() ? nlohmann::json(nullptr) : nlohmann::json(u.replayed_run)}});
  }
  return json_response(200, {{"intake", out}});
}

Response Service::replay(const std::string& id) {
  std::lock_guard intake(intake_mutex_);
  intake_->refresh();
  const auto* u = intake_->find_unrouted(id);
  if (!u) return error(404, fmt::format("no intake entry {}", id));
  if (!u->replayed_run.empty()) return error(409, fmt::format("{} was replayed into run {}", id, u->replayed_run));
  int status = 0;
  std::string message;
  bool unroutable = false;
  const auto event_id = u->event_id;
  const auto run = begin_run(u->event_text, status, message, unroutable);
  if (!run) return error(status, message);
  intake_->add_replayed(id, *run, rt::format_rfc3339(clock_.now()));
  std::lock_guard lock(mutex_);
  if (!event_id.empty()) run_of_event_[event_id] = *run;
  return json_response(202, {{"runs", {run_entry(*run, runs_[*run])}}});
}

Response Service::metrics() {
  std::string text;
  try {
    const auto figures = shared_ ? rt::compute_metrics(engine_->store(), rt::MetricsOptions{})
                                 : rt::compute_metrics(engine_->config().state_dir, rt::MetricsOptions{});
    text = rt::metrics_to_prometheus(figures);
  } catch (const std::exception& e) {
    return error(500, fmt::format("metrics: {}", e.what()));
  }
  // writ_runs{status} comes with the series of `writ metrics` (from the journals).
  std::lock_guard lock(mutex_);
  text += fmt::format("# HELP writ_queue_depth Runs waiting for a worker.\n# TYPE writ_queue_depth gauge\nwrit_queue_depth {}\n", queue_.size());
  std::map<std::string, int> obligations{{"pending", 0}, {"met", 0}, {"met_late", 0}, {"overdue", 0}};
  for (const auto& [id, summary] : runs_) {
    auto clocks = summary.deadlines;
    rt::overdue_clocks(clocks, clock_.now());
    for (const auto& c : clocks) ++obligations[c.status];
  }
  text += "# HELP writ_obligations Deadline clocks of the service's runs by status.\n# TYPE writ_obligations gauge\n";
  for (const auto& [status, count] : obligations) text += fmt::format("writ_obligations{{status=\"{}\"}} {}\n", status, count);
  text += "# HELP writ_events_total Events received, by outcome.\n# TYPE writ_events_total counter\n";
  for (const auto& [result, count] : events_) text += fmt::format("writ_events_total{{result=\"{}\"}} {}\n", result, count);
  return Response{200, text, "text/plain; version=0.0.4", {}};
}

Response Service::ready() {
  const bool loaded = engine_->runbooks() != nullptr;
  const bool store = engine_->store().writable();
  return json_response(loaded && store ? 200 : 503, {{"runbooks_loaded", loaded}, {"store_writable", store}});
}

}  // namespace writ::service
