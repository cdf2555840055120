#include "runtime/exec_connector.h"

#include <catch2/catch.hpp>

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
  CHECK_THAT(result.error, Contains("argv needs `args.host`"));
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
