// The seed article's two runbooks give exactly the findings the design promises.
#include <catch2/catch.hpp>
#include <set>
#include <tuple>

#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

namespace {

using Finding = std::tuple<std::string, std::string, std::string>;  // rule, severity, step

std::multiset<Finding> findings(const Compiled& c) {
  std::multiset<Finding> out;
  for (const auto& d : c.file.diagnostics) {
    out.emplace(std::string(rule_info(d.rule).id), std::string(severity_name(d.severity)), d.step);
  }
  return out;
}

}  // namespace

TEST_CASE("rules: the stdlib the rule tests check against loads without findings", "[rules]") {
  std::string messages;
  for (const auto& d : stdlib().diagnostics) {
    auto at = d.source ? d.source->locate(d.span.begin) : LineCol{0, 0};
    messages += (d.source ? d.source->path() : std::string()) + ":" + std::to_string(at.line) + ": " + d.message + "\n";
  }
  INFO(messages);
  CHECK(stdlib().diagnostics.empty());
  CHECK(stdlib_catalog().actions.at("notify_regulatory_contact").params.at(0).type.to_string() == "list<channel>");
}

TEST_CASE("seed: Ransomware Containment & Forensics", "[rules]") {
  auto c = compile_fixture("tests/data/seed/seed_ransomware.yaml");
  INFO(c.dump());
  REQUIRE(c.file.runbooks.size() == 1);
  CHECK(c.file.runbooks[0].title == "Ransomware Containment & Forensics");
  CHECK(findings(c) == std::multiset<Finding>{
                           {"approval-coverage", "error", "isolate_host"},
                           {"rollback-completeness", "error", "isolate_host"},
                           {"rollback-completeness", "error", "disable_compromised_credentials"},
                           {"approval-timeout", "warning", "disable_compromised_credentials"},
                           {"approval-timeout", "warning", "trigger_full_disk_imaging"},
                       });
}

TEST_CASE("seed: Active Breach Containment", "[rules]") {
  auto c = compile_fixture("tests/data/seed/seed_active_breach.yaml");
  INFO(c.dump());
  REQUIRE(c.file.runbooks.size() == 1);
  CHECK(c.file.runbooks[0].title == "Active Breach Containment");
  CHECK(findings(c) == std::multiset<Finding>{
                           {"regulatory-deadline", "error", "notify_regulatory_contact"},
                           {"regulatory-deadline", "note", ""},
                           {"approval-coverage", "note", "isolate_network_segment"},
                           {"approval-timeout", "warning", "trigger_forensic_imaging"},
                       });
}
