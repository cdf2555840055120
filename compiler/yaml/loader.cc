// The YAML front-end (DESIGN §2): limits first (size, UTF-8, nesting, node count), then
// yaml-cpp, then the runbook form into the AST. No yaml-cpp exception leaves this file.
#include "compiler/yaml/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <set>

#include "common/text.h"
#include "compiler/yaml/prescan.h"
#include "compiler/yaml/reader.h"

namespace writ {
namespace {

using yaml_detail::Entry;
using yaml_detail::Reader;

// YAML's c-printable excludes the C0 controls other than tab, LF and CR, and DEL. yaml-cpp lets
// them through and mangles a NUL (in a plain scalar `\0N` becomes a lone 0x85 byte: invalid
// UTF-8 in the value), so refuse them before parsing. Found by fuzz_yaml.
std::optional<std::size_t> first_control_character(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return i;
  }
  return std::nullopt;
}

// yaml-cpp's `\N` and `\_` escapes leave invalid UTF-8 in values (restore_yaml_cpp_escapes;
// found by fuzz_yaml). Nodes are handles: assigning a scalar changes the document. Bounded: it runs only on a tree
// within_limits accepted (aliases included).
void restore_escapes(YAML::Node node) {
  if (node.IsScalar()) {
    if (auto fixed = restore_yaml_cpp_escapes(node.Scalar())) node = *fixed;
  } else if (node.IsMap()) {
    for (auto item : node) {
      restore_escapes(item.first);
      restore_escapes(item.second);
    }
  } else if (node.IsSequence()) {
    for (auto item : node) restore_escapes(item);
  }
}

// Scalars (keys too) holding NUL, which only an escape (`\0`, `\x00`, `\u0000`) can put
// there: a NUL would cut the value short wherever it becomes a C string (DESIGN §13).
void nul_scalars(const YAML::Node& node, std::vector<YAML::Node>& out) {
  if (node.IsScalar() && node.Scalar().find('\0') != std::string::npos) out.push_back(node);
  if (node.IsMap()) {
    for (const auto& item : node) {
      nul_scalars(item.first, out);
      nul_scalars(item.second, out);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) nul_scalars(item, out);
  }
}

const std::vector<std::string>& top_keys() {
  static const std::vector<std::string> keys = {"metadata", "playbooks", "event", "policy"};
  return keys;
}

const std::vector<std::string>& metadata_keys() {
  static const std::vector<std::string> keys = {"version", "last_updated", "owner", "compliance_tags"};
  return keys;
}

const std::vector<std::string>& playbook_keys() {
  static const std::vector<std::string> keys = {"id", "name", "steps", "compliance_tags", "when", "event"};
  return keys;
}

struct Metadata {
  std::optional<ast::Name> version, owner, last_updated;
  std::vector<ast::Name> compliance;
};

struct EventSchema {
  std::vector<ast::EventField> fields;
  bool declared = false;
};

void add_unique(std::vector<ast::Name>& names, const std::vector<ast::Name>& more) {
  for (const auto& name : more) {
    auto same = [&](const ast::Name& n) { return n.value == name.value; };
    if (std::none_of(names.begin(), names.end(), same)) names.push_back(name);
  }
}

const Entry* find(const std::vector<Entry>& entries, std::string_view key) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

class FileLoader {
 public:
  FileLoader(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits, ast::File& file)
      : source_(source), sink_(sink), limits_(limits), file_(file), reader_(source, sink) {}

  void run() {
    auto root = parse();
    if (!root || !within_limits(*root)) return;
    const std::string& text = source_->text();
    if (text.find("\\N") != std::string::npos || text.find("\\_") != std::string::npos) restore_escapes(*root);
    if (text.find('\\') != std::string::npos && reports_nul(*root)) return;
    if (!root->IsMap()) {
      Diagnostic& d =
          reader_.error(Rule::Syntax, reader_.span_of(*root), "a runbook file must be a mapping with `playbooks`");
      d.help.push_back("playbooks:\n  critical:\n    name: \"...\"\n    steps: [...]");
      return;
    }
    if (yaml_detail::reports_bare_policy(reader_, *root)) return;
    auto top = reader_.entries(*root, top_keys(), "the top level");
    Metadata metadata;
    EventSchema event;
    if (const Entry* e = find(top, "metadata")) metadata = read_metadata(*e);
    if (const Entry* e = find(top, "event")) event = read_event(*e);
    if (const Entry* e = find(top, "policy")) {
      if (auto policy = yaml_detail::load_policy(reader_, *e)) file_.policies.push_back(std::move(*policy));
    }
    const Entry* playbooks = find(top, "playbooks");
    if (!playbooks && find(top, "policy")) return;  // a policy file
    // A misspelt `playbooks` already has its unknown-key error with the did-you-mean.
    if (!playbooks && yaml_detail::misspells(*root, top_keys(), "playbooks")) return;
    if (!playbooks) {
      Diagnostic& d = reader_.error(Rule::Syntax, {reader_.start_of(*root), reader_.start_of(*root)},
                                    "this file has no `playbooks`");
      d.help.push_back("a runbook file maps severities to playbooks: playbooks: {critical: {name: ..., steps: [...]}}");
      return;
    }
    read_playbooks(*playbooks, metadata, event);
  }

