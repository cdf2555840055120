// Types, values and text origins of the expression language (compiler/expr/expr.h).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "compiler/expr/expr.h"

namespace writ::expr {

// ---------------------------------------------------------------------------------------
// Types
Type Type::list(Type element) { return Type{Kind::List, {}, std::make_shared<const Type>(std::move(element))}; }

std::string Type::to_string() const {
  switch (kind) {
    case Kind::Error:
      return "<error>";
    case Kind::Null:
      return "null";
    case Kind::String:
      return "string";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::Bool:
      return "bool";
    case Kind::Duration:
      return "duration";
    case Kind::Timestamp:
      return "timestamp";
    case Kind::Nominal:
      return name;
    case Kind::List:
      return "list<" + (element ? element->to_string() : std::string("empty")) + ">";
  }
  return "<error>";
}

bool operator==(const Type& a, const Type& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == Type::Kind::Nominal) return a.name == b.name;
  if (a.kind == Type::Kind::List) {
    if (!a.element || !b.element) return !a.element && !b.element;
    return *a.element == *b.element;
  }
  return true;
}

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<Type> parse_type_name(std::string_view text, const std::set<std::string>& nominals) {
  text = trim(text);
  using K = Type::Kind;
  static constexpr std::pair<std::string_view, K> kScalars[] = {
      {"string", K::String}, {"int", K::Int},           {"float", K::Float},
      {"bool", K::Bool},     {"duration", K::Duration}, {"timestamp", K::Timestamp},
  };
  for (const auto& [spelling, kind] : kScalars) {
    if (text == spelling) return Type::of(kind);
  }
  if (text.starts_with("list") && text.size() > 4) {
    std::string_view rest = trim(text.substr(4));
    if (rest.size() < 2 || rest.front() != '<' || rest.back() != '>') return std::nullopt;
    auto element = parse_type_name(rest.substr(1, rest.size() - 2), nominals);
    if (!element) return std::nullopt;
    return Type::list(*element);
  }
  if (nominals.count(std::string(text)) != 0) return Type::nominal(std::string(text));
  return std::nullopt;
}

bool assignable(const Type& from, const Type& to) {
  using K = Type::Kind;
  if (from.is_error() || to.is_error()) return true;
  if (from == to) return true;
  if (from.kind == K::Null) return true;  // absent values are null at run time
  if (from.kind == K::String && to.kind == K::Nominal) return true;
  if (from.kind == K::Nominal && to.kind == K::String) return true;  // a host is a string
  if (from.kind == K::Int && to.kind == K::Float) return true;
  if (from.kind == K::List && to.kind == K::List) {
    if (!from.element) return true;  // the empty list literal
    if (!to.element) return false;
    return assignable(*from.element, *to.element);
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Values
namespace {

std::string display_double(double d) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  if (ec != std::errc()) return "nan";
  return std::string(buffer, end);
}

std::string display_duration(std::int64_t seconds) {
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}};
  if (seconds == 0) return "0s";
  for (const auto& [size, unit] : kUnits) {
    if (seconds % size == 0) return std::to_string(seconds / size) + unit;
  }
  return std::to_string(seconds) + "s";
}

std::string display_timestamp(std::int64_t unix_seconds) {
  using namespace std::chrono;
  sys_seconds time{seconds{unix_seconds}};
  auto day = floor<days>(time);
  year_month_day date{day};
  hh_mm_ss clock{time - day};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

}  // namespace

std::string Value::to_display() const {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "";
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return display_double(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, DurationValue>) {
          return display_duration(x.seconds);
        } else if constexpr (std::is_same_v<T, TimestampValue>) {
          return display_timestamp(x.unix_seconds);
        } else {
          std::string out;
          for (const auto& element : x) {
            if (!out.empty()) out += ", ";
            out += element.to_display();
          }
          return out;
        }
      },
      v);
}

// ---------------------------------------------------------------------------------------
// Text origins
std::uint32_t TextOrigin::at(std::size_t i) const {
  if (offsets.empty()) return base + static_cast<std::uint32_t>(i);
  return offsets[std::min(i, offsets.size() - 1)];
}

Span TextOrigin::span(std::size_t begin, std::size_t end) const {
  Span out = unclamped_span(begin, end);
  if (!source) return out;
  // A value yaml-cpp decoded from text the scalar map could not match (say a malformed tag at
  // the end of the file) maps every offset to where the scalar should start, possibly the end.
  auto size = static_cast<std::uint32_t>(source->text().size());
  return {std::min(out.begin, size), std::min(out.end, size)};
}

Span TextOrigin::unclamped_span(std::size_t begin, std::size_t end) const {
  std::uint32_t first = at(begin);
  if (end <= begin) return {first, first};
  std::uint32_t last = at(end - 1) + 1;
  std::uint32_t next = at(end);
  // An escape sequence occupies several source bytes: extend the span to where the next value
  // byte starts, unless a line break lies between (a folded block scalar's line end).
  if (next > last && source && next <= source->text().size()) {
    std::string_view gap(source->text().data() + last, next - last);
    if (gap.find('\n') == std::string_view::npos) return {first, next};
  }
  return {first, std::max(first, last)};
}

}  // namespace writ::expr
