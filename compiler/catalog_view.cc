#include "compiler/catalog_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "common/text.h"
#include "compiler/dsl/printer_support.h"  // dsl_print::duration: the catalog spells durations as the DSL does

namespace writ {

namespace {

using json = nlohmann::ordered_json;  // keys print in the contract's order

std::string param_type(const ActionParam& p) { return p.type.to_string() + (p.optional ? "?" : ""); }

std::string parameters(const ActionInfo& action) {
  std::vector<std::string> parts;
  for (const auto& p : action.params) parts.push_back(p.name + (p.optional ? "?" : "") + ": " + p.type.to_string());
  return join(parts, ", ");
}

std::string outputs(const ActionInfo& action) {
  std::vector<std::string> parts;
  for (const auto& o : action.returns) parts.push_back(o.name + ": " + o.type.to_string());
  return join(parts, ", ");
}

std::string case_folded(std::string text, int (*fold)(int)) {
  for (char& c : text) c = static_cast<char>(fold(static_cast<unsigned char>(c)));
  return text;
}

std::string first_tag(const RegulationInfo& regulation) {
  return regulation.tags.empty() ? regulation.name : regulation.tags.front();
}

// Regulations in the order an author looks them up: by the tag `comply` names.
std::vector<const RegulationInfo*> regulations_by_tag(const Catalog& catalog) {
  std::vector<const RegulationInfo*> out;
  for (const auto& [name, regulation] : catalog.regulations) out.push_back(&regulation);
  std::stable_sort(out.begin(), out.end(), [](const RegulationInfo* a, const RegulationInfo* b) {
    return case_folded(first_tag(*a), ::tolower) < case_folded(first_tag(*b), ::tolower);
  });
  return out;
}

std::vector<std::string> enum_values(const Catalog& catalog, const std::string& type) {
  auto it = catalog.enums.find(type);
  if (it == catalog.enums.end()) return {};
  return {it->second.begin(), it->second.end()};
}

// Minutes (or hours) as a YAML policy writes them: whole numbers stay integers.
json in_units(std::int64_t seconds, std::int64_t unit) {
  if (seconds % unit == 0) return seconds / unit;
  return static_cast<double>(seconds) / static_cast<double>(unit);
}

// ---- JSON

// Exactly the keys of DESIGN §8 ({name, effect, inverse, params, timeout, doc}), which scripts
// rely on: an action's outputs (`returns`) are shown by the text and md views.
json actions_json(const Catalog& catalog) {
  json out = json::array();
  for (const auto& [name, action] : catalog.actions) {
    json params = json::array();
    for (const auto& p : action.params) params.push_back({{"name", p.name}, {"type", param_type(p)}});
    out.push_back({{"name", name},
                   {"effect", action.effect},
                   {"inverse", action.inverse ? json(*action.inverse) : json(nullptr)},
                   {"params", params},
                   {"timeout", action.timeout_seconds ? json(dsl_print::duration(*action.timeout_seconds)) : json(nullptr)},
                   {"doc", action.doc}});
  }
  return out;
}

json event_json(const Catalog& catalog) {
  json out = json::array();
  for (const auto& field : catalog.default_event) out.push_back({{"name", field.name}, {"type", field.type.to_string()}});
  return out;
}

constexpr std::array<std::string_view, 6> kScalars = {"string", "int", "float", "bool", "duration", "timestamp"};

json types_json(const Catalog& catalog) {
  json out = json::array();
  for (auto scalar : kScalars) out.push_back({{"name", scalar}, {"kind", "scalar"}});
  for (const auto& name : catalog.nominals) {
    out.push_back({{"name", name}, {"kind", catalog.enums.contains(name) ? "enumeration" : "nominal"}});
  }
  return out;
}

json regulations_json(const Catalog& catalog) {
  json out = json::array();
  for (const auto* regulation : regulations_by_tag(catalog)) {
    json obligations = json::array();
    for (const auto& id : regulation->obligations) {
      const auto& o = catalog.obligations.at(id);
      obligations.push_back({{"id", id}, {"deadline", o.deadline_text}, {"citation", o.citation}, {"trigger", o.trigger}});
    }
    out.push_back({{"tag", first_tag(*regulation)}, {"name", regulation->regime}, {"obligations", obligations}});
  }
  return out;
}

json policy_json(const PolicyInfo& policy) {
  json severities = json::object();
  for (const auto& name : policy.severity_order) {
    const auto& level = policy.severities.at(name);
    json rule = json::object();
    if (!level.roles.empty() || !level.effects.empty()) rule = {{"approvers", level.roles}, {"effects", level.effects}};
    severities[name] = rule;
  }
  return {{"name", policy.name},
          {"severities", severities},
          {"approval_timeout_minutes", in_units(policy.approval_timeout_seconds, 60)},
          {"step_timeout_minutes", in_units(policy.step_timeout_seconds, 60)},
          {"asap_hours", in_units(policy.asap_seconds, 3600)},
          {"evidence_roots", policy.evidence_roots},
          {"approver_identity", policy.approver_identity_required ? "required" : "optional"}};
}

json section_json(const Catalog& catalog, std::string_view section) {
  if (section == "actions") return actions_json(catalog);
  if (section == "event") return event_json(catalog);
  if (section == "types") return types_json(catalog);
  if (section == "channels") return enum_values(catalog, "channel");
  if (section == "roles") return enum_values(catalog, "role");
  if (section == "regulations") return regulations_json(catalog);
  return policy_json(catalog.policy());
}

// ---- Text and markdown share one model: sections of titled tables.

struct Table {
  std::string heading;  // empty: none
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

struct Section {
  std::string title;
  std::string intro;
  std::vector<Table> tables;
};

// Cells hold markdown: names in backticks, and free text (a doc string, a citation, an
// evidence root — anything a stdlib or policy file says) escaped here with backslashes, so it
// can neither open a code span nor a link. Text output removes the markup again.
std::string free_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '`' || c == '[' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string or_dash(const std::string& text) { return text.empty() ? "–" : free_text(text); }

std::string code(std::string_view text) { return "`" + std::string(text) + "`"; }

Section actions_section(const Catalog& catalog) {
  Section out{"Actions",
              "Every action a step may call, grouped by effect (the policy decides which effects need approval). "
              "A reversible action names its `inverse`: a step calling it declares that inverse as its `rollback`. "
              "A parameter marked `?` is optional. An action's `returns` are the outputs a later step reads as "
              "`steps.ID.outputs.NAME`. Without a `timeout`, the policy's step timeout applies.",
              {}};
  for (auto effect : kEffects) {
    Table table{std::string(effect), {"action", "parameters", "returns", "inverse", "timeout", "description"}, {}};
    for (const auto& [name, action] : catalog.actions) {
      if (action.effect != effect) continue;
      table.rows.push_back({code(name), action.params.empty() ? "–" : code(parameters(action)),
                            action.returns.empty() ? "–" : code(outputs(action)),
                            action.inverse ? "`" + *action.inverse + "`" : "–",
                            action.timeout_seconds ? dsl_print::duration(*action.timeout_seconds) : "–",
                            or_dash(action.doc)});
    }
    if (!table.rows.empty()) out.tables.push_back(std::move(table));
  }
  return out;
}

Section event_section(const Catalog& catalog) {
  Table table{"", {"field", "type"}, {}};
  for (const auto& field : catalog.default_event) table.rows.push_back({"`" + field.name + "`", field.type.to_string()});
  return {"Event",
          "The default event schema: the fields `event.NAME` may read in a runbook that declares no `event { }` block. "
          "A runbook's own `event` block replaces it.",
          {table}};
}

std::string type_meaning(const Catalog& catalog, const std::string& name) {
  if (name == "channel") return "one of the channels below";
  if (name == "role") return "one of the roles below";
  if (catalog.enums.contains(name)) return "one of its declared values";
  return "a string, never interchangeable with another nominal type";
}

Section types_section(const Catalog& catalog) {
  Table table{"", {"type", "kind", "values"}, {}};
  const std::array<std::string, 6> meaning = {"text",
                                              "a whole number",
                                              "a number",
                                              "`true` or `false`",
                                              "`30s` `15m` `72h` `2d` `3cd` `4bd` `1mo`",
                                              "an RFC 3339 time (`2026-01-15T08:00:00Z`)"};
  for (std::size_t i = 0; i < kScalars.size(); ++i) table.rows.push_back({std::string(kScalars[i]), "scalar", meaning[i]});
  for (const auto& name : catalog.nominals) {
    table.rows.push_back({name, catalog.enums.contains(name) ? "enumeration" : "nominal", type_meaning(catalog, name)});
  }
  table.rows.push_back({"list<T>", "list", "`[a, b]` of one type T, e.g. `list<channel>`"});
  return {"Types", "The types of action parameters and event fields.", {table}};
}

Section enum_section(const Catalog& catalog, const std::string& type, std::string title, std::string intro) {
  Table table{"", {type}, {}};
  for (const auto& value : enum_values(catalog, type)) table.rows.push_back({"`" + value + "`"});
  return {std::move(title), std::move(intro), {table}};
}

Section regulations_section(const Catalog& catalog) {
  Section out{"Regulations",
              "`comply TAG` brings in a regulation's obligations, except conditional ones, which apply only when "
              "named (`comply GDPR.subjects`, or `satisfies gdpr.subjects` on a step). A step meets an obligation "
              "with `satisfies ID` and a `deadline` no longer than the obligation's, reached in time in the worst "
              "case. `bd`/`cd` days count 24 h each and `1mo` 28 days (the shortest the period can be); `asap` is "
              "held to the policy's asap bound.",
              {}};
  for (const auto* regulation : regulations_by_tag(catalog)) {
    Table table{fmt::format("{} — {}", join(regulation->tags, ", "), free_text(regulation->regime)),
                {"obligation", "what", "deadline", "applies", "trigger", "notify", "citation"},
                {}};
    for (const auto& id : regulation->obligations) {
      const auto& o = catalog.obligations.at(id);
      table.rows.push_back({code(id), free_text(o.title), o.deadline_text, o.conditional ? "when named" : "always",
                            or_dash(o.trigger), or_dash(o.notify), or_dash(o.citation)});
    }
    out.tables.push_back(std::move(table));
  }
  return out;
}

std::string roles_text(const std::vector<std::string>& roles) {
  std::vector<std::string> quoted;
  for (const auto& r : roles) quoted.push_back("`" + r + "`");
  return quoted.empty() ? "–" : join(quoted, ", ");
}

Section policy_section(const Catalog& catalog) {
  const auto& policy = catalog.policy();
  Table levels{"severities", {"severity", "approvers", "for effects"}, {}};
  for (const auto& name : policy.severity_order) {
    const auto& level = policy.severities.at(name);
    std::vector<std::string> effects(level.effects.begin(), level.effects.end());
    levels.rows.push_back({"`" + name + "`", roles_text(level.roles), level.effects.empty() ? "none" : join(effects, ", ")});
  }
  Table settings{"settings", {"setting", "value"}, {}};
  settings.rows = {
      {"`approval_timeout`", dsl_print::duration(policy.approval_timeout_seconds) + " (an `approve` without `within`)"},
      {"`step_timeout`", dsl_print::duration(policy.step_timeout_seconds) + " (an action without a `timeout`)"},
      {"`asap`", dsl_print::duration(policy.asap_seconds) + " (the bound of an `asap` obligation)"},
      {"`evidence_roots`", policy.evidence_roots.empty() ? "none (any absolute path without `..`)"
                                                         : free_text(join(policy.evidence_roots, ", "))},
      {"`approver_identity`", policy.approver_identity_required ? "required" : "optional"}};
  return {"Policy",
          fmt::format("The active policy, `{}`: the roles that must approve a step, by the runbook's severity and the "
                      "step's effect. A `contain` step whose action is reversible and that declares its rollback may "
                      "run without approval. `--policy FILE` replaces it.",
                      policy.name),
          {levels, settings}};
}

Section make_section(const Catalog& catalog, std::string_view name) {
  if (name == "actions") return actions_section(catalog);
  if (name == "event") return event_section(catalog);
  if (name == "types") return types_section(catalog);
  if (name == "channels") {
    return enum_section(catalog, "channel", "Channels", "The values of type `channel` (`channels: [slack, pagerduty]`).");
  }
  if (name == "roles") {
    return enum_section(catalog, "role", "Roles", "The values of type `role`: approvers (`approve ciso, legal`) and on-call roles.");
  }
  if (name == "regulations") return regulations_section(catalog);
  return policy_section(catalog);
}

std::vector<Section> sections(const Catalog& catalog, std::string_view only) {
  std::vector<Section> out;
  for (const auto& name : catalog_sections()) {
    if (only.empty() || only == name) out.push_back(make_section(catalog, name));
  }
  return out;
}

// Catalog text is user input (a policy file's names, a stdlib doc string): no control
// character reaches a terminal or breaks a table row.
char printable(char c) { return (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c; }

// The cell without its markdown: backslash escapes resolved, code-span backticks dropped.
std::string plain(std::string_view cell) {
  std::string out;
  for (std::size_t i = 0; i < cell.size(); ++i) {
    if (cell[i] == '\\' && i + 1 < cell.size()) {
      out += printable(cell[++i]);
    } else if (cell[i] != '`') {
      out += printable(cell[i]);
    }
  }
  return out;
}

// Markdown for a table cell: `|` escaped everywhere (also in code spans, as GFM wants), and
// outside code spans `<`, `>`, `&` as entities, so no text is ever read as HTML.
std::string markdown_cell(std::string_view cell) {
  std::string out;
  bool in_code = false;
  for (std::size_t i = 0; i < cell.size(); ++i) {
    char c = printable(cell[i]);
    if (c == '\\' && i + 1 < cell.size() && !in_code) {
      char next = printable(cell[++i]);
      out += next == '|' ? std::string("\\|") : next == '<' ? "&lt;" : next == '>' ? "&gt;" : next == '&' ? "&amp;" : std::string{'\\', next};
      continue;
    }
    if (c == '`') in_code = !in_code;
    if (c == '|') out += "\\|";
    else if (!in_code && c == '<') out += "&lt;";
    else if (!in_code && c == '>') out += "&gt;";
    else if (!in_code && c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // count code points, not bytes
  }));
}

// `text` in lines of at most `width` columns (a longer word stands alone), each indented.
std::string wrapped(const std::string& text, const std::string& indent, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && display_width(indent + line + " " + word) > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

void text_table(std::string& out, const Table& table) {
  std::vector<std::vector<std::string>> rows{table.columns};
  for (const auto& row : table.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) cells.push_back(plain(cell));
    rows.push_back(std::move(cells));
  }
  std::vector<std::size_t> width(table.columns.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));
  }
  if (!table.heading.empty()) out += "  " + plain(table.heading) + "\n";
  for (const auto& row : rows) {
    std::string line = "    ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - display_width(row[i]) + 2, ' ');
    }
    out += line + "\n";
  }
}

