#include "compiler/dsl/parser.h"

#include <exception>
#include <limits>
#include <tao/pegtl.hpp>
#include <utility>

#include "common/text.h"
#include "compiler/dsl/lower.h"
#include "grammar/dsl_grammar.h"

namespace writ {

namespace pegtl = tao::pegtl;
namespace g = grammar::dsl;
using dsl_internal::Node;

namespace dsl_internal {

namespace {

std::uint32_t offset_in(const SourcePtr& source, const char* p) {
  return static_cast<std::uint32_t>(p - source->text().data());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// The code point of `\uXXXX` at raw[i] (i at the backslash); a surrogate pair written as two
// escapes is combined, a lone surrogate becomes U+FFFD. Advances i past what it read.
std::uint32_t unicode_escape(std::string_view raw, std::size_t& i) {
  auto four = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) v = v * 16 + static_cast<std::uint32_t>(hex_value(raw[at + k]));
    return v;
  };
  std::uint32_t cp = four(i + 2);
  i += 6;
  if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= raw.size() && raw[i] == '\\' && raw[i + 1] == 'u') {
    std::uint32_t low = four(i + 2);
    if (low >= 0xdc00 && low < 0xe000) {
      i += 6;
      return 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
  }
  return (cp >= 0xd800 && cp < 0xe000) ? 0xfffd : cp;
}

char simple_escape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    default:
      return c;  // " ' \ /
  }
}

}  // namespace

std::optional<std::int64_t> duration_seconds(std::string_view literal) {
  std::size_t digits = 0;
  while (digits < literal.size() && literal[digits] >= '0' && literal[digits] <= '9') ++digits;
  std::string_view unit = literal.substr(digits);
  std::int64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "mo" ? 28 * 86400 : 86400;
  std::int64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
    value = value * 10 + (literal[i] - '0');
  }
  if (value > std::numeric_limits<std::int64_t>::max() / scale) return std::nullopt;
  return value * scale;
}

Lowering::Lowering(SourcePtr source, DiagnosticSink& sink, const Limits& limits)
    : source_(std::move(source)), sink_(sink), limits_(limits) {}

Span Lowering::span(const Node& node) const {
  return {offset_in(source_, node.m_begin.data), offset_in(source_, node.m_end.data)};
}

ast::Name Lowering::name(const Node& node) const { return {node.string(), span(node)}; }

DecodedString Lowering::decode(const Node& literal) const {
  return decode_raw(literal.string_view(), span(literal).begin);
}

// `raw` is a quoted literal (DSL or expression-language string; the latter's escapes are a
// subset of the former's) starting at source offset `base`.
DecodedString Lowering::decode_raw(std::string_view raw, std::uint32_t base) {
  DecodedString out;
  std::size_t i = 1;  // past the opening quote
  while (i + 1 < raw.size()) {
    auto at = static_cast<std::uint32_t>(base + i);
    std::size_t before = out.text.size();
    if (raw[i] != '\\') {
      out.text += raw[i++];
    } else if (raw[i + 1] == 'u') {
      append_utf8(out.text, unicode_escape(raw, i));
    } else {
      out.text += simple_escape(raw[i + 1]);
      i += 2;
    }
    out.offsets.insert(out.offsets.end(), out.text.size() - before, at);
  }
  out.offsets.push_back(static_cast<std::uint32_t>(base + raw.size() - 1));
  return out;
}

ast::Located<std::string> Lowering::text(const Node& literal) const { return {decode(literal).text, span(literal)}; }

std::optional<ast::Located<std::int64_t>> Lowering::duration(const Node& node) {
  if (auto seconds = duration_seconds(node.string_view())) return ast::Located<std::int64_t>{*seconds, span(node)};
  sink_.report(Rule::Syntax, source_, span(node), "duration `" + node.string() + "` is too large");
  return std::nullopt;
}

