// Markdown and HTML renderings of the report model (compiler/report.h).
#include <fmt/format.h>

#include <sstream>

#include "common/text.h"
#include "compiler/report.h"

namespace writ {

using nlohmann::json;

namespace {

std::string duration(const json& seconds) {
  return seconds.is_number_integer() ? format_duration(seconds.get<std::int64_t>()) : "–";
}

std::string list_or_dash(const json& items) {
  if (!items.is_array() || items.empty()) return "–";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item.get<std::string>();
  return out;
}

std::string md_escape(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
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

void md_summary(std::ostringstream& out, const json& summary, const json& runbooks) {
  if (summary["by_regime"].empty()) return;
  out << "| regime | met | violated | open | status |\n|---|---|---|---|---|\n";
  for (const auto& r : summary["by_regime"]) {
    out << fmt::format("| {} | {} | {} | {} | **{}** |\n", md_escape(r["regime"]), r["met"].get<int>(),
                       r["violated"].get<int>(), r["open"].get<int>(), r["status"].get<std::string>());
  }
  out << "\n| runbook | file |";
  for (const auto& regime : summary["regimes"]) out << ' ' << md_escape(regime) << " |";
  out << "\n|---|---|";
  for (std::size_t i = 0; i < summary["regimes"].size(); ++i) out << "---|";
  out << '\n';
  for (const auto& rb : runbooks) {
    out << fmt::format("| {} | `{}` |", rb["id"].get<std::string>(), rb["file"].get<std::string>());
    for (const auto& regime : summary["regimes"]) {
      std::string cell = "–";
      for (const auto& c : summary["matrix"]) {
        if (c["regime"] == regime && c["runbook"] == rb["id"] && c["file"] == rb["file"]) {
          cell = fmt::format("{} ({})", c["status"].get<std::string>(), counts_text(c));
        }
      }
      out << ' ' << cell << " |";
    }
    out << '\n';
  }
  out << '\n';
}

std::string margin(const json& ob) {
  if (!ob.contains("margin_seconds")) return "–";
  auto m = ob["margin_seconds"].get<std::int64_t>();
  return m < 0 ? "-" + format_duration(-m) : format_duration(m);
}

void md_runbook(std::ostringstream& out, const json& rb) {
  out << fmt::format("## {} — {}\n\n", rb["id"].get<std::string>(), md_escape(rb["title"]));
  out << fmt::format("- File: `{}`\n- IR digest: `sha256:{}`\n- Severity: **{}**\n- Compliance: {}\n",
                     rb["file"].get<std::string>(), rb["digest"].get<std::string>(), rb["severity"].get<std::string>(),
                     list_or_dash(rb["compliance"]));
  out << fmt::format("- Check: {} error(s), {} warning(s)\n\n", rb["errors"].get<int>(), rb["warnings"].get<int>());
  out << "### Steps\n\n| step | action | effect | required roles | approval | rollback | evidence |\n|---|---|---|---|---|---|---|\n";
  for (const auto& s : rb["steps"]) {
    std::string rollback = s["rollback"].is_null() ? s["rollback_status"].get<std::string>()
                                                   : fmt::format("{} ({})", s["rollback"].get<std::string>(),
                                                                 s["rollback_status"].get<std::string>());
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", s["id"].get<std::string>(), s["action"].get<std::string>(),
                       s["effect"].get<std::string>(), list_or_dash(s["required_roles"]), approval_cell(s), rollback,
                       md_escape(list_or_dash(s["evidence"])));
  }
  const auto& rc = rb["rollback_coverage"];
  out << fmt::format("\nRollback coverage: {} of {} reversible step(s). Evidence roots: {}.\n\n",
                     rc["covered"].get<int>(), rc["reversible_steps"].get<int>(), list_or_dash(rb["evidence_plan"]["roots"]));
  if (!rb["obligations"].empty()) {
    out << "### Regulatory mapping\n\n| obligation | regime | citation | deadline | step | step deadline | worst case | margin | status |\n"
           "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& ob : rb["obligations"]) {
      out << fmt::format("| {} ({}) | {} | {} | {} | {} | {} | {} | {} | **{}**{} |\n", md_escape(ob["title"]),
                         ob["id"].get<std::string>(), ob["regime"].get<std::string>(), md_escape(ob["citation"]),
                         ob["deadline"].get<std::string>(), ob["step"].is_null() ? "–" : ob["step"].get<std::string>(),
                         duration(ob.value("step_deadline_seconds", json())), duration(ob.value("worst_case_seconds", json())),
                         margin(ob), ob["status"].get<std::string>(),
                         ob.contains("reason") ? ": " + md_escape(ob["reason"]) : "");
    }
    out << "\n";
  }
  if (!rb["suppressions"].empty()) {
    out << "### Suppressions\n\n| rule | line | reason | expires |\n|---|---|---|---|\n";
    for (const auto& s : rb["suppressions"]) {
      out << fmt::format("| {} | {} | {} | {} |\n", s["rule"].get<std::string>(), s["line"].get<int>(),
                         s["reason"].is_null() ? "(none — invalid)" : md_escape(s["reason"]),
                         s["expires"].is_null() ? "–" : s["expires"].get<std::string>());
    }
    out << "\n";
  }
}

}  // namespace

std::string render_report_markdown(const json& report) {
  std::ostringstream out;
  out << "# writ regulatory mapping report\n\n";
  out << fmt::format("Generated by {} under policy `{}`{}.\n\n", report["tool"].get<std::string>(),
                     report["policy"].get<std::string>(),
                     report.contains("generated_at") ? " at " + report["generated_at"].get<std::string>() : "");
  const auto& totals = report["summary"]["totals"];
  out << fmt::format("**Obligations: {} met, {} violated, {} open** across {} runbook(s).\n\n", totals["met"].get<int>(),
                     totals["violated"].get<int>(), totals["open"].get<int>(), report["runbooks"].size());
  md_summary(out, report["summary"], report["runbooks"]);
  for (const auto& rb : report["runbooks"]) md_runbook(out, rb);
  return out.str();
}

}  // namespace writ
