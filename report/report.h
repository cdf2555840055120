// `writ report`: the compiled regulatory mapping an auditor receives (DESIGN §11). The model
// is plain JSON with stable keys (documented in docs/report.md); Markdown and HTML are
// renderings of that same model, so the three formats never disagree. The regulatory figures
// come from rules::evaluate_obligations, the very computation the regulatory-deadline rule
// uses.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/catalog.h"
#include "compiler/pipeline.h"

namespace writ {

struct ReportOptions {
  std::string tool_version;
  std::string generated_at;  // UTC RFC 3339; empty leaves it out (golden tests)
};

// Builds the report model over compiled files (their AST is needed for suppressions).
nlohmann::json build_report(const std::vector<CompiledFile>& files, const Catalog& catalog,
                            const ReportOptions& options);

// What a step's issue-18 constructs add to its row, in plain text (renderers escape it):
// "for each u in event.users", "task for ir_lead within 2h"; empty for a plain step.
std::string step_construct_text(const nlohmann::json& step);
// The heading of the parallel block `step` opens ("parallel block 1: branches start
// together; it ends when all have"), or empty when the step does not open one.
std::string parallel_heading(const nlohmann::json& steps, std::size_t index);

std::string render_report_markdown(const nlohmann::json& report);
// One self-contained HTML page: inline CSS, no scripts, no external assets, printable.
std::string render_report_html(const nlohmann::json& report);

}  // namespace writ