std::optional<ast::Located<std::int64_t>> Lowering::integer(const Node& node) {
  std::int64_t value = 0;
  for (char c : node.string_view()) {
    if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
      sink_.report(Rule::Syntax, source_, span(node), "number `" + node.string() + "` is too large");
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return ast::Located<std::int64_t>{value, span(node)};
}

ast::Name Lowering::type_name(const Node& node) {
  std::string compact;
  std::size_t depth = 0;
  for (char c : node.string_view()) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    depth += c == '<' ? 1 : 0;
    compact += c;
  }
  if (depth > limits_.max_nesting_depth) {
    sink_.report(
        Rule::InputLimit, source_, span(node),
        "type nests deeper than the limit of " + std::to_string(limits_.max_nesting_depth) + " (max_nesting_depth)");
  }
  return {std::move(compact), span(node)};
}

expr::NodePtr Lowering::expression(const Node& node) {
  return expr::parse_expression(node.string_view(), expr::TextOrigin{source_, span(node).begin, {}}, sink_);
}

expr::NodePtr Lowering::template_string(const Node& literal) {
  return quoted_template(literal.string_view(), span(literal).begin);
}

expr::NodePtr Lowering::quoted_template(std::string_view raw, std::uint32_t base) {
  DecodedString decoded = decode_raw(raw, base);
  expr::TextOrigin origin{source_, base + 1, std::move(decoded.offsets)};
  return expr::parse_template(decoded.text, origin, sink_);
}

// A string literal holding `{{ }}` that is an argument, or an element of a list argument (at any
// depth), is a template, as in YAML: the literal is decoded (expression-language escapes) and
// parsed with parse_template, so that `summary: "breach on {{ event.host_id }}"` and
// `tags: ["host-{{ event.host_id }}"]` mean what they mean in a YAML runbook.
expr::NodePtr Lowering::template_literal(expr::NodePtr value) {
  const auto* literal =
      value && value->kind == expr::Node::Kind::Literal ? std::get_if<std::string>(&value->literal.v) : nullptr;
  std::uint32_t base = value ? value->span.begin : 0;
  std::string_view raw =
      literal ? std::string_view(source_->text()).substr(base, value->span.end - base) : std::string_view{};
  if (!literal || literal->find("{{") == std::string::npos || raw.size() < 2 || (raw[0] != '"' && raw[0] != '\'')) {
    return value;
  }
  return quoted_template(raw, base);
}

expr::NodePtr Lowering::argument_value(const Node& node) { return templates_in(expression(node)); }

expr::NodePtr Lowering::templates_in(expr::NodePtr value) {
  if (!value || value->kind != expr::Node::Kind::List) return template_literal(std::move(value));
  for (auto& element : value->children) element = templates_in(std::move(element));
  return value;
}

std::vector<ast::Argument> Lowering::arguments(const Node& arg_list) {
  std::vector<ast::Argument> out;
  for (const auto& arg : arg_list.children) {
    out.push_back({name(*arg->children.at(0)), argument_value(*arg->children.at(1)), span(*arg)});
  }
  return out;
}

std::vector<ast::EventField> Lowering::event_fields(const Node& block) {
  std::vector<ast::EventField> out;
  for (const auto& field : block.children) {
    out.push_back({name(*field->children.at(0)), type_name(*field->children.at(1))});
  }
  return out;
}

bool Lowering::first_of_kind(std::map<std::string, Span>& seen, const Node& node, std::string_view where) {
  std::string_view text = node.string_view();
  std::string keyword(text.substr(0, text.find_first_of(" \t\r\n;#/")));
  auto [it, inserted] = seen.emplace(keyword, span(node));
  if (inserted) return true;
  auto& d =
      sink_.report(Rule::Syntax, source_, span(node), "`" + keyword + "` is given twice in " + std::string(where));
  d.notes.push_back({"the first `" + keyword + "` is here", source_, it->second});
  return false;
}

