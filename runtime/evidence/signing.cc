#include "runtime/evidence/signing.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "common/regular_file.h"
#include "common/sha256.h"

namespace writ::evidence {

struct PkeyHandle {
  explicit PkeyHandle(EVP_PKEY* k) : pkey(k) {}
  ~PkeyHandle() { EVP_PKEY_free(pkey); }
  PkeyHandle(const PkeyHandle&) = delete;
  PkeyHandle& operator=(const PkeyHandle&) = delete;
  EVP_PKEY* pkey;
};

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

// Refuses to prompt for a passphrase: encrypted keys fail to load instead of hanging.
int no_passphrase(char*, int, int, void*) { return 0; }

// Key files are small; a FIFO or device given as one is refused, never waited on.
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

std::optional<std::string> read_key_file(const std::filesystem::path& path, std::string& error) {
  ReadFile file = read_regular_file(path.string(), kMaxKeyFileBytes);
  if (!file) error = file.problem == FileProblem::missing ? path.string() + ": cannot read key file: no such file"
                                                          : file.error;
  return file.text;
}

std::shared_ptr<const PkeyHandle> parse_pem(std::string_view pem, const std::filesystem::path& path, bool want_private,
                                            std::string& error) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw std::runtime_error("cannot read a key: " + openssl_error());
  EVP_PKEY* key = want_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                               : PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr) {
    error = path.string() + ": not a PEM " + (want_private ? "private" : "public") +
            " key (encrypted keys are not supported): " + openssl_error();
    return nullptr;
  }
  auto handle = std::make_shared<const PkeyHandle>(key);
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    error = path.string() + ": not an Ed25519 key";
    return nullptr;
  }
  return handle;
}

std::string pem_of(EVP_PKEY* key, bool private_half) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  int ok = private_half ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                        : PEM_write_bio_PUBKEY(bio.get(), key);
  if (!bio || ok != 1) throw std::runtime_error("PEM encoding failed: " + openssl_error());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string raw_public(EVP_PKEY* key) {
  std::string out(32, '\0');
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 || len != 32) {
    throw std::runtime_error("cannot read Ed25519 public key: " + openssl_error());
  }
  return out;
}

}  // namespace

std::string key_id_for(std::string_view raw_public_key) { return sha256_hex(raw_public_key).substr(0, 16); }

std::optional<Ed25519PrivateKey> Ed25519PrivateKey::load(const std::filesystem::path& pem, std::string& error) {
  auto text = read_key_file(pem, error);
  if (!text) return std::nullopt;
  auto key = parse_pem(*text, pem, true, error);
  if (!key) return std::nullopt;
  return Ed25519PrivateKey(std::move(key));
}

Ed25519PrivateKey Ed25519PrivateKey::generate() {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    throw std::runtime_error("Ed25519 key generation failed: " + openssl_error());
  }
  return Ed25519PrivateKey(std::make_shared<const PkeyHandle>(key));
}

std::string Ed25519PrivateKey::sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    throw std::runtime_error("Ed25519 signing failed: " + openssl_error());
  }
  sig.resize(len);
  return sig;
}

bool Ed25519PrivateKey::verify(std::string_view message, std::string_view signature) const {
  return Ed25519PublicKey::from_private(*this).verify(message, signature);
}

std::string Ed25519PrivateKey::key_id() const { return key_id_for(raw_public(key_->pkey)); }
std::string Ed25519PrivateKey::public_key_raw() const { return raw_public(key_->pkey); }
std::string Ed25519PrivateKey::private_pem() const { return pem_of(key_->pkey, true); }
std::string Ed25519PrivateKey::public_pem() const { return pem_of(key_->pkey, false); }

std::optional<Ed25519PublicKey> Ed25519PublicKey::load(const std::filesystem::path& pem, std::string& error) {
  auto text = read_key_file(pem, error);
  if (!text) return std::nullopt;
  std::string public_error;
  if (auto key = parse_pem(*text, pem, false, public_error)) return Ed25519PublicKey(std::move(key));
  std::string private_error;
  if (auto key = parse_pem(*text, pem, true, private_error)) return Ed25519PublicKey(std::move(key));
  error = public_error;
  return std::nullopt;
}

Ed25519PublicKey Ed25519PublicKey::from_private(const Ed25519PrivateKey& key) { return Ed25519PublicKey(key.key_); }

bool Ed25519PublicKey::verify(std::string_view message, std::string_view signature) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey) != 1) {
    throw std::runtime_error("Ed25519 verification setup failed: " + openssl_error());
  }
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  return ok == 1;
}

std::string Ed25519PublicKey::key_id() const { return key_id_for(raw_public(key_->pkey)); }

}  // namespace writ::evidence
