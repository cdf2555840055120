#include "service/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/sha256.h"
#include "common/text.h"
#include "runtime/json_input.h"

namespace writ::service {

namespace {

constexpr std::size_t kMaxAuthFileBytes = 1024 * 1024;
const std::vector<std::string> kScopes{"events", "approve", "read", "admin"};

bool is_hex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    const auto mark = node.Mark();
    if (mark.is_null()) throw AuthError(fmt::format("{}: {}", path_, message));
    throw AuthError(fmt::format("{}:{}:{}: {}", path_, mark.line + 1, mark.column + 1, message));
  }

  std::map<std::string, YAML::Node> map(const YAML::Node& node, const std::string& what, const std::vector<std::string>& allowed) const {
    if (!node.IsMap()) fail(node, fmt::format("{} must be a mapping", what));
    std::map<std::string, YAML::Node> out;
    for (const auto& item : node) {
      const auto key = scalar(item.first, "a key");
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        auto hint = did_you_mean(key, allowed);
        fail(item.first, fmt::format("unknown key `{}` in {}{}", key, what, hint ? fmt::format(" (did you mean `{}`?)", *hint) : ""));
      }
      if (!out.emplace(key, item.second).second) fail(item.first, fmt::format("duplicate key `{}` in {}", key, what));
    }
    return out;
  }

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar() || node.Scalar().empty()) fail(node, fmt::format("{} must be a non-empty string", what));
    return node.Scalar();
  }

  std::vector<std::string> names(const YAML::Node& node, const std::string& what, const std::vector<std::string>& known) const {
    if (!node.IsSequence()) fail(node, fmt::format("{} must be a list", what));
    std::vector<std::string> out;
    for (const auto& item : node) {
      auto name = scalar(item, fmt::format("each element of {}", what));
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        auto hint = did_you_mean(name, known);
        fail(item, fmt::format("unknown {} `{}`{}", what, name, hint ? fmt::format(" (did you mean `{}`?)", *hint) : ""));
      }
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    return out;
  }

 private:
  std::string path_;
};

std::string required(const Reader& r, const std::map<std::string, YAML::Node>& m, const YAML::Node& at, const std::string& key,
                     const std::string& what) {
  auto it = m.find(key);
  if (it == m.end()) r.fail(at, fmt::format("{} has no `{}`", what, key));
  return r.scalar(it->second, fmt::format("`{}`", key));
}

}  // namespace

AuthConfig load_auth_file(const std::string& path, const std::set<std::string>& known_roles,
                          const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  std::string text;
  try {
    text = runtime::read_text_file(path, kMaxAuthFileBytes);
  } catch (const runtime::JsonInputError& e) {
    throw AuthError(e.what());
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw AuthError(fmt::format("{}:{}:{}: invalid YAML: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  const Reader r(path);
  const std::vector<std::string> roles(known_roles.begin(), known_roles.end());
  AuthConfig config;
  std::set<std::string> names;
  const auto top = r.map(root, "the auth file", {"tokens", "hmac"});
  if (auto it = top.find("tokens"); it != top.end()) {
    if (!it->second.IsSequence()) r.fail(it->second, "`tokens` must be a list");
    for (const auto& node : it->second) {
      const auto m = r.map(node, "a token", {"name", "token_sha256", "scopes", "roles"});
      TokenEntry entry;
      entry.principal.name = required(r, m, node, "name", "a token");
      if (!names.insert(entry.principal.name).second) r.fail(m.at("name"), fmt::format("duplicate name `{}`", entry.principal.name));
      entry.token_sha256 = lower(required(r, m, node, "token_sha256", "a token"));
      if (!is_hex64(entry.token_sha256)) r.fail(m.at("token_sha256"), "`token_sha256` must be 64 hex digits (sha256 of the token)");
      if (!m.count("scopes")) r.fail(node, "a token has no `scopes`");
      for (const auto& s : r.names(m.at("scopes"), "scope", kScopes)) entry.principal.scopes.insert(s);
      if (m.count("roles")) entry.principal.roles = r.names(m.at("roles"), "role", roles);
      config.tokens.push_back(std::move(entry));
    }
  }
  if (auto it = top.find("hmac"); it != top.end()) {
    if (!it->second.IsSequence()) r.fail(it->second, "`hmac` must be a list");
    for (const auto& node : it->second) {
      const auto m = r.map(node, "an hmac signer", {"name", "secret_env"});
      HmacEntry entry;
      entry.name = required(r, m, node, "name", "an hmac signer");
      if (!names.insert(entry.name).second) r.fail(m.at("name"), fmt::format("duplicate name `{}`", entry.name));
      const auto variable = required(r, m, node, "secret_env", "an hmac signer");
      auto secret = getenv(variable);
      if (!secret) r.fail(m.at("secret_env"), fmt::format("${} is not set (the secret of signer `{}`)", variable, entry.name));
      if (secret->size() < 16) r.fail(m.at("secret_env"), fmt::format("${} holds fewer than 16 bytes", variable));
      entry.secret = *secret;
      config.hmac.push_back(std::move(entry));
    }
  }
  if (config.tokens.empty() && config.hmac.empty()) throw AuthError(path + ": no tokens and no hmac signers: nobody could call the service");
  return config;
}

std::optional<std::string> parse_bearer(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size() || lower(header.substr(0, scheme.size())) != scheme) return std::nullopt;
  const auto token = header.substr(scheme.size());
  if (token.size() > 4096) return std::nullopt;
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7f) return std::nullopt;
  }
  return std::string(token);
}

