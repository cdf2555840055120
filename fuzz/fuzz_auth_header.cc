// Fuzzes the credential headers of `writ serve` (service/auth.h): parse_bearer and
// parse_signature on arbitrary bytes, and Authenticator::check with the input split into an
// Authorization or X-Writ-Signature value and a body.
// Invariants: nothing throws; an accepted bearer token is non-empty visible ASCII and is the
// header's text after "Bearer "; an accepted signature has a timestamp of at most 12 digits
// and 64 lowercase hex digits; check() accepts only the configured token (by its hash) or a
// signature that HMAC-SHA256 of "t.body" under the configured secret reproduces, within 300 s,
// and never the same signature twice.
#include <cctype>
#include <cstdint>
#include <exception>
#include <string>

#include "common/sha256.h"
#include "fuzz/fuzz_support.h"
#include "service/auth.h"

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kToken = "fuzz-token-1";
const std::string kSecret = "fuzz-secret-0123456789";

writ::service::Authenticator make() {
  writ::service::AuthConfig config;
  config.tokens.push_back({writ::service::Principal{"t", {"read"}, {}}, writ::sha256_hex(kToken)});
  config.hmac.push_back({"s", kSecret});
  return writ::service::Authenticator(std::move(config));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ::fuzz;
  using namespace writ::service;
  const auto text = as_text(data, size);
  try {
    if (auto token = parse_bearer(text)) {
      require(!token->empty() && text.size() == token->size() + 7 && text.substr(7) == *token, "bearer token is not the header's tail");
      for (unsigned char c : *token) require(c > 0x20 && c < 0x7f, "bearer token with a control or non-ASCII byte");
    }
    if (auto sig = parse_signature(text)) {
      require(sig->timestamp >= 0 && sig->timestamp < 1'000'000'000'000LL, "timestamp beyond 12 digits");
      require(sig->v1.size() == 64, "v1 is not 64 digits");
      for (char c : sig->v1) require(std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c)), "v1 not lowercase hex");
    }
    const auto split = text.find('\n');
    const auto header = text.substr(0, split);
    const auto body = split == std::string_view::npos ? std::string_view() : text.substr(split + 1);
    auto auth = make();
    const auto bearer = auth.check(header, "", body, kNow);
    require(!bearer.principal || header.substr(7) == kToken, "a bearer token other than the configured one was accepted");
    const auto signed_once = auth.check("", header, body, kNow);
    if (signed_once.principal) {
      const auto sig = parse_signature(header);
      require(sig && sig->timestamp >= kNow - 300 && sig->timestamp <= kNow + 300, "a signature outside the window was accepted");
      std::string message = std::to_string(sig->timestamp) + ".";
      message.append(body);
      require(hmac_sha256_hex(kSecret, message) == sig->v1, "a signature the secret does not reproduce was accepted");
      require(!auth.check("", header, body, kNow).principal, "a signature was accepted twice");
    }
  } catch (const std::exception& e) {
    fail(std::string("auth threw: ") + e.what());
  }
  return 0;
}
