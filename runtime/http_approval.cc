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

HttpApprovalGate::Reply HttpApprovalGate::interpret(const HttpResponse& response, const ApprovalRequest& request) const {
  if (!response.answered()) return {refused(fmt::format("approval service: {}", response.error)), ""};
  nlohmann::json body;
  if (response.status == 200 || response.status == 202) {
    try {
      body = parse_json(response.body, "approval reply", options_.max_json_depth);
    } catch (const JsonInputError& e) {
      return {refused(fmt::format("HTTP {} with a body that is not JSON ({})", response.status, e.what())), ""};
    }
  }
  if (response.status == 200) {
    return {read_decision(body, request.required_roles, "approvals"), ""};
  }
  if (response.status == 202) {
    auto poll = body.is_object() ? body.find("poll") : body.end();
    if (!body.is_object() || poll == body.end() || !poll->is_string()) return {refused("HTTP 202 without {\"poll\": URL}"), ""};
    auto url = resolve_url(url_, poll->get<std::string>());
    if (!url || url_origin(*url) != url_origin(url_)) {
      return {refused(fmt::format("poll URL \"{}\" is not on the approval service's origin", printable_excerpt(poll->get<std::string>()))), ""};
    }
    return {std::nullopt, *url};
  }
  auto reason = fmt::format("approval service answered HTTP {}", response.status);
  if (!response.body.empty()) reason += ": " + printable_excerpt(response.body);
  return {refused(std::move(reason)), ""};
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
  auto reply = interpret(response, request);
  auto interval = options_.approval_poll_initial;
  while (!reply.decision) {
    const auto wait = std::min(interval, left());
    if (wait.count() <= 0) return timed_out();
    clock_.sleep_for(wait);
    interval = std::min(interval * 2, options_.approval_poll_max);
    if (left().count() <= 0) return timed_out();
    response = client_.send(HttpRequest{"GET", reply.poll_url, headers(), "", left()});
    if (response.timed_out) return timed_out();
    auto next = interpret(response, request);
    if (!next.decision && next.poll_url.empty()) next.poll_url = reply.poll_url;
    reply = std::move(next);
  }
  return *reply.decision;
}

}  // namespace writ::runtime
