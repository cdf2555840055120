#include "compiler/catalog.h"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/text.h"

namespace writ {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<expr::Type> resolve_type(const Catalog& catalog, const ast::Name& type, const SourcePtr& source,
                                       DiagnosticSink& sink) {
  auto parsed = expr::parse_type_name(type.value, catalog.nominals);
  if (!parsed) {
    auto& d = sink.report(Rule::Syntax, source, type.span, fmt::format("unknown type `{}`", type.value));
    std::vector<std::string> names(catalog.nominals.begin(), catalog.nominals.end());
    for (const char* scalar : {"string", "int", "float", "bool", "duration", "timestamp"}) names.emplace_back(scalar);
    if (auto hint = did_you_mean(type.value, names)) d.help.push_back(fmt::format("did you mean `{}`?", *hint));
  }
  return parsed;
}

}  // namespace

void add_type_declarations(Catalog& catalog, const ast::File& file) {
  for (const auto& decl : file.types) {
    for (const auto& name : decl.names) catalog.nominals.insert(name.value);
  }
  for (const auto& decl : file.enums) {
    catalog.nominals.insert(decl.type.value);
    auto& values = catalog.enums[decl.type.value];
    for (const auto& value : decl.values) values.insert(value.value);
  }
}

namespace {

void add_event(Catalog& catalog, const ast::File& file, DiagnosticSink& sink) {
  for (const auto& decl : file.events) {
    catalog.default_event.clear();
    for (const auto& field : decl.fields) {
      auto type = resolve_type(catalog, field.type, file.source, sink);
      catalog.default_event.push_back({field.name.value, type.value_or(expr::Type::error())});
    }
  }
}

// `returns { NAME: TYPE }`: each output once, of a known type.
void add_returns(const Catalog& catalog, const ast::ActionDecl& decl, ActionInfo& info, const ast::File& file,
                 DiagnosticSink& sink) {
  for (const auto& output : decl.returns) {
    auto same = [&](const ir::Output& o) { return o.name == output.name.value; };
    if (std::any_of(info.returns.begin(), info.returns.end(), same)) {
      sink.report(Rule::Syntax, file.source, output.name.span,
                  fmt::format("action `{}` declares the output `{}` twice", decl.name.value, output.name.value));
      continue;
    }
    auto type = resolve_type(catalog, output.type, file.source, sink);
    info.returns.push_back({output.name.value, type.value_or(expr::Type::error())});
  }
}

void add_actions(Catalog& catalog, const ast::File& file, DiagnosticSink& sink) {
  for (const auto& decl : file.actions) {
    ActionInfo info;
    info.name = decl.name.value;
    for (const auto& param : decl.params) {
      auto type = resolve_type(catalog, param.type, file.source, sink);
      info.params.push_back({param.name.value, type.value_or(expr::Type::error()), param.optional});
    }
    info.effect = decl.effect.value;
    if (!catalog.effects.contains(info.effect)) {
      sink.report(Rule::Syntax, file.source, decl.effect.span,
                  fmt::format("unknown effect `{}` (one of {})", info.effect, fmt::join(kEffects, ", ")));
    }
    if (decl.inverse) info.inverse = decl.inverse->value;
    if (decl.timeout_seconds) info.timeout_seconds = decl.timeout_seconds->value;
    if (decl.doc) info.doc = decl.doc->value;
    add_returns(catalog, decl, info, file, sink);
    catalog.actions[info.name] = std::move(info);
  }
}

}  // namespace

void check_action_inverses(const Catalog& catalog, const ast::File& file, DiagnosticSink& sink) {
  for (const auto& decl : file.actions) {
    if (decl.inverse && !catalog.actions.contains(decl.inverse->value)) {
      sink.report(Rule::UnknownAction, file.source, decl.inverse->span,
                  fmt::format("inverse `{}` of action `{}` is not in the catalog", decl.inverse->value, decl.name.value));
    }
  }
}

