#include "common/markdown.h"

#include <cctype>

namespace writ {

namespace {

bool ascii_alnum(std::string_view text, std::size_t i) {
  return i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])) && static_cast<unsigned char>(text[i]) < 0x80;
}

// Intraword `_` (both neighbours ASCII alphanumeric) is both left- and right-flanking and
// neither preceded nor followed by punctuation, so CommonMark never opens or closes
// emphasis with it.
bool intraword_underscore(std::string_view text, std::size_t i) {
  return i > 0 && ascii_alnum(text, i - 1) && ascii_alnum(text, i + 1);
}

}  // namespace

std::string markdown_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '\\': case '`': case '*': case '[': case ']': case '#': case '~': case '|': case '$':
        out += '\\';
        out += c;
        continue;
      case '_':
        if (!intraword_underscore(text, i)) out += '\\';
        out += c;
        continue;
      default: break;
    }
    out += byte < 0x20 || byte == 0x7f ? ' ' : c;
  }
  return out;
}

}  // namespace writ
