#include <catch2/catch.hpp>

#include "compiler/rules/rules.h"
#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

namespace {

std::vector<std::string> severities_of(const std::vector<Compiled>& files) {
  std::vector<std::string> out;
  for (const auto& c : files) {
    for (const auto& runbook : c.file.runbooks) out.push_back(runbook.severity);
  }
  return out;
}

std::vector<std::string> messages(const DiagnosticSink& sink, const SourcePtr& anchor = nullptr) {
  std::vector<std::string> out;
  for (const auto& d : sink.diagnostics()) {
    CHECK(d.rule == Rule::SeverityCoverage);
    CHECK(d.severity == Severity::Warning);
    CHECK(d.source == anchor);
    CHECK(d.whole_file == (anchor != nullptr));
    out.push_back(d.message);
  }
  return out;
}

}  // namespace

TEST_CASE("severity-coverage: the seed runbooks leave low, medium and high uncovered", "[rules]") {
  std::vector<Compiled> files;
  files.push_back(compile_fixture("tests/data/seed/seed_ransomware.yaml"));
  files.push_back(compile_fixture("tests/data/seed/seed_active_breach.yaml"));
  DiagnosticSink sink;
  rules::severity_coverage(stdlib_catalog(), severities_of(files), files[0].file.source, sink);
  CHECK(messages(sink, files[0].file.source) == std::vector<std::string>{
                                                    "no runbook handles severity `low` (policy `default`)",
                                                    "no runbook handles severity `medium` (policy `default`)",
                                                    "no runbook handles severity `high` (policy `default`)",
                                                });
}

TEST_CASE("severity-coverage: one runbook per severity passes", "[rules]") {
  std::vector<Compiled> files;
  for (const char* severity : {"low", "medium", "high", "critical"}) {
    files.push_back(compile_yaml(std::string("playbooks:\n  ") + severity +
                                 ":\n    name: \"T\"\n    steps:\n      - action: notify_ciso_and_legal\n"
                                 "        channels: [slack]\n"));
    INFO(files.back().dump());
    CHECK_FALSE(files.back().file.has_errors());
  }
  DiagnosticSink sink;
  rules::severity_coverage(stdlib_catalog(), severities_of(files), files[0].file.source, sink);
  CHECK(sink.diagnostics().empty());
}

TEST_CASE("severity-coverage: no runbooks at all leave every severity uncovered", "[rules]") {
  DiagnosticSink sink;
  rules::severity_coverage(stdlib_catalog(), {}, nullptr, sink);
  CHECK(messages(sink).size() == stdlib_catalog().policy().severity_order.size());
  CHECK(sink.diagnostics().size() == 4);
}
