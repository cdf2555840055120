// print_dsl: canonical .writ text for `writ fmt` and `writ convert`. Two-space indentation,
// one statement per line in a fixed order, keywords padded to a column, strings escaped.
// Declarations keep their source order. Comments of a .writ source are kept: each is printed
// before the first construct that follows it, or after the statement on its line; a YAML
// source contributes its `writ:ignore` suppression comments the same way, so a converted
// runbook keeps its suppressions on the line before the step they apply to.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/dsl/lower.h"
#include "compiler/dsl/parser.h"
#include "compiler/dsl/printer_support.h"
#include "compiler/suppressions.h"

namespace writ {

namespace dsl_print {

std::string quote(std::string_view text) { return expr::quote_string(text, true); }

std::string duration(std::int64_t seconds) {
  // Hours up to a week (regulations count `72h`), days beyond.
  if (seconds != 0 && seconds % 86400 == 0 && seconds > 7 * 86400) return std::to_string(seconds / 86400) + "d";
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {{3600, "h"}, {60, "m"}};
  for (const auto& [size, unit] : kUnits) {
    if (seconds != 0 && seconds % size == 0) return std::to_string(seconds / size) + unit;
  }
  return std::to_string(seconds) + "s";
}

std::string pad(std::string_view keyword, std::size_t width) {
  std::string out(keyword);
  out.resize(std::max(width, keyword.size()), ' ');
  return out + " ";
}

std::string join_names(const std::vector<ast::Name>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n.value;
  return out;
}

std::string expression(const expr::NodePtr& node) { return node ? expr::to_source(*node) : "null"; }

// A preserve path: a string template in the DSL's own string syntax.
std::string template_string(const expr::NodePtr& node) { return quote(node ? expr::template_source(*node) : ""); }

namespace {

// A .writ word: a letter or `_`, then letters, digits and `_` (an identifier), and also `-`
// and `.` where tags and ids allow them.
bool is_word(std::string_view text, bool dashes_and_dots) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (dashes_and_dots && (c == '-' || c == '.'));
  });
}

bool is_tag(std::string_view text) { return is_word(text, true); }

std::string_view trim_right(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

bool is_dsl_source(const SourcePtr& source) {
  return source && source->path().size() >= 5 && source->path().ends_with(".writ");
}

// Comments of a .writ text: `#` or `//` outside a string, to the end of the line.
std::vector<Comment> scan_comments(const SourceFile& source) {
  std::vector<Comment> out;
  std::string_view text = source.text();
  bool code_on_line = false;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '\n') {
      code_on_line = false;
      ++i;
    } else if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c && text[i] != '\n'; ++i) i += text[i] == '\\' ? 1 : 0;
      ++i;
      code_on_line = true;
    } else if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
      std::size_t end = std::min(text.find('\n', i), text.size());
      std::string_view body = text.substr(i, end - i);
      body = trim_right(body);
      out.push_back({static_cast<std::uint32_t>(i), std::string(body), code_on_line});
      i = end;
    } else {
      code_on_line = code_on_line || (c != ' ' && c != '\t' && c != '\r');
      ++i;
    }
  }
  return out;
}

