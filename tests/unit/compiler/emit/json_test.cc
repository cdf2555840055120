#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/emit/emit.h"
#include "tests/unit/compiler/emit/fixtures.h"

using namespace writ;
using namespace writ::test;
using Json = nlohmann::ordered_json;

namespace {

Json emit(const std::vector<Diagnostic>& diagnostics, std::size_t files) {
  EmitOptions options;
  options.files = files;
  std::ostringstream out;
  emit_json(out, diagnostics, options);
  return Json::parse(out.str());
}

std::vector<std::string> keys(const Json& object) {
  std::vector<std::string> names;
  for (const auto& item : object.items()) names.push_back(item.key());
  return names;
}

}  // namespace

TEST_CASE("json: the documented object, keys in order, exclusive ends", "[emit]") {
  auto src = make_source("runbooks/x.yaml", "id: rb\nsteps:\n  - id: isolate\n    target: \"{{event.hostid}}\"\n");
  auto d = make_diagnostic(Rule::TemplateBinding, src, span_of(*src, "hostid"), "`event` has no field `hostid`", "rb",
                           "isolate");
  d.help.push_back("did you mean `host_id`?");
  const Json root = emit({d}, 1);

  CHECK(keys(root) == std::vector<std::string>{"version", "files", "diagnostics", "summary"});
  CHECK(root["version"] == 1);
  CHECK(root["files"] == 1);
  CHECK(root["summary"] == Json::parse(R"({"errors":1,"warnings":0,"notes":0})"));
  REQUIRE(root["diagnostics"].size() == 1);
  const Json& item = root["diagnostics"][0];
  CHECK(keys(item) == std::vector<std::string>{"rule", "severity", "file", "line", "column", "end_line", "end_column",
                                               "message", "runbook", "step", "whole_file", "help", "notes"});
  CHECK(item["whole_file"] == false);
  CHECK(item["rule"] == "template-binding");
  CHECK(item["severity"] == "error");
  CHECK(item["file"] == "runbooks/x.yaml");
  CHECK(item["line"] == 4);
  CHECK(item["column"] == 22);
  CHECK(item["end_line"] == 4);
  CHECK(item["end_column"] == 28);  // one past `hostid`
  CHECK(item["message"] == "`event` has no field `hostid`");
  CHECK(item["runbook"] == "rb");
  CHECK(item["step"] == "isolate");
  CHECK(item["help"] == Json::array({"did you mean `host_id`?"}));
  CHECK(item["notes"] == Json::array());
}

TEST_CASE("json: multi-line and empty spans, UTF-8 columns", "[emit]") {
  auto src = make_source("m.writ", "é step {\n  x\n}");
  auto across = make_diagnostic(Rule::Syntax, src, {span_of(*src, "step").begin, span_of(*src, "x").end}, "a");
  const auto end = static_cast<std::uint32_t>(src->text().size());
  auto at_end = make_diagnostic(Rule::Syntax, src, {end, end}, "b");
  const Json root = emit({across, at_end}, 1);
  const Json& first = root["diagnostics"][0];
  CHECK(first["line"] == 1);
  CHECK(first["column"] == 3);  // "é" is one code point, two bytes
  CHECK(first["end_line"] == 2);
  CHECK(first["end_column"] == 4);
  const Json& second = root["diagnostics"][1];
  CHECK(second["line"] == 3);
  CHECK(second["column"] == 2);
  CHECK(second["end_line"] == 3);
  CHECK(second["end_column"] == 2);
}

TEST_CASE("json: whole-file and source-less findings are at 1:1 with whole_file, empty ids stay", "[emit]") {
  auto src = make_source("big.yaml", "x: 1\n");
  auto big = whole_file(Rule::InputLimit, src, "too big");
  auto coverage = make_diagnostic(Rule::SeverityCoverage, nullptr, {}, "no playbook for `low`");
  const Json root = emit({big, coverage}, 4);
  const Json& file_level = root["diagnostics"][0];
  CHECK(file_level["file"] == "big.yaml");
  for (const char* key : {"line", "column", "end_line", "end_column"}) CHECK(file_level[key] == 1);
  CHECK(file_level["whole_file"] == true);
  CHECK(file_level["runbook"] == "");
  CHECK(file_level["step"] == "");
  const Json& no_file = root["diagnostics"][1];
  CHECK(no_file["file"].is_null());
  CHECK(no_file["line"] == 1);
  CHECK(no_file["whole_file"] == true);
  CHECK(no_file["severity"] == "warning");
  CHECK(root["summary"] == Json::parse(R"({"errors":1,"warnings":1,"notes":0})"));
  CHECK(root["files"] == 4);
}

TEST_CASE("json: suppressed findings are neither listed nor counted, notes carry positions", "[emit]") {
  auto src = make_source("a.yaml", "id: a\nsteps: []\n");
  auto policy = make_source("policy.writ", "policy {\n  approval_timeout 60m\n}\n");
  auto shown = make_diagnostic(Rule::ApprovalTimeout, src, span_of(*src, "steps"), "no timeout");
  shown.notes.push_back({"default here", policy, span_of(*policy, "60m")});
  shown.notes.push_back({"assumed", nullptr, {}});
  auto hidden = make_diagnostic(Rule::DuplicateStep, src, span_of(*src, "id"), "dup");
  hidden.suppressed_by = "known";
  const Json root = emit({hidden, shown}, 1);
  REQUIRE(root["diagnostics"].size() == 1);
  CHECK(root["diagnostics"][0]["rule"] == "approval-timeout");
  CHECK(root["summary"] == Json::parse(R"({"errors":0,"warnings":1,"notes":0})"));
  const Json& notes = root["diagnostics"][0]["notes"];
  CHECK(notes[0] == Json::parse(R"({"message":"default here","file":"policy.writ","line":2,"column":20,
                                    "end_line":2,"end_column":23})"));
  CHECK(notes[1]["file"].is_null());
  CHECK(notes[1]["message"] == "assumed");
}

TEST_CASE("json: invalid UTF-8 in a message is replaced, never thrown", "[emit]") {
  auto d = make_diagnostic(Rule::Syntax, make_source("b.yaml", "\xff\n"), {0, 1}, "bad byte \xff here");
  const Json root = emit({d}, 1);
  CHECK(root["diagnostics"][0]["message"] == "bad byte \xEF\xBF\xBD here");
}

TEST_CASE("json: the summary counts notes beside errors and warnings", "[emit]") {
  auto src = make_source("a.writ", "runbook a {\n  step isolate = isolate_host(target: event.host_id)\n}\n");
  auto note = make_diagnostic(Rule::ApprovalCoverage, src, span_of(*src, "isolate"), "exempt", "a", "isolate");
  note.severity = Severity::Note;
  auto suppressed = note;
  suppressed.suppressed_by = "known";
  const Json root = emit({note, suppressed}, 1);
  CHECK(keys(root["summary"]) == std::vector<std::string>{"errors", "warnings", "notes"});
  CHECK(root["summary"] == Json::parse(R"({"errors":0,"warnings":0,"notes":1})"));
  CHECK(root["diagnostics"][0]["severity"] == "note");
}
