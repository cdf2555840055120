#include "compiler/yaml/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/text.h"

namespace writ::yaml_detail {
namespace {

bool is_raw_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::uint32_t bom_length(std::string_view text) { return text.starts_with("\xEF\xBB\xBF") ? 3 : 0; }

template <typename T>
expr::NodePtr literal(T value, Span span) {
  auto node = std::make_shared<expr::Node>();
  node->kind = expr::Node::Kind::Literal;
  node->span = span;
  node->literal.v = value;
  return node;
}

std::optional<bool> core_bool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool all_of(std::string_view s, bool (*pred)(char)) { return !s.empty() && std::all_of(s.begin(), s.end(), pred); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_octal(char c) { return c >= '0' && c <= '7'; }

// YAML 1.2 core-schema integer; nothing when `s` is not one. `overflow` is set when it is one
// but does not fit 64 bits.
std::optional<std::int64_t> core_int(std::string_view s, bool& overflow) {
  int base = 10;
  std::string_view digits = s;
  bool negative = false;
  if (s.starts_with("0x") && all_of(s.substr(2), is_hex)) {
    base = 16;
    digits = s.substr(2);
  } else if (s.starts_with("0o") && all_of(s.substr(2), is_octal)) {
    base = 8;
    digits = s.substr(2);
  } else {
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (!all_of(digits, is_digit)) return std::nullopt;
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (ec != std::errc() || end != digits.data() + digits.size() || magnitude > limit) {
    overflow = true;
    return std::nullopt;
  }
  if (negative)
    return magnitude == limit ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(magnitude);
  return static_cast<std::int64_t>(magnitude);
}

// YAML 1.2 core-schema float (digits with a dot or exponent, .inf, .nan).
std::optional<double> core_float(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  if (body.empty() || !(is_digit(body[0]) || body[0] == '.')) return std::nullopt;
  if (body.find_first_not_of("0123456789.eE+-") != std::string_view::npos) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec != std::errc() || end != body.data() + body.size()) return std::nullopt;
  return negative ? -value : value;
}

// `30s`, `15m`, `72h`, `2d`, `4bd`, `1mo`: digits and a unit of the expression language.
bool looks_like_duration(std::string_view s) {
  std::size_t digits = s.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos) return false;
  std::string_view unit = s.substr(digits);
  return unit == "s" || unit == "m" || unit == "h" || unit == "d" || unit == "bd" || unit == "mo";
}

}  // namespace

expr::NodePtr error_node(Span span) {
  auto node = std::make_shared<expr::Node>();
  node->kind = expr::Node::Kind::Error;
  node->span = span;
  return node;
}

void add_key_help(Diagnostic& diagnostic, std::string_view key, std::span<const std::string> allowed) {
  if (auto suggestion = did_you_mean(key, allowed)) {
    diagnostic.help.push_back(fmt::format("did you mean `{}`?", *suggestion));
  } else {
    diagnostic.help.push_back(fmt::format("valid keys here: {}", join(allowed, ", ")));
  }
}

bool misspells(const YAML::Node& map, std::span<const std::string> allowed, std::string_view key) {
  if (!map.IsMap()) return false;
  for (const auto& item : map) {
    if (!item.first.IsScalar()) continue;
    const std::string& written = item.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), written) != allowed.end()) continue;
    if (did_you_mean(written, allowed) == key) return true;
  }
  return false;
}

Reader::Reader(SourcePtr source, DiagnosticSink& sink)
    : source_(std::move(source)), text_(source_->text()), sink_(sink) {}

// ---------------------------------------------------------------------------------------
// Positions

std::uint32_t Reader::start_of(const YAML::Node& node) const {
  auto size = static_cast<std::uint32_t>(text_.size());
  if (!node.IsDefined()) return 0;  // an invalid node has no mark (Mark() would throw)
  int pos = node.Mark().pos;
  if (pos < 0) return 0;
  // yaml-cpp counts positions after a byte order mark.
  std::uint32_t offset = std::min(static_cast<std::uint32_t>(pos) + bom_length(text_), size);
  return skip_node_properties(text_, offset);
}

