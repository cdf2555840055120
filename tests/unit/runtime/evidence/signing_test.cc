#include "runtime/evidence/signing.h"
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/sha256.h"
#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "unit/runtime/evidence/evidence_test_support.h"

using namespace writ::evidence;
using namespace writ::evidence::testing;

TEST_CASE("Ed25519 signatures verify with the public key only", "[evidence][signing]") {
  auto key = Ed25519PrivateKey::generate();
  auto pub = Ed25519PublicKey::from_private(key);
  const std::string sig = key.sign("checkpoint text\n");
  CHECK(sig.size() == 64);
  CHECK(pub.verify("checkpoint text\n", sig));
  CHECK_FALSE(pub.verify("checkpoint text!\n", sig));
  std::string bad = sig;
  bad[0] ^= 1;
  CHECK_FALSE(pub.verify("checkpoint text\n", bad));
  CHECK_FALSE(pub.verify("checkpoint text\n", sig.substr(0, 63)));
  CHECK_FALSE(Ed25519PublicKey::from_private(Ed25519PrivateKey::generate()).verify("checkpoint text\n", sig));
  CHECK(key.key_id() == pub.key_id());
  CHECK(key.key_id() == writ::sha256_hex(key.public_key_raw()).substr(0, 16));
}

TEST_CASE("keys load from PEM files and bad files are refused with a message", "[evidence][signing]") {
  ScratchDir dir;
  auto key = Ed25519PrivateKey::generate();
  write_file(dir / "key.pem", key.private_pem());
  write_file(dir / "pub.pem", key.public_pem());
  write_file(dir / "junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  std::string error;
  auto loaded = Ed25519PrivateKey::load(dir / "key.pem", error);
  REQUIRE(loaded);
  CHECK(loaded->key_id() == key.key_id());
  auto pub = Ed25519PublicKey::load(dir / "pub.pem", error);
  REQUIRE(pub);
  CHECK(pub->verify("m", loaded->sign("m")));
  auto pub_from_private = Ed25519PublicKey::load(dir / "key.pem", error);  // the public half is used
  REQUIRE(pub_from_private);
  CHECK(pub_from_private->key_id() == key.key_id());

  CHECK_FALSE(Ed25519PrivateKey::load(dir / "pub.pem", error));
  CHECK_THAT(error, Catch::Contains("not a PEM private key"));
  CHECK_FALSE(Ed25519PrivateKey::load(dir / "junk.pem", error));
  CHECK_THAT(error, Catch::Contains("junk.pem"));
  CHECK_FALSE(Ed25519PublicKey::load(dir / "absent.pem", error));
  CHECK_THAT(error, Catch::Contains("cannot read key file"));
}

TEST_CASE("base64 round-trips and rejects non-canonical text", "[evidence]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) CHECK(base64_decode(base64_encode(s)) == s);
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK_FALSE(base64_decode("Zm8"));   // length
  CHECK_FALSE(base64_decode("Zm9="));  // stray bits under the padding
  CHECK_FALSE(base64_decode("Z=8="));  // data after padding
  CHECK_FALSE(base64_decode("Zm8*"));
}

TEST_CASE("the checkpoint text is the C2SP-style note body the signature covers", "[evidence]") {
  Checkpoint cp{
      3,           std::string(64, 'b'), "00" + std::string(62, 'f'), "writ.evidence/0123456789abcdef", std::nullopt,
      std::nullopt};
  CHECK(checkpoint_text(cp) == "writ.evidence/0123456789abcdef\n3\n" +
                                   base64_encode(std::string(1, '\0') + std::string(31, '\xff')) + "\nwrit-head " +
                                   std::string(64, 'b') + "\n");
  auto parsed = parse_checkpoint(checkpoint_json(cp));
  REQUIRE(parsed.checkpoint);
  CHECK(parsed.checkpoint->root == cp.root);
  CHECK_FALSE(parsed.checkpoint->signature);
  CHECK(parse_checkpoint("{\"size\":1}").error == "missing field 'head'");
  CHECK(parse_checkpoint("[]").error == "must be a JSON object");
}

TEST_CASE("a key file that is a FIFO is refused at once, never waited on", "[evidence][signing][fifo]") {
  ScratchDir dir;
  REQUIRE(::mkfifo((dir / "key.pem").c_str(), 0600) == 0);
  std::string error;
  CHECK_FALSE(Ed25519PrivateKey::load(dir / "key.pem", error));
  CHECK(error == (dir / "key.pem").string() + ": is a FIFO, not a regular file");
  CHECK_FALSE(Ed25519PublicKey::load(dir / "key.pem", error));
  CHECK(error == (dir / "key.pem").string() + ": is a FIFO, not a regular file");
}

TEST_CASE("a private key verifies its own signatures (to refuse re-signing a forged checkpoint)", "[evidence][signing]") {
  auto key = Ed25519PrivateKey::generate();
  CHECK(key.verify("m", key.sign("m")));
  CHECK_FALSE(key.verify("m", Ed25519PrivateKey::generate().sign("m")));
  CHECK_FALSE(key.verify("m", "short"));
}
