// Who may call `writ serve` (DESIGN §14). The auth file (YAML) lists bearer tokens by their
// SHA-256 — the file never holds a token — with scopes and roles, and HMAC signers whose
// secrets are read from the environment:
//   tokens: [{name, token_sha256, scopes: [events|approve|read|admin], roles: [ciso, …]}]
//   hmac:   [{name, secret_env}]
// A request carries `Authorization: Bearer TOKEN`, or `X-Writ-Signature: t=UNIX,v1=HEX` with
// HEX = HMAC-SHA256(secret, t + "." + raw body), accepted within 300 s of t and only once; a
// signer holds the scope `events` only. Comparisons are constant-time.
// Thread-safety: Authenticator::check may be called from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace writ::service {

struct AuthError : std::runtime_error {  // "<file>:<line>:<col>: <what>"
  using std::runtime_error::runtime_error;
};

struct Principal {
  std::string name;
  std::set<std::string> scopes;
  std::vector<std::string> roles;
  bool has(std::string_view scope) const { return scopes.count(std::string(scope)) > 0; }
};

struct TokenEntry {
  Principal principal;
  std::string token_sha256;  // 64 lowercase hex digits
};

struct HmacEntry {
  std::string name;
  std::string secret;  // from the environment variable named by secret_env
};

struct AuthConfig {
  std::vector<TokenEntry> tokens;
  std::vector<HmacEntry> hmac;
};

// Reads the auth file. `known_roles`: the catalog's roles (an unknown role is an error with a
// did-you-mean); `getenv` reads a signer's secret (unset or empty is an error). Throws AuthError
// naming the file and position for every problem (unknown key, bad hash, unknown scope, a
// duplicate name, a file that is not a regular file).
AuthConfig load_auth_file(const std::string& path, const std::set<std::string>& known_roles,
                          const std::function<std::optional<std::string>(const std::string&)>& getenv);

// The token of "Bearer TOKEN" (scheme case-insensitive, one space, a non-empty token of
// visible ASCII), else nothing.
std::optional<std::string> parse_bearer(std::string_view header);

struct SignatureHeader {
  std::int64_t timestamp = 0;
  std::string v1;  // 64 lowercase hex digits
};
// "t=UNIX,v1=HEX" exactly (t: 1-12 digits, HEX: 64 hex digits, lowercase after parsing), else
// nothing.
std::optional<SignatureHeader> parse_signature(std::string_view header);

struct AuthResult {
  std::optional<Principal> principal;  // nothing: 401 with `error`
  std::string error;
};

class Authenticator {
 public:
  static constexpr std::int64_t kWindowSeconds = 300;

  explicit Authenticator(AuthConfig config) : config_(std::move(config)) {}
  // `authorization` / `signature`: the header values ("" when absent); `now`: UNIX seconds.
  // A signature is remembered once accepted, so the same one is refused afterwards.
  AuthResult check(std::string_view authorization, std::string_view signature, std::string_view body, std::int64_t now);

 private:
  AuthResult check_signature(std::string_view signature, std::string_view body, std::int64_t now);

  AuthConfig config_;
  std::mutex mutex_;
  std::map<std::string, std::int64_t> seen_;  // accepted signatures -> their t, pruned past the window
};

// HMAC-SHA256(secret, message) as 64 lowercase hex digits.
std::string hmac_sha256_hex(std::string_view secret, std::string_view message);

}  // namespace writ::service
