// Every input limit writ enforces, in one place (DESIGN §12). A limit hit is an `input-limit`
// diagnostic naming the limit and the position, never a crash or a hang. Each limit has a
// test in tests/unit/compiler/limits_test.cc.
#pragma once

#include <cstddef>

namespace writ {

struct Limits {
  std::size_t max_file_bytes = 8 * 1024 * 1024;  // one runbook/stdlib/policy file
  std::size_t max_nesting_depth = 64;            // YAML collections, DSL blocks, expressions
  std::size_t max_yaml_nodes = 200'000;          // nodes visited, aliases counted each time
  std::size_t max_expression_bytes = 4096;       // one expression or template string
  std::size_t max_steps = 1000;                  // steps in one runbook
  std::size_t max_runbooks = 1000;               // runbooks in one file
};

}  // namespace writ
