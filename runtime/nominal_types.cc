#include "runtime/nominal_types.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fmt/format.h>

namespace writ::runtime {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool valid_label(std::string_view label) {
  return !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-' &&
         std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_host(std::string_view value) { return is_hostname(value) || is_ip_address(value); }

bool valid_segment(std::string_view value) { return value.find('/') == std::string_view::npos; }

bool valid_email(std::string_view value) {
  const auto at = value.find('@');
  if (at == std::string_view::npos || at == 0 || value.find('@', at + 1) != std::string_view::npos) return false;
  const auto local = value.substr(0, at);
  return std::none_of(local.begin(), local.end(), is_blank) && is_hostname(value.substr(at + 1));
}

bool valid_file_hash(std::string_view value) {
  const auto n = value.size();
  return (n == 32 || n == 40 || n == 64 || n == 128) && std::all_of(value.begin(), value.end(), is_hex);
}

// `..` as a whole component, with `/` or `\` as separators (event paths come from any OS).
bool has_dot_dot(std::string_view value) {
  std::size_t begin = 0;
  while (begin <= value.size()) {
    const auto end = std::min(value.find_first_of("/\\", begin), value.size());
    if (value.substr(begin, end - begin) == "..") return true;
    begin = end + 1;
  }
  return false;
}

bool valid_path(std::string_view value) {
  const bool posix = value.starts_with('/');
  const bool drive = value.size() >= 3 && is_alnum(value[0]) && !std::isdigit(static_cast<unsigned char>(value[0])) &&
                     value[1] == ':' && (value[2] == '\\' || value[2] == '/');
  const bool unc = value.starts_with("\\\\");
  return (posix || drive || unc) && !has_dot_dot(value);
}

bool valid_url(std::string_view value) {
  const auto colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) return false;
  const auto scheme = value.substr(0, colon);
  const bool scheme_ok = std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                         std::all_of(scheme.begin(), scheme.end(), [](char c) { return is_alnum(c) || c == '+' || c == '-' || c == '.'; });
  return scheme_ok && std::none_of(value.begin(), value.end(), is_blank);
}

constexpr std::array kRules{
    NominalRule{"host", valid_host, "is not a hostname or IP address"},
    NominalRule{"domain", is_hostname, "is not a domain name (RFC 1123 labels, at most 253 bytes)"},
    NominalRule{"ip", is_ip_address, "is not an IPv4 or IPv6 address"},
    NominalRule{"segment", valid_segment, "is not a segment id (it holds `/`)"},
    NominalRule{"email_address", valid_email, "is not an email address (local@domain)"},
    NominalRule{"file_hash", valid_file_hash, "is not an MD5, SHA-1, SHA-256 or SHA-512 hex digest"},
    NominalRule{"path", valid_path, "is not an absolute path without `..`"},
    NominalRule{"url", valid_url, "is not an absolute URL (scheme:...) without blanks"},
};

}  // namespace

std::span<const NominalRule> nominal_rules() { return kRules; }

std::optional<std::size_t> first_control_character(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) return i;
    // U+0080..U+009F in UTF-8: C2 80..C2 9F.
    if (c == 0xc2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) < 0xa0 &&
        static_cast<unsigned char>(value[i + 1]) >= 0x80) {
      return i;
    }
  }
  return std::nullopt;
}

bool is_ip_address(std::string_view value) {
  const std::string text(value);
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

bool is_hostname(std::string_view value) {
  if (value.ends_with('.')) value.remove_suffix(1);
  if (value.empty() || value.size() > 253) return false;
  std::size_t begin = 0;
  while (begin <= value.size()) {
    const auto end = std::min(value.find('.', begin), value.size());
    if (!valid_label(value.substr(begin, end - begin))) return false;
    begin = end + 1;
  }
  return true;
}

std::optional<std::string> nominal_violation(std::string_view type, std::string_view value) {
  if (value.empty()) return std::string("is empty");
  if (auto at = first_control_character(value)) {
    const auto c = static_cast<unsigned char>(value[*at]);
    const unsigned code = c == 0xc2 ? static_cast<unsigned char>(value[*at + 1]) : c;
    return fmt::format("holds a control character (U+{:04X} at byte {})", code, *at);
  }
  for (const auto& rule : kRules) {
    if (rule.type == type) return rule.valid(value) ? std::nullopt : std::optional<std::string>(rule.refusal);
  }
  return std::nullopt;
}

}  // namespace writ::runtime
