// Fuzzes the DSL front-end (compiler/dsl/parser.h): parse_dsl and print_dsl.
// Invariants (check_front_end): parse_dsl never throws; every diagnostic and AST span lies in
// the source; a file that parses with no diagnostics survives print_dsl and a re-parse with the
// same IR digests and findings (check_print_round_trip), errors or not.
#include <cstdint>

#include "compiler/dsl/parser.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  writ::fuzz::catalog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  writ::fuzz::check_front_end(data, size, "fuzz.writ", &writ::parse_dsl, true, "DSL front-end");
  return 0;
}
