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

// Keys of each open object, indexed by nesting depth, to name the first key an object holds
// twice. Only run on text known to hold one (the fast check in parse_json counts keys).
class FirstDuplicate {
 public:
  void object_start(std::size_t depth) {
    if (open_.size() <= depth) open_.resize(depth + 1);
    open_[depth].clear();
  }
  void key(std::size_t depth, const std::string& key) {
    ++keys_;
    if (depth == 0 || depth > open_.size() || found_) return;
    if (!open_[depth - 1].insert(key).second) found_ = Found{keys_, key};
  }
  // "<origin>:<line>:<col>: duplicate key "k"", at the key's position in `text`.
  std::string message(std::string_view text, std::string_view origin) const {
    if (!found_) return fmt::format("{}: invalid JSON: an object holds a key twice", origin);
    auto shown = nlohmann::json(found_->key.substr(0, 80)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return fmt::format("{}:{}: duplicate key {}", origin, position(text, nth_key(text, found_->ordinal)), shown);
  }

 private:
  struct Found {
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
  std::optional<Found> found_;
};

// The message for `text`, which parsed but holds an object with a key twice.
std::string duplicate_key_message(std::string_view text, std::string_view origin) {
  FirstDuplicate finder;
  using Event = nlohmann::json::parse_event_t;
  auto watch = [&](int depth, Event event, nlohmann::json& parsed) {
    if (event == Event::object_start) finder.object_start(static_cast<std::size_t>(depth));
    if (event == Event::key) finder.key(static_cast<std::size_t>(depth), parsed.get_ref<const std::string&>());
    return false;  // keep nothing: only the keys matter
  };
  const auto discarded = nlohmann::json::parse(text.begin(), text.end(), watch);
  (void)discarded;
  return finder.message(text, origin);
}

}  // namespace

nlohmann::json parse_json(std::string_view text, std::string_view origin, std::size_t max_depth) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so `{...}\0garbage` would
  // parse; JSON never holds a raw NUL (not even inside a string), so refuse it here.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    throw JsonInputError(fmt::format("{}:{}: invalid JSON: a NUL byte", origin, position(text, nul)));
  }
  bool too_deep = false;
  // A lenient parser keeps the last of two equal keys (`{"approved": false, "approved": true}`
  // would approve). Cheap check: an object that saw more keys than it ends up holding.
  bool duplicate = false;
  std::vector<std::size_t> keys_seen;  // per open object
  using Event = nlohmann::json::parse_event_t;
  auto watch = [&](int depth, Event event, nlohmann::json& parsed) {
    if (too_deep) return false;
    if (event == Event::object_start || event == Event::array_start) {
      too_deep = static_cast<std::size_t>(depth) >= max_depth;
      if (event == Event::object_start && !too_deep) keys_seen.push_back(0);
    } else if (event == Event::key) {
      ++keys_seen.back();
    } else if (event == Event::object_end) {
      duplicate = duplicate || parsed.size() != keys_seen.back();
      keys_seen.pop_back();
    }
    return !too_deep;
  };
  try {
    auto value = nlohmann::json::parse(text.begin(), text.end(), watch);
    if (too_deep) throw JsonInputError(fmt::format("{}: JSON nested deeper than {} levels", origin, max_depth));
    if (duplicate) throw JsonInputError(duplicate_key_message(text, origin));
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
