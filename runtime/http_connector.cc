#include "runtime/http_connector.h"

#include <algorithm>
#include <fmt/format.h>

namespace writ::runtime {

HttpConnector::HttpConnector(HttpConnectorConfig config, const HttpClient& client, Secrets& secrets)
    : config_(std::move(config)), client_(client), secrets_(secrets) {
  if (config_.token) secrets.add(*config_.token);
  for (auto& password : url_passwords(config_.url)) secrets.add(std::move(password));
}

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
    result.retryable = !response.too_large && !response.not_sent;
    result.error = secrets_.excerpt(response.error);
    result.detail = "no answer";
    return result;
  }
  result.detail = fmt::format("HTTP {}", response.status);
  if (response.status >= 200 && response.status < 300) {
    result.ok = true;
    result.retryable = false;
    result.reply = response.body;
    return result;
  }
  const long s = response.status;
  result.retryable = s == 408 || s == 429 || s >= 500;
  result.error = fmt::format("HTTP {}", s);
  // Redacted before it is cut: a token straddling the cut cannot leak in part.
  if (!response.body.empty()) result.error += ": " + secrets_.excerpt(response.body);
  return result;
}

}  // namespace writ::runtime
