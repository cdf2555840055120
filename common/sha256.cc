#include "common/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace writ {

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

namespace {
void check(int ok) {
  if (ok != 1) throw std::runtime_error("OpenSSL SHA-256 failure");
}
}  // namespace

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (ctx_->md == nullptr) throw std::runtime_error("EVP_MD_CTX_new failed");
  check(EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr));
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::uint8_t> bytes) {
  check(EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size()));
}

void Sha256::update(std::string_view bytes) {
  check(EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size()));
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx_->md, out.data(), &len));
  check(EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr));
  return out;
}

Digest sha256(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

std::string sha256_hex(std::string_view bytes) { return to_hex(sha256(bytes)); }

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace writ