// A YAML source keeps only its suppression comments, verbatim.
std::vector<Comment> suppression_comments(const ast::File& file) {
  std::vector<Comment> out;
  if (!file.source) return out;
  std::string_view text = file.source->text();
  auto scanned = file.suppressions.empty() ? scan_suppressions(file.source) : file.suppressions;
  for (const auto& s : scanned) {
    if (s.span.end > text.size() || s.span.empty()) continue;
    out.push_back({s.span.begin, std::string(trim_right(text.substr(s.span.begin, s.span.end - s.span.begin))), false});
  }
  std::sort(out.begin(), out.end(), [](const Comment& a, const Comment& b) { return a.begin < b.begin; });
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Writer

Writer::Writer(const ast::File& file) : source_(file.source), keep_blank_lines_(is_dsl_source(file.source)) {
  if (keep_blank_lines_) {
    comments_ = scan_comments(*source_);
  } else {
    comments_ = suppression_comments(file);
  }
}

int Writer::line_of(std::uint32_t offset) const { return source_ ? source_->locate(offset).line : 0; }

bool Writer::blank_before(std::uint32_t offset) const {
  int at = line_of(offset);
  if (!keep_blank_lines_ || at <= 1) return false;
  std::string_view previous = source_->line_text(at - 1);
  return previous.find_first_not_of(" \t\r") == std::string_view::npos;
}

void Writer::start_output() {
  collecting_ = false;
  std::sort(anchors_.begin(), anchors_.end());
  for (std::size_t i = 0; i < comments_.size(); ++i) {
    const Comment& c = comments_[i];
    auto next = std::upper_bound(anchors_.begin(), anchors_.end(), c.begin);
    if (c.trailing) {
      int at = line_of(c.begin);
      auto first_on_line = std::find_if(anchors_.begin(), next, [&](std::uint32_t a) { return line_of(a) == at; });
      if (first_on_line != next) {
        trailing_[*first_on_line].push_back(i);
        continue;
      }
    }
    if (next == anchors_.end()) {
      tail_.push_back(i);
    } else {
      leading_[*next].push_back(i);
    }
  }
}

void Writer::emit_leading(std::uint32_t anchor, int indent) {
  auto it = leading_.find(anchor);
  if (it != leading_.end()) {
    for (std::size_t i : it->second) {
      if (blank_before(comments_[i].begin)) blank();
      out_ += std::string(static_cast<std::size_t>(indent) * 2, ' ') + comments_[i].text + "\n";
    }
    leading_.erase(it);
  }
  if (blank_before(anchor)) blank();
}

std::string Writer::trailing(std::uint32_t anchor) {
  std::string out;
  auto it = trailing_.find(anchor);
  if (it == trailing_.end()) return out;
  for (std::size_t i : it->second) out += "  " + comments_[i].text;
  trailing_.erase(it);
  return out;
}

void Writer::line(int indent, const std::string& text, std::optional<Span> anchor) {
  if (collecting_) {
    if (anchor && source_) anchors_.push_back(anchor->begin);
    return;
  }
  if (anchor && source_) emit_leading(anchor->begin, indent);
  out_ += std::string(static_cast<std::size_t>(indent) * 2, ' ') + text;
  if (anchor && source_) out_ += trailing(anchor->begin);
  out_ += "\n";
}

void Writer::close(int indent, std::uint32_t end) {
  // The anchor of a block's end is its `}`.
  std::uint32_t brace = end == 0 ? 0 : end - 1;
  if (collecting_) {
    if (source_) anchors_.push_back(brace);
    return;
  }
  auto it = leading_.find(brace);
  if (it != leading_.end()) {
    for (std::size_t i : it->second) {
      if (blank_before(comments_[i].begin)) blank();
      out_ += std::string(static_cast<std::size_t>(indent + 1) * 2, ' ') + comments_[i].text + "\n";
    }
    leading_.erase(it);
  }
  out_ += std::string(static_cast<std::size_t>(indent) * 2, ' ') + "}" + trailing(brace) + "\n";
}

std::string Writer::duration(const ast::Located<std::int64_t>& value) const {
  // `writ fmt` keeps a duration's unit as written (60m, 3d, 4bd) when it means the same.
  if (keep_blank_lines_ && value.span.end <= source_->text().size() && value.span.end > value.span.begin) {
    std::string_view written =
        std::string_view(source_->text()).substr(value.span.begin, value.span.end - value.span.begin);
    if (dsl_internal::duration_seconds(written) == value.value) return std::string(written);
  }
  return dsl_print::duration(value.value);
}

void Writer::blank() {
  if (!collecting_ && !out_.empty() && !out_.ends_with("\n\n") && !out_.ends_with("{\n")) out_ += "\n";
}

std::string Writer::finish() {
  // Comments whose anchor was never printed (none in practice) keep their place at the end.
  for (const auto& [anchor, indices] : leading_) tail_.insert(tail_.end(), indices.begin(), indices.end());
  for (const auto& [anchor, indices] : trailing_) tail_.insert(tail_.end(), indices.begin(), indices.end());
  std::sort(tail_.begin(), tail_.end());
  for (std::size_t i : tail_) {
    if (blank_before(comments_[i].begin)) blank();
    out_ += comments_[i].text + "\n";
  }
  return std::move(out_);
}

// ---------------------------------------------------------------------------------------
// Runbooks

namespace {

// A string argument, or a string element of a list argument (at any depth), is a template, as
// in YAML: a value holding "{{" prints as `{{ "…" }}`. An enum constant in a list prints bare.
std::string argument_value(const expr::NodePtr& value, bool element) {
  if (!value) return expression(value);
  const auto* text = value->kind == expr::Node::Kind::Literal ? std::get_if<std::string>(&value->literal.v) : nullptr;
  bool templated =
      value->kind == expr::Node::Kind::Interpolation || (text && (!element || text->find("{{") != std::string::npos));
  if (templated) return expr::template_literal(*value);
  if (value->kind != expr::Node::Kind::List) return expression(value);
  std::string out;
  for (const auto& e : value->children) out += (out.empty() ? "" : ", ") + argument_value(e, true);
  return "[" + out + "]";
}

std::string arguments(const std::vector<ast::Argument>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : ", ") + a.name.value + ": " + argument_value(a.value, false);
  return out;
}

std::string event_inline(const std::vector<ast::EventField>& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ", ") + f.name.value + ": " + f.type.value;
  return fields.empty() ? "{ }" : "{ " + out + " }";
}

