// What a value of a nominal type must look like when an event is typed (DESIGN §13: "Nominal
// types are validated when the event is typed"). One table, one rule per stdlib type with an
// obvious shape; every nominal type — stdlib or declared by an organisation — is at least a
// non-empty string without control characters (C0, DEL, C1). The table is what
// docs/runtime.md documents; tests/unit/runtime/nominal_types_test.cc covers each row.
//
//   host           a hostname (RFC 1123 labels, <= 253 bytes, one trailing dot allowed) or an
//                  IPv4/IPv6 literal
//   domain         a hostname as above (not an IP literal)
//   ip             an IPv4 or IPv6 address
//   segment        an id without `/`
//   email_address  local@domain: one `@`, a local part without blanks, a domain as above
//   file_hash      hex digits, 32, 40, 64 or 128 of them (MD5, SHA-1, SHA-256, SHA-512)
//   path           absolute (POSIX `/...`, Windows `C:\...` or `\\server\...`), no `..`
//   url            scheme `:` rest (RFC 3986 scheme), no blanks
//   anything else  (user, process, ticket, vendor, vm, account, incident, bucket, channel, role,
//                  organisation types) the common rule only
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace writ::runtime {

struct NominalRule {
  std::string_view type;
  bool (*valid)(std::string_view value);
  std::string_view refusal;  // completes "\"value\" ..." in a message
};

// The rules with a shape of their own (the common rule applies to every type besides).
std::span<const NominalRule> nominal_rules();

// Why `value` is not a valid `type` — "is not a hostname or IP address", "holds a control
// character (U+001B at byte 3)", "is empty" — or nothing when it is valid. Thread-safe.
std::optional<std::string> nominal_violation(std::string_view type, std::string_view value);

// The byte offset of the first control character (C0, DEL, or C1 encoded in UTF-8).
std::optional<std::size_t> first_control_character(std::string_view value);

bool is_ip_address(std::string_view value);
bool is_hostname(std::string_view value);

}  // namespace writ::runtime
