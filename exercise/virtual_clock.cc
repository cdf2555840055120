#include "exercise/virtual_clock.h"

#include <algorithm>

namespace writ::exercise {

VirtualClock::VirtualClock(runtime::WallTime start) : clock_(start) {}

runtime::WallTime VirtualClock::now() const {
  std::lock_guard lock(mutex_);
  return clock_.now();
}

std::chrono::steady_clock::time_point VirtualClock::steady() const {
  std::lock_guard lock(mutex_);
  return clock_.steady();
}

runtime::Millis VirtualClock::elapsed() const {
  std::lock_guard lock(mutex_);
  return clock_.total_slept();
}

// Hands the turn to the actor due earliest, moving the clock to its time (never backwards).
void VirtualClock::dispatch_locked() {
  current_.reset();
  if (!queue_.empty()) {
    const auto next = std::min_element(queue_.begin(), queue_.end(), [](const Wake& a, const Wake& b) {
      return a.at != b.at ? a.at < b.at : a.seq < b.seq;
    });
    if (next->at > clock_.now()) clock_.advance(std::chrono::duration_cast<runtime::Millis>(next->at - clock_.now()));
    current_ = next->actor;
    queue_.erase(next);
  }
  turn_.notify_all();
}

void VirtualClock::wait_turn(std::unique_lock<std::mutex>& lock, std::size_t actor) {
  turn_.wait(lock, [&] { return current_ == actor; });
}

void VirtualClock::sleep_for(runtime::Millis duration) {
  std::unique_lock lock(mutex_);
  const auto me = actors_.find(std::this_thread::get_id());
  if (me == actors_.end()) {
    clock_.advance(std::max(duration, runtime::Millis(0)));
    return;
  }
  queue_.push_back(Wake{clock_.now() + std::max(duration, runtime::Millis(0)), seq_++, me->second});
  dispatch_locked();
  wait_turn(lock, me->second);
}

void VirtualClock::run(std::vector<Actor> actors) {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    finished_ = 0;
    for (std::size_t i = 0; i < actors.size(); ++i) queue_.push_back(Wake{actors[i].start, seq_++, i});
  }
  threads.reserve(actors.size());
  for (std::size_t i = 0; i < actors.size(); ++i) {
    threads.emplace_back([this, i, &actors] {
      {
        std::unique_lock lock(mutex_);
        actors_[std::this_thread::get_id()] = i;
        wait_turn(lock, i);
      }
      actors[i].body();
      std::lock_guard lock(mutex_);
      actors_.erase(std::this_thread::get_id());
      ++finished_;
      dispatch_locked();
    });
  }
  {
    std::unique_lock lock(mutex_);
    dispatch_locked();
    turn_.wait(lock, [&] { return finished_ == actors.size(); });
  }
  for (auto& t : threads) t.join();
}

}  // namespace writ::exercise