std::string on_failure(ast::OnFailure value) {
  switch (value) {
    case ast::OnFailure::Rollback:
      return "rollback";
    case ast::OnFailure::Continue:
      return "continue";
    case ast::OnFailure::Halt:
      break;
  }
  return "halt";
}

std::optional<Span> first_span(const std::vector<ast::Name>& names) {
  return names.empty() ? std::nullopt : std::optional<Span>(names.front().span);
}

// `indent`: 1 for a runbook's step, 2 inside a `parallel` block.
void print_step(Writer& w, const ast::Step& step, int indent) {
  std::vector<ast::Argument> args = step.args;  // YAML keys that are arguments print as arguments
  args.insert(args.end(), step.key_args.begin(), step.key_args.end());
  std::string head = "step " + step.id.value + " = " + step.action.value + "(" + arguments(args) + ")";
  if (const auto& loop = step.for_each) head += " for " + loop->variable.value + " in " + expression(loop->list);
  std::vector<std::pair<std::string, std::optional<Span>>> body;
  if (const auto& a = step.approval) {
    std::string text = "approve";
    if (!a->roles.empty()) text += " " + join_names(a->roles);
    if (a->timeout_seconds) text += " within " + w.duration(*a->timeout_seconds);
    body.emplace_back(text, a->span);
  }
  if (const auto& r = step.rollback) {
    std::string text = pad("rollback", 8) + r->action.value;
    if (!r->args.empty()) text += "(" + arguments(r->args) + ")";
    body.emplace_back(text, r->span);
  }
  if (!step.preserve.empty()) {
    std::string paths;
    for (const auto& p : step.preserve) paths += (paths.empty() ? "" : ", ") + template_string(p.value);
    body.emplace_back(pad("preserve", 8) + paths, step.preserve.front().span);
  }
  if (step.deadline_seconds) {
    body.emplace_back(pad("deadline", 8) + w.duration(*step.deadline_seconds), step.deadline_seconds->span);
  }
  if (step.timeout_seconds) {
    body.emplace_back(pad("timeout", 8) + w.duration(*step.timeout_seconds), step.timeout_seconds->span);
  }
  if (step.when) body.emplace_back(pad("when", 8) + expression(step.when), step.when->span);
  if (step.retries) body.emplace_back(pad("retries", 8) + std::to_string(step.retries->value), step.retries->span);
  if (step.on_failure) {
    body.emplace_back(pad("on_failure", 8) + on_failure(step.on_failure->value), step.on_failure->span);
  }
  if (!step.satisfies.empty())
    body.emplace_back(pad("satisfies", 8) + join_names(step.satisfies), first_span(step.satisfies));
  if (step.assignee) body.emplace_back(pad("assignee", 8) + step.assignee->value, step.assignee->span);
  if (step.within_seconds) {
    body.emplace_back(pad("within", 8) + w.duration(*step.within_seconds), step.within_seconds->span);
  }
  if (body.empty()) {
    w.line(indent, head, step.head);
    return;
  }
  w.line(indent, head + " {", step.head);
  for (const auto& [text, anchor] : body) w.line(indent + 1, text, anchor);
  w.close(indent, step.span.end);
}

// The steps in order; the members of a parallel block (consecutive, with its number) inside
// `parallel { }`.
void print_steps(Writer& w, const ast::Runbook& rb) {
  for (std::size_t i = 0; i < rb.steps.size();) {
    int block = rb.steps[i].parallel_block;
    if (block == 0) {
      print_step(w, rb.steps[i++], 1);
      continue;
    }
    auto index = static_cast<std::size_t>(block - 1);
    std::optional<Span> span = index < rb.parallel.size() ? std::optional(rb.parallel[index]) : std::nullopt;
    w.line(1, "parallel {", span ? std::optional(Span{span->begin, span->begin}) : std::nullopt);
    for (; i < rb.steps.size() && rb.steps[i].parallel_block == block; ++i) print_step(w, rb.steps[i], 2);
    w.close(1, span ? span->end : 0);
  }
}

