#include "service/auth.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/sha256.h"

namespace writ::service {
namespace {

const std::set<std::string> kRoles{"ciso", "legal", "ir_lead"};

std::optional<std::string> env(const std::string& name) {
  if (name == "SIEM_SECRET") return std::string("0123456789abcdef-siem");
  return std::nullopt;
}

std::string write(const std::string& text) {
  static int n = 0;
  const auto path = std::filesystem::temp_directory_path() / ("writ-auth-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

std::string token_line(const std::string& name, const std::string& token, const std::string& scopes, const std::string& roles = "") {
  return "  - {name: " + name + ", token_sha256: " + sha256_hex(token) + ", scopes: [" + scopes + "], roles: [" + roles + "]}\n";
}

Authenticator authenticator() {
  const auto path = write("tokens:\n" + token_line("ana", "tok-ana", "approve, read", "ciso") + token_line("feed", "tok-feed", "events") +
                          "hmac:\n  - {name: siem, secret_env: SIEM_SECRET}\n");
  auto config = load_auth_file(path, kRoles, env);
  std::filesystem::remove(path);
  return Authenticator(std::move(config));
}

std::string signed_header(std::int64_t t, const std::string& body, const std::string& secret = "0123456789abcdef-siem") {
  return "t=" + std::to_string(t) + ",v1=" + hmac_sha256_hex(secret, std::to_string(t) + "." + body);
}

TEST_CASE("the auth file is read strictly, naming file and position", "[auth]") {
  auto fails = [](const std::string& text, const std::string& expected) {
    const auto path = write(text);
    try {
      load_auth_file(path, kRoles, env);
      FAIL("accepted: " << text);
    } catch (const AuthError& e) {
      CHECK_THAT(e.what(), Catch::Contains(path) && Catch::Contains(expected));
    }
    std::filesystem::remove(path);
  };
  fails("tokens:\n" + token_line("a", "t", "read", "cisoo"), "unknown role `cisoo` (did you mean `ciso`?)");
  fails("tokens:\n" + token_line("a", "t", "reed"), ":2:");
  fails("tokens:\n  - {name: a, token_sha256: abc, scopes: [read]}\n", "64 hex digits");
  fails("tokens:\n  - {name: a, token: x, scopes: [read]}\n", "unknown key `token`");
  fails("tokens:\n" + token_line("a", "t", "read") + token_line("a", "u", "read"), "duplicate name `a`");
  fails("hmac:\n  - {name: s, secret_env: UNSET_VARIABLE}\n", "$UNSET_VARIABLE is not set");
  fails("tokens: []\n", "nobody could call");
  fails("tokens: [\n", "invalid YAML");
}

TEST_CASE("bearer tokens are matched by their hash and carry scopes and roles", "[auth]") {
  auto auth = authenticator();
  const auto ana = auth.check("Bearer tok-ana", "", "", 0);
  REQUIRE(ana.principal);
  CHECK(ana.principal->name == "ana");
  CHECK(ana.principal->has("approve"));
  CHECK(!ana.principal->has("events"));
  CHECK(ana.principal->roles == std::vector<std::string>{"ciso"});
  CHECK(auth.check("bearer tok-feed", "", "", 0).principal->name == "feed");
  CHECK(!auth.check("Bearer tok-nobody", "", "", 0).principal);
  CHECK(!auth.check("Basic dG9r", "", "", 0).principal);
  CHECK(!auth.check("", "", "", 0).principal);
}

TEST_CASE("header parsers accept only the exact forms", "[auth]") {
  CHECK(parse_bearer("Bearer abc") == std::optional<std::string>("abc"));
  CHECK(!parse_bearer("Bearer "));
  CHECK(!parse_bearer("Bearer a b"));
  CHECK(!parse_bearer("Bearerabc"));
  CHECK(!parse_bearer(std::string("Bearer a\x01", 9)));
  const std::string hex(64, 'a');
  REQUIRE(parse_signature("t=12,v1=" + hex));
  CHECK(parse_signature("t=12,v1=" + hex)->timestamp == 12);
  CHECK(!parse_signature("t=,v1=" + hex));
  CHECK(!parse_signature("t=1x,v1=" + hex));
  CHECK(!parse_signature("t=1234567890123,v1=" + hex));
  CHECK(!parse_signature("t=1,v1=" + hex.substr(1)));
  CHECK(!parse_signature("v1=" + hex + ",t=1"));
}

TEST_CASE("HMAC signatures hold within 300 s, over the exact body, once", "[auth]") {
  auto auth = authenticator();
  const std::int64_t now = 1'800'000'000;
  const std::string body = R"({"id":"e1"})";
  CHECK(!auth.check("", signed_header(now - 301, body), body, now).principal);
  CHECK(!auth.check("", signed_header(now + 301, body), body, now).principal);
  CHECK(!auth.check("", signed_header(now, body, "another-secret-0123456789"), body, now).principal);
  CHECK(!auth.check("", signed_header(now, body), body + " ", now).principal);
  const auto ok = auth.check("", signed_header(now - 300, body), body, now);
  REQUIRE(ok.principal);
  CHECK(ok.principal->name == "siem");
  CHECK(ok.principal->scopes == std::set<std::string>{"events"});
  const auto again = auth.check("", signed_header(now - 300, body), body, now);
  CHECK(!again.principal);
  CHECK(again.error == "replayed signature");
}

}  // namespace
}  // namespace writ::service
