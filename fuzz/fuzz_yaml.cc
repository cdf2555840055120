// Fuzzes the YAML front-end (compiler/yaml_loader.h): load_yaml, and `writ convert`.
// Invariants: load_yaml never throws (yaml-cpp's exceptions stay inside); every diagnostic and
// AST span lies in the source; a file that loads with no diagnostics and compiles without
// errors converts to DSL (print_dsl) that compiles to the same IR digests and findings.
// Known gap, skipped here: YAML accepts runbook and step ids the DSL cannot spell ("step one");
// `writ convert` prints them bare and the output does not parse.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <memory>

#include "compiler/yaml_loader.h"
#include "fuzz/fuzz_support.h"

namespace writ::fuzz {
namespace {

bool is_identifier(const std::string& text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// Whether every id print_dsl writes bare is a DSL identifier (see the known gap above).
bool ids_are_identifiers(const ast::File& file) {
  for (const auto& runbook : file.runbooks) {
    if (!is_identifier(runbook.id.value)) return false;
    for (const auto& step : runbook.steps) {
      if (!is_identifier(step.id.value)) return false;
    }
  }
  return true;
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
  auto source = std::make_shared<const SourceFile>("fuzz.yaml", std::string(as_text(data, size)));
  try {
    DiagnosticSink sink;
    ast::File file = load_yaml(source, sink);
    check_diagnostics(sink.diagnostics());
    check_ast(file, *source);
    if (!sink.diagnostics().empty()) return 0;
    CompiledFile compiled = compile_source(source, catalog(), compile_options(false));
    check_diagnostics(compiled.diagnostics);
    if (!compiled.has_errors() && ids_are_identifiers(compiled.ast)) check_print_round_trip(compiled);
  } catch (const std::exception& e) {
    fail(std::string("the YAML front-end threw: ") + e.what());
  }
  return 0;
}
