// Ed25519 keys through OpenSSL EVP, for signing checkpoints and DSSE envelopes. Keys are
// read from PEM files (regular files of at most 64 KiB; a FIFO or device is refused unread) (PKCS#8 private keys as written by `openssl genpkey -algorithm ed25519`,
// SubjectPublicKeyInfo public keys as written by `openssl pkey -pubout`); encrypted keys are
// refused rather than prompting. A key id is the first 8 bytes (16 hex) of SHA-256 over the
// raw 32-byte public key. Load failures are returned as messages; OpenSSL failures while
// signing throw std::runtime_error. Keys are immutable and safe to share between threads.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/evidence/evidence_store.h"

namespace writ::evidence {

struct PkeyHandle;  // owns an EVP_PKEY

std::string key_id_for(std::string_view raw_public_key);

class Ed25519PrivateKey final : public CheckpointSigner {
 public:
  // Nothing, with `error` set, when the file is unreadable or not an Ed25519 private key.
  static std::optional<Ed25519PrivateKey> load(const std::filesystem::path& pem, std::string& error);
  static Ed25519PrivateKey generate();

  std::string sign(std::string_view message) const override;  // 64 raw bytes
  bool verify(std::string_view message, std::string_view signature) const override;
  std::string key_id() const override;
  std::string public_key_raw() const;  // 32 bytes
  std::string private_pem() const;
  std::string public_pem() const;

 private:
  friend class Ed25519PublicKey;
  explicit Ed25519PrivateKey(std::shared_ptr<const PkeyHandle> key) : key_(std::move(key)) {}
  std::shared_ptr<const PkeyHandle> key_;
};

class Ed25519PublicKey {
 public:
  // Accepts a public key PEM, or a private key PEM whose public half is used.
  static std::optional<Ed25519PublicKey> load(const std::filesystem::path& pem, std::string& error);
  static Ed25519PublicKey from_private(const Ed25519PrivateKey& key);

  bool verify(std::string_view message, std::string_view signature) const;
  std::string key_id() const;

 private:
  explicit Ed25519PublicKey(std::shared_ptr<const PkeyHandle> key) : key_(std::move(key)) {}
  std::shared_ptr<const PkeyHandle> key_;
};

}  // namespace writ::evidence