std::string comply_list(const std::vector<ast::Name>& tags) {
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ", ") + (is_tag(t.value) ? t.value : quote(t.value));
  return out;
}

}  // namespace

void print_runbook(Writer& w, const ast::Runbook& rb) {
  w.line(0, "runbook " + rb.id.value + " {", rb.head);
  if (!rb.title.value.empty()) w.line(1, pad("title", 8) + quote(rb.title.value), rb.title.span);
  if (!rb.severity.value.empty()) w.line(1, pad("severity", 8) + rb.severity.value, rb.severity.span);
  if (!rb.compliance.empty()) w.line(1, pad("comply", 8) + comply_list(rb.compliance), first_span(rb.compliance));
  const std::pair<const char*, const std::optional<ast::Name>*> metadata[] = {
      {"version", &rb.version}, {"owner", &rb.owner}, {"last_updated", &rb.last_updated}};
  for (const auto& [keyword, value] : metadata) {
    if (*value) w.line(1, pad(keyword, 8) + quote((*value)->value), (*value)->span);
  }
  if (rb.event_declared) {
    std::optional<Span> anchor;
    if (!rb.event.empty()) anchor = rb.event.front().name.span;
    w.line(1, pad("event", 8) + event_inline(rb.event), anchor);
  }
  if (rb.when) w.line(1, pad("when", 8) + expression(rb.when), rb.when->span);
  if (!rb.steps.empty()) w.blank();
  print_steps(w, rb);
  w.close(0, rb.span.end);
}

}  // namespace dsl_print

std::string print_dsl(const ast::File& file) {
  using Print = std::function<void(dsl_print::Writer&)>;
  struct Item {
    std::uint32_t begin;
    bool one_line;
    Print print;
  };
  std::vector<Item> items;
  for (const auto& rb : file.runbooks)
    items.push_back({rb.span.begin, false, [&rb](auto& w) { print_runbook(w, rb); }});
  for (const auto& d : file.types) items.push_back({d.span.begin, true, [&d](auto& w) { print_type(w, d); }});
  for (const auto& d : file.enums) items.push_back({d.span.begin, true, [&d](auto& w) { print_enum(w, d); }});
  for (const auto& d : file.events) items.push_back({d.span.begin, false, [&d](auto& w) { print_event(w, d); }});
  for (const auto& d : file.actions) items.push_back({d.span.begin, false, [&d](auto& w) { print_action(w, d); }});
  for (const auto& d : file.regulations) {
    items.push_back({d.span.begin, false, [&d](auto& w) { print_regulation(w, d); }});
  }
  for (const auto& d : file.policies) items.push_back({d.span.begin, false, [&d](auto& w) { print_policy(w, d); }});
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.begin < b.begin; });

  dsl_print::Writer w(file);
  auto print_all = [&] {
    bool previous_one_line = false;
    for (const auto& item : items) {
      if (!(item.one_line && previous_one_line)) w.blank();
      item.print(w);
      previous_one_line = item.one_line;
    }
  };
  print_all();  // collects the anchors
  w.start_output();
  print_all();
  return w.finish();
}

std::vector<Diagnostic> unprintable_names(const ast::File& file) {
  std::vector<Diagnostic> out;
  auto refuse = [&](const ast::Name& name, bool is_id, const char* what, const std::string& runbook,
                    const std::string& step) {
    if (dsl_print::is_word(name.value, is_id)) return;
    Diagnostic d;
    d.source = file.source;
    d.span = name.span;
    d.message = fmt::format("{} \"{}\" cannot be written in .writ", what, name.value);
    d.help.push_back(
        is_id ? "a .writ id starts with a letter or `_` and holds letters, digits, `_`, `-` and `.`; rename it"
              : "a .writ event field is an identifier: letters, digits and `_`, not starting with a digit");
    d.runbook = runbook;
    d.step = step;
    out.push_back(std::move(d));
  };
  for (const auto& rb : file.runbooks) {
    refuse(rb.id, true, "runbook id", rb.id.value, "");
    for (const auto& field : rb.event) refuse(field.name, false, "event field", rb.id.value, "");
    for (const auto& step : rb.steps) refuse(step.id, true, "step id", rb.id.value, step.id.value);
  }
  return out;
}

}  // namespace writ
