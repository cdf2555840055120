#include "runtime/secrets.h"

#include <catch2/catch.hpp>

#include "runtime/options.h"

using namespace writ::runtime;

TEST_CASE("every secret is replaced, the longest first", "[runtime][secrets]") {
  Secrets secrets{512};
  secrets.add("tok");
  secrets.add("tok-long-9");
  secrets.add("");  // ignored
  secrets.add("tok");
  CHECK(secrets.size() == 2);
  CHECK(secrets.redact("a tok-long-9 b tok c toktok") == "a *** b *** c ******");
  CHECK(Secrets{512}.redact("nothing to hide") == "nothing to hide");
}

TEST_CASE("max_error_excerpt_bytes: redaction comes before the cut", "[runtime][secrets][limits]") {
  const RuntimeOptions options;
  CHECK(options.max_error_excerpt_bytes == 512);
  Secrets secrets{options.max_error_excerpt_bytes};
  const std::string token = "bearer-0123456789abcdef";
  secrets.add(token);
  // The token straddles byte 512: cut first, its first half would leak.
  const std::string body = std::string(500, 'x') + token + std::string(1000, 'y');
  const auto excerpt = secrets.excerpt(body);
  CHECK(excerpt == std::string(500, 'x') + "***" + std::string(9, 'y') + "...");
  CHECK(excerpt.find("bearer") == std::string::npos);
  CHECK(secrets.excerpt("short") == "short");
}

TEST_CASE("printable_excerpt keeps text safe for a terminal and for JSON", "[runtime][secrets]") {
  CHECK(printable_excerpt("a\nb\tc\x1b[31m", 100) == "a b c [31m");
  CHECK(printable_excerpt("ok \xff\xfe end", 100) == "ok ?? end");
  // A cut never splits a UTF-8 sequence: "é" is two bytes.
  CHECK(printable_excerpt("ab\xc3\xa9" "cd", 3) == "ab...");
  CHECK(printable_excerpt("ab\xc3\xa9" "cd", 4) == "ab\xc3\xa9...");
  CHECK(printable_excerpt("abc", 3) == "abc");
}
