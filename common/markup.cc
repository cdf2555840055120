#include "common/markup.h"

namespace writ {

std::string markup_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') ? std::string_view("\xEF\xBF\xBD")
                                                                    : std::string_view(&ch, 1);
    }
  }
  return out;
}

}  // namespace writ
