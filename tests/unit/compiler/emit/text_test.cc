#include <catch2/catch.hpp>
#include <sstream>

#include "compiler/emit/emit.h"
#include "tests/unit/compiler/emit/fixtures.h"

using namespace writ;
using namespace writ::test;

namespace {

// Eleven lines before the interesting one, so the snippet's line number has two digits.
std::string padded_runbook(const std::string& line) {
  std::string text = "id: contain_host\nseverity: high\nsteps:\n";
  for (int i = 4; i <= 10; ++i) text += "  # filler " + std::to_string(i) + "\n";
  text += "  - id: isolate\n";
  text += line + "\n";
  text += "    rollback: restore_host\n";
  return text;
}

std::string emit(const std::vector<Diagnostic>& diagnostics, EmitOptions options = {}) {
  std::ostringstream out;
  emit_text(out, diagnostics, options);
  return out.str();
}

}  // namespace

TEST_CASE("text: header, snippet with a two-digit gutter, carets and help", "[emit]") {
  auto src = make_source("runbooks/x.yaml", padded_runbook(R"(    target: "{{event.hostid}}")"));
  auto d = make_diagnostic(Rule::TemplateBinding, src, span_of(*src, "hostid"), "`event` has no field `hostid`");
  d.help.push_back("did you mean `host_id`?");
  CHECK(format_diagnostic(d) ==
        R"(runbooks/x.yaml:12:22: error[template-binding]: `event` has no field `hostid`
   |
12 |     target: "{{event.hostid}}"
   |                      ^^^^^^
   = help: did you mean `host_id`?

)");
}

TEST_CASE("text: one-digit gutter, warning, notes with and without a location", "[emit]") {
  auto src = make_source("rb.yaml", "id: a\napproval:\n  roles: [ciso]\n");
  auto other = make_source("stdlib/policy.writ", "policy default {\n  approval_timeout 60m\n}\n");
  auto d = make_diagnostic(Rule::ApprovalTimeout, src, span_of(*src, "approval"), "approval has no timeout");
  d.notes.push_back({"the default is declared here", other, span_of(*other, "approval_timeout")});
  d.notes.push_back({"60 minutes are assumed", nullptr, {}});
  CHECK(format_diagnostic(d) == R"(rb.yaml:2:1: warning[approval-timeout]: approval has no timeout
  |
2 | approval:
  | ^^^^^^^^
  = note: stdlib/policy.writ:2:3: the default is declared here
  = note: 60 minutes are assumed

)");
}

TEST_CASE("text: tabs before the span stay tabs in the caret line", "[emit]") {
  auto src = make_source("t.yaml", "steps:\n\t- id:\tisolate\n");
  auto d = make_diagnostic(Rule::Syntax, src, span_of(*src, "isolate"), "tabs are not allowed in YAML indentation");
  CHECK(format_diagnostic(d) ==
        "t.yaml:2:8: error[syntax]: tabs are not allowed in YAML indentation\n"
        "  |\n"
        "2 | \t- id:\tisolate\n"
        "  | \t     \t^^^^^^^\n"
        "\n");
}

TEST_CASE("text: columns and carets count UTF-8 code points", "[emit]") {
  auto src = make_source("u.yaml", "name: \"Zürich – 東京\" # ok\n");
  auto d = make_diagnostic(Rule::UnknownKey, src, span_of(*src, "東京"), "unknown city");
  CHECK(format_diagnostic(d) == R"(u.yaml:1:17: error[unknown-key]: unknown city
  |
1 | name: "Zürich – 東京" # ok
  |                 ^^
)"
                                "\n");
}

TEST_CASE("text: a span crossing lines carets to the end of its first line", "[emit]") {
  auto src = make_source("m.yaml", "run: |\n  first line\n  second line\n");
  Span span{span_of(*src, "line").begin, span_of(*src, "second").end};
  auto d = make_diagnostic(Rule::TemplateBinding, src, span, "block spans lines");
  CHECK(format_diagnostic(d) == R"(m.yaml:2:9: error[template-binding]: block spans lines
  |
2 |   first line
  |         ^^^^
)"
                                "\n");
}

