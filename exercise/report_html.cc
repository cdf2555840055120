// The HTML exercise report: one self-contained page (inline CSS, no scripts, no external
// assets). Every runbook, drill and event string is escaped.
#include <fmt/format.h>

#include <algorithm>

#include "common/markup.h"
#include "exercise/output.h"

namespace writ::exercise {

namespace {

constexpr std::string_view kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:20px 0 6px}h3{font-size:15px;margin:18px 0 8px}
.sub{color:#57606a;margin-bottom:18px}
.cards{display:flex;gap:14px;margin:18px 0 22px}
.card{flex:1;border-radius:10px;padding:14px 18px;color:#fff}
.card b{display:block;font-size:34px;line-height:1.1}
.pass{background:#1a7f37}.fail{background:#cf222e}.none{background:#d0d7de;color:#57606a}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 14px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.pass,td.fail{color:#fff;text-align:center;font-weight:600}
td.k{white-space:nowrap;font-weight:600}td.t{white-space:nowrap}
tr.fault td.k,tr.fault td{background:#fff1f0}tr.detection td{background:#eef6ff}
section{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:4px 20px 12px;margin-top:22px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{color:#57606a}dd{margin:0}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f4;padding:1px 4px;border-radius:4px}
@media print{body{background:#fff}main{padding:0}section{break-inside:avoid}.card,td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
)";

std::string esc(std::string_view text) { return markup_escape(text); }

std::string offset(const SimulationResult& r, runtime::WallTime at) {
  const auto d = std::chrono::duration_cast<Millis>(at - r.start);
  return d.count() < 0 ? "T-" + show_duration(-d) : "T+" + show_duration(d);
}

void cards(std::ostream& out, const std::vector<ExerciseReport>& reports) {
  std::size_t bad = 0, total = 0, failed = 0;
  for (const auto& r : reports) {
    bad += r.passed() ? 0 : 1;
    total += r.expectations.size();
    for (const auto& e : r.expectations) failed += e.passed ? 0 : 1;
  }
  auto card = [&](std::size_t n, const char* good, const char* what) {
    out << fmt::format("<div class=\"card {}\"><b>{}</b>{}</div>", n == 0 ? "none" : good, n, what);
  };
  out << "<div class=\"cards\">";
  card(reports.size() - bad, "pass", "exercises passed");
  card(bad, "fail", "exercises failed");
  card(total - failed, "pass", "expectations met");
  card(failed, "fail", "expectations failed");
  out << "</div>\n";
}

void expectations(std::ostream& out, const ExerciseReport& r) {
  out << "<h3>Expectations</h3>\n<table><tr><th></th><th>expectation</th><th>expected</th><th>measured</th></tr>\n";
  for (const auto& e : r.expectations) {
    out << fmt::format("<tr><td class=\"{}\">{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                       e.passed ? "pass" : "fail", e.passed ? "PASS" : "FAIL", esc(e.name), esc(e.expected),
                       esc(e.measured));
  }
  out << "</table>\n";
}

void runs(std::ostream& out, const ExerciseReport& r) {
  out << "<h3>Runs</h3>\n<table><tr><th>run</th><th>event</th><th>detected</th><th>runbook</th><th>status</"
         "th><th>contained after</th></tr>\n";
  for (const auto& run : r.result.runs) {
    const auto contained = time_to_contain(run);
    out << fmt::format(
        "<tr><td><code>{}</code></td><td>{} <small>({})</small></td><td>{} "
        "({})</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        esc(run.run_id), esc(run.incident->event.id()), esc(run.incident->origin),
        esc(runtime::format_rfc3339(run.incident->at)), offset(r.result, run.incident->at), esc(run.log.runbook),
        run.ran() ? esc(run.log.status) : "did not run: " + esc(run.refused),
        contained ? show_duration(*contained) : "never");
  }
  out << "</table>\n<h3>Deadlines (when the drill ended)</h3>\n";
  out << "<table><tr><th>run</th><th>obligation</th><th>regulation</th><th>due</th><th>met</th><th>status</th></tr>\n";
  std::size_t clocks = 0;
  for (const auto& run : r.result.runs) {
    clocks += run.log.deadlines.size();
    for (const auto& c : run.log.deadlines) {
      out << fmt::format(
          "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td "
          "class=\"{}\">{}</td></tr>\n",
          esc(run.run_id), esc(c.obligation), esc(c.regulation), esc(c.due_at), esc(c.met_at),
          c.status == "met"       ? "pass"
          : c.status == "pending" ? ""
                                  : "fail",
          esc(c.status));
    }
  }
  if (clocks == 0) out << "<tr><td colspan=\"6\">none: no run's regulations bring in an obligation</td></tr>\n";
  out << "</table>\n";
}

void timeline_table(std::ostream& out, const ExerciseReport& r) {
  out << "<h3>Timeline</h3>\n<table><tr><th>when</th><th>time (UTC)</th><th>run</th><th>kind</th><th>what</th></tr>\n";
  for (const auto& row : timeline(r.result)) {
    out << fmt::format(
        "<tr class=\"{}\"><td class=\"t\">{}</td><td class=\"t\">{}</td><td><code>{}</code></td><td "
        "class=\"k\">{}</td><td>{}</td></tr>\n",
        esc(row.kind), offset(r.result, row.at), esc(runtime::format_rfc3339(row.at)), esc(row.run_id), esc(row.kind),
        esc(row.text));
  }
  out << "</table>\n";
}

}  // namespace

void write_html(std::ostream& out, const std::vector<ExerciseReport>& reports) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>writ exercise report</title>\n<style>"
      << kStyle << "</style></head>\n<body><main>\n<h1>writ exercise report</h1>\n";
  out << fmt::format(
      "<div class=\"sub\">{} exercise{} run on a virtual clock with simulated connectors and approvers</div>\n",
      reports.size(), reports.size() == 1 ? "" : "s");
  cards(out, reports);
  for (const auto& r : reports) {
    out << fmt::format("<section>\n<h2>{} {}</h2>\n", r.passed() ? "&#10003;" : "&#10007;", esc(r.name));
    out << fmt::format(
        "<dl><dt>file</dt><dd><code>{}</code></dd><dt>clock</dt><dd>{}</dd><dt>simulated</dt><dd>{}</dd>"
        "<dt>faults injected</dt><dd>{}</dd></dl>\n",
        esc(r.file), esc(runtime::format_rfc3339(r.result.start)),
        show_duration(std::chrono::duration_cast<Millis>(r.result.end - r.result.start)), r.result.faults.size());
    expectations(out, r);
    runs(out, r);
    timeline_table(out, r);
    out << "</section>\n";
  }
  out << "</main></body></html>\n";
}

}  // namespace writ::exercise
