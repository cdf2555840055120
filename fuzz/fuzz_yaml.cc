// Fuzzes the YAML front-end (compiler/yaml_loader.h): load_yaml, and `writ convert`.
// Invariants: load_yaml never throws (yaml-cpp's exceptions stay inside); every diagnostic and
// AST span lies in the source; a file that loads with no diagnostics and compiles without
// errors converts to DSL (print_dsl) that compiles to the same IR digests.
#include <cstdint>
#include <exception>
#include <memory>

#include "compiler/yaml_loader.h"
#include "fuzz/fuzz_support.h"

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
    if (!compiled.has_errors()) check_print_round_trip(compiled);
  } catch (const std::exception& e) {
    fail(std::string("the YAML front-end threw: ") + e.what());
  }
  return 0;
}
