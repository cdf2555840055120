// Internal to the YAML front-ends (compiler/yaml/loader.cc, reader.cc, step.cc, step_list.cc; exercise/loader*.cc): reading
// yaml-cpp nodes into AST pieces with exact spans and diagnostics. This header includes
// yaml-cpp; nothing outside those files may include it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostic.h"
#include "compiler/expr/expr.h"
#include "compiler/yaml/scalar_map.h"

namespace writ::yaml_detail {

// One `key: value` pair of a mapping.
struct Entry {
  std::string key;
  YAML::Node value;
  Span key_span;
  Span value_span;  // empty, right after the key, when the value is missing (null)
  Span span;        // key..value
};

class Reader {
 public:
  Reader(SourcePtr source, DiagnosticSink& sink);

  const SourcePtr& source() const { return source_; }

  // ---- positions
  // The first byte of a node (after any `&anchor` / `!tag`).
  std::uint32_t start_of(const YAML::Node& node) const;
  // A scalar's raw extent; a collection from its start through its last child (and closing
  // bracket for flow collections); an empty span for a null node.
  Span span_of(const YAML::Node& node) const;
  ScalarText scalar_text(const YAML::Node& scalar) const;
  expr::TextOrigin origin(const ScalarText& text) const;

  // ---- diagnostics, tagged with the current runbook and step
  Diagnostic& error(Rule rule, Span span, std::string message);
  void set_context(std::string runbook, std::string step);
  // Tags diagnostics added since `mark` (e.g. by the expression parser) with the context.
  void tag_since(std::size_t mark);
  std::size_t mark() const { return sink_.diagnostics().size(); }

  // ---- mappings
  // The entries of `map`, in document order. Keys outside `allowed` are reported as
  // unknown-key with a did-you-mean and dropped; repeated keys and non-string keys are syntax
  // errors (the first occurrence wins). `where` names the mapping in messages ("a step").
  std::vector<Entry> entries(const YAML::Node& map, std::span<const std::string> allowed, std::string_view where);
  // Like entries() but accepting every key (argument maps, event schemas).
  std::vector<Entry> all_entries(const YAML::Node& map, std::string_view where);
  // Reports `key` (at `key_span`) as an unknown key in `where`, with a did-you-mean.
  void unknown_key(const std::string& key, Span key_span, std::span<const std::string> allowed, std::string_view where);

  // ---- scalar values; a wrong shape is a syntax error at the value and yields nothing
  // A string scalar (numbers and booleans keep their text: `version: 2.1`).
  std::optional<ast::Name> name(const Entry& entry, std::string_view expected);
  std::optional<ast::Name> name(const YAML::Node& node, Span span, std::string_view what, std::string_view expected);
  // A list of strings, or (when `single_ok`) one string.
  std::optional<std::vector<ast::Name>> names(const Entry& entry, bool single_ok, std::string_view expected);
  // YAML 1.2 core booleans: true/True/TRUE/false/False/FALSE, unquoted.
  std::optional<bool> boolean(const Entry& entry, std::string_view message);
  // A positive number of `unit` seconds (decimals allowed, rounded to the second).
  std::optional<ast::Located<std::int64_t>> seconds(const Entry& entry, std::int64_t unit, std::string_view unit_name);
  // A whole number in [0, max].
  std::optional<ast::Located<std::int64_t>> count(const Entry& entry, std::int64_t max);

  // ---- expressions
  // A string template (`{{ }}` inside); plain numbers/booleans become literals; lists become
  // List nodes. Anything else is a syntax error and an Error node.
  expr::NodePtr argument_value(const YAML::Node& node, Span span, std::string_view arg);
  expr::NodePtr template_of(const YAML::Node& scalar);
  // A condition: parse_expression of the string (parse_template when it is one `{{ }}`).
  expr::NodePtr condition(const Entry& entry);

  static bool is_plain(const YAML::Node& node) { return node.Tag() == "?"; }

 private:
  std::uint32_t collection_end(const YAML::Node& node, std::uint32_t start) const;
  std::uint32_t closing_bracket(std::uint32_t from, char bracket) const;
  std::vector<Entry> read_entries(const YAML::Node& map, std::span<const std::string> allowed, bool check,
                                  std::string_view where);

  SourcePtr source_;
  std::string_view text_;
  DiagnosticSink& sink_;
  // collection_end by node: every mapping's entries ask for their values' spans, so without it
  // a scalar deep in the tree was re-scanned once per enclosing collection. Keyed by start
  // offset, kind and style: two distinct collections never share all three (a block mapping
  // starts at its first key, which is a scalar or a flow collection; anything else starts
  // after an indicator); an alias is its anchor's node, with the same span.
  mutable std::unordered_map<std::uint64_t, std::uint32_t> collection_ends_;
  // span_of a scalar by node (the address of its value, which each node owns): a mapping's
  // entries, their readers and the enclosing collections all ask for it.
  mutable std::unordered_map<const std::string*, Span> scalar_spans_;
  std::string runbook_;
  std::string step_;
};

// The `steps` list of a playbook (compiler/yaml/step_list.cc). Steps without an action are reported and left
// out; more than `max_steps` is an input-limit finding.
// One step mapping (compiler/yaml/step.cc), with its id; nothing when it has no usable
// `action` (reported).
std::optional<ast::Step> read_step(Reader& reader, const YAML::Node& node, const std::string& id);

// `- parallel: [step, ...]` entries are opened: their steps are listed in order, marked with
// the block's number (1, 2, ...), and `parallel` holds each block's span.
struct LoadedSteps {
  std::vector<ast::Step> steps;
  std::vector<Span> parallel;
};
LoadedSteps load_steps(Reader& reader, const Entry& steps, const std::string& runbook, std::size_t max_steps);

// Error node for a value already reported.
expr::NodePtr error_node(Span span);

// "did you mean `x`?" help, or the list of valid keys when nothing is close.
void add_key_help(Diagnostic& diagnostic, std::string_view key, std::span<const std::string> allowed);

// Whether `map` holds a key outside `allowed` whose did-you-mean is `key` (`stpes:` for
// `steps`): a missing `key` is then already reported as that unknown key.
bool misspells(const YAML::Node& map, std::span<const std::string> allowed, std::string_view key);

// The top-level `policy` of a YAML file (compiler/yaml/policy.cc), as the DSL's `policy NAME { ... }`
// would declare it. Shape errors are reported; nothing is returned without a usable `name`.
std::optional<ast::PolicyDecl> load_policy(Reader& reader, const Entry& policy);

// A file whose top level holds the keys of a policy (`severities:`, `approval_timeout_minutes:`
// ...) but no `policy`, `playbooks`, `metadata` or `event`: a policy written without its
// `policy:` key. Reports that, once, and returns true (the caller then reads nothing more).
bool reports_bare_policy(Reader& reader, const YAML::Node& root);

}  // namespace writ::yaml_detail
