#include "runtime/http_approval.h"

#include <algorithm>
#include <fmt/format.h>

#include "runtime/http_connector.h"
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
                                   const RuntimeOptions& options)
    : url_(std::move(url)), token_(std::move(token)), client_(client), clock_(clock), options_(options) {}

std::vector<std::pair<std::string, std::string>> HttpApprovalGate::headers() const {
  std::vector<std::pair<std::string, std::string>> out{{"Accept", "application/json"}};
  if (token_) out.emplace_back("Authorization", "Bearer " + *token_);
  return out;
}

HttpApprovalGate::Reply HttpApprovalGate::interpret(const HttpResponse& response, const ApprovalRequest& request,
                                                    const std::string& polling) const {
  if (!response.answered()) return {refused(fmt::format("approval service: {}", response.error)), ""};
  if (response.status != 200 && response.status != 202) {
    auto reason = fmt::format("approval service answered HTTP {}", response.status);
    if (!response.body.empty()) reason += ": " + printable_excerpt(response.body);
    return {refused(std::move(reason)), ""};
  }
  nlohmann::json body;
  std::string parse_error;
  try {
    body = parse_json(response.body, "approval reply", options_.max_json_depth);
  } catch (const JsonInputError& e) {
    parse_error = e.what();
  }
  if (response.status == 200) {
    if (!parse_error.empty()) return {refused(fmt::format("HTTP 200 with a body that is not JSON ({})", parse_error)), ""};
    return {read_decision(body, request.required_roles, "approvals"), ""};
  }
  const auto poll = body.is_object() ? body.find("poll") : body.end();
  if (!body.is_object() || poll == body.end()) {
    // While polling, a bare 202 means "still pending"; the first answer must say where to poll.
    if (!polling.empty()) return {std::nullopt, polling};
    return {refused("HTTP 202 without {\"poll\": URL}"), ""};
  }
  const auto target = poll->is_string() ? resolve_url(url_, poll->get<std::string>()) : std::nullopt;
  if (!target || url_origin(*target) != url_origin(url_)) {
    return {refused(fmt::format("poll URL {} is not on the approval service's origin", printable_excerpt(poll->dump()))), ""};
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
