// Fuzzes the connectors file (runtime/connectors_config.h): parse_connectors, then
// build_connectors on what it accepts (no connector is contacted: building only configures).
// Invariants: the only exception is ConfigError, whose message starts with the file name and,
// when it gives a position, a line and column >= 1; an accepted file routes only to defined
// connectors (or dry-run), has absolute exec argv[0] and evidence roots,
// and builds into a ConnectorSet without throwing.
#include <charconv>
#include <cstdint>
#include <exception>
#include <string>

#include "fuzz/fuzz_support.h"
#include "runtime/connectors_config.h"
#include "runtime/http_client.h"
#include "runtime/options.h"

namespace writ::fuzz {
namespace {

constexpr std::string_view kPath = "connectors.yaml";

// "connectors.yaml:LINE:COL: ..." or "connectors.yaml: ...".
void check_error(std::string_view message) {
  require(message.starts_with(std::string(kPath) + ":"), "a connectors error not naming the file: " + std::string(message));
  std::string_view rest = message.substr(kPath.size() + 1);
  if (rest.empty() || rest[0] < '0' || rest[0] > '9') return;
  int line = 0, column = 0;
  auto [after_line, ec1] = std::from_chars(rest.data(), rest.data() + rest.size(), line);
  require(ec1 == std::errc() && after_line < rest.data() + rest.size() && *after_line == ':',
          "a connectors error with a malformed position: " + std::string(message));
  auto [after_col, ec2] = std::from_chars(after_line + 1, rest.data() + rest.size(), column);
  require(ec2 == std::errc() && line >= 1 && column >= 1, "a connectors error at line or column < 1: " + std::string(message));
  (void)after_col;
}

void check_config(const runtime::ConnectorsConfig& config) {
  for (const auto& [action, target] : config.routes) {
    require(target == "dry-run" || config.connectors.contains(target), "a route to an undefined connector");
  }
  for (const auto& [name, spec] : config.connectors) {
    require(spec.type == "http" || spec.type == "exec" || spec.type == "dry-run", "a connector of an unknown type");
    if (spec.type == "exec") require(!spec.argv.empty() && spec.argv[0].starts_with("/"), "an exec connector without an absolute argv[0]");
    if (spec.type == "http") require(!spec.url.empty(), "an http connector without a url");
    require(spec.timeout.count() > 0, "a connector with a timeout <= 0");
  }
  for (const auto& root : config.evidence_roots) require(root.starts_with("/"), "a relative evidence root");
  static const runtime::RuntimeOptions options;
  static const runtime::HttpClient client(options.max_response_bytes, options.connect_timeout);
  auto getenv = [](const std::string&) -> std::optional<std::string> { return "fuzz-token"; };
  runtime::Secrets secrets{options.max_error_excerpt_bytes};
  runtime::ConnectorSet set = runtime::build_connectors(config, client, options, getenv, secrets);
  for (const auto& [action, target] : config.routes) {
    auto routed = set.route_of(action);
    require(routed.has_value(), "a configured route is missing from the built set");
    (void)set.get(*routed);
  }
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ::fuzz;
  std::string text(as_text(data, size));
  try {
    check_config(writ::runtime::parse_connectors(text, std::string(kPath)));
  } catch (const writ::runtime::ConfigError& e) {
    check_error(e.what());
  } catch (const std::exception& e) {
    fail(std::string("the connectors file reader threw something other than ConfigError: ") + e.what());
  }
  return 0;
}
