#include <catch2/catch.hpp>

#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

namespace {

// One collect step preserving `path` (YAML double-quoted scalar).
std::string yaml_with_path(const std::string& path) {
  return "event:\n  host_id: host\n  id: string\nplaybooks:\n  low:\n    name: \"T\"\n    steps:\n"
         "      - action: trigger_full_disk_imaging\n        target: \"{{event.host_id}}\"\n"
         "        preserve_artifacts:\n          - \"" +
         path + "\"\n";
}

Catalog catalog_with_roots(std::vector<std::string> roots) {
  Catalog catalog = stdlib_catalog();
  catalog.policies.at(catalog.active_policy).evidence_roots = std::move(roots);
  return catalog;
}

}  // namespace

TEST_CASE("evidence-path: absolute paths pass under the default policy", "[rules]") {
  for (const char* path : {"/tmp/host_snapshot.mem", "/evidence/{{event.id}}/disk.raw", "/evidence/a..b/x"}) {
    auto c = compile_yaml(yaml_with_path(path));
    INFO(path << "\n" << c.dump());
    CHECK(c.of(Rule::EvidencePath).empty());
    CHECK(c.file.diagnostics.empty());
  }
  auto seed = compile_fixture("tests/data/seed/seed_active_breach.yaml");
  CHECK(seed.of(Rule::EvidencePath).empty());
}

TEST_CASE("evidence-path: relative paths and `..` fail at the path", "[rules]") {
  struct Case {
    const char* path;
    const char* message;
  };
  for (auto [path, message] : {
           Case{"tmp/x.log", "artifact path `tmp/x.log` is relative"},
           Case{"./x.log", "artifact path `./x.log` is relative"},
           Case{"", "artifact path `` is relative"},
           Case{"{{event.id}}/x.log", "artifact path `{{ event.id }}/x.log` does not start with an absolute directory"},
           Case{"/evidence/../etc/shadow", "artifact path `/evidence/../etc/shadow` contains a `..` segment"},
           Case{"/evidence/{{event.id}}/../../x",
                "artifact path `/evidence/{{ event.id }}/../../x` contains a `..` segment"},
       }) {
    auto c = compile_yaml(yaml_with_path(path));
    INFO(path << "\n" << c.dump());
    auto found = c.of(Rule::EvidencePath);
    REQUIRE(found.size() == 1);
    CHECK(found[0]->message == message);
    CHECK(found[0]->step == "trigger_full_disk_imaging");
    CHECK(c.line(*found[0]) == 11);
  }
}

TEST_CASE("evidence-path: the policy's evidence roots confine paths segment-wise", "[rules]") {
  auto catalog = catalog_with_roots({"/evidence", "/var/ir/"});
  for (const char* path : {"/evidence/disk.raw", "/var/ir/{{event.id}}.mem", "/evidence//x/./y"}) {
    auto c = compile_yaml(yaml_with_path(path), catalog);
    INFO(path << "\n" << c.dump());
    CHECK(c.of(Rule::EvidencePath).empty());
  }
  for (const char* path : {"/tmp/x", "/evidence2/x", "/evid{{event.id}}/x", "/var/irx/y"}) {
    auto c = compile_yaml(yaml_with_path(path), catalog);
    INFO(path << "\n" << c.dump());
    auto found = c.of(Rule::EvidencePath);
    REQUIRE(found.size() == 1);
    CHECK(found[0]->message.find("lies outside the evidence roots of policy `default`") != std::string::npos);
    CHECK(found[0]->help == std::vector<std::string>{"preserve artifacts below `/evidence`, `/var/ir/`"});
  }
}

TEST_CASE("evidence-path: DSL preserve paths point at the string", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity low
  step image = trigger_full_disk_imaging(target: event.host_id) {
    preserve "/evidence/disk.raw", "disk.raw"
  }
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::EvidencePath);
  REQUIRE(found.size() == 1);
  CHECK(c.text(*found[0]).find("disk.raw") != std::string_view::npos);
  CHECK(c.text(*found[0]).find("/evidence") == std::string_view::npos);
  CHECK(found[0]->message == "artifact path `disk.raw` is relative");
}
