// Internal to the YAML front-end: a linear scan of the raw text that refuses inputs yaml-cpp
// should never see. yaml-cpp recurses once per nesting level and allocates a heavy object per
// node, so a 100k-deep `[[[[` or a file of millions of tiny nodes is stopped here, before
// parsing. The scan is approximate but errs on the cautious side for depth: it follows flow
// brackets, block indentation, `- ` entries, quotes, comments and block scalars; its node
// count is a lower bound (it never refuses a document that yaml-cpp would count below the
// limit). The loader re-checks both limits exactly on the parsed tree. It also finds where a
// second document starts, so the loader can parse only the first (yaml-cpp's LoadAll can loop
// forever on malformed input).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace writ::yaml_detail {

struct PrescanHit {
  // A limit crossed, or a `,` outside any flow collection (invalid YAML on which yaml-cpp's
  // document loop never ends).
  enum class Kind { Depth, Nodes, StrayComma };
  Kind kind = Kind::Depth;
  std::size_t offset = 0;  // the byte where it happened
};

struct Prescan {
  std::optional<PrescanHit> hit;               // do not hand the text to yaml-cpp
  std::optional<std::size_t> second_document;  // a `---` after content: where a 2nd document starts
};

// Scans up to the end of the first document.
Prescan prescan_yaml(std::string_view text, std::size_t max_depth, std::size_t max_nodes);

}  // namespace writ::yaml_detail