 private:
  // ---- limits and parsing
  bool reports_nul(const YAML::Node& root) {
    std::vector<YAML::Node> found;
    nul_scalars(root, found);
    std::set<std::uint32_t> reported;  // an alias visits its anchor's scalars again
    for (const auto& node : found) {
      const auto text = reader_.scalar_text(node);
      const auto at = node.Scalar().find('\0');
      const Span span{text.offsets[at], std::max(text.offsets[at], text.offsets[at + 1])};
      if (!reported.insert(span.begin).second) continue;
      reader_.error(Rule::Syntax, span, "a NUL character (U+0000) is not allowed in a runbook: it would cut the value short");
    }
    return !found.empty();
  }

  std::optional<YAML::Node> parse() {
    const std::string& text = source_->text();
    if (text.size() > limits_.max_file_bytes) {
      auto at = static_cast<std::uint32_t>(limits_.max_file_bytes);
      sink_.report(
          Rule::InputLimit, source_, {at, at},
          fmt::format("the file is {} bytes, over the limit of {} bytes", text.size(), limits_.max_file_bytes));
      return std::nullopt;
    }
    if (auto bad = first_invalid_utf8(text)) {
      auto at = static_cast<std::uint32_t>(*bad);
      sink_.report(Rule::Syntax, source_, {at, at + 1}, fmt::format("invalid UTF-8 at byte {}", *bad));
      return std::nullopt;
    }
    if (auto bad = first_control_character(text)) {
      auto at = static_cast<std::uint32_t>(*bad);
      sink_.report(Rule::Syntax, source_, {at, at + 1},
                   fmt::format("control character U+{:04X} at byte {} is not allowed in YAML",
                               static_cast<unsigned char>(text[*bad]), *bad));
      return std::nullopt;
    }
    auto scan = yaml_detail::prescan_yaml(text, limits_.max_nesting_depth, limits_.max_yaml_nodes);
    if (scan.hit) {
      report_prescan(*scan.hit);
      return std::nullopt;
    }
    if (scan.second_document) {
      auto at = static_cast<std::uint32_t>(*scan.second_document);
      sink_.report(Rule::Syntax, source_, {at, at + 3},
                   "a runbook file holds one YAML document; this starts a second one");
    }
    YAML::Node root;
    try {
      // Load parses the first document only; LoadAll can loop forever on malformed input.
      root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {
      report_depth(mark_span(e.mark));
      return std::nullopt;
    } catch (const YAML::Exception& e) {
      sink_.report(Rule::Syntax, source_, mark_span(e.mark), fmt::format("YAML syntax error: {}", e.msg));
      return std::nullopt;
    }
    if (!root.IsDefined() || root.IsNull()) {
      Diagnostic& d =
          sink_.report(Rule::Syntax, source_, {0, 0}, "the file is empty: expected a mapping with `playbooks`");
      d.help.push_back("playbooks:\n  critical:\n    name: \"...\"\n    steps: [...]");
      return std::nullopt;
    }
    return root;
  }

  void report_prescan(const yaml_detail::PrescanHit& hit) {
    auto at = static_cast<std::uint32_t>(hit.offset);
    switch (hit.kind) {
      case yaml_detail::PrescanHit::Kind::Depth:
        report_depth({at, at + 1});
        break;
      case yaml_detail::PrescanHit::Kind::Nodes:
        report_nodes({at, at + 1});
        break;
      case yaml_detail::PrescanHit::Kind::StrayComma: {
        Diagnostic& d =
            sink_.report(Rule::Syntax, source_, {at, at + 1}, "YAML syntax error: `,` outside a flow collection");
        d.help.push_back(
            "a comma separates entries only inside `[...]` or `{...}`; quote a string that starts with one");
        break;
      }
    }
  }

  // A yaml-cpp mark (0-based line and byte column, not counting a byte order mark).
  Span mark_span(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0) return {0, 0};
    const std::string& text = source_->text();
    std::uint32_t at = source_->line_start(mark.line + 1) + static_cast<std::uint32_t>(std::max(mark.column, 0));
    if (mark.line == 0 && text.starts_with("\xEF\xBB\xBF")) at += 3;
    at = std::min(at, static_cast<std::uint32_t>(text.size()));
    return {at, at};
  }

