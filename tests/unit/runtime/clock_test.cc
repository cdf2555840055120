#include "runtime/clock.h"

#include <catch2/catch.hpp>

using namespace writ::runtime;
using namespace std::chrono;

TEST_CASE("RFC 3339 round trip at millisecond precision", "[runtime][clock]") {
  const auto at = parse_rfc3339("2026-11-27T08:00:00Z");
  REQUIRE(at);
  CHECK(format_rfc3339(*at) == "2026-11-27T08:00:00.000Z");
  CHECK(format_rfc3339(*at + milliseconds(1234)) == "2026-11-27T08:00:01.234Z");
  CHECK(parse_rfc3339("2026-11-27T09:30:00.5+01:30") == *at + milliseconds(500));
  CHECK(parse_rfc3339("2026-11-27t08:00:00z") == *at);
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z")->time_since_epoch().count() == 0);
}

TEST_CASE("malformed timestamps are refused", "[runtime][clock]") {
  for (const char* bad : {"", "2026-11-27", "2026-11-27T08:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-27T24:00:00Z", "2026-11-27T08:00:00.Z", "2026-11-27T08:00:00Zjunk", "yesterday"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339(bad));
  }
}

// Found by fuzz_event: "3192-11-27T08:00:00Z" overflowed the nanosecond time_point (UB).
TEST_CASE("timestamps WallTime cannot hold are refused, not overflowed", "[runtime][clock]") {
  CHECK_FALSE(parse_rfc3339("3192-11-27T08:00:00Z"));
  CHECK_FALSE(parse_rfc3339("9999-12-31T23:59:59.999Z"));
  CHECK_FALSE(parse_rfc3339("0000-01-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("1677-01-01T00:00:00Z"));
  REQUIRE(parse_rfc3339("2261-12-31T23:59:59Z"));
  CHECK(format_rfc3339(*parse_rfc3339("2261-12-31T23:59:59Z")) == "2261-12-31T23:59:59.000Z");
  REQUIRE(parse_rfc3339("1678-01-01T00:00:00Z"));
}

TEST_CASE("the manual clock moves only when slept on", "[runtime][clock]") {
  ManualClock clock;
  const auto wall = clock.now();
  const auto steady = clock.steady();
  clock.sleep_for(milliseconds(1500));
  CHECK(clock.now() - wall == milliseconds(1500));
  CHECK(millis_between(steady, clock.steady()) == 1500);
  CHECK(millis_between(clock.steady(), steady) == 0);
  CHECK(clock.total_slept() == milliseconds(1500));
}
