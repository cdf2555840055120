#include "runtime/http_connector.h"

#include <algorithm>
#include <fmt/format.h>

namespace writ::runtime {

HttpConnector::HttpConnector(HttpConnectorConfig config, const HttpClient& client)
    : config_(std::move(config)), client_(client) {}

ConnectorResult HttpConnector::call(const ConnectorCall& call) {
  HttpRequest request;
  request.url = config_.url;
  request.body = call_body(call).dump();
  request.timeout = std::min(config_.timeout, call.timeout);
  request.headers = {{"Content-Type", "application/json"},
                     {"Accept", "application/json"},
                     {"Idempotency-Key", call.idempotency_key}};
  if (config_.token) request.headers.emplace_back("Authorization", "Bearer " + *config_.token);
  const auto response = client_.send(request);
  ConnectorResult result;
  if (!response.answered()) {
    result.retryable = !response.too_large;
    result.error = response.error;
    result.detail = "no answer";
    return result;
  }
  result.detail = fmt::format("HTTP {}", response.status);
  if (response.status >= 200 && response.status < 300) {
    result.ok = true;
    result.retryable = false;
    return result;
  }
  const long s = response.status;
  result.retryable = s == 408 || s == 429 || s >= 500;
  result.error = fmt::format("HTTP {}", s);
  if (!response.body.empty()) result.error += ": " + printable_excerpt(response.body);
  return result;
}

std::string printable_excerpt(const std::string& text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  if (text.size() > limit) out += "...";
  return out;
}

}  // namespace writ::runtime
