#include "runtime/event.h"

#include <chrono>
#include <fmt/format.h>

#include "runtime/clock.h"
#include "runtime/json_input.h"
#include "runtime/nominal_types.h"

namespace writ::runtime {

namespace {

struct Mismatch {
  std::string message;
};

expr::Value convert(const nlohmann::json& json, const expr::Type& type);

std::optional<std::int64_t> parse_duration(const nlohmann::json& json) {
  if (json.is_number_integer()) return json.get<std::int64_t>();
  if (!json.is_string()) return std::nullopt;
  const auto text = json.get<std::string>();
  if (text.size() < 2) return std::nullopt;
  std::int64_t amount = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || amount > 1'000'000'000) return std::nullopt;
    amount = amount * 10 + (text[i] - '0');
  }
  switch (text.back()) {
    case 's': return amount;
    case 'm': return amount * 60;
    case 'h': return amount * 3600;
    case 'd': return amount * 86400;
    default: return std::nullopt;
  }
}

expr::Value convert_string(const nlohmann::json& json, const expr::Type& type) {
  if (!json.is_string()) throw Mismatch{fmt::format("expected {}, got {}", type.to_string(), json_kind(json))};
  auto text = json.get<std::string>();
  if (type.kind == expr::Type::Kind::Nominal) {
    if (text.empty()) throw Mismatch{fmt::format("expected {}, got an empty string", type.name)};
    if (auto why = nominal_violation(type.name, text)) throw Mismatch{fmt::format("{} {}", quote_for_message(text), *why)};
  }
  return expr::Value{std::move(text)};
}

expr::Value convert_list(const nlohmann::json& json, const expr::Type& type) {
  if (!json.is_array()) throw Mismatch{fmt::format("expected {}, got {}", type.to_string(), json_kind(json))};
  expr::ValueList items;
  for (std::size_t i = 0; i < json.size(); ++i) {
    try {
      items.push_back(type.element ? convert(json[i], *type.element) : expr::Value{});
    } catch (const Mismatch& m) {
      throw Mismatch{fmt::format("element {}: {}", i, m.message)};
    }
  }
  return expr::Value{std::move(items)};
}

expr::Value convert(const nlohmann::json& json, const expr::Type& type) {
  using Kind = expr::Type::Kind;
  auto mismatch = [&] { return Mismatch{fmt::format("expected {}, got {}", type.to_string(), json_kind(json))}; };
  switch (type.kind) {
    case Kind::String:
    case Kind::Nominal: return convert_string(json, type);
    case Kind::Int:
      if (!json.is_number_integer() || (json.is_number_unsigned() && json.get<std::uint64_t>() > INT64_MAX)) throw mismatch();
      return expr::Value{json.get<std::int64_t>()};
    case Kind::Float:
      if (!json.is_number()) throw mismatch();
      return expr::Value{json.get<double>()};
    case Kind::Bool:
      if (!json.is_boolean()) throw mismatch();
      return expr::Value{json.get<bool>()};
    case Kind::Duration: {
      auto seconds = parse_duration(json);
      if (!seconds) throw Mismatch{"expected a duration (integer seconds or \"15m\", \"72h\", \"30s\", \"2d\")"};
      return expr::Value{expr::DurationValue{*seconds}};
    }
    case Kind::Timestamp: {
      auto at = json.is_string() ? parse_rfc3339(json.get<std::string>()) : std::nullopt;
      if (!at) throw Mismatch{"expected an RFC 3339 timestamp such as \"2026-11-27T08:00:00Z\""};
      const auto secs = std::chrono::floor<std::chrono::seconds>(at->time_since_epoch()).count();
      return expr::Value{expr::TimestampValue{secs}};
    }
    case Kind::List: return convert_list(json, type);
    case Kind::Null:
    case Kind::Error: return expr::Value{};
  }
  return expr::Value{};
}

}  // namespace

std::optional<expr::Value> typed_value(const nlohmann::json& json, const expr::Type& type, std::string* why) {
  try {
    return convert(json, type);
  } catch (const Mismatch& m) {
    if (why) *why = m.message;
    return std::nullopt;
  }
}

