// Fuzzes the DSL front-end (compiler/dsl_parser.h): parse_dsl and print_dsl.
// Invariants: parse_dsl never throws; every diagnostic and AST span lies in the source; a file
// that parses with no diagnostics survives print_dsl and a re-parse with the same IR digests
// and findings (check_print_round_trip).
#include <cstdint>
#include <exception>
#include <memory>

#include "compiler/dsl_parser.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  writ::fuzz::catalog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ;
  using namespace writ::fuzz;
  auto source = std::make_shared<const SourceFile>("fuzz.writ", std::string(as_text(data, size)));
  try {
    DiagnosticSink sink;
    ast::File file = parse_dsl(source, sink);
    check_diagnostics(sink.diagnostics());
    check_ast(file, *source);
    if (!sink.diagnostics().empty()) return 0;
    CompiledFile compiled = compile_source(source, catalog(), compile_options(false));
    check_diagnostics(compiled.diagnostics);
    check_print_round_trip(compiled);
  } catch (const std::exception& e) {
    fail(std::string("the DSL front-end threw: ") + e.what());
  }
  return 0;
}
