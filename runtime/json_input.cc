#include "runtime/json_input.h"

#include <fmt/format.h>

#include "common/regular_file.h"

namespace writ::runtime {

std::string position(std::string_view text, std::size_t byte) {
  int line = 1;
  int col = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++col;
    }
  }
  return fmt::format("{}:{}", line, col);
}

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1,
// column 2: "; keep only the part after the position.
std::string short_reason(const std::string& what) {
  const auto colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

nlohmann::json parse_json(std::string_view text, std::string_view origin, std::size_t max_depth) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so `{...}\0garbage` would
  // parse; JSON never holds a raw NUL (not even inside a string), so refuse it here.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    throw JsonInputError(fmt::format("{}:{}: invalid JSON: a NUL byte", origin, position(text, nul)));
  }
  bool too_deep = false;
  auto limit = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start) &&
        static_cast<std::size_t>(depth) >= max_depth) {
      too_deep = true;
      return false;
    }
    return !too_deep;
  };
  try {
    auto value = nlohmann::json::parse(text.begin(), text.end(), limit);
    if (too_deep) throw JsonInputError(fmt::format("{}: JSON nested deeper than {} levels", origin, max_depth));
    return value;
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t at = e.byte == 0 ? 0 : e.byte - 1;
    throw JsonInputError(fmt::format("{}:{}: invalid JSON: {}", origin, position(text, at), short_reason(e.what())));
  } catch (const nlohmann::json::exception& e) {
    throw JsonInputError(fmt::format("{}: invalid JSON: {}", origin, short_reason(e.what())));
  }
}

std::string read_text_file(const std::string& path, std::size_t max_bytes) {
  auto file = read_regular_file(path, max_bytes);
  if (!file) throw JsonInputError(file.error);
  return std::move(*file.text);
}

nlohmann::json read_json_file(const std::string& path, std::size_t max_bytes, std::size_t max_depth) {
  return parse_json(read_text_file(path, max_bytes), path, max_depth);
}

nlohmann::json tag_floats(const nlohmann::json& value) {
  if (value.is_number_float()) return nlohmann::json{{"$float", nlohmann::json(value).dump()}};
  if (value.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(tag_floats(item));
    return out;
  }
  if (value.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) out[key] = tag_floats(item);
    return out;
  }
  return value;
}

nlohmann::json untag_floats(const nlohmann::json& value) {
  if (value.is_object() && value.size() == 1 && value.contains("$float") && value["$float"].is_string()) {
    auto number = nlohmann::json::parse(value["$float"].get<std::string>(), nullptr, false);
    if (number.is_number()) return number;
    return value;  // not something tag_floats wrote: leave it as it is
  }
  if (value.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(untag_floats(item));
    return out;
  }
  if (value.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) out[key] = untag_floats(item);
    return out;
  }
  return value;
}

std::string json_kind(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "float";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::null: return "null";
    default: return "invalid";
  }
}

}  // namespace writ::runtime
