#include "runtime/connectors_config.h"

#include <catch2/catch.hpp>

#include "runtime_test_support.h"

using namespace writ::runtime;
using Catch::Matchers::Contains;

namespace {

const char* kValid = R"(connectors:
  edr:  {type: http, url: "https://edr.example/api/act", timeout_seconds: 10, token_env: EDR_TOKEN}
  jump: {type: exec, argv: ["/opt/ir/isolate", "{{args.target}}"], timeout_seconds: 30}
  rehearse: {type: dry-run}
routes:  {isolate_host: edr, restore_host: jump, "*": dry-run}
evidence_roots: ["/evidence"]
)";

EnvLookup env_with(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("the connectors file of DESIGN §9 loads", "[runtime][connectors]") {
  const auto config = parse_connectors(kValid, "connectors.yaml");
  REQUIRE(config.connectors.size() == 3);
  CHECK(config.connectors.at("edr").url == "https://edr.example/api/act");
  CHECK(config.connectors.at("edr").timeout == std::chrono::seconds(10));
  CHECK(config.connectors.at("edr").token_env == std::optional<std::string>("EDR_TOKEN"));
  CHECK(config.connectors.at("jump").argv.size() == 2);
  CHECK(config.routes.at("*") == "dry-run");
  CHECK(config.evidence_roots == std::vector<std::string>{"/evidence"});
  CHECK_FALSE(config.journal_key);
  CHECK(parse_connectors("journal_key: /etc/writ/journal.key\n", "c.yaml").journal_key == "/etc/writ/journal.key");
  CHECK(config.sha256.size() == 64);

  writ::runtime::HttpClient client(1024, std::chrono::seconds(1));
  RuntimeOptions options;
  Secrets secrets{options.max_error_excerpt_bytes};
  auto set = build_connectors(config, client, options, env_with({{"EDR_TOKEN", "secret"}}), secrets);
  CHECK(set.route_of("isolate_host") == std::optional<std::string>("edr"));
  CHECK(set.route_of("restore_host") == std::optional<std::string>("jump"));
  CHECK(set.route_of("anything_else") == std::optional<std::string>("dry-run"));
  CHECK(set.get("edr").kind() == "http");
  CHECK(set.get("jump").kind() == "exec");
  set.force_dry_run();
  CHECK(set.route_of("isolate_host") == std::optional<std::string>("dry-run"));
}

TEST_CASE("a missing token variable refuses the connectors", "[runtime][connectors]") {
  const auto config = parse_connectors(kValid, "connectors.yaml");
  writ::runtime::HttpClient client(1024, std::chrono::seconds(1));
  RuntimeOptions options;
  Secrets secrets{options.max_error_excerpt_bytes};
  CHECK_THROWS_WITH(build_connectors(config, client, options, env_with({}), secrets),
                    Contains("connector `edr` needs the token in $EDR_TOKEN, which is not set"));
}

TEST_CASE("without routes for an action, nothing routes it", "[runtime][connectors]") {
  const auto config = parse_connectors("connectors:\n  edr: {type: http, url: \"http://127.0.0.1:9/x\"}\nroutes: {isolate_host: edr}\n", "c.yaml");
  writ::runtime::HttpClient client(1024, std::chrono::seconds(1));
  RuntimeOptions options;
  Secrets secrets{options.max_error_excerpt_bytes};
  auto set = build_connectors(config, client, options, env_with({}), secrets);
  CHECK(set.route_of("isolate_host"));
  CHECK_FALSE(set.route_of("restore_host"));
  CHECK(default_connectors().routes.at("*") == "dry-run");
}

TEST_CASE("malformed connectors files are clear errors with positions", "[runtime][connectors]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"connectors: {edr: {type: http, url: [1}", "c.yaml:1:"},
      {"connectors:\n  edr: {type: http, urll: \"https://x\"}\n", "c.yaml:2:21: unknown key `urll` in connector `edr` (did you mean `url`?)"},
      {"conectors: {}\n", "unknown key `conectors` in the connectors file (did you mean `connectors`?)"},
      {"connectors:\n  edr: {type: smtp}\n", "c.yaml:2:8: connector `edr` needs `type: http`, `type: exec` or `type: dry-run`"},
      {"connectors:\n  edr: {type: http, url: \"ftp://x\"}\n", "is not an absolute http:// or https:// URL"},
      {"connectors:\n  edr: {type: http}\n", "connector `edr` (http) needs a `url`"},
      {"connectors:\n  j: {type: exec, argv: [\"isolate\"]}\n", "argv[0] \"isolate\" must be an absolute path"},
      {"connectors:\n  j: {type: exec, argv: [\"/bin/x\", \"{{ env.HOME }}\"]}\n", "unknown placeholder `{{env.HOME}}`"},
      {"connectors:\n  j: {type: exec, argv: []}\n", "argv must not be empty"},
      {"connectors:\n  j: {type: exec, argv: [\"/bin/x\"], timeout_seconds: 0}\n", "timeout_seconds must be an integer from 1"},
      {"connectors:\n  j: {type: exec, argv: [\"/bin/x\"], url: \"http://x\"}\n", "`url` belongs to type http, not exec"},
      {"routes: {isolate_host: edr}\n", "c.yaml:1:24: route `isolate_host` names connector `edr`, which is not defined"},
      {"connectors:\n  edr: {type: http, url: \"http://x\"}\nroutes: {a: ed}\n", "(did you mean `edr`?)"},
      {"evidence_roots: [\"evidence\"]\n", "an evidence root must be an absolute path without `..`"},
      {"evidence_roots: [\"/evidence/../etc\"]\n", "without `..`"},
      {"journal_key: keys/journal.key\n", "c.yaml:1:14: journal_key must be an absolute path without `..`"},
      {"journal_key: [\"/k\"]\n", "journal_key must be a string"},
      {"connectors:\n  dry-run: {type: dry-run}\n", "`dry-run` is built in"},
      {"connectors:\n  edr: {type: http, url: \"http://x\"}\n  edr: {type: http, url: \"http://y\"}\n", "duplicate key `edr`"},
      {"- a\n- b\n", "a connectors file is a mapping"},
      {"connectors:\n  edr: {type: http, url: \"http://x\", token_env: \"1BAD\"}\n", "token_env must name an environment variable"},
      {"connectors:\n  j: {type: exec, argv: [\"/bin/\xff\"]}\n", "c.yaml:2:32: invalid UTF-8 at byte 43"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK_THROWS_WITH(parse_connectors(c.text, "c.yaml"), Contains(c.message));
  }
}

TEST_CASE("a token or url userinfo bound for a remote plain-http host is refused at load", "[runtime][connectors][secrets]") {
  const struct {
    const char* text;
    const char* message;
  } refused[] = {
      {"connectors:\n  edr:\n    {type: http, url: \"http://edr.example/act\", token_env: EDR_TOKEN}\n",
       "c.yaml:3:23: connector `edr` would send the bearer token of $EDR_TOKEN over plain http to http://edr.example/act"},
      {"connectors:\n  edr: {token_env: EDR_TOKEN, type: http, url: \"http://198.51.100.7/act?k=secret-q\"}\n",
       "c.yaml:2:48: connector `edr` would send the bearer token of $EDR_TOKEN over plain http to http://198.51.100.7/act:"},
      {"connectors:\n  edr: {type: http, url: \"http://ops:pw-3@edr.example/act\"}\n",
       "c.yaml:2:26: connector `edr` would send the url's userinfo (a credential) over plain http to http://edr.example/act"},
  };
  for (const auto& c : refused) {
    INFO(c.text);
    CHECK_THROWS_WITH(parse_connectors(c.text, "c.yaml"), Contains(c.message));
    try {
      parse_connectors(c.text, "c.yaml");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()).find("pw-3") == std::string::npos);
      CHECK(std::string(e.what()).find("secret-q") == std::string::npos);
    }
  }
  for (const char* ok : {"connectors:\n  edr: {type: http, url: \"https://u:p@edr.example/act\", token_env: T}\n",
                         "connectors:\n  edr: {type: http, url: \"http://127.0.0.1:8080/act\", token_env: T}\n",
                         "connectors:\n  edr: {type: http, url: \"http://u:p@localhost:8080/act\"}\n",
                         "connectors:\n  edr: {type: http, url: \"http://edr.example/act\"}\n"}) {
    INFO(ok);
    CHECK_NOTHROW(parse_connectors(ok, "c.yaml"));
  }
  // A url that is not one is shown without what may be a credential.
  CHECK_THROWS_WITH(parse_connectors("connectors:\n  edr: {type: http, url: \"ftp://u:pw-4@x/?q\"}\n", "c.yaml"),
                    Contains("url \"ftp://x/\" is not an absolute"));
}

TEST_CASE("build_connectors registers every token in the run's secrets", "[runtime][connectors][secrets]") {
  const auto config = parse_connectors(kValid, "connectors.yaml");
  writ::runtime::HttpClient client(1024, std::chrono::seconds(1));
  RuntimeOptions options;
  Secrets secrets{options.max_error_excerpt_bytes};
  build_connectors(config, client, options, env_with({{"EDR_TOKEN", "tok-e"}}), secrets);
  CHECK(secrets.redact("got tok-e") == "got ***");
}

TEST_CASE("the escapes \\N and \\_ give UTF-8 in connector values", "[runtime][connectors]") {
  const auto config = parse_connectors("evidence_roots: [\"/evidence/a\\Nb\\_c\"]\n", "c.yaml");
  CHECK(config.evidence_roots == std::vector<std::string>{"/evidence/a\u0085b\u00a0c"});
  CHECK(config.routes.empty());  // no `routes` key: nothing is routed (preflight names each action)
}

TEST_CASE("an unreadable connectors file is an error naming it", "[runtime][connectors]") {
  CHECK_THROWS_WITH(load_connectors_file("/nonexistent/connectors.yaml"), Contains("/nonexistent/connectors.yaml: no such file or directory"));
}

TEST_CASE("signing_key names the key that signs the evidence store's checkpoints", "[runtime][connectors]") {
  auto config = parse_connectors("signing_key: /etc/writ/evidence.pem\n", "c.yaml");
  CHECK(config.signing_key == "/etc/writ/evidence.pem");
  CHECK_FALSE(parse_connectors("routes: {\"*\": dry-run}\n", "c.yaml").signing_key);
  CHECK_THROWS_WITH(parse_connectors("signing_key: keys/evidence.pem\n", "c.yaml"),
                    Contains("c.yaml:1:14: signing_key must be an absolute path without `..`"));
}
