#include "service/service.h"

#include <catch2/catch.hpp>

#include "common/sha256.h"
#include "unit/runtime/runtime_test_support.h"

namespace writ::service {
namespace {

using runtime::testing::kCriticalEvent;
using runtime::testing::TempDir;

const char* kRunbook = R"writ(
runbook containment {
  title    "Containment"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 10m
  }
}
)writ";

AuthConfig auth_config() {
  AuthConfig config;
  config.tokens.push_back({Principal{"feed", {"events"}, {}}, sha256_hex("feed")});
  config.tokens.push_back({Principal{"reader", {"read"}, {}}, sha256_hex("reader")});
  config.tokens.push_back({Principal{"ana", {"approve", "read"}, {"ciso"}}, sha256_hex("ana")});
  config.tokens.push_back({Principal{"bo", {"approve", "read"}, {"legal"}}, sha256_hex("bo")});
  return config;
}

// A service over a real engine and file store in a temporary directory, without HTTP.
struct Fixture {
  explicit Fixture(ServiceOptions o = {}) : auth(auth_config()), options(std::move(o)) {
    dir.file("runbooks/containment.writ", kRunbook);
    config.state_dir = (dir.path() / "state").string();
    config.dry_run = true;
    service.emplace(auth, clock, options);
    engine.emplace(runtime::RunbookSet::compile((dir.path() / "runbooks").string(), runtime::testing::stdlib_catalog()), config,
                   clock, service->engine_hooks({}));
    service->attach(*engine);
    service->start();
  }
  ~Fixture() { service.reset(); }

  Response call(const std::string& method, const std::string& path, const std::string& token, const std::string& body = "") {
    Request r;
    r.method = method;
    r.path = path;
    r.authorization = token.empty() ? "" : "Bearer " + token;
    r.body = body;
    return service->handle(r);
  }
  std::string event(const std::string& id) const {
    auto e = nlohmann::json::parse(kCriticalEvent);
    e["id"] = id;
    return e.dump();
  }

  TempDir dir;
  Authenticator auth;
  runtime::SystemClock clock;
  ServiceOptions options;
  runtime::EngineConfig config;
  std::optional<Service> service;
  std::optional<runtime::Engine> engine;
};

nlohmann::json body(const Response& r) { return nlohmann::json::parse(r.body); }

TEST_CASE("limits: a body over max_body_bytes is 413 before anything else", "[service][limits]") {
  ServiceOptions options;
  options.max_body_bytes = 64;
  Fixture f(options);
  CHECK(f.call("POST", "/v1/events", "feed", std::string(65, ' ')).status == 413);
  CHECK(f.call("POST", "/v1/events", "", std::string(65, ' ')).status == 413);
  CHECK(f.call("POST", "/v1/events", "feed", "{").status == 400);
}

TEST_CASE("limits: with the queue full intake answers 429 with Retry-After and starts nothing", "[service][limits]") {
  ServiceOptions options;
  options.workers = 0;  // nothing drains the queue
  options.queue_capacity = 1;
  options.retry_after = std::chrono::seconds(7);
  Fixture f(options);
  CHECK(f.call("POST", "/v1/events", "feed", f.event("a")).status == 202);
  const auto refused = f.call("POST", "/v1/events", "feed", f.event("b"));
  CHECK(refused.status == 429);
  CHECK(refused.headers.at("Retry-After") == "7");
  CHECK(body(f.call("GET", "/v1/runs", "reader"))["runs"].size() == 1);
  CHECK(f.service->queue_depth() == 1);
}

TEST_CASE("scopes and routes", "[service]") {
  Fixture f;
  CHECK(f.call("GET", "/healthz", "").status == 200);
  CHECK(f.call("GET", "/v1/runs", "").status == 401);
  CHECK(f.call("GET", "/v1/runs", "feed").status == 403);
  CHECK(f.call("POST", "/v1/events", "reader", f.event("x")).status == 403);
  CHECK(f.call("GET", "/v1/runs/nope", "reader").status == 404);
  CHECK(f.call("DELETE", "/v1/runs", "reader").status == 405);
  CHECK(f.call("GET", "/v1/runs/a/b", "reader").status == 404);
  CHECK(f.call("GET", "/readyz", "reader").status == 200);
}

