// `writ catalog`'s views of the loaded catalog: the JSON keys DESIGN §8 fixes, every stdlib
// action with its effect, inverse, parameters and doc, one section at a time, and text and
// markdown that hostile catalog text (a policy's evidence root) cannot break.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "compiler/catalog_view.h"
#include "compiler/pipeline.h"

using namespace writ;
using nlohmann::json;

namespace {

Catalog stdlib_catalog(const std::vector<std::string>& policies = {}) {
  DiagnosticSink sink;
  Catalog catalog = load_catalog(WRIT_SOURCE_DIR "/stdlib", policies, sink);
  REQUIRE_FALSE(sink.has_errors());
  return catalog;
}

// The views' JSON keeps the contract's key order; the checks compare content.
json plain_json(const Catalog& catalog, std::string_view section = {}) {
  return json::parse(catalog_json(catalog, section).dump());
}

std::set<std::string> keys(const json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

}  // namespace

TEST_CASE("catalog json: the DESIGN §8 keys, exactly", "[catalog]") {
  const json all = plain_json(stdlib_catalog());
  CHECK(keys(all) == std::set<std::string>{"actions", "event", "types", "channels", "roles", "regulations", "policy"});
  for (const auto& action : all["actions"]) {
    CHECK(keys(action) == std::set<std::string>{"name", "effect", "inverse", "params", "timeout", "doc"});
    for (const auto& param : action["params"]) CHECK(keys(param) == std::set<std::string>{"name", "type"});
  }
  for (const auto& field : all["event"]) CHECK(keys(field) == std::set<std::string>{"name", "type"});
  for (const auto& regulation : all["regulations"]) {
    CHECK(keys(regulation) == std::set<std::string>{"tag", "name", "obligations"});
    for (const auto& o : regulation["obligations"]) {
      CHECK(keys(o) == std::set<std::string>{"id", "deadline", "citation", "trigger"});
    }
  }
  CHECK(all["channels"].is_array());
  CHECK(all["roles"].is_array());
}

TEST_CASE("catalog json lists every stdlib action with effect, inverse, parameters and doc", "[catalog]") {
  const Catalog catalog = stdlib_catalog();
  const json actions = plain_json(catalog, "actions")["actions"];
  REQUIRE(actions.size() == catalog.actions.size());
  for (const auto& action : actions) {
    INFO(action.dump());
    CHECK_FALSE(action["doc"].get<std::string>().empty());
    CHECK(catalog.effects.contains(action["effect"].get<std::string>()));
    CHECK((action["inverse"].is_null() || catalog.actions.contains(action["inverse"].get<std::string>())));
  }
  auto find = [&](const std::string& name) {
    for (const auto& a : actions) {
      if (a["name"] == name) return a;
    }
    FAIL("no action " << name);
    return json();
  };
  const json isolate = find("isolate_host");
  CHECK(isolate["effect"] == "contain");
  CHECK(isolate["inverse"] == "restore_host");
  CHECK(isolate["params"] == json::parse(R"([{"name": "target", "type": "host"}])"));
  CHECK(isolate["timeout"].is_null());
  const json quarantine = find("quarantine_file");
  CHECK(quarantine["params"][1] == json::parse(R"({"name": "host", "type": "host?"})"));  // optional
  CHECK(find("suspend_vm")["timeout"] == "10m");
  CHECK(find("notify_regulatory_contact")["params"][0]["type"] == "list<channel>");
}

TEST_CASE("catalog json: event, types, regulations and the policy in its YAML form", "[catalog]") {
  const json all = plain_json(stdlib_catalog());
  CHECK(all["event"][2] == json::parse(R"({"name": "host_id", "type": "host"})"));
  CHECK(std::count(all["types"].begin(), all["types"].end(), json::parse(R"({"name": "channel", "kind": "enumeration"})")) == 1);
  CHECK(std::count(all["types"].begin(), all["types"].end(), json::parse(R"({"name": "duration", "kind": "scalar"})")) == 1);
  CHECK(std::count(all["channels"].begin(), all["channels"].end(), "secure_portal") == 1);
  CHECK(std::count(all["roles"].begin(), all["roles"].end(), "legal") == 1);
  const json* gdpr = nullptr;
  for (const auto& r : all["regulations"]) {
    if (r["tag"] == "GDPR") gdpr = &r;
  }
  REQUIRE(gdpr);
  CHECK((*gdpr)["name"] == "EU GDPR");
  const json authority = json::parse(R"j({"id": "gdpr.authority", "deadline": "72h",
      "citation": "Reg. 2016/679 Art. 33(1)", "trigger": "controller becomes aware"})j");
  CHECK((*gdpr)["obligations"][0] == authority);
  CHECK(all["regulations"][0]["tag"] == "CERT-In");  // by tag, case-insensitively
  const json policy = json::parse(R"({"name": "default", "severities": {"low": {},
      "medium": {"approvers": ["ir_lead"], "effects": ["collect", "contain", "eradicate"]},
      "high": {"approvers": ["ciso"], "effects": ["collect", "contain", "eradicate"]},
      "critical": {"approvers": ["ciso", "legal"], "effects": ["collect", "contain", "eradicate"]}},
      "approval_timeout_minutes": 60, "step_timeout_minutes": 30, "asap_hours": 24, "evidence_roots": [],
      "approver_identity": "optional"})");
  CHECK(all["policy"] == policy);
}

TEST_CASE("a catalog section keeps only its key, in every format", "[catalog]") {
  const Catalog catalog = stdlib_catalog();
  for (const auto& section : catalog_sections()) {
    INFO(section);
    CHECK(keys(plain_json(catalog, section)) == std::set<std::string>{section});
    CHECK(catalog_markdown(catalog, section).starts_with("## "));
    CHECK(catalog_markdown(catalog, section).find("\n## ", 1) == std::string::npos);
  }
  const std::string roles = catalog_text(catalog, "roles");
  CHECK(roles.starts_with("ROLES\n"));
  CHECK(roles.find("privacy_officer") != std::string::npos);
  CHECK(roles.find("isolate_host") == std::string::npos);
  const std::string all = catalog_markdown(catalog);
  CHECK(all.starts_with("# The writ catalog\n"));
  for (const auto& [name, action] : catalog.actions) CHECK(all.find("| `" + name + "` |") != std::string::npos);
}

TEST_CASE("hostile catalog text cannot break a table, inject HTML or reach a terminal raw", "[catalog]") {
  auto path = std::filesystem::temp_directory_path() / "writ_catalog_view_test_policy.writ";
  std::ofstream(path) << "policy evil {\n  severity low { }\n"
                         "  evidence_roots \"/ev|<script>x</script>`code` [a](javascript:x)\\u001b[31m\"\n}\n";
  const Catalog catalog = stdlib_catalog({path.string()});
  std::filesystem::remove(path);
  const std::string md = catalog_markdown(catalog, "policy");
  CHECK(md.find("<script>") == std::string::npos);
  CHECK(md.find("&lt;script&gt;") != std::string::npos);
  CHECK(md.find("/ev\\|") != std::string::npos);
  CHECK(md.find("\\`code\\`") != std::string::npos);
  CHECK(md.find("\\[a\\](javascript") != std::string::npos);
  CHECK(md.find('\x1b') == std::string::npos);
  const std::string text = catalog_text(catalog, "policy");
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("/ev|<script>x</script>`code` [a](javascript:x) [31m") != std::string::npos);  // as written
  CHECK(plain_json(catalog, "policy")["policy"]["name"] == "evil");
}
