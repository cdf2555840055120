#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/emit/emit.h"
#include "tests/unit/compiler/emit/fixtures.h"

using namespace writ;
using namespace writ::test;
using Json = nlohmann::json;

namespace {

std::string emit_string(const std::vector<Diagnostic>& diagnostics) {
  EmitOptions options;
  options.tool_version = "0.1.0";
  options.information_uri = "https://example.org/writ";
  std::ostringstream out;
  emit_sarif(out, diagnostics, options);
  return out.str();
}

Json emit(const std::vector<Diagnostic>& diagnostics) { return Json::parse(emit_string(diagnostics)); }

// A realistic mix: located, multi-line, UTF-8, whole-file, source-less, noted, suppressed.
std::vector<Diagnostic> sample() {
  auto src = make_source("runbooks/ransomware response.yaml",
                         "id: rb\nsteps:\n  - id: isolate\n    target: \"{{event.hostid}}\" # é\n");
  auto policy = make_source("/etc/writ/policy.writ", "policy {\n  roles [ciso]\n}\n");
  std::vector<Diagnostic> all;
  all.push_back(whole_file(Rule::InputLimit, src, "too deep"));
  auto binding = make_diagnostic(Rule::TemplateBinding, src, span_of(*src, "hostid"), "`event` has no field `hostid`",
                                 "rb", "isolate");
  binding.help.push_back("did you mean `host_id`?");
  binding.notes.push_back({"roles are declared here", policy, span_of(*policy, "roles")});
  binding.notes.push_back({"the event schema is the default one", nullptr, {}});
  all.push_back(binding);
  auto approval = make_diagnostic(Rule::ApprovalCoverage, src, span_of(*src, "- id"), "step needs approval by `ciso`",
                                  "rb", "isolate");
  approval.suppressed_by = "approved out of band, INC-42";
  all.push_back(approval);
  all.push_back(make_diagnostic(Rule::SeverityCoverage, nullptr, {}, "no playbook for severity `low`"));
  return all;
}

}  // namespace

TEST_CASE("sarif: log, run and driver with a rule per table entry", "[emit]") {
  const Json log = emit({});
  CHECK(log["version"] == "2.1.0");
  CHECK(log["$schema"].get<std::string>().ends_with("sarif-schema-2.1.0.json"));
  REQUIRE(log["runs"].size() == 1);
  const Json& run = log["runs"][0];
  CHECK(run["columnKind"] == "unicodeCodePoints");
  CHECK(run["results"] == Json::array());
  const Json& driver = run["tool"]["driver"];
  CHECK(driver["name"] == "writ");
  CHECK(driver["version"] == "0.1.0");
  CHECK(driver["informationUri"] == "https://example.org/writ");
  REQUIRE(driver["rules"].size() == all_rules().size());
  for (std::size_t i = 0; i < all_rules().size(); ++i) {
    const RuleInfo& info = all_rules()[i];
    const Json& rule = driver["rules"][i];
    CHECK(rule["id"] == info.id);
    CHECK(rule["shortDescription"]["text"] == info.summary);
    CHECK(!rule["fullDescription"]["text"].get<std::string>().empty());
    CHECK(rule["help"]["text"].get<std::string>().size() > info.summary.size());
    CHECK(rule["help"]["markdown"].get<std::string>().starts_with("**" + std::string(info.id) + "**"));
    CHECK(rule["defaultConfiguration"]["level"] == severity_name(info.severity));
  }
  CHECK(driver["rules"][static_cast<int>(Rule::TemplateBinding)]["name"] == "TemplateBinding");
  CHECK(driver["rules"][static_cast<int>(Rule::ApprovalTimeout)]["defaultConfiguration"]["level"] == "warning");
}