ScalarText Reader::scalar_text(const YAML::Node& scalar) const {
  return map_scalar(text_, start_of(scalar), scalar.Scalar());
}

expr::TextOrigin Reader::origin(const ScalarText& text) const {
  expr::TextOrigin origin;
  origin.source = source_;
  origin.base = text.offsets.empty() ? text.begin : text.offsets[0];
  if (!text.contiguous()) origin.offsets = text.offsets;
  return origin;
}

Span Reader::span_of(const YAML::Node& node) const {
  if (!node.IsDefined() || node.IsNull()) {
    std::uint32_t at = start_of(node);
    return {at, at};
  }
  if (node.IsScalar()) {
    const std::string* value = &node.Scalar();
    if (auto known = scalar_spans_.find(value); known != scalar_spans_.end()) return known->second;
    ScalarText text = scalar_text(node);
    return scalar_spans_.emplace(value, Span{text.begin, text.end}).first->second;
  }
  std::uint32_t start = start_of(node);
  return {start, collection_end(node, start)};
}

std::uint32_t Reader::collection_end(const YAML::Node& node, std::uint32_t start) const {
  const bool flow = node.Style() == YAML::EmitterStyle::Flow;
  const std::uint64_t key = (std::uint64_t{start} << 2) | (node.IsMap() ? 2u : 0u) | (flow ? 1u : 0u);
  if (auto known = collection_ends_.find(key); known != collection_ends_.end()) return known->second;
  std::uint32_t end = start;
  auto extend = [&](const YAML::Node& child) {
    if (child.IsDefined() && !child.IsNull()) end = std::max(end, span_of(child).end);
  };
  for (const auto& item : node) {
    if (node.IsMap()) {
      extend(item.first);
      extend(item.second);
    } else {
      extend(item);
    }
  }
  if (flow) end = closing_bracket(std::max(end, start + 1), node.IsMap() ? '}' : ']');
  collection_ends_.emplace(key, end);
  return end;
}

// One past the closing bracket that follows `from` (blanks, commas and comments between).
std::uint32_t Reader::closing_bracket(std::uint32_t from, char bracket) const {
  std::uint32_t p = from;
  while (p < text_.size()) {
    char c = text_[p];
    if (c == bracket) return p + 1;
    if (c == '#') {
      while (p < text_.size() && text_[p] != '\n') ++p;
    } else if (is_raw_space(c) || c == ',') {
      ++p;
    } else {
      break;
    }
  }
  return std::min<std::uint32_t>(from, static_cast<std::uint32_t>(text_.size()));
}

// ---------------------------------------------------------------------------------------
// Diagnostics

Diagnostic& Reader::error(Rule rule, Span span, std::string message) {
  Diagnostic& d = sink_.report(rule, source_, span, std::move(message));
  d.runbook = runbook_;
  d.step = step_;
  return d;
}

void Reader::set_context(std::string runbook, std::string step) {
  runbook_ = std::move(runbook);
  step_ = std::move(step);
}

void Reader::tag_since(std::size_t mark) {
  auto& all = sink_.diagnostics();
  for (std::size_t i = mark; i < all.size(); ++i) {
    if (all[i].runbook.empty()) all[i].runbook = runbook_;
    if (all[i].step.empty()) all[i].step = step_;
  }
}

// ---------------------------------------------------------------------------------------
// Mappings

std::vector<Entry> Reader::entries(const YAML::Node& map, std::span<const std::string> allowed,
                                   std::string_view where) {
  return read_entries(map, allowed, true, where);
}

std::vector<Entry> Reader::all_entries(const YAML::Node& map, std::string_view where) {
  return read_entries(map, {}, false, where);
}

