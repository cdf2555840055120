// The Markdown rendering of the report model (report/report.h). Every string the model
// holds may come from a runbook, a policy file or a path (a title like
// `</td><script>…` is legal), so each one is quoted with markdown_escape — the one escaping
// function — and never put in a code span, where escapes are not decoded.
#include <fmt/format.h>

#include <sstream>

#include "common/markdown.h"
#include "common/text.h"
#include "report/report.h"

namespace writ {

using nlohmann::json;

namespace {

// A model string quoted for Markdown; "–" for null.
std::string md(const json& value) { return value.is_string() ? markdown_escape(value.get<std::string>()) : "–"; }

std::string duration(const json& seconds) {
  return seconds.is_number_integer() ? format_duration(seconds.get<std::int64_t>()) : "–";
}

std::string list_or_dash(const json& items) {
  if (!items.is_array() || items.empty()) return "–";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + md(item);
  return out;
}

std::string approval_cell(const json& step) {
  const std::string status = step.value("approval_status", "");
  std::string text = "none";
  if (!step["approval"].is_null()) {
    const auto& a = step["approval"];
    text = fmt::format("{} within {}{}", list_or_dash(a["roles"]), duration(a["timeout_seconds"]),
                       a["timeout_declared"].get<bool>() ? "" : " (default)");
  }
  if (status == "exempt") text += " (exempt: reversible containment with rollback)";
  if (status == "missing") text += " — **required roles missing**";
  return text;
}

// "2 met, 1 open": the non-zero counts of a summary cell.
std::string counts_text(const json& cell) {
  std::string out;
  for (const char* k : {"met", "violated", "open"}) {
    if (cell.value(k, 0) > 0) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", cell[k].get<int>(), k);
  }
  return out;
}

std::string matrix_cell(const json& summary, const json& regime, const json& rb) {
  for (const auto& c : summary["matrix"]) {
    if (c["regime"] == regime && c["runbook"] == rb["id"] && c["file"] == rb["file"]) {
      return fmt::format("{} ({})", md(c["status"]), counts_text(c));
    }
  }
  return "–";
}

void md_summary(std::ostringstream& out, const json& summary, const json& runbooks) {
  if (summary["by_regime"].empty()) return;
  out << "| regime | met | violated | open | status |\n|---|---|---|---|---|\n";
  for (const auto& r : summary["by_regime"]) {
    out << fmt::format("| {} | {} | {} | {} | **{}** |\n", md(r["regime"]), r["met"].get<int>(), r["violated"].get<int>(),
                       r["open"].get<int>(), md(r["status"]));
  }
  out << "\n| runbook | files |";
  for (const auto& regime : summary["regimes"]) out << ' ' << md(regime) << " |";
  out << "\n|---|---|";
  for (std::size_t i = 0; i < summary["regimes"].size(); ++i) out << "---|";
  out << '\n';
  for (const auto& rb : runbooks) {
    out << fmt::format("| {} | {} |", md(rb["id"]), list_or_dash(rb["files"]));
    for (const auto& regime : summary["regimes"]) out << ' ' << matrix_cell(summary, regime, rb) << " |";
    out << '\n';
  }
  out << '\n';
}

std::string margin(const json& ob) {
  if (!ob.contains("margin_seconds")) return "–";
  auto m = ob["margin_seconds"].get<std::int64_t>();
  return m < 0 ? "-" + format_duration(-m) : format_duration(m);
}

// "0 error(s), 1 warning(s)", per file when the runbook has twins (their findings may differ:
// a style finding belongs to one file).
std::string checks_text(const json& rb) {
  auto counts = [](const json& c) { return fmt::format("{} error(s), {} warning(s)", c["errors"].get<int>(), c["warnings"].get<int>()); };
  if (rb["checks"].size() < 2) return counts(rb);
  std::string out;
  for (const auto& c : rb["checks"]) out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", md(c["file"]), counts(c));
  return out;
}

void md_header(std::ostringstream& out, const json& rb) {
  out << fmt::format("## {} — {}\n\n", md(rb["id"]), md(rb["title"]));
  if (rb["files"].size() > 1) {
    out << fmt::format("- Files: {} (twins: the same IR)\n", list_or_dash(rb["files"]));
  } else {
    out << fmt::format("- File: {}\n", md(rb["file"]));
  }
  out << fmt::format("- IR digest: `sha256:{}`\n- Severity: **{}**\n- Compliance: {}\n", md(rb["digest"]), md(rb["severity"]),
                     list_or_dash(rb["compliance"]));
  out << fmt::format("- Check: {}\n\n", checks_text(rb));
}

void md_steps(std::ostringstream& out, const json& rb) {
  out << "### Steps\n\n| step | action | effect | required roles | approval | rollback | evidence |\n|---|---|---|---|---|---|---|\n";
  const json& steps = rb["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const json& s = steps[i];
    if (auto heading = parallel_heading(steps, i); !heading.empty()) {
      out << fmt::format("| *{}* | | | | | | |\n", markdown_escape(heading));
    }
    std::string rollback = s["rollback"].is_null() ? md(s["rollback_status"])
                                                   : fmt::format("{} ({})", md(s["rollback"]), md(s["rollback_status"]));
    std::string id = (s.contains("parallel") ? "↳ " : "") + md(s["id"]);
    if (auto construct = step_construct_text(s); !construct.empty()) id += " (" + markdown_escape(construct) + ")";
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", id, md(s["action"]), md(s["effect"]),
                       list_or_dash(s["required_roles"]), approval_cell(s), rollback, list_or_dash(s["evidence"]));
  }
  const auto& rc = rb["rollback_coverage"];
  out << fmt::format("\nRollback coverage: {} of {} reversible step(s). Evidence roots: {}.\n\n", rc["covered"].get<int>(),
                     rc["reversible_steps"].get<int>(), list_or_dash(rb["evidence_plan"]["roots"]));
}

void md_obligations(std::ostringstream& out, const json& rb) {
  if (rb["obligations"].empty()) return;
  out << "### Regulatory mapping\n\n| obligation | regime | citation | deadline | step | step deadline | worst case | margin | status |\n"
         "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& ob : rb["obligations"]) {
    out << fmt::format("| {} ({}) | {} | {} | {} | {} | {} | {} | {} | **{}**{} |\n", md(ob["title"]), md(ob["id"]),
                       md(ob["regime"]), md(ob["citation"]), md(ob["deadline"]), md(ob["step"]),
                       duration(ob.value("step_deadline_seconds", json())), duration(ob.value("worst_case_seconds", json())),
                       margin(ob), md(ob["status"]), ob.contains("reason") ? ": " + md(ob["reason"]) : "");
  }
  out << "\n";
}

