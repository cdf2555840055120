#include "compiler/yaml/prescan.h"

#include <vector>

namespace writ::yaml_detail {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

class Prescanner {
 public:
  Prescanner(std::string_view text, std::size_t max_depth, std::size_t max_nodes)
      : text_(text), max_depth_(max_depth), max_nodes_(max_nodes) {}

  Prescan run() {
    std::size_t pos = 0;
    while (pos < text_.size() && !hit_ && !second_document_) {
      std::size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      scan_line(pos, end);
      pos = end + 1;
    }
    return {hit_, second_document_};
  }

 private:
  enum class Quote { None, Single, Double };

  void scan_line(std::size_t begin, std::size_t end) {
    line_begin_ = begin;
    dash_content_.reset();
    std::size_t indent = 0;
    while (begin + indent < end && text_[begin + indent] == ' ') ++indent;
    std::size_t first = begin + indent;
    while (first < end && is_blank(text_[first])) ++first;  // tabs are blanks, never indentation
    bool blank = first >= end;
    if (block_parent_) {
      if (blank || indent > *block_parent_) return;  // block scalar content
      block_parent_.reset();
    }
    if (quote_ != Quote::None || !flow_.empty()) {
      scan_chars(begin, end);
      return;
    }
    if (blank || text_[first] == '#') return;
    if (indent == 0 && text_[first] == '%' && !content_seen_) return;  // a directive
    if (indent == 0 && is_document_marker(begin, end)) {
      if (content_seen_ && text_[begin] == '-') {
        second_document_ = begin;
        return;
      }
      levels_.clear();
      confirmed_ = 0;
      start_scalar(begin + 3);
      scan_chars(begin + 3, end);
      return;
    }
    // A more indented line after a plain scalar continues it (multi-line plain scalar).
    bool continuation = in_plain_ && !levels_.empty() && indent > levels_.back().indent;
    if (!continuation) {
      while (!levels_.empty() && levels_.back().indent > indent) pop_level();
      if (levels_.empty() || levels_.back().indent < indent) levels_.push_back({indent, false});
      start_scalar(first);
    }
    scan_chars(first, end);
  }

  bool is_document_marker(std::size_t begin, std::size_t end) const {
    std::string_view line = text_.substr(begin, end - begin);
    bool marker = line.starts_with("---") || line.starts_with("...");
    return marker && (line.size() == 3 || is_blank(line[3]));
  }

  void start_scalar(std::size_t at) {
    at_scalar_start_ = true;
    in_plain_ = false;
    owner_column_ = column(at);
  }

  std::size_t column(std::size_t at) const { return at - line_begin_; }

  void pop_level() {
    if (levels_.back().confirmed) --confirmed_;
    levels_.pop_back();
  }

  // The block level at `indent` holds a collection (a `key:` or a `- ` was seen there): it
  // counts toward the depth. A more indented level is opened first when needed.
  void confirm_level(std::size_t indent, std::size_t at) {
    if (levels_.empty() || levels_.back().indent < indent) levels_.push_back({indent, false});
    if (!levels_.back().confirmed) {
      levels_.back().confirmed = true;
      ++confirmed_;
    }
    check_depth(at);
  }

  void check_depth(std::size_t at) {
    if (!hit_ && confirmed_ + flow_.size() > max_depth_) hit_ = PrescanHit{PrescanHit::Kind::Depth, at};
  }

  void count_nodes(std::size_t n, std::size_t at) {
    nodes_ += n;
    if (!hit_ && nodes_ > max_nodes_) hit_ = PrescanHit{PrescanHit::Kind::Nodes, at};
  }

  bool followed_by_space(std::size_t j, std::size_t end) const { return j + 1 >= end || is_blank(text_[j + 1]); }

  void scan_chars(std::size_t j, std::size_t end) {
    for (; j < end && !hit_; ++j) {
      char c = text_[j];
      if (quote_ != Quote::None) {
        j = scan_quoted(j, end);
        continue;
      }
      if (is_blank(c)) continue;
      if (c == '#' && (j == 0 || is_blank(text_[j - 1]) || text_[j - 1] == '\n')) return;  // comment
      content_seen_ = true;
      if (at_scalar_start_ && scalar_start(j, end)) {
        if (block_parent_) return;  // the rest of the line is a block scalar header
        continue;
      }
      indicator_or_plain(j, end);
    }
  }

