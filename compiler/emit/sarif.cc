// `--format sarif` (DESIGN §7): SARIF 2.1.0, one run. rules[] comes from the rule table;
// columns are code points (run.columnKind "unicodeCodePoints"); whole-file findings carry a
// location without a region; source-less ones are located at their first located note, or
// carry no location. Help lines and unlocated notes follow the message text (code-scanning UIs
// show only that); located notes become relatedLocations. Suppressed findings are listed with
// suppressions[].justification.
#include <nlohmann/json.hpp>

#include "compiler/emit/emit.h"
#include "compiler/emit/common.h"

namespace writ {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kSchema =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

// How to fix a finding; a switch so that a new rule without advice does not compile (-Wswitch).
std::string_view remedy(Rule rule) {
  switch (rule) {
    case Rule::Syntax: return "Fix the YAML or DSL at the reported position; the message says what was expected.";
    case Rule::UnknownKey: return "Remove or rename the key; the help line names the closest key of the runbook form.";
    case Rule::UnknownAction:
      return "Use an action or rollback declared in the catalog (the stdlib or a --catalog file), or declare it in "
             "an organisation catalog passed with --catalog.";
    case Rule::ActionArguments: return "Pass every parameter the action declares exactly once, and no others.";
    case Rule::TemplateBinding:
      return "Refer only to bound variables and to fields of the event schema (for example `event.host_id`), and "
             "give each parameter a value of its declared type.";
    case Rule::ApprovalCoverage:
      return "Add `requires_approval: true` (the roles the policy requires at the runbook's severity) or list every "
             "required approver role.";
    case Rule::RollbackCompleteness:
      return "Declare the action's inverse as the step's rollback, bound to the same target.";
    case Rule::RegulatoryDeadline:
      return "Add a notify step that always runs (no `when`) and satisfies the obligation within its deadline, and "
             "keep the approval and step timeouts before it inside that deadline.";
    case Rule::EvidencePath: return "Use an absolute path without `..` inside one of the policy's evidence roots.";
    case Rule::DuplicateStep: return "Give every step of a runbook its own id.";
    case Rule::InvalidSuppression:
      return "Name a known rule and give a `reason=\"...\"` in the `writ:ignore` comment; renew or remove it when it "
             "expires.";
    case Rule::ApprovalTimeout:
      return "Give the approval an explicit timeout; without one the policy's default (60 minutes) is assumed.";
    case Rule::DeadStep:
      return "Remove the step, or give it a condition that can hold; a step that never runs meets no obligation.";
    case Rule::SeverityCoverage:
      return "Add a playbook for every severity the policy defines, or check all runbooks in one call.";
    case Rule::InputLimit: return "Split or simplify the input; the limits guard against oversized or hostile files.";
  }
  return "";
}

std::string_view level(Severity severity) { return severity_name(severity); }  // same words in SARIF

// "template-binding" -> "TemplateBinding" (SARIF reportingDescriptor.name).
std::string pascal_case(std::string_view id) {
  std::string name;
  bool upper = true;
  for (char c : id) {
    if (c == '-') {
      upper = true;
      continue;
    }
    name += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return name;
}

std::string sentence(std::string_view text) {
  std::string out(text);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out + ".";
}

Json rule_json(const RuleInfo& info) {
  const std::string description = sentence(info.summary);
  Json rule;
  rule["id"] = info.id;
  rule["name"] = pascal_case(info.id);
  rule["shortDescription"] = {{"text", info.summary}};
  rule["fullDescription"] = {{"text", description}};
  rule["help"] = {{"text", description + " " + std::string(remedy(info.rule))},
                  {"markdown", "**" + std::string(info.id) + "** (" + std::string(severity_name(info.severity)) +
                                   "): " + description + "\n\n" + std::string(remedy(info.rule))}};
  rule["defaultConfiguration"] = {{"level", level(info.severity)}};
  return rule;
}

// Percent-encodes everything but unreserved characters and '/'; an absolute path becomes a
// file:// URI, a relative one stays relative (resolved against the checkout by consumers).
std::string uri_of(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = !path.empty() && path[0] == '/' ? "file://" : "";
  for (char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      uri += c;
    } else {
      uri += '%';
      uri += kHex[byte >> 4];
      uri += kHex[byte & 0xf];
    }
  }
  return uri;
}

Json region_json(const emit_detail::Region& region) {
  return {{"startLine", region.start.line},
          {"startColumn", region.start.column},
          {"endLine", region.end.line},
          {"endColumn", region.end.column}};
}

Json physical_location(const std::string& path, const std::optional<emit_detail::Region>& region) {
  Json location;
  location["artifactLocation"] = {{"uri", uri_of(path)}};
  if (region) location["region"] = region_json(*region);
  return location;
}

std::string message_text(const Diagnostic& d) {
  std::string text = d.message;
  for (const auto& help : d.help) text += "\nhelp: " + help;
  for (const auto& note : d.notes) {
    if (!note.source) text += "\nnote: " + note.message;
  }
  return text;
}

Json note_location(const Note& note) {
  Json location;
  location["physicalLocation"] = physical_location(emit_detail::normalized_path(note.source->path()),
                                                   emit_detail::region_of(*note.source, note.span));
  location["message"] = {{"text", note.message}};
  return location;
}

// GitHub code scanning rejects a whole upload for one result without a location, so a
// source-less finding is anchored at its first located note when it has one.
const Note* anchor_note(const Diagnostic& d) {
  if (d.source) return nullptr;
  for (const auto& note : d.notes) {
    if (note.source) return &note;
  }
  return nullptr;
}

Json locations(const Diagnostic& d, const Note* anchor) {
  if (anchor) return Json::array({note_location(*anchor)});
  if (!d.source) return Json::array();
  Json location;
  location["physicalLocation"] = physical_location(emit_detail::normalized_path(d), emit_detail::region_of(d));
  return Json::array({std::move(location)});
}

Json related_locations(const Diagnostic& d, const Note* anchor) {
  Json related = Json::array();
  for (const auto& note : d.notes) {
    if (!note.source || &note == anchor) continue;
    Json location = note_location(note);
    location["id"] = related.size();
    related.push_back(std::move(location));
  }
  return related;
}

Json result_json(const Diagnostic& d, const std::string& fingerprint_v1) {
  const Note* anchor = anchor_note(d);
  Json result;
  result["ruleId"] = rule_info(d.rule).id;
  result["ruleIndex"] = static_cast<std::size_t>(d.rule);  // all_rules() is in enum order
  result["level"] = level(d.severity);
  result["message"] = {{"text", message_text(d)}};
  if (Json where = locations(d, anchor); !where.empty()) result["locations"] = std::move(where);
  if (Json related = related_locations(d, anchor); !related.empty()) result["relatedLocations"] = std::move(related);
  result["partialFingerprints"] = {{"writ/v1", fingerprint_v1}};
  result["properties"] = {{"runbook", d.runbook}, {"step", d.step}};
  if (d.suppressed_by) {
    Json suppression;
    suppression["kind"] = "inSource";
    suppression["justification"] = *d.suppressed_by;
    result["suppressions"] = Json::array({std::move(suppression)});
  }
  return result;
}

}  // namespace

std::string emit_detail::sarif_body(const Diagnostic& d) {
  return indented(result_json(d, "").dump(2, ' ', false, Json::error_handler_t::replace), 8);
}

std::string emit_detail::sarif_document(const EmitOptions& options) {
  Json driver;
  driver["name"] = "writ";
  if (!options.tool_version.empty()) driver["version"] = options.tool_version;
  if (!options.information_uri.empty()) driver["informationUri"] = options.information_uri;
  driver["rules"] = Json::array();
  for (const auto& info : all_rules()) driver["rules"].push_back(rule_json(info));

  Json run;
  run["tool"] = {{"driver", std::move(driver)}};
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = Json::array();

  Json root;
  root["$schema"] = kSchema;
  root["version"] = "2.1.0";
  root["runs"] = Json::array({std::move(run)});
  return root.dump(2, ' ', false, Json::error_handler_t::replace);
}

void emit_sarif(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options) {
  emit_detail::emit_all(out, Format::Sarif, diagnostics, options);
}

}  // namespace writ
