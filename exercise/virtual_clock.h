// The drill's one virtual clock (DESIGN §16): a runtime::ManualClock that a small scheduler
// moves, so several incidents interleave on the same timeline and hours of simulated time take
// no real time. Each incident is an actor (its run, on a thread of its own); exactly one actor
// runs at any moment. An actor that sleeps (a retry backoff, a connector's latency, an approval
// awaited) yields; the actor due earliest runs next (ties: in the order they began waiting) and
// the clock jumps to its time. The interpreter, the approval gate, the connectors and the
// evidence store all read this clock, never the system's.
// Thread-safety: now()/steady() from any thread; sleep_for() from an actor of run() (from any
// other thread it simply advances the clock, as ManualClock does).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "runtime/clock.h"

namespace writ::exercise {

struct Actor {
  runtime::WallTime start;     // when it first runs
  std::function<void()> body;  // must not throw (an escaping exception ends the process)
};

class VirtualClock final : public runtime::Clock {
 public:
  explicit VirtualClock(runtime::WallTime start);

  runtime::WallTime now() const override;
  std::chrono::steady_clock::time_point steady() const override;
  void sleep_for(runtime::Millis duration) override;

  // Runs every actor to its end, interleaved as described above; returns when all have ended.
  void run(std::vector<Actor> actors);
  // Virtual time slept through since construction.
  runtime::Millis elapsed() const;

 private:
  struct Wake {
    runtime::WallTime at;
    std::uint64_t seq;
    std::size_t actor;
  };
  void dispatch_locked();
  void wait_turn(std::unique_lock<std::mutex>& lock, std::size_t actor);

  mutable std::mutex mutex_;
  std::condition_variable turn_;
  runtime::ManualClock clock_;
  std::vector<Wake> queue_;  // waiting actors; small: one entry per actor at most
  std::uint64_t seq_ = 0;
  std::optional<std::size_t> current_;
  std::map<std::thread::id, std::size_t> actors_;
  std::size_t finished_ = 0;
};

}  // namespace writ::exercise
