// `--format json` (DESIGN §7): one object, keys in the documented order. Positions are
// 1-based, columns in code points, end_line/end_column exclusive (the position just after the
// span, as SARIF's endColumn). A whole-file or source-less finding (an oversized file,
// severity-coverage) is at 1:1-1:1 with "whole_file": true, so every position is an integer
// as the contract shows; "file" is null only for a finding about no file at all. Besides the
// contract keys each diagnostic carries "whole_file", "help" (strings) and "notes" (objects
// with message and, when located, file/line/column).
#include <nlohmann/json.hpp>

#include "compiler/emit/emit.h"
#include "compiler/emit/common.h"

namespace writ {

namespace {

using Json = nlohmann::ordered_json;

void put_region(Json& object, const std::optional<emit_detail::Region>& region) {
  if (!region) {
    for (const char* key : {"line", "column", "end_line", "end_column"}) object[key] = 1;
    return;
  }
  object["line"] = region->start.line;
  object["column"] = region->start.column;
  object["end_line"] = region->end.line;
  object["end_column"] = region->end.column;
}

Json note_json(const Note& note) {
  Json object;
  object["message"] = note.message;
  if (note.source) {
    object["file"] = note.source->path();
    put_region(object, emit_detail::region_of(*note.source, note.span));
  } else {
    object["file"] = nullptr;
    put_region(object, std::nullopt);
  }
  return object;
}

Json diagnostic_json(const Diagnostic& d) {
  Json object;
  object["rule"] = rule_info(d.rule).id;
  object["severity"] = severity_name(d.severity);
  object["file"] = d.source ? Json(d.source->path()) : Json(nullptr);
  auto region = emit_detail::region_of(d);
  put_region(object, region);
  object["message"] = d.message;
  object["runbook"] = d.runbook;
  object["step"] = d.step;
  object["whole_file"] = !region.has_value();
  object["help"] = d.help;
  object["notes"] = Json::array();
  for (const auto& note : d.notes) object["notes"].push_back(note_json(note));
  return object;
}

}  // namespace

namespace emit_detail {

std::string json_body(const Diagnostic& d) {
  // Messages may quote user text that is not valid UTF-8: replace, never throw.
  return indented(diagnostic_json(d).dump(2, ' ', false, Json::error_handler_t::replace), 4);
}

std::string json_document(std::size_t files, const Counts& counts) {
  Json root;
  root["version"] = 1;
  root["files"] = files;
  root["diagnostics"] = Json::array();
  root["summary"] = {{"errors", counts.errors}, {"warnings", counts.warnings}, {"notes", counts.notes}};
  return root.dump(2);
}

}  // namespace emit_detail

void emit_json(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options) {
  emit_detail::emit_all(out, Format::Json, diagnostics, options);
}

}  // namespace writ
