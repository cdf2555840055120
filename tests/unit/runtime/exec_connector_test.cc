#include "runtime/exec_connector.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "runtime/connectors_config.h"
#include "runtime/interpreter.h"
#include "runtime_test_support.h"

using namespace writ::runtime;
using Catch::Matchers::Contains;

namespace {

ExecConnectorConfig config(std::vector<std::string> argv) {
  ExecConnectorConfig out;
  for (const auto& a : argv) out.argv.push_back(parse_argv_template(a));
  out.timeout = std::chrono::seconds(10);
  return out;
}

ConnectorCall call(nlohmann::json args) {
  ConnectorCall c;
  c.run_id = "run-1";
  c.step = "isolate";
  c.action = "isolate_host";
  c.args = std::move(args);
  c.idempotency_key = "k123";
  return c;
}

}  // namespace

TEST_CASE("argv placeholders are replaced once, values are never expanded again", "[runtime][exec]") {
  RuntimeOptions options;
  ExecConnector connector(config({"/bin/echo", "{{args.target}}", "--run={{ run_id }}", "{{step}}/{{action}}", "{{idempotency_key}}",
                                  "{{args.channels}}"}),
                          options);
  // The exec connector reports success only; echo's output is not kept. Use printf via sh to see argv.
  auto result = connector.call(call({{"target", "{{run_id}}"}, {"channels", {"slack", "sms"}}}));
  CHECK(result.ok);
  CHECK(result.detail == "exit 0");

  ExecConnector sh(config({"/bin/sh", "-c", "printf '%s|' \"$@\" >&2; exit 9", "sh", "{{args.target}}", "x{{run_id}}y",
                           "{{args.channels}}"}),
                   options);
  result = sh.call(call({{"target", "{{run_id}}"}, {"channels", {"slack", "sms"}}}));
  CHECK_FALSE(result.ok);
  CHECK(result.retryable);
  CHECK(result.error == "exit 9: {{run_id}}|xrun-1y|slack,sms|");
}

TEST_CASE("the call body arrives on stdin", "[runtime][exec]") {
  RuntimeOptions options;
  ExecConnector connector(config({"/bin/sh", "-c", "cat >&2; exit 1"}), options);
  auto result = connector.call(call({{"target", "ws-1"}}));
  CHECK_THAT(result.error, Contains(R"("idempotency_key":"k123")"));
  CHECK_THAT(result.error, Contains(R"("args":{"target":"ws-1"})"));
}

TEST_CASE("a missing argument or an unknown placeholder is an error", "[runtime][exec]") {
  RuntimeOptions options;
  ExecConnector connector(config({"/bin/true", "{{args.host}}"}), options);
  auto result = connector.call(call({{"target", "ws-1"}}));
  CHECK_FALSE(result.ok);
  CHECK_FALSE(result.retryable);
  CHECK_THAT(result.error, Contains("argv[1] needs `args.host`, but action `isolate_host` has no such argument"));
  CHECK_THROWS_WITH(parse_argv_template("{{ event.host_id }}"), Contains("unknown placeholder"));
  CHECK_THROWS_WITH(parse_argv_template("x {{args.a"), Contains("unterminated"));
}

TEST_CASE("the call timeout applies to the process", "[runtime][exec][limits]") {
  RuntimeOptions options;
  ExecConnector connector(config({"/bin/sleep", "10"}), options);
  auto c = call({});
  c.timeout = std::chrono::milliseconds(200);
  auto result = connector.call(c);
  CHECK_FALSE(result.ok);
  CHECK(result.retryable);
  CHECK_THAT(result.error, Contains("timed out after 200 ms"));
}

TEST_CASE("the exec connector applies the runtime's resource limits", "[runtime][exec][limits]") {
  RuntimeOptions options;
  options.exec_max_open_files = 20;
  options.exec_max_file_bytes = 512 * 7;
  options.exec_max_memory_bytes = 256ULL * 1024 * 1024;
  options.max_exec_output_bytes = 5;
  ExecConnector connector(config({"/bin/sh", "-c", "echo $(ulimit -n) $(ulimit -f) $(ulimit -v) >&2; exit 1"}), options);
  auto result = connector.call(call({}));
  CHECK(result.error == "exit 1: 20 7 ");  // stderr kept up to max_exec_output_bytes (5)
  options.max_exec_output_bytes = 100;
  result = connector.call(call({}));
  CHECK(result.error == "exit 1: 20 7 262144 ");
}

TEST_CASE("an argv element that begins with a placeholder never renders to an option", "[runtime][exec][trust]") {
  // Finding 1: argv ["/usr/bin/sort", "{{args.target}}"] with host "-o/some/path" made sort
  // write /some/path.
  testing::TempDir dir;
  const auto target = (dir.path() / "written-by-sort").string();
  RuntimeOptions options;
  ExecConnector sort(config({"/usr/bin/sort", "{{args.target}}"}), options);
  const auto hostile = call({{"target", "-o" + target}});
  const auto why = sort.refuse(hostile);
  REQUIRE(why);
  CHECK_THAT(*why, Contains("argv[1] `{{args.target}}` renders to \"-o" + target + "\", which starts with `-`"));
  CHECK_THAT(*why, Contains("allow_leading_dash: true"));
  auto result = sort.call(hostile);  // checked again at call time: nothing starts
  CHECK_FALSE(result.ok);
  CHECK_FALSE(result.retryable);
  CHECK(result.detail == "not started");
  CHECK(result.error == "refused: " + *why);
  CHECK_FALSE(std::filesystem::exists(target));
  // Lists join with ","; the joined text is what the program would see.
  CHECK(sort.refuse(call({{"target", {"-o", "x"}}})));
  CHECK_FALSE(sort.refuse(call({{"target", "ws-1"}})));
  CHECK_FALSE(sort.refuse(call({{"target", "ws-1 -o x"}})));  // one argument, not an option
}

