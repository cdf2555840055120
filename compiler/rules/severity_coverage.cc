// severity-coverage (warning): across the runbooks of one `writ check` call, every severity
// the active policy defines should have a playbook.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/rules/rules.h"

namespace writ::rules {

void severity_coverage(const Catalog& catalog, const std::vector<std::string>& severities, const SourcePtr& anchor,
                       DiagnosticSink& sink) {
  const auto& policy = catalog.policy();
  for (const auto& severity : policy.severity_order) {
    if (std::find(severities.begin(), severities.end(), severity) != severities.end()) continue;
    auto& d = sink.report(Rule::SeverityCoverage, anchor, Span{},
                          fmt::format("no runbook handles severity `{}` (policy `{}`)", severity, policy.name));
    d.whole_file = anchor != nullptr;
    d.help.push_back(fmt::format("add a playbook for severity `{}`", severity));
  }
}

}  // namespace writ::rules
