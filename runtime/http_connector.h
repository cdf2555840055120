// The `http` connector (DESIGN §9): POSTs {"action","args","run_id","step","idempotency_key"}
// as JSON with an `Idempotency-Key` header (and `Authorization: Bearer <token>` when the
// connector names a token variable). Any 2xx is success; 408, 429, 5xx and transport faults
// are retryable failures; other statuses are permanent failures. A failure's error holds at
// most the run's excerpt size of the response body, with every secret of the run replaced by
// `***` (secrets.h): the connector registers its own token and URL password there.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "runtime/connector.h"
#include "runtime/http_client.h"
#include "runtime/secrets.h"

namespace writ::runtime {

struct HttpConnectorConfig {
  std::string url;
  std::chrono::milliseconds timeout{30000};  // per attempt, never above the step's time left
  std::optional<std::string> token;          // the bearer token's value (never logged)
};

class HttpConnector final : public Connector {
 public:
  // `client` and `secrets` must outlive the connector; the token and the URL's password are
  // added to `secrets`.
  HttpConnector(HttpConnectorConfig config, const HttpClient& client, Secrets& secrets);
  std::string_view kind() const override { return "http"; }
  ConnectorResult call(const ConnectorCall& call) override;

 private:
  HttpConnectorConfig config_;
  const HttpClient& client_;
  const Secrets& secrets_;
};

}  // namespace writ::runtime