void markdown_table(std::string& out, const Table& table) {
  if (!table.heading.empty()) out += "### " + markdown_cell(table.heading) + "\n\n";
  out += "|";
  for (const auto& c : table.columns) out += " " + c + " |";
  out += "\n|";
  for (std::size_t i = 0; i < table.columns.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& cell : row) out += " " + markdown_cell(cell) + " |";
    out += "\n";
  }
  out += "\n";
}

}  // namespace

const std::vector<std::string>& catalog_sections() {
  static const std::vector<std::string> names = {"actions", "event", "types", "channels", "roles", "regulations", "policy"};
  return names;
}

nlohmann::ordered_json catalog_json(const Catalog& catalog, std::string_view section) {
  json out = json::object();
  for (const auto& name : catalog_sections()) {
    if (section.empty() || section == name) out[name] = section_json(catalog, name);
  }
  return out;
}

std::string catalog_text(const Catalog& catalog, std::string_view section) {
  std::string out;
  for (const auto& s : sections(catalog, section)) {
    if (!out.empty()) out += "\n";
    out += case_folded(s.title, ::toupper) + "\n" + wrapped(plain(s.intro), "  ", 96) + "\n";
    for (std::size_t i = 0; i < s.tables.size(); ++i) {
      if (i != 0) out += "\n";
      text_table(out, s.tables[i]);
    }
  }
  return out;
}

std::string catalog_markdown(const Catalog& catalog, std::string_view section) {
  std::string out;
  if (section.empty()) {
    out += "# The writ catalog\n\nWhat a runbook can name: actions, event fields, types, channels, roles, regulations "
           "and the policy. Generated by `writ catalog --format md` from the standard library (`stdlib/`) and the "
           "default policy; `writ catalog --policy FILE` shows yours.\n\n";
  }
  for (const auto& s : sections(catalog, section)) {
    out += "## " + s.title + "\n\n" + markdown_cell(s.intro) + "\n\n";
    for (const auto& table : s.tables) markdown_table(out, table);
  }
  return out;
}

}  // namespace writ
