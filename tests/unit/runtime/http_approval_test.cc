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

TEST_CASE("a reply holding a key twice is refused, whichever value comes last", "[runtime][approval][http]") {
  for (const char* body : {R"({"approved": false, "approved": true})", R"({"approved": true, "approved": true})",
                           R"({"approved": true, "approvals": [{"approver": "a", "role": "ciso", "role": "legal"}]})"}) {
    INFO(body);
    Fixture f;
    f.reply(200, body);
    const auto decision = f.ask();
    CHECK_FALSE(decision.approved);
    CHECK_THAT(decision.reason, Contains("HTTP 200 with a malformed body: approval reply:1:"));
    CHECK_THAT(decision.reason, Contains("duplicate key"));
  }
}

TEST_CASE("a 202 body is exactly {\"poll\": URL}; while polling, empty or {} means pending", "[runtime][approval][http]") {
  const struct {
    const char* body;
    const char* reason;
  } cases[] = {
      {R"({"poll": "/p", "poll": "/q"})", "duplicate key \"poll\""},
      {R"({"poll": "/p", "approved": true})", "HTTP 202 with unknown key `approved` (expected only `poll`)"},
      {R"({"poll": 7})", "`poll` must be a string, got integer"},
      {R"(["/p"])", "HTTP 202 with a JSON array"},
      {"", "HTTP 202 with a malformed body"},  // the first 202 must say where to poll
  };
  SECTION("first answers") {
    for (const auto& c : cases) {
      INFO(c.body);
      Fixture f;
      f.reply(202, c.body);
      const auto decision = f.ask();
      CHECK_FALSE(decision.approved);
      CHECK_THAT(decision.reason, Contains(c.reason));
      CHECK(f.server.seen().size() == 1);  // never polled
    }
  }
  SECTION("polling") {
    Fixture f;
    std::atomic<int> polls{0};
    f.server.server.Post("/approve", [&](const httplib::Request&, httplib::Response& res) {
      res.status = 202;
      res.set_content(R"({"poll": "/poll"})", "application/json");
    });
    f.server.server.Get("/poll", [&](const httplib::Request&, httplib::Response& res) {
      const int n = ++polls;
      res.status = n < 3 ? 202 : 200;
      res.set_content(n == 1 ? "" : n == 2 ? "{}" : R"({"approved": true})", "application/json");
    });
    f.server.start();
    CHECK(f.ask(std::nullopt, seconds(10)).approved);
    CHECK(polls == 3);
  }
  SECTION("a pending answer that is not empty, {} or a poll URL ends the wait") {
    Fixture f;
    f.server.server.Post("/approve", [&](const httplib::Request&, httplib::Response& res) {
      res.status = 202;
      res.set_content(R"({"poll": "/poll"})", "application/json");
    });
    f.server.server.Get("/poll", [&](const httplib::Request&, httplib::Response& res) {
      res.status = 202;
      res.set_content(R"({"status": "pending"})", "application/json");
    });
    f.server.start();
    const auto decision = f.ask(std::nullopt, seconds(10));
    CHECK_FALSE(decision.approved);
    CHECK_THAT(decision.reason, Contains("HTTP 202 without {\"poll\": URL}"));
  }
}

TEST_CASE("text copied from a reply is redacted and cut", "[runtime][approval][http][secrets]") {
  const std::string token = "tok-4f1e9a";
  SECTION("an error body echoing the bearer token") {
    Fixture f;
    f.server.server.Post("/approve", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 403;
      res.set_content("denied: " + req.get_header_value("Authorization") + " " + std::string(5000, 'x'), "text/plain");
    });
    f.server.start();
    const auto decision = f.ask(token);
    CHECK_FALSE(decision.approved);
    CHECK_THAT(decision.reason, Contains("approval service answered HTTP 403: denied: Bearer *** xxx"));
    CHECK(decision.reason.find(token) == std::string::npos);
    CHECK(decision.reason.size() < 600);
  }
  SECTION("a refusal's reason echoing it") {
    Fixture f;
    f.reply(200, R"({"approved": false, "reason": "token tok-4f1e9a is revoked"})");
    CHECK(f.ask(token).reason == "token *** is revoked");
  }
  SECTION("the password of the service URL") {
    Fixture f;
    f.server.server.Post("/approve", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 500;
      res.set_content("basic " + req.get_header_value("Authorization") + " was pass-9c2", "text/plain");
    });
    f.server.start();
    HttpApprovalGate gate("http://ops:pass-9c2@127.0.0.1:" + std::to_string(f.server.port()) + "/approve", std::nullopt,
                          f.client, f.clock, f.options, f.secrets);
    const auto decision = gate.decide(request(), seconds(2));
    CHECK_THAT(decision.reason, Contains("was ***"));
    CHECK(decision.reason.find("pass-9c2") == std::string::npos);
  }
  SECTION("a poll URL elsewhere is shown without its query") {
    Fixture f;
    f.reply(202, R"({"poll": "https://elsewhere.example/p?key=k-55"})");
    const auto decision = f.ask();
    CHECK_THAT(decision.reason, Contains("poll URL https://elsewhere.example/p is not on"));
    CHECK(decision.reason.find("k-55") == std::string::npos);
  }
}
