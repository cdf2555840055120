// In-process timing of one journal append (WRIT_BENCH=ON; not a test): the same run, the same
// records (a step_started-sized record of ~600 bytes), appended through the file store (write,
// fsync, atomic head replacement) and through the PostgreSQL store (one fenced transaction:
// head update + row insert, committed durably). Prints the median and p99 per append of each
// and their ratio. bench/scale_bench.py starts the database and runs it.
//
//   journal_append_bench DSN [APPENDS=300] [DIR=/var/tmp/writ-journal-bench]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/pg/run_store.h"
#include "runtime/run_store.h"

namespace {

namespace rt = writ::runtime;
using Clock = std::chrono::steady_clock;

nlohmann::json record_data(int i) {
  return {{"step", "isolate_host"},
          {"attempt", 1},
          {"call", {{"action", "isolate_host"}, {"args", {{"target", "ws-042"}}}, {"idempotency_key", std::string(32, 'a')}}},
          {"note", std::string(400, 'x')},
          {"i", i}};
}

// Microseconds per append, one per append.
std::vector<double> time_appends(rt::RunStore& store, const std::string& run_id, int appends) {
  auto sink = store.create(run_id, {});
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(appends));
  for (int i = 0; i < appends; ++i) {
    const auto start = Clock::now();
    sink->append("step_started", std::chrono::system_clock::now(), record_data(i));
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  return micros;
}

double at(const std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: journal_append_bench DSN [APPENDS] [DIR]\n");
    return 2;
  }
  const int appends = argc > 2 ? std::stoi(argv[2]) : 300;
  const std::filesystem::path dir = argc > 3 ? argv[3] : "/var/tmp/writ-journal-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  rt::FileRunStore file(dir.string());
  rt::pg::PgRunStore pg(rt::pg::PgStoreOptions{argv[1], std::chrono::seconds(30), "bench"});
  const auto run_id = "bench-" + std::to_string(Clock::now().time_since_epoch().count());
  const auto f = time_appends(file, run_id, appends);
  const auto p = time_appends(pg, run_id, appends);
  std::printf("journal append (%d records of ~600 bytes, durable)\n", appends);
  std::printf("  file store:       median %8.1f us   p99 %8.1f us\n", at(f, 0.5), at(f, 0.99));
  std::printf("  PostgreSQL store: median %8.1f us   p99 %8.1f us\n", at(p, 0.5), at(p, 0.99));
  std::printf("  ratio PostgreSQL / file (median): %.2f\n", at(p, 0.5) / at(f, 0.5));
  std::filesystem::remove_all(dir);
  return 0;
}