  void report_depth(Span span) {
    sink_.report(Rule::InputLimit, source_, span,
                 fmt::format("YAML nesting is deeper than the limit of {} levels", limits_.max_nesting_depth));
  }

  void report_nodes(Span span) {
    Diagnostic& d =
        sink_.report(Rule::InputLimit, source_, span,
                     fmt::format("the YAML document has more than {} nodes (the limit)", limits_.max_yaml_nodes));
    d.help.push_back("aliases (`*name`) count every time they are used");
  }

  // Exact depth and node budget on the parsed tree; aliases count every time they are reached,
  // so neither a billion-laughs document nor an alias cycle gets through.
  bool within_limits(const YAML::Node& root) {
    std::size_t visited = 0;
    return walk(root, 0, visited);
  }

  bool walk(const YAML::Node& node, std::size_t depth, std::size_t& visited) {
    if (++visited > limits_.max_yaml_nodes) {
      std::uint32_t at = reader_.start_of(node);
      report_nodes({at, at});
      return false;
    }
    if (!node.IsMap() && !node.IsSequence()) return true;
    if (depth + 1 > limits_.max_nesting_depth) {
      std::uint32_t at = reader_.start_of(node);
      report_depth({at, at});
      return false;
    }
    for (const auto& item : node) {
      bool ok = node.IsMap() ? walk(item.first, depth + 1, visited) && walk(item.second, depth + 1, visited)
                             : walk(item, depth + 1, visited);
      if (!ok) return false;
    }
    return true;
  }

  // ---- the runbook form
  Metadata read_metadata(const Entry& e) {
    Metadata out;
    if (!e.value.IsMap()) {
      reader_.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span, "`metadata` must be a mapping");
      return out;
    }
    for (const Entry& entry : reader_.entries(e.value, metadata_keys(), "`metadata`")) {
      if (entry.key == "compliance_tags") {
        if (auto tags = reader_.names(entry, true, "a list of compliance tags, e.g. [\"GDPR\", \"SEC\"]")) {
          add_unique(out.compliance, *tags);
        }
        continue;
      }
      auto value = reader_.name(entry, "a string");
      if (entry.key == "version") out.version = value;
      if (entry.key == "owner") out.owner = value;
      if (entry.key == "last_updated") out.last_updated = value;
    }
    return out;
  }

