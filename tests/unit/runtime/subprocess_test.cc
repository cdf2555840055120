#include "runtime/subprocess.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "runtime_test_support.h"

using namespace writ::runtime;
using namespace std::chrono;

namespace {

ProcessSpec sh(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.timeout = seconds(10);
  return spec;
}

}  // namespace

TEST_CASE("argv runs without a shell, in an empty environment, in /", "[runtime][subprocess]") {
  ProcessSpec spec;
  spec.argv = {"/usr/bin/env"};
  auto result = run_process(spec);
  CHECK(result.succeeded());
  CHECK(result.out.empty());  // no variables at all
  result = run_process(sh("pwd; echo \"$0 $1\"; printf '%s' \"$HOME\""));
  CHECK(result.out == "/\n/bin/sh \n");
  spec.argv = {"/bin/echo", "a b; rm -rf /", "$(id)"};
  result = run_process(spec);
  CHECK(result.out == "a b; rm -rf / $(id)\n");  // arguments are data, never shell code
}

TEST_CASE("stdin is fed, exit status and stderr are reported", "[runtime][subprocess]") {
  ProcessSpec spec;
  spec.argv = {"/bin/cat"};
  spec.stdin_data = "{\"action\":\"x\"}\n";
  auto result = run_process(spec);
  CHECK(result.succeeded());
  CHECK(result.out == spec.stdin_data);
  result = run_process(sh("echo oops >&2; exit 3"));
  CHECK_FALSE(result.succeeded());
  CHECK(result.exit_code == 3);
  CHECK(result.err == "oops\n");
  CHECK(result.summary(seconds(1)) == "exit 3");
  // A child that ignores its stdin must not hurt writ (no SIGPIPE).
  auto ignoring = sh("exit 0");
  ignoring.stdin_data = std::string(1 << 20, 'x');
  CHECK(run_process(ignoring).succeeded());
}

TEST_CASE("a program that cannot start is reported, not thrown", "[runtime][subprocess]") {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/program"};
  auto result = run_process(spec);
  CHECK_FALSE(result.started);
  CHECK(result.error.find("No such file") != std::string::npos);
  spec.argv = {"relative"};
  CHECK(run_process(spec).error.find("absolute path") != std::string::npos);
}

TEST_CASE("the timeout kills the whole process group", "[runtime][subprocess][limits]") {
  auto spec = sh("sleep 30 & sleep 30; echo never");
  spec.timeout = milliseconds(300);
  const auto start = steady_clock::now();
  auto result = run_process(spec);
  CHECK(steady_clock::now() - start < seconds(5));
  CHECK(result.timed_out);
  CHECK_FALSE(result.succeeded());
  CHECK(result.summary(spec.timeout) == "timed out after 300 ms");
  CHECK(result.out.empty());
}

TEST_CASE("max_exec_output_bytes bounds captured output", "[runtime][subprocess][limits]") {
  auto spec = sh("head -c 100000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero >&2");
  spec.max_output_bytes = 1000;
  auto result = run_process(spec);
  CHECK(result.succeeded());
  CHECK(result.out.size() == 1000);
  CHECK(result.out_truncated);
  CHECK(result.err.size() == 1000);
  CHECK(result.err_truncated);
}

TEST_CASE("resource limits are set before exec", "[runtime][subprocess][limits]") {
  auto spec = sh("ulimit -n; ulimit -f; ulimit -v; ulimit -c");
  spec.max_open_files = 32;
  spec.max_file_bytes = 512 * 100;
  spec.max_memory_bytes = 512ULL * 1024 * 1024;
  auto result = run_process(spec);
  CHECK(result.succeeded());
  CHECK(result.out == "32\n100\n524288\n0\n");
  // The file size limit is enforced, not just set: the writer is stopped at 512 bytes.
  auto writer = sh("f=/tmp/writ-fsize-$$; head -c 2000 /dev/zero > $f; s=$?; n=$(wc -c < $f); rm -f $f; echo $s $n");
  writer.max_file_bytes = 512;
  result = run_process(writer);
  CHECK(result.out == "153 512\n");
}

namespace {

// Pids a test's children wrote to `file`, one a line ("done" lines skipped).
std::vector<pid_t> pids_in(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<pid_t> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line != "done") out.push_back(static_cast<pid_t>(std::stol(line)));
  }
  return out;
}

// True when `pid` is no longer a process at all (neither running nor a zombie).
bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Kills what a failing test left behind, so a regression does not leak sleeping processes.
struct Cleanup {
  std::filesystem::path file;
  ~Cleanup() {
    for (pid_t pid : pids_in(file)) ::kill(pid, SIGKILL);
  }
};

}  // namespace

