#include "runtime/json_input.h"

#include <fmt/format.h>

#include <optional>
#include <unordered_set>
#include <vector>

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

// Object keys seen so far in each open object, indexed by nesting depth: a lenient parser keeps
// the last of two equal keys, so `{"approved": false, "approved": true}` would approve.
class DuplicateKeys {
 public:
  void object_start(std::size_t depth) {
    if (open_.size() <= depth) open_.resize(depth + 1);
    open_[depth].clear();
  }
  void key(std::size_t depth, const nlohmann::json& key) {
    ++keys_;
    if (depth == 0 || depth > open_.size() || first_) return;
    if (!open_[depth - 1].insert(key.get<std::string>()).second) first_ = Duplicate{keys_, key.get<std::string>()};
  }
  // Throws for the first duplicate key, at its position in `text` (which parsed).
  void check(std::string_view text, std::string_view origin) const {
    if (!first_) return;
    auto shown = nlohmann::json(first_->key.substr(0, 80)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    throw JsonInputError(fmt::format("{}:{}: duplicate key {}", origin, position(text, nth_key(text, first_->ordinal)), shown));
  }

 private:
  struct Duplicate {
    std::size_t ordinal;  // 1-based, among all object keys in document order
    std::string key;
  };
  // Byte offset of the `ordinal`-th object key of valid JSON: the strings followed by `:`.
  static std::size_t nth_key(std::string_view text, std::size_t ordinal) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '"') continue;
      const std::size_t start = i;
      for (++i; i < text.size() && text[i] != '"'; ++i) i += text[i] == '\\' ? 1 : 0;
      std::size_t next = i + 1;
      while (next < text.size() && (text[next] == ' ' || text[next] == '\t' || text[next] == '\n' || text[next] == '\r')) ++next;
      if (next < text.size() && text[next] == ':' && ++seen == ordinal) return start;
    }
    return 0;
  }

  std::vector<std::unordered_set<std::string>> open_;
  std::size_t keys_ = 0;
  std::optional<Duplicate> first_;
};

}  // namespace

nlohmann::json parse_json(std::string_view text, std::string_view origin, std::size_t max_depth) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so `{...}\0garbage` would
  // parse; JSON never holds a raw NUL (not even inside a string), so refuse it here.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    throw JsonInputError(fmt::format("{}:{}: invalid JSON: a NUL byte", origin, position(text, nul)));
  }
  bool too_deep = false;
  DuplicateKeys duplicates;
  using Event = nlohmann::json::parse_event_t;
  auto watch = [&](int depth, Event event, nlohmann::json& parsed) {
    if (too_deep) return false;
    if (event == Event::object_start || event == Event::array_start) {
      too_deep = static_cast<std::size_t>(depth) >= max_depth;
      if (event == Event::object_start && !too_deep) duplicates.object_start(static_cast<std::size_t>(depth));
    } else if (event == Event::key) {
      duplicates.key(static_cast<std::size_t>(depth), parsed);
    }
    return !too_deep;
  };
  try {
    auto value = nlohmann::json::parse(text.begin(), text.end(), watch);
    if (too_deep) throw JsonInputError(fmt::format("{}: JSON nested deeper than {} levels", origin, max_depth));
    duplicates.check(text, origin);
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
