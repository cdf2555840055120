// `writ check` over many files in bounded memory: files are compiled on `jobs` threads; each
// file's findings are rendered (in the output format) as soon as it is compiled, and its
// source, AST and IR are released then. What outlives a file: its rendered findings and the
// severities its runbooks handle (for severity-coverage, the one cross-file rule).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "compiler/catalog.h"
#include "compiler/emit/emit.h"
#include "compiler/pipeline.h"

namespace writ::cli {

struct CheckedFiles {
  std::vector<std::vector<RenderedDiagnostic>> findings;  // per file, in input order, each sorted
  std::set<std::string> severities;                       // of every runbook compiled
  std::string first_source;  // the first file that could be read ("" when none): the anchor
};

// Compiles `files` against `catalog` on `jobs` threads (at most one per file).
CheckedFiles check_files(const std::vector<std::string>& files, const Catalog& catalog,
                         const CompileOptions& options, unsigned jobs, Format format, bool color);

}  // namespace writ::cli