  // Inside a quoted scalar: returns the last byte consumed.
  std::size_t scan_quoted(std::size_t j, std::size_t end) {
    char c = text_[j];
    if (quote_ == Quote::Double) {
      if (c == '\\') return j + 1;
      if (c == '"') quote_ = Quote::None;
      return j;
    }
    if (c == '\'') {
      if (j + 1 < end && text_[j + 1] == '\'') return j + 1;
      quote_ = Quote::None;
    }
    return j;
  }

  // Tokens that only mean something where a node starts. Returns true when `text_[j]` (and
  // possibly more, advanced through `j`) was consumed.
  bool scalar_start(std::size_t& j, std::size_t end) {
    char c = text_[j];
    bool block = flow_.empty();
    if (c == '"' || c == '\'') {
      quote_ = c == '"' ? Quote::Double : Quote::Single;
      at_scalar_start_ = false;
      return true;
    }
    if (block && (c == '|' || c == '>')) {
      block_parent_ = owner_column_;
      return true;
    }
    if (block && (c == '-' || c == '?') && followed_by_space(j, end)) {
      owner_column_ = column(j);
      confirm_level(column(j), j);
      std::size_t content = j + 1;
      while (content < end && is_blank(text_[content])) ++content;
      if (c == '-') count_nodes(1, j);
      // `- key: value` opens a mapping at the content's column once its `:` is seen.
      dash_content_ = column(content);
      return true;
    }
    if (c == '&' || c == '!') {  // node properties: the node itself follows
      while (j + 1 < end && !is_blank(text_[j + 1])) ++j;
      return true;
    }
    return false;
  }

  void indicator_or_plain(std::size_t j, std::size_t end) {
    char c = text_[j];
    bool in_flow = !flow_.empty();
    if ((c == '[' || c == '{') && (in_flow || at_scalar_start_)) {
      flow_.push_back(c);
      count_nodes(1, j);
      check_depth(j);
      at_scalar_start_ = true;
      in_plain_ = false;
      return;
    }
    if (in_flow && (c == ']' || c == '}')) {
      flow_.pop_back();
      at_scalar_start_ = false;
      in_plain_ = false;
      return;
    }
    if (!in_flow && c == ',' && at_scalar_start_) {
      hit_ = PrescanHit{PrescanHit::Kind::StrayComma, j};
      return;
    }
    if (in_flow && c == ',') {
      if (flow_.back() == '[') count_nodes(1, j);
      at_scalar_start_ = true;
      in_plain_ = false;
      return;
    }
    bool value_indicator =
        c == ':' && (followed_by_space(j, end) ||
                     (in_flow && std::string_view(",[]{}").find(text_[j + 1]) != std::string_view::npos));
    if (value_indicator) {
      if (!in_flow || flow_.back() == '{') count_nodes(2, j);
      if (!in_flow) confirm_level(dash_content_.value_or(levels_.empty() ? 0 : levels_.back().indent), j);
      dash_content_.reset();
      at_scalar_start_ = true;
      in_plain_ = false;
      return;
    }
    if (at_scalar_start_) owner_column_ = column(j);
    at_scalar_start_ = false;
    in_plain_ = true;
  }

  std::string_view text_;
  std::size_t max_depth_;
  std::size_t max_nodes_;
  std::optional<PrescanHit> hit_;
  std::optional<std::size_t> second_document_;
  bool content_seen_ = false;
  struct Level {
    std::size_t indent = 0;
    bool confirmed = false;  // holds a mapping or sequence (a scalar line opens no level)
  };
  std::vector<Level> levels_;                // open block levels, by indentation
  std::size_t confirmed_ = 0;                // how many of them are confirmed
  std::optional<std::size_t> dash_content_;  // column after the last `- ` on this line
  std::vector<char> flow_;                   // open flow collections: '[' or '{'
  Quote quote_ = Quote::None;
  std::optional<std::size_t> block_parent_;  // inside a block scalar: its owner's column
  std::size_t owner_column_ = 0;             // column of the node a `|`/`>` would belong to
  std::size_t line_begin_ = 0;
  std::size_t nodes_ = 0;
  bool at_scalar_start_ = true;
  bool in_plain_ = false;
};

}  // namespace

Prescan prescan_yaml(std::string_view text, std::size_t max_depth, std::size_t max_nodes) {
  return Prescanner(text, max_depth, max_nodes).run();
}

}  // namespace writ::yaml_detail
