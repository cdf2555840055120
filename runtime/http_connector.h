// The `http` connector (DESIGN §9): POSTs {"action","args","run_id","step","idempotency_key"}
// as JSON with an `Idempotency-Key` header (and `Authorization: Bearer <token>` when the
// connector names a token variable). Any 2xx is success; 408, 429, 5xx and transport faults
// are retryable failures; other statuses are permanent failures.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "runtime/connector.h"
#include "runtime/http_client.h"

namespace writ::runtime {

struct HttpConnectorConfig {
  std::string url;
  std::chrono::milliseconds timeout{30000};  // per attempt, never above the step's time left
  std::optional<std::string> token;          // the bearer token's value (never logged)
};

class HttpConnector final : public Connector {
 public:
  HttpConnector(HttpConnectorConfig config, const HttpClient& client);
  std::string_view kind() const override { return "http"; }
  ConnectorResult call(const ConnectorCall& call) override;

 private:
  HttpConnectorConfig config_;
  const HttpClient& client_;
};

// Up to `limit` bytes of `text` with control characters replaced, for error messages.
std::string printable_excerpt(const std::string& text, std::size_t limit = 200);

}  // namespace writ::runtime
