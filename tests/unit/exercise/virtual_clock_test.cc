#include "exercise/virtual_clock.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace writ::exercise {
namespace {

using namespace std::chrono_literals;

const runtime::WallTime kStart = runtime::parse_rfc3339("2026-11-27T08:00:00Z").value();

TEST_CASE("actors interleave by wake time on the one clock, ties keep their order", "[exercise][clock]") {
  VirtualClock clock(kStart);
  std::vector<std::string> trace;
  auto note = [&](const std::string& who) {
    trace.push_back(who + "@" + runtime::format_rfc3339(clock.now()).substr(11, 8));
  };
  std::vector<Actor> actors;
  actors.push_back({kStart, [&] {
                      note("a");
                      clock.sleep_for(10min);
                      note("a");
                    }});
  actors.push_back({kStart + 2min, [&] {
                      note("b");
                      clock.sleep_for(3min);
                      note("b");
                      clock.sleep_for(5min);
                      note("b");
                    }});
  actors.push_back({kStart, [&] { note("c"); }});
  clock.run(std::move(actors));
  CHECK(trace ==
        std::vector<std::string>{"a@08:00:00", "c@08:00:00", "b@08:02:00", "b@08:05:00", "a@08:10:00", "b@08:10:00"});
  CHECK(clock.now() == kStart + 10min);
  CHECK(clock.elapsed() == 10min);
}

TEST_CASE("outside run() sleeping advances the clock like ManualClock", "[exercise][clock]") {
  VirtualClock clock(kStart);
  const auto steady = clock.steady();
  clock.sleep_for(72h);
  CHECK(clock.now() == kStart + 72h);
  CHECK(clock.steady() - steady == 72h);
}

TEST_CASE("an actor starting later than the last one moves the clock forward to it", "[exercise][clock]") {
  VirtualClock clock(kStart);
  runtime::WallTime seen{};
  clock.run({{kStart + 72h, [&] { seen = clock.now(); }}});
  CHECK(seen == kStart + 72h);
}

}  // namespace
}  // namespace writ::exercise
