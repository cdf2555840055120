// Internal to the YAML front-end: maps the decoded value of a YAML scalar back to the bytes
// of the source it came from, so a `{{ }}` template error points at the exact character even
// inside a double-quoted string with escapes or a block scalar. yaml-cpp reports only where a
// node starts; this re-scans the raw text from there.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace writ::yaml_detail {

struct ScalarText {
  std::uint32_t begin = 0;  // first byte of the scalar (its quote or `|`/`>`), after anchor/tag
  std::uint32_t end = 0;    // one past its last byte (closing quote included)
  // offsets[i] is the source offset of value byte i; one extra entry for the end of the value.
  std::vector<std::uint32_t> offsets;
  // False when the raw text could not be matched to the value: every offset is then `begin`.
  bool exact = false;
  // True when offsets[i] == offsets[0] + i throughout (the value is a verbatim slice).
  bool contiguous() const;
};

// `pos` is where yaml-cpp says the node starts (its Mark().pos, which includes any `&anchor`
// or `!tag`); `value` is the decoded scalar. Never fails: falls back to `exact == false`.
ScalarText map_scalar(std::string_view source, std::uint32_t pos, std::string_view value);

// Skips `&anchor` / `!tag` properties (and the blanks after them) starting at `pos`.
std::uint32_t skip_node_properties(std::string_view source, std::uint32_t pos);

}  // namespace writ::yaml_detail