TEST_CASE("literal text the author wrote may start with a dash; allow_leading_dash lets values through", "[runtime][exec][trust]") {
  RuntimeOptions options;
  ExecConnector literal(config({"/bin/sh", "-c", "printf '%s|' \"$@\" >&2; exit 9", "sh", "--target={{args.target}}", "-x{{args.target}}"}),
                        options);
  auto result = literal.call(call({{"target", "-o/x"}}));
  CHECK(result.error == "exit 9: --target=-o/x|-x-o/x|");
  // A first placeholder that renders empty does not hide a dash from the next one.
  ExecConnector two(config({"/bin/true", "{{args.a}}{{args.b}}"}), options);
  CHECK(two.refuse(call({{"a", ""}, {"b", "-rf"}})));
  auto allowing = config({"/bin/sh", "-c", "printf '%s|' \"$@\" >&2; exit 9", "sh", "{{args.target}}"});
  allowing.allow_leading_dash = true;
  ExecConnector allowed(allowing, options);
  CHECK_FALSE(allowed.refuse(call({{"target", "-o/x"}})));
  CHECK(allowed.call(call({{"target", "-o/x"}})).error == "exit 9: -o/x|");
}

TEST_CASE("an argv element holding NUL is refused, whatever its source", "[runtime][exec][trust]") {
  RuntimeOptions options;
  auto allowing = config({"/bin/true", "x{{args.target}}"});
  allowing.allow_leading_dash = true;
  ExecConnector connector(allowing, options);
  const auto nul = call({{"target", std::string("abc\0def", 7)}});
  REQUIRE(connector.refuse(nul));
  CHECK_THAT(*connector.refuse(nul), Contains(R"(argv[1] `x{{args.target}}` renders to "xabc\u0000def", which holds a NUL character)"));
  CHECK(connector.call(nul).detail == "not started");
}

TEST_CASE("preflight asks the routed connector before the first effect", "[runtime][exec][trust]") {
  auto runbook = testing::compile_runbook(R"writ(
runbook argv_demo {
  title    "argv"
  severity critical
  step disable = disable_compromised_credentials(target: event.user_account) {
    rollback enable_credentials
  }
  step notify = notify_ciso_and_legal(channels: [slack])
}
)writ");
  auto event = testing::typed_event(R"({"severity":"critical","user_account":"-o/tmp/x"})", runbook);
  const auto plan = make_plan(runbook, event, "run-1", RuntimeOptions{});
  RuntimeOptions options;
  ConnectorSet connectors;
  connectors.add("jump", std::make_unique<ExecConnector>(config({"/usr/bin/sort", "{{args.target}}"}), options));
  connectors.route("disable_compromised_credentials", "jump");
  connectors.route("enable_credentials", "jump");
  connectors.route("*", "dry-run");
  const auto problems = preflight(plan, connectors, {}, "run-1");
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Contains("step `disable`: connector `jump` refuses action `disable_compromised_credentials`: argv[1]"));
  CHECK_THAT(problems[1], Contains("step `disable`: connector `jump` refuses rollback action `enable_credentials`: argv[1]"));
  connectors.force_dry_run();  // a tabletop run executes nothing: nothing to refuse
  CHECK(preflight(plan, connectors, {}, "run-1").empty());
}

TEST_CASE("allow_leading_dash is a boolean of exec connectors", "[runtime][exec][trust]") {
  auto config = parse_connectors(R"(connectors:
  jump: {type: exec, argv: ["/usr/bin/sort", "{{args.target}}"], allow_leading_dash: true}
  safe: {type: exec, argv: ["/usr/bin/sort", "{{args.target}}"]}
)",
                                 "c.yaml");
  CHECK(config.connectors.at("jump").allow_leading_dash);
  CHECK_FALSE(config.connectors.at("safe").allow_leading_dash);
  CHECK_THROWS_WITH(parse_connectors("connectors:\n  jump: {type: exec, argv: [\"/bin/true\"], allow_leading_dash: maybe}\n", "c.yaml"),
                    Contains("c.yaml:2:63: allow_leading_dash must be true or false"));
  CHECK_THROWS_WITH(parse_connectors("connectors:\n  edr: {type: http, url: \"https://e.example\", allow_leading_dash: true}\n", "c.yaml"),
                    Contains("c.yaml:2:8: connector `edr`: `allow_leading_dash` belongs to type exec, not http"));
  CHECK_THROWS_WITH(parse_connectors("connectors:\n  d: {type: dry-run, allow_leading_dash: true}\n", "c.yaml"),
                    Contains("takes no `allow_leading_dash`"));
}