void Lowering::file(const Node& root, ast::File& out) {
  bool over_limit = false;
  for (const auto& decl : root.children) {
    const Node& n = *decl;
    if (n.is_type<g::runbook>()) {
      if (out.runbooks.size() == limits_.max_runbooks && !over_limit) {
        over_limit = true;
        sink_.report(Rule::InputLimit, source_, span(*n.children.at(0)),
                     "more than " + std::to_string(limits_.max_runbooks) + " runbooks in one file (max_runbooks)");
      }
      if (!over_limit) out.runbooks.push_back(runbook(n));
    } else if (n.is_type<g::type_decl>()) {
      out.types.push_back(type_decl(n));
    } else if (n.is_type<g::enum_decl>()) {
      out.enums.push_back(enum_decl(n));
    } else if (n.is_type<g::event_decl>()) {
      out.events.push_back({event_fields(n), span(n)});
    } else if (n.is_type<g::action_decl>()) {
      out.actions.push_back(action_decl(n));
    } else if (n.is_type<g::regulation_decl>()) {
      out.regulations.push_back(regulation_decl(n));
    } else if (n.is_type<g::policy_decl>()) {
      out.policies.push_back(policy_decl(n));
    }
  }
}

}  // namespace dsl_internal

namespace {

std::string fill_placeholders(std::string message, const g::ParseContext& context) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"{runbook}", &context.runbook}, {"{step}", &context.step}, {"{decl}", &context.decl}};
  for (const auto& [placeholder, value] : fields) {
    if (auto at = message.find(placeholder); at != std::string::npos)
      message.replace(at, std::string_view(placeholder).size(), *value);
  }
  return message;
}

// A point diagnostic that still underlines one character when there is one on the line.
Span error_span(const SourcePtr& source, std::size_t offset) {
  const std::string& text = source->text();
  auto begin = static_cast<std::uint32_t>(std::min(offset, text.size()));
  bool has_char = begin < text.size() && text[begin] != '\n' && text[begin] != '\r';
  return {begin, has_char ? begin + 1 : begin};
}

void report_parse_error(const pegtl::parse_error& error, const SourcePtr& source, const g::ParseContext& context,
                        DiagnosticSink& sink) {
  std::string message(error.message());
  bool too_deep = message == grammar::expr::kDepthExceededMessage;
  std::size_t offset = error.positions().empty() ? 0 : error.positions().front().byte;
  auto& d = sink.report(
      too_deep ? Rule::InputLimit : Rule::Syntax, source, error_span(source, offset),
      too_deep ? "nesting is too deep to parse (max_nesting_depth)" : fill_placeholders(std::move(message), context));
  if (!too_deep && !context.help.empty()) d.help.push_back(context.help);
  d.runbook = context.runbook;
  d.step = context.step;
}

}  // namespace

ast::File parse_dsl(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits) {
  ast::File file;
  file.source = source;
  const std::string& text = source->text();
  if (text.size() > limits.max_file_bytes) {
    sink.report(Rule::InputLimit, source, {0, 0},
                "file is " + std::to_string(text.size()) + " bytes, over the limit of " +
                    std::to_string(limits.max_file_bytes) + " bytes (max_file_bytes)")
        .whole_file = true;
    return file;
  }
  if (auto bad = first_invalid_utf8(text)) {
    sink.report(Rule::Syntax, source, error_span(source, *bad), "invalid UTF-8 byte sequence");
    return file;
  }
  g::ParseContext context;
  try {
    pegtl::memory_input<pegtl::tracking_mode::eager, pegtl::eol::lf_crlf> in(text.data(), text.data() + text.size(),
                                                                             source->path());
    auto root = pegtl::parse_tree::parse<g::file, Node, g::selector, g::action, g::control>(in, context);
    if (root) dsl_internal::Lowering(source, sink, limits).file(*root, file);
  } catch (const pegtl::parse_error& error) {
    report_parse_error(error, source, context, sink);
  } catch (const std::exception& error) {
    sink.report(Rule::Syntax, source, {0, 0}, std::string("could not parse the file: ") + error.what()).whole_file =
        true;
  }
  return file;
}

}  // namespace writ
