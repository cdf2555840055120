// Runs a program the way the exec connector must (DESIGN §9): argv without a shell, an empty
// environment, cwd "/", a new process group, resource limits set before exec, stdin fed from
// memory, stdout/stderr captured up to a bound, and the whole group killed at the timeout.
// Failures (cannot start, killed, timed out) are reported in ProcessResult, never thrown.
//
// No descendant outlives the call (DESIGN §13 "Exec children"): the first run_process makes
// writ a child subreaper (PR_SET_CHILD_SUBREAPER, for the rest of the process's life), so a
// child that escapes its group (setsid, double fork) is reparented to writ instead of init.
// When the leader has been reaped and its group killed, every child of writ that is not a
// leader of another in-flight run_process (nor still in such a leader's group) is killed and
// reaped, round after round until none is left (at most sweep_rounds rounds, sweep_time).
// Thread-safe: concurrent calls never touch each other's leaders or their groups.
// Limit: a process that leaves writ's tree by other means (a daemon started through a
// service manager, a job handed to `at` or cron) is not writ's child and is not seen.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace writ::runtime {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path (no PATH search: no environment)
  std::string stdin_data;
  std::chrono::milliseconds timeout{30000};
  std::size_t max_output_bytes = 64 * 1024;  // per stream; the rest is read and dropped
  std::uint64_t max_memory_bytes = 1024ULL * 1024 * 1024;  // RLIMIT_AS
  std::uint64_t max_open_files = 64;                       // RLIMIT_NOFILE
  std::uint64_t max_file_bytes = 64ULL * 1024 * 1024;      // RLIMIT_FSIZE
  int sweep_rounds = 64;                                   // strays: generations swept after the call
  std::chrono::milliseconds sweep_time{5000};              // strays: time all rounds may take
};

struct ProcessResult {
  bool started = false;  // false: could not start; `error` says why
  int exit_code = -1;    // when it exited normally
  int signal = 0;        // when a signal ended it
  bool timed_out = false;
  std::string out, err;
  bool out_truncated = false, err_truncated = false;
  std::string error;
  std::size_t strays = 0;  // escaped descendants killed (or already dead) and reaped after it ended

  bool succeeded() const { return started && !timed_out && signal == 0 && exit_code == 0; }
  // "exit 0", "exit 3", "killed by signal 9", "timed out after 500 ms", "cannot start: ..."
  std::string summary(std::chrono::milliseconds timeout) const;
};

ProcessResult run_process(const ProcessSpec& spec);


}  // namespace writ::runtime