TEST_CASE("a child that escapes with setsid does not outlive the call", "[runtime][subprocess][trust]") {
  // Finding 10: a double fork into a new session used to survive its step.
  testing::TempDir dir;
  const auto file = dir.path() / "pids";
  Cleanup cleanup{file};
  auto spec = sh(fmt::format(
      "/usr/bin/setsid /bin/sh -c 'echo $$ > {0}; exec /bin/sleep 60' & "
      "while [ ! -s {0} ]; do /bin/sleep 0.01; done; exit 0",
      file.string()));
  const auto result = run_process(spec);
  CHECK(result.succeeded());
  const auto pids = pids_in(file);
  REQUIRE(pids.size() == 1);
  CHECK(gone(pids[0]));
  CHECK(result.strays == 1);
}

TEST_CASE("escaped children are gone after a timeout too, and after many forks", "[runtime][subprocess][trust][limits]") {
  testing::TempDir dir;
  const auto file = dir.path() / "pids";
  Cleanup cleanup{file};
  // An escapee that starts eight more escapees (each in its own session), then the leader
  // outlives its timeout.
  auto spec = sh(fmt::format(
      "/usr/bin/setsid /bin/sh -c 'echo $$ >> {0}; for i in 1 2 3 4 5 6 7 8; do /usr/bin/setsid /bin/sleep 60 & echo $! >> {0}; done; "
      "echo done >> {0}; exec /bin/sleep 60' & "
      "while ! /bin/grep -q done {0} 2>/dev/null; do /bin/sleep 0.01; done; exec /bin/sleep 60",
      file.string()));
  spec.timeout = std::chrono::milliseconds(1500);
  const auto result = run_process(spec);
  CHECK(result.timed_out);
  const auto pids = pids_in(file);
  REQUIRE(pids.size() == 9);
  for (pid_t pid : pids) {
    CAPTURE(pid);
    CHECK(gone(pid));
  }
}

TEST_CASE("the sweep never touches another in-flight call or its group", "[runtime][subprocess][trust]") {
  testing::TempDir dir;
  const auto witness = dir.path() / "witness";
  const auto file = dir.path() / "pids";
  Cleanup cleanup{file};
  // A: its inner shell exits at once, leaving an orphan (reparented to writ) in A's group that
  // writes the witness a moment later; A itself waits for the witness.
  auto a = sh(fmt::format(
      "/bin/sh -c '(/bin/sleep 0.5; echo alive > {0}) &'; "
      "while [ ! -s {0} ]; do /bin/sleep 0.01; done; exit 0",
      witness.string()));
  // B: starts while A runs and leaves an escapee, so B's sweep runs while A is in flight.
  auto b = sh(fmt::format("/usr/bin/setsid /bin/sleep 60 & echo $! >> {0}; exit 0", file.string()));
  ProcessResult a_result;
  std::thread thread([&] { a_result = run_process(a); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let A start (not asserted on)
  for (int i = 0; i < 3; ++i) CHECK(run_process(b).succeeded());
  thread.join();
  CHECK(a_result.succeeded());
  CHECK(std::filesystem::exists(witness));
  for (pid_t pid : pids_in(file)) CHECK(gone(pid));
}

TEST_CASE("sweep_rounds bounds the generations swept after a call", "[runtime][subprocess][limits]") {
  testing::TempDir dir;
  const auto file = dir.path() / "pids";
  Cleanup cleanup{file};
  // Two generations of escapees: E (child of the leader) and G (E's child, in a session of its own).
  auto spec = sh(fmt::format(
      "/usr/bin/setsid /bin/sh -c '/usr/bin/setsid /bin/sleep 60 & echo $! >> {0}; echo done >> {0}; exec /bin/sleep 60' & "
      "while ! /bin/grep -q done {0} 2>/dev/null; do /bin/sleep 0.01; done; exit 0",
      file.string()));
  spec.sweep_rounds = 1;  // reaches E only: killing E hands G to writ, and no round is left
  auto result = run_process(spec);
  CHECK(result.strays == 1);
  const auto pids = pids_in(file);
  REQUIRE(pids.size() == 1);
  CHECK_FALSE(gone(pids[0]));
  // The next call's sweep takes G: a stray of writ, whichever call left it.
  result = run_process(sh("exit 0"));
  CHECK(result.strays == 1);
  CHECK(gone(pids[0]));
}
