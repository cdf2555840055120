// The HTML rendering of the report: one self-contained, printable page (inline CSS, no
// scripts, no external assets) with an at-a-glance summary before the details.
#include <fmt/format.h>

#include <sstream>

#include "common/markup.h"
#include "common/text.h"
#include "report/report.h"

namespace writ {

using nlohmann::json;

namespace {

constexpr std::string_view kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 6px}h3{font-size:15px;margin:20px 0 8px}
.sub{color:#57606a;margin-bottom:22px}
.cards{display:flex;gap:14px;margin:18px 0 26px}
.card{flex:1;border-radius:10px;padding:14px 18px;color:#fff}
.card b{display:block;font-size:34px;line-height:1.1}
.met{background:#1a7f37}.violated{background:#cf222e}.open{background:#9a6700}.na{background:#d0d7de;color:#57606a}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 14px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.met,td.violated,td.open,td.na{text-align:center;font-weight:600}
td.met,td.violated,td.open{color:#fff}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f4;padding:1px 4px;border-radius:4px}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff}
section{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:4px 20px 12px;margin-top:22px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{color:#57606a}dd{margin:0}
.regimes{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px;margin:8px 0 22px}
.regime{background:#fff;border:1px solid #d0d7de;border-left:8px solid;border-radius:8px;padding:10px 14px}
.regime.met{border-left-color:#1a7f37}.regime.violated{border-left-color:#cf222e}.regime.open{border-left-color:#9a6700}
.regime,.regime.met,.regime.violated,.regime.open{background:#fff;color:#1b1f24}
.regime b{font-size:16px}.regime small{display:block;color:#57606a;margin-top:2px}
.bar{display:flex;height:12px;border-radius:6px;overflow:hidden;margin-top:8px;background:#d0d7de}
.bar span{display:block}
td small{display:block;font-weight:400}
.warn{color:#cf222e;font-weight:600}
@media print{body{background:#fff}main{padding:0}section{break-inside:avoid;border:none}.card,.bar span,td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
)";

std::string esc(const std::string& text) { return markup_escape(text); }

std::string str(const json& value) { return value.is_string() ? esc(value.get<std::string>()) : "–"; }

std::string dur(const json& seconds) {
  return seconds.is_number_integer() ? format_duration(seconds.get<std::int64_t>()) : "–";
}

std::string names(const json& items) {
  if (!items.is_array() || items.empty()) return "–";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + esc(item.get<std::string>());
  return out;
}

std::string files(const json& paths) {
  std::string out;
  for (const auto& path : paths) out += (out.empty() ? "" : "<br>") + ("<code>" + str(path) + "</code>");
  return out;
}

std::string checks(const json& rb) {
  auto counts = [](const json& c) {
    return fmt::format("{} error(s), {} warning(s)", c["errors"].get<int>(), c["warnings"].get<int>());
  };
  if (rb["checks"].size() < 2) return counts(rb);
  std::string out;
  for (const auto& c : rb["checks"])
    out += (out.empty() ? "" : "<br>") + ("<code>" + str(c["file"]) + "</code>: " + counts(c));
  return out;
}

std::string counts_text(const json& cell) {
  std::string out;
  for (const char* k : {"met", "violated", "open"}) {
    if (cell.value(k, 0) > 0) out += fmt::format("{}{} {}", out.empty() ? "" : " · ", cell[k].get<int>(), k);
  }
  return out;
}

// One card per regime: its worst status, its counts and a bar of met / violated / open.
void regime_cards(std::ostringstream& out, const json& by_regime) {
  out << "<h3>By regime</h3><div class=regimes>";
  for (const auto& r : by_regime) {
    out << fmt::format("<div class=\"regime {}\"><b>{}</b> — {}<small>{}</small><div class=bar>", str(r["status"]),
                       str(r["regime"]), str(r["status"]), counts_text(r));
    for (const char* k : {"met", "violated", "open"}) {
      const int n = r[k].get<int>();
      if (n > 0) out << fmt::format("<span class={} style=\"flex:{}\"></span>", k, n);
    }
    out << "</div></div>";
  }
  out << "</div>\n";
}

void summary(std::ostringstream& out, const json& report) {
  const auto& totals = report["summary"]["totals"];
  out << "<div class=cards>";
  for (const char* k : {"met", "violated", "open"}) {
    out << fmt::format("<div class=\"card {}\"><b>{}</b>obligations {}</div>", k, totals[k].get<int>(), k);
  }
  out << "</div>\n";
  const auto& regimes = report["summary"]["regimes"];
  if (regimes.empty()) return;
  regime_cards(out, report["summary"]["by_regime"]);
  out << "<h3>Regime × runbook</h3><table><tr><th>runbook</th>";
  for (const auto& r : regimes) out << "<th>" << str(r) << "</th>";
  out << "</tr>\n";
  std::size_t index = 0;
  for (const auto& rb : report["runbooks"]) {
    out << fmt::format("<tr><td><a href=\"#rb-{}\">{}</a>", index++, str(rb["id"]));
    for (const auto& file : rb["files"]) out << "<small><code>" << str(file) << "</code></small>";
    out << "</td>";
    for (const auto& r : regimes) {
      const json* cell = nullptr;
      for (const auto& c : report["summary"]["matrix"]) {
        if (c["regime"] == r && c["runbook"] == rb["id"] && c["file"] == rb["file"]) cell = &c;
      }
      if (!cell) {
        out << "<td class=na>–</td>";
      } else {
        out << fmt::format("<td class=\"{}\">{}<small>{}</small></td>", str((*cell)["status"]), str((*cell)["status"]),
                           counts_text(*cell));
      }
    }
    out << "</tr>\n";
  }
  out << "</table>\n";
}

void steps_table(std::ostringstream& out, const json& rb) {
  out << "<h3>Approval matrix and rollback coverage</h3><table><tr><th>step</th><th>action</th><th>effect</th>"
         "<th>required roles</th><th>approval</th><th>rollback</th><th>evidence</th></tr>\n";
  const json& steps = rb["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const json& s = steps[i];
    if (auto heading = parallel_heading(steps, i); !heading.empty()) {
      out << "<tr><td colspan=7><em>" << esc(heading) << "</em></td></tr>\n";
    }
    std::string construct = step_construct_text(s);
    std::string id = (s.contains("parallel") ? "&#8627; " : "") + std::string("<code>") + str(s["id"]) + "</code>" +
                     (construct.empty() ? "" : "<small>" + esc(construct) + "</small>");
    std::string approval = "none";
    if (!s["approval"].is_null()) {
      approval = names(s["approval"]["roles"]) + " within " + dur(s["approval"]["timeout_seconds"]) +
                 (s["approval"]["timeout_declared"].get<bool>() ? "" : " (default)");
    }
    const std::string status = s.value("approval_status", "");
    if (status == "exempt") approval += "<small>exempt: reversible containment with rollback</small>";
    if (status == "missing") approval += "<small class=warn>required roles missing</small>";
    std::string rollback = s["rollback"].is_null() ? "" : "<code>" + str(s["rollback"]) + "</code> ";
    out << fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>\n", id,
                       str(s["action"]), str(s["effect"]), names(s["required_roles"]), approval, rollback,
                       str(s["rollback_status"]), names(s["evidence"]));
  }
  out << "</table>\n";
}

void obligations_table(std::ostringstream& out, const json& rb) {
  if (rb["obligations"].empty()) return;
  out << "<h3>Regulatory mapping</h3><table><tr><th>obligation</th><th>citation</th><th>deadline</th><th>step</th>"
         "<th>step deadline</th><th>worst case</th><th>margin</th><th>status</th></tr>\n";
  for (const auto& ob : rb["obligations"]) {
    std::string margin = "–";
    if (ob.contains("margin_seconds")) {
      auto m = ob["margin_seconds"].get<std::int64_t>();
      margin = m < 0 ? "-" + format_duration(-m) : format_duration(m);
    }
    out << fmt::format(
        "<tr><td>{} <code>{}</code><br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td class=\"{}\">{}{}</td></tr>\n",
        str(ob["title"]), str(ob["id"]), str(ob["regime"]), str(ob["citation"]), str(ob["deadline"]), str(ob["step"]),
        dur(ob.value("step_deadline_seconds", json())), dur(ob.value("worst_case_seconds", json())), margin,
        str(ob["status"]), str(ob["status"]),
        ob.contains("reason") ? "<br><small>" + str(ob["reason"]) + "</small>" : "");
  }
  out << "</table>\n";
}

void runbook_section(std::ostringstream& out, const json& rb, std::size_t index) {
  out << "<section id=\"rb-" << index << "\"><h2>" << str(rb["title"]) << " <code>" << str(rb["id"]) << "</code></h2>";
  out << fmt::format(
      "<dl><dt>{}</dt><dd>{}</dd><dt>IR digest</dt><dd><code>sha256:{}</code></dd>"
      "<dt>severity</dt><dd>{}</dd><dt>compliance</dt><dd>{}</dd><dt>check</dt><dd>{}</dd>"
      "<dt>rollback coverage</dt><dd>{} of {} reversible step(s)</dd><dt>evidence roots</dt><dd>{}</dd></dl>\n",
      rb["files"].size() > 1 ? "files (twins: the same IR)" : "file", files(rb["files"]), str(rb["digest"]),
      str(rb["severity"]), names(rb["compliance"]), checks(rb), rb["rollback_coverage"]["covered"].get<int>(),
      rb["rollback_coverage"]["reversible_steps"].get<int>(), names(rb["evidence_plan"]["roots"]));
  steps_table(out, rb);
  obligations_table(out, rb);
  if (!rb["suppressions"].empty()) {
    out << "<h3>Suppressions</h3><table><tr><th>file</th><th>rule</th><th>line</th><th>reason</th><th>expires</th></"
           "tr>\n";
    for (const auto& s : rb["suppressions"]) {
      out << fmt::format("<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         str(s["file"]), str(s["rule"]), s["line"].get<int>(),
                         s["reason"].is_null() ? "(none — invalid)" : str(s["reason"]), str(s["expires"]));
    }
    out << "</table>\n";
  }
  out << "</section>\n";
}

}  // namespace

std::string render_report_html(const json& report) {
  std::ostringstream out;
  out << "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>writ regulatory mapping report</title>"
      << "<style>" << kStyle << "</style></head><body><main>\n";
  out << "<h1>Regulatory mapping report</h1><div class=sub>" << str(report["tool"]) << " · policy <code>"
      << str(report["policy"]) << "</code>"
      << (report.contains("generated_at") ? " · " + str(report["generated_at"]) : "") << " · "
      << report["runbooks"].size() << " runbook(s)</div>\n";
  summary(out, report);
  std::size_t index = 0;
  for (const auto& rb : report["runbooks"]) runbook_section(out, rb, index++);
  out << "</main></body></html>\n";
  return out.str();
}

}  // namespace writ
