// Fuzzes the whole `writ check` pipeline (compiler/pipeline.h compile_source: parse, lower,
// rules, suppressions) and the emitters (text, json, sarif, github).
//
// Input: the first byte picks the front-end (bit 0: YAML, else DSL), whether inline
// suppressions apply (bit 1) and whether the json and sarif outputs are produced and
// re-parsed (bit 2: they cost more than the compilation); the rest is the file.
// Invariants: nothing throws; every span lies in its source; there is one IR runbook per AST
// runbook and each serialises and hashes; the json and sarif outputs are valid JSON, and the
// json summary counts exactly the unsuppressed errors and warnings.
#include <cstdint>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/emit/emit.h"
#include "compiler/ir_json.h"
#include "fuzz/fuzz_support.h"

namespace writ::fuzz {
namespace {

void check_emitters(const std::vector<Diagnostic>& diagnostics, bool structured) {
  EmitOptions options;
  options.files = 1;
  options.tool_version = "fuzz";
  std::ostringstream text, json, sarif, github;
  emit_text(text, diagnostics, options);
  emit_github(github, diagnostics, options);
  if (!structured) return;
  emit_json(json, diagnostics, options);
  emit_sarif(sarif, diagnostics, options);
  auto parsed = nlohmann::json::parse(json.str(), nullptr, false);
  require(!parsed.is_discarded(), "emit_json wrote invalid JSON");
  require(nlohmann::json::accept(sarif.str()), "emit_sarif wrote invalid JSON");
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : diagnostics) {
    if (d.suppressed_by) continue;
    errors += d.severity == Severity::Error ? 1 : 0;
    warnings += d.severity == Severity::Warning ? 1 : 0;
  }
  require(parsed["summary"]["errors"] == errors && parsed["summary"]["warnings"] == warnings,
          "emit_json's summary does not count the unsuppressed findings");
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  writ::fuzz::catalog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ;
  using namespace writ::fuzz;
  if (size == 0) return 0;
  bool yaml = (data[0] & 1) != 0;
  bool suppressions = (data[0] & 2) != 0;
  auto source = std::make_shared<const SourceFile>(yaml ? "fuzz.yaml" : "fuzz.writ",
                                                   std::string(as_text(data + 1, size - 1)));
  try {
    CompiledFile compiled = compile_source(source, catalog(), compile_options(suppressions));
    check_diagnostics(compiled.diagnostics);
    check_ast(compiled.ast, *source);
    require(compiled.runbooks.size() == compiled.ast.runbooks.size(), "not one IR runbook per AST runbook");
    for (const auto& runbook : compiled.runbooks) {
      require(ir::digest(runbook).size() == 64, "an IR digest is not 64 hex characters");
    }
    check_emitters(compiled.diagnostics, (data[0] & 4) != 0);
  } catch (const std::exception& e) {
    fail(std::string("the check pipeline threw: ") + e.what());
  }
  return 0;
}
