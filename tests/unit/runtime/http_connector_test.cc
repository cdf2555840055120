#include "runtime/http_connector.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "http_test_server.h"

using namespace writ::runtime;
using namespace writ::runtime::testing;
using Catch::Matchers::Contains;

namespace {

ConnectorCall call() {
  ConnectorCall c;
  c.run_id = "run-1";
  c.step = "isolate";
  c.action = "isolate_host";
  c.args = {{"target", "ws-042"}};
  c.idempotency_key = idempotency_key("run-1", "isolate", "execute");
  c.timeout = std::chrono::seconds(5);
  return c;
}

}  // namespace

TEST_CASE("the http connector posts the call with its idempotency key", "[runtime][connector][http]") {
  TestServer server;
  server.server.Post("/act", [&](const httplib::Request& req, httplib::Response& res) {
    server.record(req);
    res.status = 204;
  });
  server.start();
  HttpClient client(1024, std::chrono::seconds(5));
  Secrets secrets{512};
  HttpConnector connector({server.url("/act"), std::chrono::seconds(10), std::string("edr-token")}, client, secrets);
  const auto result = connector.call(call());
  CHECK(result.ok);
  CHECK(result.detail == "HTTP 204");
  const auto seen = server.seen().at(0);
  CHECK(seen.idempotency_key == call().idempotency_key);
  CHECK(seen.authorization == "Bearer edr-token");
  CHECK(nlohmann::json::parse(seen.body) == nlohmann::json{{"action", "isolate_host"},
                                                           {"args", {{"target", "ws-042"}}},
                                                           {"run_id", "run-1"},
                                                           {"step", "isolate"},
                                                           {"idempotency_key", call().idempotency_key}});
}

TEST_CASE("http failures are classified for retrying", "[runtime][connector][http]") {
  TestServer server;
  std::atomic<int> status{500};
  server.server.Post("/act", [&](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content("edr\nunavailable", "text/plain");
  });
  server.start();
  HttpClient client(1024, std::chrono::seconds(5));
  Secrets secrets{512};
  HttpConnector connector({server.url("/act"), std::chrono::seconds(10), std::nullopt}, client, secrets);
  auto result = connector.call(call());
  CHECK_FALSE(result.ok);
  CHECK(result.retryable);
  CHECK(result.error == "HTTP 500: edr unavailable");
  for (int s : {408, 429, 503}) {
    status = s;
    CHECK(connector.call(call()).retryable);
  }
  for (int s : {400, 401, 404, 409}) {
    status = s;
    CHECK_FALSE(connector.call(call()).retryable);
  }
  status = 200;
  CHECK(connector.call(call()).ok);
}

TEST_CASE("idempotency keys are stable per run, step and phase", "[runtime][connector]") {
  CHECK(idempotency_key("r", "s", "execute") == idempotency_key("r", "s", "execute"));
  CHECK(idempotency_key("r", "s", "execute") != idempotency_key("r", "s", "rollback"));
  CHECK(idempotency_key("r", "s", "execute") != idempotency_key("r2", "s", "execute"));
  CHECK(idempotency_key("r", "s", "execute").size() == 32);
}

TEST_CASE("an unreachable connector is a retryable failure", "[runtime][connector][http]") {
  HttpClient client(1024, std::chrono::seconds(1));
  Secrets secrets{512};
  HttpConnector connector({"http://127.0.0.1:" + std::to_string(closed_port()) + "/act", std::chrono::seconds(1), std::nullopt}, client, secrets);
  const auto result = connector.call(call());
  CHECK_FALSE(result.ok);
  CHECK(result.retryable);
  CHECK(result.detail == "no answer");
}

TEST_CASE("an error body echoing a secret is redacted before it is cut", "[runtime][connector][http][secrets]") {
  TestServer server;
  server.server.Post("/act", [&](const httplib::Request& req, httplib::Response& res) {
    res.status = 500;
    // The token straddles byte 512 of the body.
    res.set_content(std::string(500, '.') + req.get_header_value("Authorization") + std::string(3000, '.'), "text/plain");
  });
  server.start();
  HttpClient client(64 * 1024, std::chrono::seconds(5));
  Secrets secrets{512};
  secrets.add("other-connectors-token");  // the run's set, shared by every connector and the gate
  HttpConnector connector({server.url("/act"), std::chrono::seconds(10), std::string("edr-token-77")}, client, secrets);
  CHECK(secrets.size() == 2);  // the connector registered its own token
  const auto result = connector.call(call());
  CHECK_FALSE(result.ok);
  CHECK(result.error.find("edr-token") == std::string::npos);
  CHECK(result.error == "HTTP 500: " + std::string(500, '.') + "Bearer ***" + std::string(2, '.') + "...");
}

TEST_CASE("a token for a remote plain-http url is never sent, and not retried", "[runtime][connector][http][secrets]") {
  HttpClient client(1024, std::chrono::seconds(5));
  Secrets secrets{512};
  HttpConnector connector({"http://198.51.100.7/act", std::chrono::seconds(30), std::string("t0k")}, client, secrets);
  const auto result = connector.call(call());
  CHECK_FALSE(result.ok);
  CHECK_FALSE(result.retryable);
  CHECK_THAT(result.error, Contains("refusing to send credentials over plain http"));
}