namespace {

void add_regulations(Catalog& catalog, const ast::File& file) {
  for (const auto& decl : file.regulations) {
    RegulationInfo info;
    info.name = decl.name.value;
    info.regime = decl.regime.value;
    for (const auto& tag : decl.tags) info.tags.push_back(tag.value);
    for (const auto& ob : decl.obligations) {
      ObligationInfo o;
      o.id = info.name + "." + ob.id.value;
      o.regime = info.regime;
      o.title = ob.title.value;
      if (ob.deadline_seconds) o.deadline_seconds = ob.deadline_seconds->value;
      o.deadline_text = ob.deadline_text;
      o.conditional = ob.conditional;
      o.trigger = ob.trigger;
      o.notify = ob.notify;
      o.citation = ob.citation;
      info.obligations.push_back(o.id);
      catalog.obligations[o.id] = std::move(o);
    }
    catalog.regulations[info.name] = std::move(info);
  }
}

// `required` or `optional`; anything else is reported (with a did-you-mean) and counts as
// `required`, the stricter reading.
bool approver_identity(const ast::Name& level, const ast::File& file, DiagnosticSink& sink) {
  static const std::vector<std::string> levels{"required", "optional"};
  if (level.value == "optional") return false;
  if (level.value != "required") {
    auto hint = did_you_mean(level.value, levels);
    sink.report(Rule::Syntax, file.source, level.span,
                fmt::format("unknown approver_identity `{}`; {}", level.value,
                            hint ? fmt::format("did you mean `{}`?", *hint) : "expected `required` or `optional`"));
  }
  return true;
}

void add_policies(Catalog& catalog, const ast::File& file, DiagnosticSink& sink) {
  const auto& roles = catalog.enums["role"];
  for (const auto& decl : file.policies) {
    PolicyInfo info;
    info.name = decl.name.value;
    for (const auto& level : decl.severities) {
      auto& l = info.severities[level.severity.value];
      info.severity_order.push_back(level.severity.value);
      for (const auto& role : level.roles) {
        if (!roles.contains(role.value)) {
          sink.report(Rule::Syntax, file.source, role.span, fmt::format("unknown role `{}`", role.value));
        }
        l.roles.push_back(role.value);
      }
      for (const auto& effect : level.effects) {
        if (!catalog.effects.contains(effect.value)) {
          sink.report(Rule::Syntax, file.source, effect.span, fmt::format("unknown effect `{}`", effect.value));
        }
        l.effects.insert(effect.value);
      }
    }
    if (decl.approval_timeout_seconds) info.approval_timeout_seconds = decl.approval_timeout_seconds->value;
    if (decl.step_timeout_seconds) info.step_timeout_seconds = decl.step_timeout_seconds->value;
    if (decl.asap_seconds) info.asap_seconds = decl.asap_seconds->value;
    for (const auto& root : decl.evidence_roots) info.evidence_roots.push_back(root.value);
    if (decl.approver_identity) info.approver_identity_required = approver_identity(*decl.approver_identity, file, sink);
    catalog.active_policy = info.name;
    catalog.policies[info.name] = std::move(info);
  }
}

}  // namespace

const PolicyInfo& Catalog::policy() const {
  static const PolicyInfo kEmpty{};
  auto it = policies.find(active_policy);
  return it == policies.end() ? kEmpty : it->second;
}

std::vector<std::string> Catalog::obligations_for_tag(const std::string& tag) const {
  std::vector<std::string> out;
  // An explicit obligation id ("gdpr.subjects" or "GDPR.subjects") names just that obligation.
  if (auto dot = tag.find('.'); dot != std::string::npos) {
    std::string head = lower(tag.substr(0, dot));
    std::string tail = lower(tag.substr(dot + 1));
    for (const auto& [name, reg] : regulations) {
      bool match = name == head || std::any_of(reg.tags.begin(), reg.tags.end(),
                                               [&](const std::string& t) { return lower(t) == head; });
      if (match && obligations.contains(name + "." + tail)) out.push_back(name + "." + tail);
    }
    return out;
  }
  for (const auto& [name, reg] : regulations) {
    bool match = std::any_of(reg.tags.begin(), reg.tags.end(), [&](const std::string& t) { return lower(t) == lower(tag); });
    if (!match) continue;
    for (const auto& id : reg.obligations) {
      if (!obligations.at(id).conditional) out.push_back(id);
    }
  }
  return out;
}

void add_declarations(Catalog& catalog, const ast::File& file, DiagnosticSink& sink) {
  add_type_declarations(catalog, file);
  add_event(catalog, file, sink);
  add_actions(catalog, file, sink);
  add_regulations(catalog, file);
  add_policies(catalog, file, sink);
}

}  // namespace writ
