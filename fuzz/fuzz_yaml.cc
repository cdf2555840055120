// Fuzzes the YAML front-end (compiler/yaml/loader.h): load_yaml, and `writ convert`.
// Invariants (check_front_end): load_yaml never throws (yaml-cpp's exceptions stay inside);
// every diagnostic and AST span lies in the source; a file that loads with no diagnostics and
// compiles without errors converts to DSL (print_dsl) that compiles to the same IR digests and
// findings — unless it has ids `.writ` cannot spell ("step one"), which `writ convert` refuses.
#include <cstdint>

#include "compiler/yaml/loader.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  writ::fuzz::catalog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  writ::fuzz::check_front_end(data, size, "fuzz.yaml", &writ::load_yaml, false, "YAML front-end");
  return 0;
}
