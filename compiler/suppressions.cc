#include "compiler/suppressions.h"

#include <ctime>
#include <fmt/format.h>
#include <regex>

#include "common/text.h"

namespace writ {

namespace {

bool is_blank_or_comment(std::string_view line) {
  auto pos = line.find_first_not_of(" \t");
  if (pos == std::string_view::npos) return true;
  return line[pos] == '#' || line.substr(pos, 2) == "//";
}

// Parses `key="value"` or `key=value` pairs after the rule id.
void parse_options(ast::SuppressionComment& s, std::string_view rest, std::uint32_t base) {
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
    std::size_t key_begin = i;
    while (i < rest.size() && rest[i] != '=' && rest[i] != ' ') ++i;
    std::string_view key = rest.substr(key_begin, i - key_begin);
    if (i >= rest.size() || rest[i] != '=') break;
    ++i;
    std::size_t value_begin = i;
    std::string value;
    if (i < rest.size() && rest[i] == '"') {
      ++i;
      while (i < rest.size() && rest[i] != '"') {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value.push_back(rest[i++]);
      }
      if (i < rest.size()) ++i;
    } else {
      while (i < rest.size() && rest[i] != ' ' && rest[i] != '\t') value.push_back(rest[i++]);
    }
    Span span{base + static_cast<std::uint32_t>(key_begin), base + static_cast<std::uint32_t>(i)};
    (void)value_begin;
    if (key == "reason") s.reason = ast::Located<std::string>{value, span};
    if (key == "expires") s.expires = ast::Located<std::string>{value, span};
  }
}

bool valid_date(const std::string& date) {
  static const std::regex kDate(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
  return std::regex_match(date, kDate);
}

}  // namespace

std::string utc_today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::vector<ast::SuppressionComment> scan_suppressions(const SourcePtr& source) {
  std::vector<ast::SuppressionComment> out;
  constexpr std::string_view kMarker = "writ:ignore";
  for (int line = 1; line <= source->line_count(); ++line) {
    std::string_view text = source->line_text(line);
    auto pos = text.find_first_not_of(" \t");
    if (pos == std::string_view::npos) continue;
    std::size_t body = text[pos] == '#' ? pos + 1 : text.substr(pos, 2) == "//" ? pos + 2 : std::string_view::npos;
    if (body == std::string_view::npos) continue;
    body = text.find_first_not_of(" \t", body);
    if (body == std::string_view::npos || text.substr(body, kMarker.size()) != kMarker) continue;
    std::uint32_t base = source->line_start(line);
    ast::SuppressionComment s;
    s.span = {base + static_cast<std::uint32_t>(pos), base + static_cast<std::uint32_t>(text.size())};
    std::size_t rule_begin = text.find_first_not_of(" \t", body + kMarker.size());
    std::size_t rule_end = rule_begin == std::string_view::npos ? text.size() : text.find_first_of(" \t", rule_begin);
    if (rule_end == std::string_view::npos) rule_end = text.size();
    if (rule_begin != std::string_view::npos) {
      s.rule = {std::string(text.substr(rule_begin, rule_end - rule_begin)),
                {base + static_cast<std::uint32_t>(rule_begin), base + static_cast<std::uint32_t>(rule_end)}};
      parse_options(s, text.substr(rule_end), base + static_cast<std::uint32_t>(rule_end));
    } else {
      s.rule.span = s.span;
    }
    int target = line + 1;
    while (target <= source->line_count() && is_blank_or_comment(source->line_text(target))) ++target;
    s.target_line = target;
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// True when the suppression is valid; otherwise reports why and returns false.
bool validate(const ast::SuppressionComment& s, const SourcePtr& source, const std::string& today,
              std::vector<Diagnostic>& out) {
  auto invalid = [&](Span span, std::string message) {
    Diagnostic d;
    d.rule = Rule::InvalidSuppression;
    d.severity = rule_info(d.rule).severity;
    d.source = source;
    d.span = span;
    d.message = std::move(message);
    out.push_back(std::move(d));
    return false;
  };
  if (s.rule.value.empty()) return invalid(s.span, "`writ:ignore` names no rule");
  if (!rule_from_id(s.rule.value)) {
    std::vector<std::string> ids;
    for (const auto& info : all_rules()) ids.emplace_back(info.id);
    invalid(s.rule.span, fmt::format("`writ:ignore` names unknown rule `{}`", s.rule.value));
    if (auto hint = did_you_mean(s.rule.value, ids)) out.back().help.push_back(fmt::format("did you mean `{}`?", *hint));
    return false;
  }
  if (s.rule.value == "invalid-suppression") return invalid(s.rule.span, "`invalid-suppression` cannot be suppressed");
  if (!s.reason || s.reason->value.empty()) {
    invalid(s.span, fmt::format("suppression of `{}` has no reason", s.rule.value));
    out.back().help.push_back("add reason=\"why this finding is acceptable\"");
    return false;
  }
  if (s.expires && !valid_date(s.expires->value)) {
    return invalid(s.expires->span, fmt::format("expiry `{}` is not a YYYY-MM-DD date", s.expires->value));
  }
  if (s.expires && s.expires->value < today) {
    return invalid(s.expires->span, fmt::format("suppression of `{}` expired on {}", s.rule.value, s.expires->value));
  }
  return true;
}

int line_of(const SourcePtr& source, Span span) { return source->locate(span.begin).line; }

bool covers(const ast::File& file, const ast::SuppressionComment& s, const Diagnostic& d) {
  if (d.rule == Rule::InvalidSuppression || s.rule.value != rule_info(d.rule).id) return false;
  if (d.source && !d.whole_file && line_of(d.source, d.span) == s.target_line) return true;
  for (const auto& rb : file.runbooks) {
    if (rb.id.value != d.runbook) continue;
    if (line_of(file.source, rb.head) == s.target_line) return true;
    for (const auto& step : rb.steps) {
      if (step.id.value == d.step && line_of(file.source, step.head) == s.target_line) return true;
    }
  }
  return false;
}

}  // namespace

void apply_suppressions(const ast::File& file, const std::string& today, std::vector<Diagnostic>& diagnostics) {
  std::vector<Diagnostic> invalid;
  for (const auto& s : file.suppressions) {
    if (!validate(s, file.source, today, invalid)) continue;
    for (auto& d : diagnostics) {
      if (!d.suppressed_by && covers(file, s, d)) d.suppressed_by = s.reason->value;
    }
  }
  for (auto& d : invalid) diagnostics.push_back(std::move(d));
}

}  // namespace writ