std::vector<Entry> Reader::read_entries(const YAML::Node& map, std::span<const std::string> allowed, bool check,
                                        std::string_view where) {
  std::vector<Entry> out;
  for (const auto& item : map) {
    const YAML::Node& key = item.first;
    const YAML::Node& value = item.second;
    Span key_span = span_of(key);
    if (!key.IsScalar()) {
      error(Rule::Syntax, key_span, fmt::format("a key in {} must be a plain name", where));
      continue;
    }
    Entry entry{key.Scalar(), value, key_span, {key_span.end, key_span.end}, key_span};
    if (value.IsDefined() && !value.IsNull()) entry.value_span = span_of(value);
    entry.span = Span::merge(key_span, entry.value_span);
    auto previous = std::find_if(out.begin(), out.end(), [&](const Entry& e) { return e.key == entry.key; });
    if (previous != out.end()) {
      Diagnostic& d = error(Rule::Syntax, key_span, fmt::format("duplicate key `{}` in {}", entry.key, where));
      d.notes.push_back({"the first one is here", source_, previous->key_span});
      continue;
    }
    if (check && std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      unknown_key(entry.key, key_span, allowed, where);
      continue;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

void Reader::unknown_key(const std::string& key, Span key_span, std::span<const std::string> allowed,
                         std::string_view where) {
  if (key == "<<") {
    Diagnostic& d = error(Rule::UnknownKey, key_span, "YAML merge keys (`<<`) are not supported");
    d.help.push_back("write the keys out in full");
    return;
  }
  Diagnostic& d = error(Rule::UnknownKey, key_span, fmt::format("unknown key `{}` in {}", key, where));
  add_key_help(d, key, allowed);
}

// ---------------------------------------------------------------------------------------
// Scalars

std::optional<ast::Name> Reader::name(const YAML::Node& node, Span span, std::string_view what,
                                      std::string_view expected) {
  if (node.IsScalar()) return ast::Name{node.Scalar(), span};
  if (!node.IsDefined() || node.IsNull()) {
    error(Rule::Syntax, span, fmt::format("{} has no value: expected {}", what, expected));
  } else {
    error(Rule::Syntax, span, fmt::format("{} must be {}", what, expected));
  }
  return std::nullopt;
}

std::optional<ast::Name> Reader::name(const Entry& entry, std::string_view expected) {
  return name(entry.value, entry.value_span, fmt::format("`{}`", entry.key), expected);
}

std::optional<std::vector<ast::Name>> Reader::names(const Entry& entry, bool single_ok, std::string_view expected) {
  if (single_ok && entry.value.IsScalar()) return std::vector<ast::Name>{{entry.value.Scalar(), entry.value_span}};
  if (!entry.value.IsSequence()) {
    error(Rule::Syntax, entry.value_span, fmt::format("`{}` must be {}", entry.key, expected));
    return std::nullopt;
  }
  std::vector<ast::Name> out;
  for (const auto& item : entry.value) {
    auto n = name(item, span_of(item), fmt::format("an entry of `{}`", entry.key), "a string");
    if (n) out.push_back(std::move(*n));
  }
  return out;
}

std::optional<bool> Reader::boolean(const Entry& entry, std::string_view message) {
  if (entry.value.IsScalar() && is_plain(entry.value)) {
    if (auto b = core_bool(entry.value.Scalar())) return b;
  }
  error(Rule::Syntax, entry.value.IsNull() ? entry.span : entry.value_span, std::string(message));
  return std::nullopt;
}

std::optional<ast::Located<std::int64_t>> Reader::seconds(const Entry& entry, std::int64_t unit,
                                                          std::string_view unit_name) {
  constexpr double kMaxSeconds = 100.0 * 365 * 24 * 3600;  // a century: anything above is a typo
  if (entry.value.IsScalar()) {
    auto value = core_float(entry.value.Scalar());
    if (value && std::isfinite(*value) && *value > 0 && *value * static_cast<double>(unit) <= kMaxSeconds) {
      auto secs = static_cast<std::int64_t>(std::llround(*value * static_cast<double>(unit)));
      return ast::Located<std::int64_t>{std::max<std::int64_t>(secs, 1), entry.value_span};
    }
  }
  error(Rule::Syntax, entry.value.IsNull() ? entry.span : entry.value_span,
        fmt::format("`{}` must be a positive number of {}", entry.key, unit_name));
  return std::nullopt;
}

std::optional<ast::Located<std::int64_t>> Reader::count(const Entry& entry, std::int64_t max) {
  if (entry.value.IsScalar()) {
    bool overflow = false;
    auto value = core_int(entry.value.Scalar(), overflow);
    if (value && *value >= 0 && *value <= max) return ast::Located<std::int64_t>{*value, entry.value_span};
  }
  error(Rule::Syntax, entry.value.IsNull() ? entry.span : entry.value_span,
        fmt::format("`{}` must be a whole number from 0 to {}", entry.key, max));
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Expressions

expr::NodePtr Reader::template_of(const YAML::Node& scalar) {
  ScalarText text = scalar_text(scalar);
  std::size_t before = mark();
  expr::NodePtr node = expr::parse_template(scalar.Scalar(), origin(text), sink_);
  tag_since(before);
  return node ? node : error_node({text.begin, text.end});
}

expr::NodePtr Reader::argument_value(const YAML::Node& node, Span span, std::string_view arg) {
  if (node.IsSequence()) {
    auto list = std::make_shared<expr::Node>();
    list->kind = expr::Node::Kind::List;
    list->span = span;
    for (const auto& item : node) list->children.push_back(argument_value(item, span_of(item), arg));
    return list;
  }
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "?" || tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int" ||
        tag == "tag:yaml.org,2002:float") {
      bool overflow = false;
      if (auto b = core_bool(text); b && tag != "tag:yaml.org,2002:int" && tag != "tag:yaml.org,2002:float") {
        return literal(*b, span);
      }
      if (auto i = core_int(text, overflow); i && tag != "tag:yaml.org,2002:float") return literal(*i, span);
      if (overflow && tag != "tag:yaml.org,2002:float") {
        error(Rule::Syntax, span, fmt::format("the number in `{}` does not fit in 64 bits", arg));
        return error_node(span);
      }
      if (auto f = core_float(text)) return literal(*f, span);
    }
    // A plain `10m` is a duration, as a plain `10` is a number (quote it for the string):
    // `since: 24h` means in YAML what it means in the DSL.
    if (tag == "?" && looks_like_duration(text)) {
      std::size_t before = mark();
      expr::NodePtr value = expr::parse_expression(text, origin(scalar_text(node)), sink_);
      tag_since(before);
      return value ? value : error_node(span);
    }
    return template_of(node);
  }
  if (!node.IsDefined() || node.IsNull()) {
    error(Rule::Syntax, span, fmt::format("`{}` has no value", arg));
    return error_node(span);
  }
  Diagnostic& d = error(Rule::Syntax, span, fmt::format("`{}` must be a string, a number, a boolean or a list", arg));
  if (node.Style() == YAML::EmitterStyle::Flow && text_.substr(span.begin).starts_with("{{")) {
    d.help.push_back(
        fmt::format("quote a template, or YAML reads it as a mapping: `{}: \"{{{{ event.host_id }}}}\"`", arg));
  }
  return error_node(span);
}

expr::NodePtr Reader::condition(const Entry& entry) {
  if (!entry.value.IsScalar()) {
    Span at = entry.value.IsNull() ? entry.span : entry.value_span;
    Diagnostic& d = error(Rule::Syntax, at, fmt::format("`{}` must be a condition string", entry.key));
    d.help.push_back("for example: when: \"event.confidence >= 0.8\"");
    return error_node(at);
  }
  const std::string& text = entry.value.Scalar();
  ScalarText scalar = scalar_text(entry.value);
  std::size_t before = mark();
  bool one_template = text.starts_with("{{") && text.ends_with("}}") && text.find("{{", 2) == std::string::npos;
  expr::NodePtr node = one_template ? expr::parse_template(text, origin(scalar), sink_)
                                    : expr::parse_expression(text, origin(scalar), sink_);
  tag_since(before);
  return node ? node : error_node(entry.value_span);
}

}  // namespace writ::yaml_detail
