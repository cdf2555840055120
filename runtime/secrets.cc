#include "runtime/secrets.h"

#include <algorithm>

#include "common/text.h"

namespace writ::runtime {

void Secrets::add(std::string value) {
  if (value.empty() || std::find(values_.begin(), values_.end(), value) != values_.end()) return;
  values_.push_back(std::move(value));
  // Longest first: a secret that contains another is replaced whole, not around the shorter.
  std::stable_sort(values_.begin(), values_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Secrets::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : values_) {
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  return out;
}

std::string Secrets::excerpt(std::string_view text) const { return printable_excerpt(redact(text), excerpt_bytes_); }

std::string printable_excerpt(std::string_view text, std::size_t limit) {
  std::size_t cut = std::min(limit, text.size());
  // Never split a UTF-8 sequence: back off over continuation bytes to the sequence's start.
  while (cut < text.size() && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string_view rest = text.substr(0, cut);
  std::string out;
  while (!rest.empty()) {
    const auto bad = first_invalid_utf8(rest).value_or(rest.size());
    for (char c : rest.substr(0, bad)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
    if (bad == rest.size()) break;
    out += '?';
    rest.remove_prefix(bad + 1);
  }
  if (cut < text.size()) out += "...";
  return out;
}

}  // namespace writ::runtime