void md_suppressions(std::ostringstream& out, const json& rb) {
  if (rb["suppressions"].empty()) return;
  out << "### Suppressions\n\n| file | rule | line | reason | expires |\n|---|---|---|---|---|\n";
  for (const auto& s : rb["suppressions"]) {
    out << fmt::format("| {} | {} | {} | {} | {} |\n", md(s["file"]), md(s["rule"]), s["line"].get<int>(),
                       s["reason"].is_null() ? "(none — invalid)" : md(s["reason"]), md(s["expires"]));
  }
  out << "\n";
}

}  // namespace

std::string render_report_markdown(const json& report) {
  std::ostringstream out;
  out << "# writ regulatory mapping report\n\n";
  out << fmt::format("Generated by {} under policy {}{}.\n\n", md(report["tool"]), md(report["policy"]),
                     report.contains("generated_at") ? " at " + md(report["generated_at"]) : "");
  const auto& totals = report["summary"]["totals"];
  out << fmt::format("**Obligations: {} met, {} violated, {} open** across {} runbook(s).\n\n", totals["met"].get<int>(),
                     totals["violated"].get<int>(), totals["open"].get<int>(), report["runbooks"].size());
  md_summary(out, report["summary"], report["runbooks"]);
  for (const auto& rb : report["runbooks"]) {
    md_header(out, rb);
    md_steps(out, rb);
    md_obligations(out, rb);
    md_suppressions(out, rb);
  }
  return out.str();
}

}  // namespace writ