TEST_CASE("an event becomes one run, a repeat is counted, a quorum completes it", "[service]") {
  Fixture f;
  const auto first = f.call("POST", "/v1/events", "feed", f.event("e-1"));
  REQUIRE(first.status == 202);
  const auto run_id = body(first)["runs"][0]["run_id"].get<std::string>();
  const auto again = f.call("POST", "/v1/events", "feed", f.event("e-1"));
  CHECK(again.status == 200);
  CHECK(body(again)["runs"][0]["run_id"] == run_id);
  f.service->wait_idle();
  auto run = body(f.call("GET", "/v1/runs/" + run_id, "reader"));
  CHECK(run["awaiting"] == nlohmann::json::array({"revoke"}));
  CHECK(run["duplicates"] == 1);
  const auto path = "/v1/runs/" + run_id + "/steps/revoke/approval";
  CHECK(f.call("POST", path, "ana", R"({"approved": true, "approved": true})").status == 400);
  CHECK(body(f.call("POST", path, "ana", R"({"approved": true})"))["decided"] == false);
  CHECK(f.call("POST", path, "ana", R"({"approved": true})").status == 409);
  CHECK(body(f.call("POST", path, "bo", R"({"approved": true, "reason": "confirmed"})"))["decided"] == true);
  f.service->wait_idle();
  CHECK(body(f.call("GET", "/v1/runs/" + run_id, "reader"))["status"] == "completed");
}

TEST_CASE("a restart resumes what the last process left", "[service]") {
  TempDir keep;
  std::string run_id;
  {
    ServiceOptions options;
    options.workers = 0;  // accepted, never run: as after a crash right after the 202
    Fixture f(options);
    run_id = body(f.call("POST", "/v1/events", "feed", f.event("r-1")))["runs"][0]["run_id"];
    std::filesystem::copy(f.dir.path() / "state", keep.path() / "state", std::filesystem::copy_options::recursive);
  }
  Fixture f;
  std::filesystem::remove_all(f.dir.path() / "state");
  std::filesystem::copy(keep.path() / "state", f.dir.path() / "state", std::filesystem::copy_options::recursive);
  f.service.reset();  // a fresh service over the copied store
  f.service.emplace(f.auth, f.clock, f.options);
  f.engine.emplace(f.engine->runbooks(), f.config, f.clock, f.service->engine_hooks({}));
  f.service->attach(*f.engine);
  f.service->start();
  f.service->wait_idle();
  CHECK(body(f.call("GET", "/v1/runs/" + run_id, "reader"))["awaiting"] == nlohmann::json::array({"revoke"}));
}

TEST_CASE("the intake log survives a torn last line and keeps unrouted events", "[service]") {
  TempDir dir;
  const auto file = dir.path() / "intake.jsonl";
  {
    auto log = IntakeLog::open(file);
    log.add_unrouted(UnroutedEvent{"in-1", "e-1", "2026-01-01T00:00:00Z", "no runbook", "{}", ""});
    log.add_duplicate("e-2", "run-2", "2026-01-01T00:00:01Z");
  }
  std::ofstream(file, std::ios::app) << R"({"kind":"replayed","id":"in-1")";  // a crash mid-write
  auto log = IntakeLog::open(file);
  REQUIRE(log.unrouted().size() == 1);
  CHECK(log.unrouted()[0].replayed_run.empty());
  CHECK(log.duplicates("run-2")->count == 1);
  log.add_replayed("in-1", "run-3", "2026-01-01T00:00:02Z");
  CHECK(IntakeLog::open(file).find_unrouted("in-1")->replayed_run == "run-3");
  std::ofstream(file, std::ios::app) << "not json\n";
  CHECK_THROWS_AS(IntakeLog::open(file), IntakeError);
}

}  // namespace
}  // namespace writ::service
