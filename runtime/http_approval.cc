#include "runtime/http_approval.h"

#include <algorithm>
#include <fmt/format.h>

#include "runtime/json_input.h"

namespace writ::runtime {

using std::chrono::milliseconds;

// What one HTTP exchange with the service said: a decision, or "pending, poll here".
struct HttpApprovalGate::Reply {
  std::optional<ApprovalDecision> decision;
  std::string poll_url;
};

namespace {

ApprovalDecision refused(std::string reason) {
  ApprovalDecision decision;
  decision.reason = std::move(reason);
  return decision;
}

}  // namespace

HttpApprovalGate::HttpApprovalGate(std::string url, std::optional<std::string> token, const HttpClient& client, Clock& clock,
                                   const RuntimeOptions& options, Secrets& secrets)
    : url_(std::move(url)), token_(std::move(token)), client_(client), clock_(clock), options_(options), secrets_(secrets) {
  if (token_) secrets.add(*token_);
  for (auto& password : url_passwords(url_)) secrets.add(std::move(password));
}

std::vector<std::pair<std::string, std::string>> HttpApprovalGate::headers() const {
  std::vector<std::pair<std::string, std::string>> out{{"Accept", "application/json"}};
  if (token_) out.emplace_back("Authorization", "Bearer " + *token_);
  return out;
}

HttpApprovalGate::Reply HttpApprovalGate::interpret(const HttpResponse& response, const ApprovalRequest& request,
                                                    const std::string& polling) const {
  if (!response.answered()) return {refused(fmt::format("approval service: {}", secrets_.excerpt(response.error))), ""};
  if (response.status != 200 && response.status != 202) {
    auto reason = fmt::format("approval service answered HTTP {}", response.status);
    if (!response.body.empty()) reason += ": " + secrets_.excerpt(response.body);
    return {refused(std::move(reason)), ""};
  }
  // While polling, an empty 202 means "still pending".
  if (response.status == 202 && !polling.empty() && response.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return {std::nullopt, polling};
  }
  nlohmann::json body;
  try {
    body = parse_json(response.body, "approval reply", options_.max_json_depth);
  } catch (const JsonInputError& e) {
    return {refused(fmt::format("HTTP {} with a malformed body: {}", response.status, secrets_.excerpt(e.what()))), ""};
  }
  if (response.status == 202) return pending(body, polling);
  auto decision = read_decision(body, request.required_roles, request.identity, "approvals");
  decision.reason = secrets_.excerpt(decision.reason);  // the service's own words, or ours about its reply
  return {std::move(decision), ""};
}

HttpApprovalGate::Reply HttpApprovalGate::pending(const nlohmann::json& body, const std::string& polling) const {
  if (!polling.empty() && body == nlohmann::json::object()) return {std::nullopt, polling};
  if (!body.is_object()) return {refused(fmt::format("HTTP 202 with a JSON {}, not {{\"poll\": URL}}", json_kind(body))), ""};
  const auto poll = body.find("poll");
  if (poll == body.end()) return {refused("HTTP 202 without {\"poll\": URL}"), ""};
  for (const auto& [key, value] : body.items()) {
    if (key != "poll") return {refused(fmt::format("HTTP 202 with unknown key `{}` (expected only `poll`)", secrets_.excerpt(key))), ""};
  }
  if (!poll->is_string()) return {refused(fmt::format("HTTP 202: `poll` must be a string, got {}", json_kind(*poll))), ""};
  const auto target = resolve_url(url_, poll->get<std::string>());
  if (!target || url_origin(*target) != url_origin(url_)) {
    return {refused(fmt::format("poll URL {} is not on the approval service's origin",
                                secrets_.excerpt(redact_url(poll->get<std::string>())))), ""};
  }
  return {std::nullopt, *target};
}

ApprovalDecision HttpApprovalGate::decide(const ApprovalRequest& request, milliseconds time_left) {
  const auto deadline = clock_.steady() + time_left;
  auto left = [&] { return std::chrono::duration_cast<milliseconds>(deadline - clock_.steady()); };
  auto timed_out = [&] {
    return refused(fmt::format("no decision within the approval timeout ({} s)", time_left.count() / 1000.0));
  };
  if (left().count() <= 0) return timed_out();
  HttpRequest post{"POST", url_, headers(), approval_request_body(request).dump(), left()};
  post.headers.emplace_back("Content-Type", "application/json");
  auto response = client_.send(post);
  if (response.timed_out) return timed_out();
  auto reply = interpret(response, request, "");
  auto interval = options_.approval_poll_initial;
  while (!reply.decision) {
    const auto wait = std::min(interval, left());
    if (wait.count() <= 0) return timed_out();
    clock_.sleep_for(wait);
    interval = std::min(interval * 2, options_.approval_poll_max);
    if (left().count() <= 0) return timed_out();
    response = client_.send(HttpRequest{"GET", reply.poll_url, headers(), "", left()});
    if (response.timed_out) return timed_out();
    reply = interpret(response, request, reply.poll_url);
  }
  return *reply.decision;
}

}  // namespace writ::runtime
