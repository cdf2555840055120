#include "runtime/subprocess.h"

#include <catch2/catch.hpp>
#include <chrono>

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