TEST_CASE("text: empty spans and spans at the end of the file get one caret", "[emit]") {
  SECTION("empty span inside a line") {
    auto src = make_source("e.writ", "step a { }\n");
    Span point{span_of(*src, "}").begin, span_of(*src, "}").begin};
    auto d = make_diagnostic(Rule::Syntax, src, point, "expected an action");
    CHECK(format_diagnostic(d) ==
          "e.writ:1:10: error[syntax]: expected an action\n"
          "  |\n"
          "1 | step a { }\n"
          "  |          ^\n"
          "\n");
  }
  SECTION("end of a file without a final newline") {
    auto src = make_source("e.writ", "step a {");
    const auto end = static_cast<std::uint32_t>(src->text().size());
    auto d = make_diagnostic(Rule::Syntax, src, {end, end}, "unexpected end of file");
    CHECK(format_diagnostic(d) ==
          "e.writ:1:9: error[syntax]: unexpected end of file\n"
          "  |\n"
          "1 | step a {\n"
          "  |         ^\n"
          "\n");
  }
  SECTION("end of a file after its final newline: the empty last line") {
    auto src = make_source("e.writ", "step a {\n");
    const auto end = static_cast<std::uint32_t>(src->text().size());
    auto d = make_diagnostic(Rule::Syntax, src, {end, end + 5}, "unexpected end of file");
    CHECK(format_diagnostic(d) ==
          "e.writ:2:1: error[syntax]: unexpected end of file\n"
          "  |\n"
          "2 |\n"
          "  | ^\n"
          "\n");
  }
  SECTION("a span past the text is clamped, never read out of bounds") {
    auto src = make_source("e.writ", "x");
    auto d = make_diagnostic(Rule::Syntax, src, {40, 90}, "bad span");
    CHECK(format_diagnostic(d) == "e.writ:1:2: error[syntax]: bad span\n  |\n1 | x\n  |  ^\n\n");
  }
}

TEST_CASE("text: whole-file and source-less findings print only the header", "[emit]") {
  auto src = make_source("runbooks/big.yaml", "id: x\n");
  auto d = whole_file(Rule::InputLimit, src, "file is larger than 8 MiB");
  d.help.push_back("split the runbook");
  CHECK(format_diagnostic(d) ==
        "runbooks/big.yaml: error[input-limit]: file is larger than 8 MiB\n"
        "  = help: split the runbook\n"
        "\n");

  Diagnostic coverage = make_diagnostic(Rule::SeverityCoverage, nullptr, {}, "no playbook for severity `low`");
  CHECK(format_diagnostic(coverage) == "warning[severity-coverage]: no playbook for severity `low`\n\n");
}

TEST_CASE("text: CRLF lines, control characters and bidi controls are shown safely", "[emit]") {
  // "\xE2\x80\xAE" is U+202E RIGHT-TO-LEFT OVERRIDE; each replaced code point keeps its column.
  auto src = make_source("c.yaml", "a: 1\r\nkey\x1b[2J: \xE2\x80\xAEvalue\r\n");
  auto d = make_diagnostic(Rule::UnknownKey, src, span_of(*src, "value"), "bad \x07value");
  CHECK(format_diagnostic(d) ==
        "c.yaml:2:11: error[unknown-key]: bad \xEF\xBF\xBDvalue\n"
        "  |\n"
        "2 | key\xEF\xBF\xBD[2J: \xEF\xBF\xBDvalue\n"
        "  |           ^^^^^\n"
        "\n");
}

