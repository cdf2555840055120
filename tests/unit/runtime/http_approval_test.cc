#include "runtime/http_approval.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "http_test_server.h"

using namespace writ::runtime;
using namespace writ::runtime::testing;
using namespace std::chrono;
using Catch::Matchers::Contains;

namespace {

ApprovalRequest request() {
  ApprovalRequest r;
  r.run_id = "run-1";
  r.step = "revoke";
  r.action = "revoke_active_sessions";
  r.required_roles = {"ciso", "legal"};
  r.event = {{"id", "evt-1"}, {"severity", "critical"}};
  return r;
}

struct Fixture {
  TestServer server;
  ManualClock clock;
  RuntimeOptions options;
  HttpClient client{options.max_response_bytes, options.connect_timeout};
  Secrets secrets{options.max_error_excerpt_bytes};

  ApprovalDecision ask(std::optional<std::string> token = std::nullopt, milliseconds wait = seconds(2),
                       const std::string& path = "/approve") {
    HttpApprovalGate gate(server.url(path), std::move(token), client, clock, options, secrets);
    return gate.decide(request(), wait);
  }
  void reply(int status, std::string body) {
    server.server.Post("/approve", [this, status, body](const httplib::Request& req, httplib::Response& res) {
      server.record(req);
      res.status = status;
      res.set_content(body, "application/json");
    });
    server.start();
  }
};

}  // namespace

TEST_CASE("200 approved: the seed protocol with a bearer token", "[runtime][approval][http]") {
  Fixture f;
  f.reply(200, R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]})");
  const auto decision = f.ask(std::string("s3cret"));
  CHECK(decision.approved);
  CHECK(decision.approvers.size() == 2);
  const auto seen = f.server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].authorization == "Bearer s3cret");
  CHECK(seen[0].content_type == "application/json");
  const auto body = nlohmann::json::parse(seen[0].body);
  CHECK(body["action"] == "revoke_active_sessions");
  CHECK(body["context"]["event"]["id"] == "evt-1");
  CHECK(body["run_id"] == "run-1");
  CHECK(body["step"] == "revoke");
  CHECK(body["required_roles"] == std::vector<std::string>{"ciso", "legal"});
  CHECK(body["requested_at"].is_string());
}

TEST_CASE("without a token no Authorization header is sent", "[runtime][approval][http]") {
  Fixture f;
  f.reply(200, R"({"approved": true})");
  CHECK(f.ask().approved);
  CHECK(f.server.seen().at(0).authorization.empty());
}

TEST_CASE("every fault fails closed", "[runtime][approval][http]") {
  struct Case {
    int status;
    const char* body;
    const char* reason;
  };
  const Case cases[] = {
      {500, R"({"approved": true})", "approval service answered HTTP 500"},
      {200, "<html>approved</html>", "HTTP 200 with a malformed body: approval reply:1:1: invalid JSON"},
      {200, R"({"approved": "yes"})", "`approved` must be a boolean, got string"},
      {200, R"({"approved": false})", "refused by the approver"},
      {200, R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}]})", "quorum not met"},
      {403, R"({"approved": true})", "HTTP 403"},
      {202, R"({"wait": 1})", "HTTP 202 without {\"poll\": URL}"},
      {202, R"({"poll": "https://elsewhere.example/poll"})", "not on the approval service's origin"},
      {302, "", "HTTP 302"},
  };
  for (const auto& c : cases) {
    INFO(c.status << " " << c.body);
    Fixture f;
    f.reply(c.status, c.body);
    const auto decision = f.ask(std::string("token"));
    CHECK_FALSE(decision.approved);
    CHECK_THAT(decision.reason, Contains(c.reason));
    CHECK(decision.reason.find("token") == std::string::npos);
  }
}

TEST_CASE("a service slower than the timeout, or not listening, fails closed", "[runtime][approval][http]") {
  SECTION("slow") {
    Fixture f;
    f.server.server.Post("/approve", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(milliseconds(1500));
      res.set_content(R"({"approved": true})", "application/json");
    });
    f.server.start();
    const auto decision = f.ask(std::nullopt, milliseconds(300));
    CHECK_FALSE(decision.approved);
    CHECK_THAT(decision.reason, Contains("no decision within the approval timeout"));
  }
  SECTION("not listening") {
    ManualClock clock;
    RuntimeOptions options;
    HttpClient client(options.max_response_bytes, options.connect_timeout);
    Secrets secrets{options.max_error_excerpt_bytes};
    HttpApprovalGate gate("http://127.0.0.1:" + std::to_string(closed_port()) + "/approve", std::nullopt, client, clock, options, secrets);
    const auto decision = gate.decide(request(), seconds(2));
    CHECK_FALSE(decision.approved);
    CHECK_THAT(decision.reason, Contains("approval service:"));
  }
  SECTION("no time left") {
    Fixture f;
    f.reply(200, R"({"approved": true})");
    CHECK_FALSE(f.ask(std::nullopt, milliseconds(0)).approved);
    CHECK(f.server.seen().empty());
  }
}

TEST_CASE("202 polls with backoff until a decision", "[runtime][approval][http][limits]") {
  Fixture f;
  std::atomic<int> polls{0};
  f.server.server.Post("/approve", [&](const httplib::Request& req, httplib::Response& res) {
    f.server.record(req);
    res.status = 202;
    res.set_content(R"({"poll": "/poll/42"})", "application/json");
  });
  f.server.server.Get("/poll/42", [&](const httplib::Request& req, httplib::Response& res) {
    f.server.record(req);
    if (++polls < 3) {
      res.status = 202;
      res.set_content("{}", "application/json");
      return;
    }
    res.set_content(R"({"approved": true})", "application/json");
  });
  f.server.start();
  f.options.approval_poll_initial = milliseconds(100);
  f.options.approval_poll_max = milliseconds(150);
  const auto decision = f.ask(std::string("t"), seconds(10));
  CHECK(decision.approved);
  CHECK(polls == 3);
  CHECK(f.clock.total_slept() == milliseconds(100 + 150 + 150));
  const auto seen = f.server.seen();
  REQUIRE(seen.size() == 4);
  CHECK(seen[1].method == "GET");
  CHECK(seen[1].authorization == "Bearer t");  // same origin: the token goes along
}

TEST_CASE("polling stops at the approval timeout", "[runtime][approval][http]") {
  Fixture f;
  std::atomic<int> polls{0};
  f.server.server.Post("/approve", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 202;
    res.set_content(R"({"poll": ")" + f.server.url("/poll") + R"("})", "application/json");
  });
  f.server.server.Get("/poll", [&](const httplib::Request&, httplib::Response& res) {
    ++polls;
    res.status = 202;
    res.set_content("{}", "application/json");
  });
  f.server.start();
  const auto decision = f.ask(std::nullopt, seconds(2));
  CHECK_FALSE(decision.approved);
  CHECK_THAT(decision.reason, Contains("no decision within the approval timeout (2 s)"));
  CHECK(polls == 3);  // after 250, 500 and 1000 ms; the last 250 ms run out
  CHECK(f.clock.total_slept() == seconds(2));
}

TEST_CASE("a poll answering 500 fails closed", "[runtime][approval][http]") {
  Fixture f;
  f.server.server.Post("/approve", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 202;
    res.set_content(R"({"poll": "/poll"})", "application/json");
  });
  f.server.server.Get("/poll", [&](const httplib::Request&, httplib::Response& res) { res.status = 500; });
  f.server.start();
  const auto decision = f.ask();
  CHECK_FALSE(decision.approved);
  CHECK_THAT(decision.reason, Contains("HTTP 500"));
}