  EventSchema read_event(const Entry& e) {
    EventSchema out;
    out.declared = true;
    if (!e.value.IsMap()) {
      Diagnostic& d = reader_.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                                    "`event` must be a mapping of field names to types");
      d.help.push_back("for example: event: {host_id: host, user_id: user}");
      return out;
    }
    for (const Entry& entry : reader_.all_entries(e.value, "`event`")) {
      if (auto type = reader_.name(entry, "a type name such as `host` or `list<string>`")) {
        out.fields.push_back({{entry.key, entry.key_span}, *type});
      }
    }
    return out;
  }

  void read_playbooks(const Entry& e, const Metadata& metadata, const EventSchema& event) {
    if (!e.value.IsMap()) {
      Diagnostic& d = reader_.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                                    "`playbooks` must be a mapping from severity to playbook");
      d.help.push_back("playbooks:\n  critical:\n    name: \"...\"\n    steps: [...]");
      return;
    }
    for (const Entry& entry : reader_.all_entries(e.value, "`playbooks`")) {
      if (file_.runbooks.size() == limits_.max_runbooks) {
        reader_.error(Rule::InputLimit, entry.key_span,
                      fmt::format("the file has more than {} playbooks (the limit)", limits_.max_runbooks));
        break;
      }
      if (auto runbook = read_playbook(entry, metadata, event)) file_.runbooks.push_back(std::move(*runbook));
    }
    reader_.set_context("", "");
  }

  std::optional<ast::Runbook> read_playbook(const Entry& e, const Metadata& metadata, const EventSchema& event) {
    ast::Runbook rb;
    rb.severity = {e.key, e.key_span};
    rb.id = rb.severity;
    rb.head = e.key_span;
    rb.span = e.span;
    reader_.set_context(e.key, "");
    if (!e.value.IsMap()) {
      reader_.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                    fmt::format("playbook `{}` must be a mapping with `name` and `steps`", e.key));
      return std::nullopt;
    }
    // Findings inside the playbook name its id, so read `id` before anything is reported.
    for (const auto& item : e.value) {
      if (item.first.IsScalar() && item.first.Scalar() == "id" && item.second.IsScalar()) {
        reader_.set_context(item.second.Scalar(), "");
      }
    }
    auto entries = reader_.entries(e.value, playbook_keys(), "a playbook");
    if (const Entry* id = find(entries, "id")) {
      if (auto n = reader_.name(*id, "a playbook id")) rb.id = *n;
    }
    reader_.set_context(rb.id.value, "");
    rb.compliance = metadata.compliance;
    rb.version = metadata.version;
    rb.owner = metadata.owner;
    rb.last_updated = metadata.last_updated;
    rb.event = event.fields;
    rb.event_declared = event.declared;
    bool has_steps = false;
    for (const Entry& entry : entries) {
      if (entry.key == "name") {
        if (auto n = reader_.name(entry, "a title string")) rb.title = *n;
      } else if (entry.key == "compliance_tags") {
        if (auto tags = reader_.names(entry, true, "a list of compliance tags, e.g. [\"GDPR\", \"SEC\"]")) {
          add_unique(rb.compliance, *tags);
        }
      } else if (entry.key == "when") {
        rb.when = reader_.condition(entry);
      } else if (entry.key == "event") {
        EventSchema own = read_event(entry);
        rb.event = std::move(own.fields);
        rb.event_declared = true;
      } else if (entry.key == "steps") {
        has_steps = true;
        auto loaded = yaml_detail::load_steps(reader_, entry, rb.id.value, limits_.max_steps);
        rb.steps = std::move(loaded.steps);
        rb.parallel = std::move(loaded.parallel);
      }
    }
    // `stpes:` is reported as an unknown key already: one typo, one diagnostic.
    if (!has_steps && !yaml_detail::misspells(e.value, playbook_keys(), "steps")) {
      Diagnostic& d = reader_.error(Rule::Syntax, rb.head, fmt::format("playbook `{}` has no `steps`", rb.id.value));
      d.help.push_back("steps:\n  - action: isolate_host\n    target: \"{{ event.host_id }}\"");
    }
    if (rb.title.value.empty()) rb.title = rb.id;
    reader_.set_context("", "");
    return rb;
  }

  const SourcePtr& source_;
  DiagnosticSink& sink_;
  const Limits& limits_;
  ast::File& file_;
  Reader reader_;
};

}  // namespace

bool looks_like_yaml(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    line.remove_prefix(std::min(line.find_first_not_of(" \t\r"), line.size()));
    if (line.empty() || line.starts_with('#') || line.starts_with("//")) continue;
    if (line.starts_with("---") || line.starts_with("- ") || line == "-") return true;
    if (std::string_view("%{[\"'&!*?|>").find(line.front()) != std::string_view::npos) return true;
    // `key:` then a blank or the end of the line: a block mapping.
    const std::size_t key_end = line.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
    if (key_end == 0 || key_end == std::string_view::npos) return false;
    std::string_view rest = line.substr(key_end);
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    return rest.starts_with(':') && (rest.size() == 1 || rest[1] == ' ' || rest[1] == '\t' || rest[1] == '\r');
  }
  return false;
}

ast::File load_yaml(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits) {
  ast::File file;
  file.source = source;
  if (!source) return file;
  try {
    FileLoader(source, sink, limits, file).run();
  } catch (const YAML::Exception& e) {
    sink.report(Rule::Syntax, source, {0, 0}, fmt::format("YAML error: {}", e.msg));
  } catch (const std::exception& e) {
    sink.report(Rule::Syntax, source, {0, 0}, fmt::format("could not load the YAML file: {}", e.what()));
  }
  return file;
}

}  // namespace writ
