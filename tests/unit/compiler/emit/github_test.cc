#include <catch2/catch.hpp>
#include <sstream>

#include "compiler/emit/emit.h"
#include "tests/unit/compiler/emit/fixtures.h"

using namespace writ;
using namespace writ::test;

namespace {

std::string emit(const std::vector<Diagnostic>& diagnostics) {
  std::ostringstream out;
  emit_github(out, diagnostics, {});
  return out.str();
}

}  // namespace

TEST_CASE("github: one workflow command per finding, by severity", "[emit]") {
  auto src = make_source("runbooks/x.yaml", "id: rb\nsteps:\n  - target: \"{{event.hostid}}\"\n");
  auto error = make_diagnostic(Rule::TemplateBinding, src, span_of(*src, "hostid"), "`event` has no field `hostid`");
  error.help.push_back("did you mean `host_id`?");
  auto warning = make_diagnostic(Rule::ApprovalTimeout, src, span_of(*src, "steps"), "no timeout");
  auto note = make_diagnostic(Rule::ApprovalTimeout, src, span_of(*src, "id"), "a note");
  note.severity = Severity::Note;
  CHECK(emit({note, warning, error}) ==
        "::notice file=runbooks/x.yaml,line=1,col=1,endLine=1,endColumn=3,title=approval-timeout::a note\n"
        "::warning file=runbooks/x.yaml,line=2,col=1,endLine=2,endColumn=6,title=approval-timeout::no timeout\n"
        "::error file=runbooks/x.yaml,line=3,col=22,endLine=3,endColumn=28,title=template-binding::"
        "`event` has no field `hostid`%0Ahelp: did you mean `host_id`?\n");
}

TEST_CASE("github: escaping of messages and properties", "[emit]") {
  auto src = make_source("dir,with:odd%name.yaml", "k: v\n");
  auto d = make_diagnostic(Rule::UnknownKey, src, span_of(*src, "k"), "100% wrong:\r\nsecond, line");
  CHECK(emit({d}) ==
        "::error file=dir%2Cwith%3Aodd%25name.yaml,line=1,col=1,endLine=1,endColumn=2,title=unknown-key::"
        "100%25 wrong:%0D%0Asecond, line\n");
}

TEST_CASE("github: whole-file, source-less, notes and suppressed findings", "[emit]") {
  auto src = make_source("a.yaml", "id: a\n");
  auto big = whole_file(Rule::InputLimit, src, "too big");
  auto coverage = make_diagnostic(Rule::SeverityCoverage, nullptr, {}, "no playbook for `low`");
  auto with_notes = make_diagnostic(Rule::DuplicateStep, src, span_of(*src, "a"), "dup");
  with_notes.notes.push_back({"first here", src, span_of(*src, "id")});
  with_notes.notes.push_back({"ids must be unique", nullptr, {}});
  auto hidden = make_diagnostic(Rule::UnknownKey, src, span_of(*src, "id"), "hidden");
  hidden.suppressed_by = "reason";
  CHECK(emit({big, hidden, with_notes, coverage}) ==
        "::error file=a.yaml,title=input-limit::too big\n"
        "::error file=a.yaml,line=1,col=5,endLine=1,endColumn=6,title=duplicate-step::"
        "dup%0Anote: a.yaml:1:1: first here%0Anote: ids must be unique\n"
        "::warning title=severity-coverage::no playbook for `low`\n");
}
