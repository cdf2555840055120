// SHA-256 through OpenSSL EVP. Sha256 is a streaming hasher (RAII over EVP_MD_CTX); the free
// functions hash a whole buffer. Errors from OpenSSL throw std::runtime_error (writ's own
// failure, never a user mistake). Not thread-safe per instance.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace writ {

using Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view bytes);
  // Finishes the hash; the hasher is reset and may be reused.
  Digest finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Digest sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace writ
