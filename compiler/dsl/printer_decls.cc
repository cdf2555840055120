// print_dsl for declarations: types, channels and roles, the event schema, actions,
// regulations and policies (see compiler/dsl/printer_support.h).
#include <algorithm>
#include <string>

#include "compiler/dsl/printer_support.h"

namespace writ::dsl_print {

namespace {

std::optional<Span> anchor_of(const std::vector<ast::Name>& names) {
  return names.empty() ? std::nullopt : std::optional<Span>(names.front().span);
}

std::string obligation_deadline(const ast::Obligation& o) {
  if (!o.deadline_seconds) return "asap";
  // Keep the unit as written (4bd, 1mo) when it still says the same length.
  if (!o.deadline_text.empty() && o.deadline_text != "asap") return o.deadline_text;
  return duration(o.deadline_seconds->value);
}

void print_obligation(Writer& w, const ast::Obligation& o) {
  std::string head = "obligation " + o.id.value + " " + quote(o.title.value) + " within " + obligation_deadline(o);
  if (o.conditional) head += " conditional";
  const std::pair<const char*, const std::string*> body[] = {
      {"trigger", &o.trigger}, {"notify", &o.notify}, {"cite", &o.citation}};
  bool any = std::any_of(std::begin(body), std::end(body), [](const auto& b) { return !b.second->empty(); });
  if (!any) {
    w.line(1, head, o.span);
    return;
  }
  w.line(1, head + " {", o.id.span);
  for (const auto& [keyword, value] : body) {
    if (!value->empty()) w.line(2, pad(keyword, 7) + quote(*value), std::nullopt);
  }
  w.close(1, o.span.end);
}

}  // namespace

void print_type(Writer& w, const ast::TypeDecl& decl) {
  w.line(0, "type " + join_names(decl.names), decl.span);
}

void print_enum(Writer& w, const ast::EnumDecl& decl) {
  w.line(0, decl.type.value + " " + join_names(decl.values), decl.span);
}

void print_event(Writer& w, const ast::EventDecl& decl) {
  w.line(0, "event {", Span{decl.span.begin, decl.span.begin});
  std::size_t width = 0;
  for (const auto& f : decl.fields) width = std::max(width, f.name.value.size() + 1);
  for (const auto& f : decl.fields) w.line(1, pad(f.name.value + ":", width) + f.type.value, f.name.span);
  w.close(0, decl.span.end);
}

void print_action(Writer& w, const ast::ActionDecl& decl) {
  std::string params;
  for (const auto& p : decl.params) {
    params += (params.empty() ? "" : ", ") + p.name.value + (p.optional ? "?" : "") + ": " + p.type.value;
  }
  w.line(0, "action " + decl.name.value + "(" + params + ") {", decl.name.span);
  if (!decl.effect.value.empty()) w.line(1, pad("effect", 7) + decl.effect.value, decl.effect.span);
  if (decl.inverse) w.line(1, pad("inverse", 7) + decl.inverse->value, decl.inverse->span);
  if (decl.timeout_seconds) {
    w.line(1, pad("timeout", 7) + w.duration(*decl.timeout_seconds), decl.timeout_seconds->span);
  }
  if (!decl.returns.empty()) {
    std::string outputs;
    for (const auto& o : decl.returns) outputs += (outputs.empty() ? "" : ", ") + o.name.value + ": " + o.type.value;
    w.line(1, pad("returns", 7) + "{ " + outputs + " }", decl.returns.front().name.span);
  }
  if (decl.doc) w.line(1, pad("doc", 7) + quote(decl.doc->value), decl.doc->span);
  w.close(0, decl.span.end);
}

void print_regulation(Writer& w, const ast::RegulationDecl& decl) {
  w.line(0, "regulation " + decl.name.value + " " + quote(decl.regime.value) + " {", decl.name.span);
  if (!decl.tags.empty()) w.line(1, "tag " + join_names(decl.tags), anchor_of(decl.tags));
  for (const auto& o : decl.obligations) print_obligation(w, o);
  w.close(0, decl.span.end);
}

void print_policy(Writer& w, const ast::PolicyDecl& decl) {
  w.line(0, "policy " + decl.name.value + " {", decl.name.span);
  std::size_t width = 0;
  for (const auto& s : decl.severities) width = std::max(width, s.severity.value.size());
  for (const auto& s : decl.severities) {
    std::string rule = s.roles.empty() && s.effects.empty()
                           ? "{ }"
                           : "{ approve " + join_names(s.roles) + " for " + join_names(s.effects) + " }";
    w.line(1, "severity " + pad(s.severity.value, width) + rule, s.span);
  }
  // Statement values line up; the longest keyword, approver_identity, widens the column only
  // when it is there.
  const std::size_t column = decl.approver_identity ? 17 : 16;
  const std::pair<const char*, const std::optional<ast::Located<std::int64_t>>*> durations[] = {
      {"approval_timeout", &decl.approval_timeout_seconds},
      {"step_timeout", &decl.step_timeout_seconds},
      {"asap", &decl.asap_seconds}};
  for (const auto& [keyword, value] : durations) {
    if (*value) w.line(1, pad(keyword, column) + w.duration(**value), (*value)->span);
  }
  if (!decl.evidence_roots.empty()) {
    std::string roots;
    for (const auto& r : decl.evidence_roots) roots += (roots.empty() ? "" : ", ") + quote(r.value);
    w.line(1, pad("evidence_roots", column) + roots, decl.evidence_roots.front().span);
  }
  if (decl.approver_identity) {
    w.line(1, pad("approver_identity", column) + decl.approver_identity->value, decl.approver_identity->span);
  }
  w.close(0, decl.span.end);
}

}  // namespace writ::dsl_print
