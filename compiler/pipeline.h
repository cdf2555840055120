// The compiler pipeline as one call: read -> parse (YAML or DSL by extension) -> lower
// (resolve + type-check into IR) -> rules -> suppressions. The CLI (check, compile, run,
// report) and the tests use it; nothing here prints.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast.h"
#include "compiler/catalog.h"
#include "compiler/diagnostic.h"
#include "compiler/ir.h"
#include "common/limits.h"

namespace writ {

struct CompileOptions {
  Limits limits;
  bool inline_suppressions = true;  // false: --no-inline-suppressions (auditors' strict mode)
  std::string today;                // YYYY-MM-DD for suppression expiry; empty: the UTC date now
};

struct CompiledFile {
  SourcePtr source;  // null when the file could not be read
  ast::File ast;
  std::vector<ir::Runbook> runbooks;  // one per AST runbook, same order (lowered even with errors)
  std::vector<Diagnostic> diagnostics;  // sorted; suppressed ones carry suppressed_by
  bool has_errors() const;
};

// Reads `path` (an unreadable path is reported as a `syntax` diagnostic with no source;
// callers that must exit 2 check readability first) and compiles it against `catalog`.
CompiledFile compile_file(const std::string& path, const Catalog& catalog, const CompileOptions& options);

// Compiles text already in memory (tests, fuzzers). `path` decides YAML vs DSL by extension.
CompiledFile compile_source(const SourcePtr& source, const Catalog& catalog, const CompileOptions& options);

// What a catalog is built from (DESIGN §8, §17).
struct CatalogInputs {
  std::string stdlib_dir;              // every *.writ file in it, sorted by name
  std::vector<std::string> catalogs;   // --catalog: .writ files, or directories of them
  std::vector<std::string> policies;   // --policy: DSL or YAML; the last policy is the active one
};

// Builds the catalog from the stdlib, then the organisation catalogs (which may only add names:
// compiler/organisation_catalog.h), then the policy files. Problems in these files are reported
// to `sink` (they are user input too); a catalog directory without a *.writ file, or a catalog
// file that is not .writ, is a whole-file error.
Catalog load_catalog(const CatalogInputs& inputs, DiagnosticSink& sink, const Limits& limits = {});

// The stdlib and policy files only.
Catalog load_catalog(const std::string& stdlib_dir, const std::vector<std::string>& policy_files,
                     DiagnosticSink& sink, const Limits& limits = {});

// Every *.yaml, *.yml, *.writ file below `path` (or `path` itself), sorted.
std::vector<std::string> expand_inputs(const std::string& path);

}  // namespace writ
