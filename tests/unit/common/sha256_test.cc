#include <catch2/catch.hpp>

#include "common/canonical_json.h"
#include "common/sha256.h"

using namespace writ;

TEST_CASE("SHA-256 matches the FIPS 180-2 vectors", "[common]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 streaming;
  streaming.update(std::string_view("a"));
  streaming.update(std::string_view("bc"));
  CHECK(to_hex(streaming.finish()) == sha256_hex("abc"));
  streaming.update(std::string_view(""));
  CHECK(to_hex(streaming.finish()) == sha256_hex(""));  // finish() resets
}

TEST_CASE("canonical JSON sorts keys and drops whitespace", "[common]") {
  auto value = nlohmann::json::parse(R"({"b": 1, "a": [true, null, "x\u00e9"], "c": {"z": 0, "y": -2}})");
  CHECK(canonical_json(value) == "{\"a\":[true,null,\"x\xc3\xa9\"],\"b\":1,\"c\":{\"y\":-2,\"z\":0}}");
  CHECK(canonical_digest(value) == sha256_hex(canonical_json(value)));
  CHECK_THROWS_AS(canonical_json(nlohmann::json::parse("[1.5]")), std::invalid_argument);
}