std::optional<SignatureHeader> parse_signature(std::string_view header) {
  if (header.substr(0, 2) != "t=") return std::nullopt;
  const auto comma = header.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto digits = header.substr(2, comma - 2);
  if (digits.empty() || digits.size() > 12 || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  const auto rest = header.substr(comma + 1);
  if (rest.substr(0, 3) != "v1=" || !is_hex64(rest.substr(3))) return std::nullopt;
  SignatureHeader out;
  out.timestamp = std::stoll(std::string(digits));
  out.v1 = lower(rest.substr(3));
  return out;
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(message.data()),
            message.size(), mac, &size)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return to_hex(std::span<const std::uint8_t>(mac, size));
}

AuthResult Authenticator::check(std::string_view authorization, std::string_view signature, std::string_view body, std::int64_t now) {
  if (!authorization.empty()) {
    const auto token = parse_bearer(authorization);
    if (!token) return {std::nullopt, "malformed Authorization header (expected `Bearer TOKEN`)"};
    const auto hash = sha256_hex(*token);
    const Principal* found = nullptr;
    for (const auto& entry : config_.tokens) {  // every entry compared: the time does not tell which matched
      if (same(hash, entry.token_sha256)) found = &entry.principal;
    }
    if (!found) return {std::nullopt, "unknown token"};
    return {*found, ""};
  }
  if (!signature.empty()) return check_signature(signature, body, now);
  return {std::nullopt, "no credentials (Authorization: Bearer TOKEN, or X-Writ-Signature)"};
}

AuthResult Authenticator::check_signature(std::string_view signature, std::string_view body, std::int64_t now) {
  const auto parsed = parse_signature(signature);
  if (!parsed) return {std::nullopt, "malformed X-Writ-Signature (expected `t=UNIX,v1=HEX`)"};
  if (parsed->timestamp < now - kWindowSeconds || parsed->timestamp > now + kWindowSeconds) {
    return {std::nullopt, fmt::format("signature timestamp outside the {} s window", kWindowSeconds)};
  }
  std::string message = std::to_string(parsed->timestamp) + ".";
  message.append(body);
  const HmacEntry* found = nullptr;
  for (const auto& entry : config_.hmac) {
    if (same(hmac_sha256_hex(entry.secret, message), parsed->v1)) found = &entry;
  }
  if (!found) return {std::nullopt, "bad signature"};
  std::lock_guard lock(mutex_);
  std::erase_if(seen_, [&](const auto& item) { return item.second < now - kWindowSeconds; });
  if (!seen_.emplace(parsed->v1, parsed->timestamp).second) return {std::nullopt, "replayed signature"};
  Principal principal;
  principal.name = found->name;
  principal.scopes = {"events"};
  return {principal, ""};
}

}  // namespace writ::service