std::string quote_for_message(std::string_view value, std::size_t limit) {
  const bool cut = value.size() > limit;
  auto quoted = nlohmann::json(std::string(value.substr(0, limit))).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cut) quoted.insert(quoted.size() - 1, "...");
  return quoted;
}

// NUL cuts a C string short: what a program receives would differ from what the journal
// records. Recursion is bounded by the parser's depth limit.
std::optional<std::string> nul_path(const nlohmann::json& json, const std::string& path) {
  if (json.is_string()) return json.get_ref<const std::string&>().find('\0') == std::string::npos ? std::nullopt : std::optional(path);
  if (json.is_array()) {
    for (std::size_t i = 0; i < json.size(); ++i) {
      if (auto found = nul_path(json[i], fmt::format("{}[{}]", path, i))) return found;
    }
  }
  if (json.is_object()) {
    for (const auto& [key, value] : json.items()) {
      const auto inner = path.empty() ? key : path + "." + key;
      if (key.find('\0') != std::string::npos) return quote_for_message(inner);
      if (auto found = nul_path(value, inner)) return found;
    }
  }
  return std::nullopt;
}

std::string Event::id() const {
  auto it = raw.find("id");
  if (it == raw.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return "";
}

std::string Event::severity() const { return raw.value("severity", std::string{}); }

Event parse_event(std::string text, std::string origin, std::size_t max_depth) {
  Event event;
  try {
    event.raw = parse_json(text, origin, max_depth);
  } catch (const JsonInputError& e) {
    throw EventError(e.what());
  }
  if (!event.raw.is_object()) throw EventError(fmt::format("{}: an event must be a JSON object, got {}", origin, json_kind(event.raw)));
  auto severity = event.raw.find("severity");
  if (severity == event.raw.end()) throw EventError(fmt::format("{}: field `severity` is missing (it routes the event)", origin));
  if (!severity->is_string())
    throw EventError(fmt::format("{}: field `severity`: expected string, got {}", origin, json_kind(*severity)));
  if (auto path = nul_path(event.raw, "")) {
    throw EventError(fmt::format("{}: field `{}`: holds a NUL character (U+0000), which would cut the value short", origin, *path));
  }
  event.text = std::move(text);
  event.origin = std::move(origin);
  return event;
}

void type_event(Event& event, std::span<const ir::EventField> schema) {
  event.fields.clear();
  for (const auto& field : schema) {
    auto it = event.raw.find(field.name);
    if (it == event.raw.end() || it->is_null()) continue;
    try {
      event.fields[field.name] = convert(*it, field.type);
    } catch (const Mismatch& m) {
      throw EventError(fmt::format("{}: field `{}`: {}", event.origin, field.name, m.message));
    }
  }
}

expr::Environment make_environment(const Event& event, const std::string& run_id) {
  return expr::Environment{[&event, run_id](std::span<const std::string> path) -> std::optional<expr::Value> {
    if (path.size() == 2 && path[0] == "event") {
      auto it = event.fields.find(path[1]);
      if (it != event.fields.end()) return it->second;
      return std::nullopt;
    }
    if (path.size() == 2 && path[0] == "run" && path[1] == "id") return expr::Value{run_id};
    return std::nullopt;
  }};
}

nlohmann::json value_to_json(const expr::Value& value) {
  struct Visitor {
    nlohmann::json operator()(std::monostate) const { return nullptr; }
    nlohmann::json operator()(bool b) const { return b; }
    nlohmann::json operator()(std::int64_t i) const { return i; }
    nlohmann::json operator()(double d) const { return d; }
    nlohmann::json operator()(const std::string& s) const { return s; }
    nlohmann::json operator()(expr::DurationValue d) const { return d.seconds; }
    nlohmann::json operator()(expr::TimestampValue t) const {
      return format_rfc3339(WallTime{std::chrono::seconds{t.unix_seconds}}).substr(0, 19) + "Z";
    }
    nlohmann::json operator()(const expr::ValueList& list) const {
      auto out = nlohmann::json::array();
      for (const auto& item : list) out.push_back(value_to_json(item));
      return out;
    }
  };
  return std::visit(Visitor{}, value.v);
}

}  // namespace writ::runtime
