// Internal to the YAML front-end: a linear scan of the raw text that refuses inputs yaml-cpp
// should never see. yaml-cpp recurses once per nesting level and allocates a heavy object per
// node, so a 100k-deep `[[[[` or a file of millions of tiny nodes is stopped here, before
// parsing. The scan is approximate but errs on the cautious side for depth: it follows flow
// brackets, block indentation, `- ` entries, quotes, comments and block scalars; its node
// count is a lower bound (it never refuses a document that yaml-cpp would count below the
// limit). The loader re-checks both limits exactly on the parsed tree.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace writ::yaml_detail {

struct PrescanHit {
  enum class Kind { Depth, Nodes };
  Kind kind = Kind::Depth;
  std::size_t offset = 0;  // byte where the limit was crossed
};

std::optional<PrescanHit> prescan_yaml(std::string_view text, std::size_t max_depth, std::size_t max_nodes);

}  // namespace writ::yaml_detail
