#include "runtime/journal_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <stdexcept>

#include "common/regular_file.h"
#include "common/sha256.h"

namespace writ::runtime {

namespace {

std::string hmac_hex(const std::string& key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), out, &size) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  }
  return to_hex(std::span<const std::uint8_t>(out, size));
}

}  // namespace

JournalKey::JournalKey(std::string bytes, std::string origin)
    : bytes_(std::move(bytes)), id_(hmac_hex(bytes_, "writ journal key id").substr(0, 16)), origin_(std::move(origin)) {}

JournalKey::~JournalKey() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

JournalKey JournalKey::from_bytes(std::string bytes, std::string origin) {
  if (bytes.size() < kMinBytes) {
    const auto size = bytes.size();
    OPENSSL_cleanse(bytes.data(), bytes.size());
    throw JournalKeyError(fmt::format("{}: a journal key needs at least {} bytes, this one has {} "
                                      "(make one with: head -c 32 /dev/urandom > FILE; chmod 600 FILE)",
                                      origin, kMinBytes, size));
  }
  if (bytes.size() > kMaxBytes) {
    throw JournalKeyError(fmt::format("{}: a journal key has at most {} bytes", origin, kMaxBytes));
  }
  return JournalKey(std::move(bytes), std::move(origin));
}

JournalKey JournalKey::load(const std::string& path) {
  // A symlink is followed (secret stores mount keys that way); the mode checked is the key's.
  auto file = open_regular_file(path);
  if (!file) throw JournalKeyError(file.error);
  if ((file.st.st_mode & 077) != 0) {
    throw JournalKeyError(fmt::format("{}: the journal key is accessible by group or others (mode {:04o}); "
                                      "whoever can read it can forge journal records: chmod 600 {}",
                                      path, file.st.st_mode & 07777, path));
  }
  std::string bytes;
  std::string error;
  if (read_all(file.fd.get(), path, kMaxBytes, bytes, error) != FileProblem::none) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    throw JournalKeyError(error);
  }
  return from_bytes(std::move(bytes), path);
}

std::string JournalKey::mac(std::string_view message) const { return hmac_hex(bytes_, message); }

bool JournalKey::verify(std::string_view message, std::string_view expected) const {
  const auto actual = mac(message);
  return actual.size() == expected.size() && CRYPTO_memcmp(actual.data(), expected.data(), actual.size()) == 0;
}

}  // namespace writ::runtime