TEST_CASE("text: a multi-line help continues under its first line", "[emit]") {
  auto src = make_source("h.yaml", "k: v\n");
  auto d = make_diagnostic(Rule::UnknownKey, src, span_of(*src, "k"), "unknown key `k`");
  d.help.push_back("keys of a step:\nid, action, target");
  CHECK(format_diagnostic(d) ==
        "h.yaml:1:1: error[unknown-key]: unknown key `k`\n"
        "  |\n"
        "1 | k: v\n"
        "  | ^\n"
        "  = help: keys of a step:\n"
        "          id, action, target\n"
        "\n");
}

TEST_CASE("text: colour only when asked", "[emit]") {
  auto src = make_source("r.yaml", "k: v\n");
  auto d = make_diagnostic(Rule::UnknownKey, src, span_of(*src, "k"), "unknown key");
  d.help.push_back("remove it");
  const std::string plain = format_diagnostic(d, false);
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(format_diagnostic(d, true) ==
        "r.yaml:1:1: \x1b[1;31merror[unknown-key]\x1b[0m: \x1b[1munknown key\x1b[0m\n"
        "  \x1b[1;34m|\x1b[0m\n"
        "\x1b[1;34m1 |\x1b[0m k: v\n"
        "  \x1b[1;34m|\x1b[0m \x1b[1;34m^\x1b[0m\n"
        "  \x1b[1;34m=\x1b[0m \x1b[1mhelp\x1b[0m: remove it\n"
        "\n");
  d.rule = Rule::ApprovalTimeout;
  d.severity = Severity::Warning;
  CHECK(format_diagnostic(d, true).find("\x1b[1;33mwarning[approval-timeout]\x1b[0m") != std::string::npos);
  d.severity = Severity::Note;
  CHECK(format_diagnostic(d, true).find("\x1b[1;36mnote[approval-timeout]\x1b[0m") != std::string::npos);
}

TEST_CASE("text: emit_text prints every finding, a blank line after each, then the summary", "[emit]") {
  auto src = make_source("runbooks/a.yaml", "id: a\nsteps: []\nfoo: 1\n");
  auto error = make_diagnostic(Rule::UnknownKey, src, span_of(*src, "foo"), "unknown key `foo`");
  auto warning = make_diagnostic(Rule::ApprovalTimeout, src, span_of(*src, "steps"), "no timeout");
  auto suppressed = make_diagnostic(Rule::DuplicateStep, src, span_of(*src, "id"), "duplicate");
  suppressed.suppressed_by = "migrated from the old runbook";
  std::vector<Diagnostic> all{suppressed, warning, error};

  EmitOptions options;
  options.files = 1;
  CHECK(emit(all, options) == R"(runbooks/a.yaml:2:1: warning[approval-timeout]: no timeout
  |
2 | steps: []
  | ^^^^^

runbooks/a.yaml:3:1: error[unknown-key]: unknown key `foo`
  |
3 | foo: 1
  | ^^^

writ: 1 error, 1 warning in 1 file
)");

  options.show_suppressed = true;
  options.files = 3;
  const std::string shown = emit(all, options);
  CHECK(shown.rfind(R"(runbooks/a.yaml:1:1: error[duplicate-step]: duplicate
  |
1 | id: a
  | ^^
  = suppressed: migrated from the old runbook

)",
                    0) == 0);
  CHECK(shown.ends_with("writ: 1 error, 1 warning in 3 files\n"));
}

TEST_CASE("text: the summary is printed also without findings", "[emit]") {
  EmitOptions options;
  options.files = 2;
  CHECK(emit({}, options) == "writ: 0 errors, 0 warnings in 2 files\n");
  auto src = make_source("a.yaml", "a\nb\n");
  std::vector<Diagnostic> two{make_diagnostic(Rule::Syntax, src, span_of(*src, "a"), "x"),
                              make_diagnostic(Rule::Syntax, src, span_of(*src, "b"), "y")};
  CHECK(emit(two, options).ends_with("\nwrit: 2 errors, 0 warnings in 2 files\n"));
}