TEST_CASE("sarif: results with regions, related locations, fingerprints and suppressions", "[emit]") {
  const Json results = emit(sample())["runs"][0]["results"];
  REQUIRE(results.size() == 4);

  const Json& whole = results[0];
  CHECK(whole["ruleId"] == "input-limit");
  CHECK(whole["ruleIndex"] == static_cast<int>(Rule::InputLimit));
  const Json& whole_location = whole["locations"][0]["physicalLocation"];
  CHECK(whole_location["artifactLocation"]["uri"] == "runbooks/ransomware%20response.yaml");
  CHECK_FALSE(whole_location.contains("region"));

  const Json& binding = results[1];
  CHECK(binding["level"] == "error");
  CHECK(binding["message"]["text"] ==
        "`event` has no field `hostid`\nhelp: did you mean `host_id`?\nnote: the event schema is the default one");
  CHECK(binding["locations"][0]["physicalLocation"]["region"] ==
        Json::parse(R"({"startLine":4,"startColumn":22,"endLine":4,"endColumn":28})"));
  CHECK(binding["properties"] == Json::parse(R"({"runbook":"rb","step":"isolate"})"));
  CHECK(binding["partialFingerprints"]["writ/v1"] == fingerprint(sample()[1]));
  const Json& related = binding["relatedLocations"];
  REQUIRE(related.size() == 1);
  CHECK(related[0]["message"]["text"] == "roles are declared here");
  CHECK(related[0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///etc/writ/policy.writ");
  CHECK(related[0]["physicalLocation"]["region"]["startLine"] == 2);

  const Json& suppressed = results[2];
  CHECK(suppressed["suppressions"] ==
        Json::parse(R"([{"kind":"inSource","justification":"approved out of band, INC-42"}])"));
  CHECK_FALSE(binding.contains("suppressions"));

  const Json& coverage = results[3];
  CHECK(coverage["level"] == "warning");
  CHECK_FALSE(coverage.contains("locations"));
  CHECK(coverage["properties"] == Json::parse(R"({"runbook":"","step":""})"));
}

TEST_CASE("sarif: a source-less finding is anchored at its first located note", "[emit]") {
  // GitHub code scanning rejects the whole upload when one result has no location.
  auto policy = make_source("policy.writ", "policy {\n  severity low { }\n}\n");
  auto coverage = make_diagnostic(Rule::SeverityCoverage, nullptr, {}, "no playbook for severity `low`");
  coverage.notes.push_back({"checked 2 runbooks", nullptr, {}});
  coverage.notes.push_back({"`low` is declared here", policy, span_of(*policy, "low")});
  coverage.notes.push_back({"and used here", policy, span_of(*policy, "severity")});
  const Json result = emit({coverage})["runs"][0]["results"][0];
  REQUIRE(result["locations"].size() == 1);
  CHECK(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policy.writ");
  CHECK(result["locations"][0]["physicalLocation"]["region"]["startColumn"] == 12);
  CHECK(result["locations"][0]["message"]["text"] == "`low` is declared here");
  REQUIRE(result["relatedLocations"].size() == 1);
  CHECK(result["relatedLocations"][0]["message"]["text"] == "and used here");
  CHECK(result["relatedLocations"][0]["id"] == 0);
  CHECK(result["message"]["text"] == "no playbook for severity `low`\nnote: checked 2 runbooks");
}

TEST_CASE("sarif: output is identical across runs and fingerprints ignore line moves", "[emit]") {
  CHECK(emit_string(sample()) == emit_string(sample()));

  auto before = make_source("r.yaml", "steps:\n  - id: a\n    target: x\n");
  auto after = make_source("r.yaml", "# a comment\n\nsteps:\n  - id: a\n    target: x\n");
  auto finding = [](const SourcePtr& src) {
    return make_diagnostic(Rule::RollbackCompleteness, src, span_of(*src, "target"), "no rollback", "rb", "a");
  };
  const Json moved_before = emit({finding(before)})["runs"][0]["results"][0];
  const Json moved_after = emit({finding(after)})["runs"][0]["results"][0];
  CHECK(moved_before["locations"] != moved_after["locations"]);
  CHECK(moved_before["partialFingerprints"] == moved_after["partialFingerprints"]);
}

namespace {

// Runs tests/e2e/sarif_validate.py on `document`: its exit status (77: jsonschema missing).
// `quiet` hides the validator's complaint when a test expects one.
int validate(const std::string& document, bool quiet = false) {
  const auto dir = std::filesystem::temp_directory_path() / ("writ-emit-sarif-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "out.sarif";
  {
    std::ofstream out(file);
    out << document;
  }
  const std::string script = std::string(WRIT_SOURCE_DIR) + "/tests/e2e/sarif_validate.py";
  const std::string command =
      "python3 '" + script + "' '" + file.string() + "' >/dev/null" + (quiet ? " 2>/dev/null" : "");
  const int status = std::system(command.c_str());
  std::filesystem::remove_all(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("sarif: validates against the SARIF 2.1.0 schema", "[emit]") {
  const int status = validate(emit_string(sample()));
  if (status == 77) {
    WARN("python3-jsonschema is not installed; SARIF schema validation skipped");
    return;
  }
  CHECK(status == 0);
  CHECK(validate(emit_string({})) == 0);

  // The validator does reject what the schema forbids (startLine 0), so a pass means something.
  Json broken = emit(sample());
  broken["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0;
  CHECK(validate(broken.dump(), true) == 1);
}
