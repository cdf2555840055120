#include "runtime/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fmt/format.h>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "runtime/unique_fd.h"

namespace writ::runtime {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// The leaders run_process has forked and not yet reaped. Process-wide by nature: being a
// subreaper is a property of the process, so the strays of one call are children of writ
// for every thread. The mutex is held across fork + registration, reaping + removal, and a
// whole sweep, so a sweep never sees a leader that is not registered yet or a reused pid.
struct Leaders {
  std::mutex mutex;
  std::set<pid_t> pids;
};

Leaders& leaders() {
  static Leaders instance;
  return instance;
}

void become_subreaper() {
  static std::once_flag once;
  std::call_once(once, [] { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); });
}

std::vector<pid_t> read_pids(const std::string& path) {
  std::ifstream in(path);
  std::vector<pid_t> out;
  for (pid_t pid = 0; in >> pid;) out.push_back(pid);
  return out;
}

// writ's children: /proc/self/task/*/children (every thread: an orphan is reparented to any
// of them), or, on a kernel without that file, every /proc/PID/stat whose ppid is writ.
std::vector<pid_t> children_of_self() {
  std::vector<pid_t> out;
  bool have_children_files = false;
  if (DIR* tasks = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(tasks)) {
      if (entry->d_name[0] == '.') continue;
      const auto path = fmt::format("/proc/self/task/{}/children", entry->d_name);
      if (::access(path.c_str(), R_OK) != 0) continue;
      have_children_files = true;
      for (pid_t pid : read_pids(path)) out.push_back(pid);
    }
    ::closedir(tasks);
  }
  if (have_children_files) return out;
  if (DIR* procs = ::opendir("/proc")) {
    const pid_t self = ::getpid();
    while (const dirent* entry = ::readdir(procs)) {
      if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
      std::ifstream in(fmt::format("/proc/{}/stat", entry->d_name));
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const auto close = stat.rfind(')');  // the command name may hold anything, `)` too
      if (close == std::string::npos) continue;
      std::istringstream fields(stat.substr(close + 1));
      std::string state;
      pid_t ppid = 0;
      if (fields >> state >> ppid && ppid == self) out.push_back(static_cast<pid_t>(std::stol(entry->d_name)));
    }
    ::closedir(procs);
  }
  return out;
}

// Children of writ that no in-flight call owns: not a registered leader, and not in a
// registered leader's group (an orphan still in its call's group dies with that group).
std::vector<pid_t> strays(const std::set<pid_t>& in_flight) {
  std::vector<pid_t> out;
  for (pid_t pid : children_of_self()) {
    if (in_flight.count(pid) || in_flight.count(::getpgid(pid))) continue;
    out.push_back(pid);
  }
  return out;
}

// Kills and reaps strays until none is left. A killed child is writ's until reaped, so its pid
// cannot be reused under us; reaping it completes its exit, which hands its own children to
// writ for the next round. Bounded in rounds and in time (a process stuck in the kernel may
// outlast SIGKILL for a while: it stays a child and a later sweep reaps it).
std::size_t sweep_strays(const ProcessSpec& spec) {
  std::lock_guard lock(leaders().mutex);
  const auto deadline = std::chrono::steady_clock::now() + spec.sweep_time;
  std::size_t swept = 0;
  for (int round = 0; round < spec.sweep_rounds; ++round) {
    const auto found = strays(leaders().pids);
    if (found.empty()) break;
    for (pid_t pid : found) {
      if (::getpgid(pid) == pid) ::kill(-pid, SIGKILL);  // its group too: siblings it forked
      ::kill(pid, SIGKILL);
    }
    for (pid_t pid : found) {
      while (::waitpid(pid, nullptr, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    swept += found.size();
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  return swept;
}

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  return Pipe{UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

// stdin is a socket so the parent can write with MSG_NOSIGNAL: a child that closes its stdin
// must not kill writ with SIGPIPE.
Pipe make_input() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::system_error(errno, std::generic_category(), "socketpair");
  ::shutdown(fds[0], SHUT_WR);
  return Pipe{UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

void limit(int resource, std::uint64_t value) {
  const rlimit r{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  ::setrlimit(resource, &r);
}

// Between fork and exec only async-signal-safe calls.
[[noreturn]] void child(const ProcessSpec& spec, char* const argv[], int in, int out, int err, int report) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, SIG_DFL);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 || ::dup2(report, 3) < 0) ::_exit(127);
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  const auto cpu = static_cast<std::uint64_t>(spec.timeout.count() / 1000 + 1);
  limit(RLIMIT_CPU, cpu);
  limit(RLIMIT_AS, spec.max_memory_bytes);
  limit(RLIMIT_NOFILE, spec.max_open_files);
  limit(RLIMIT_FSIZE, spec.max_file_bytes);
  limit(RLIMIT_CORE, 0);
  if (::chdir("/") != 0) ::_exit(127);
  char* const envp[] = {nullptr};
  ::execve(argv[0], argv, envp);
  const int code = errno;
  [[maybe_unused]] auto n = ::write(3, &code, sizeof code);
  ::_exit(127);
}

struct Capture {
  std::string* text;
  bool* truncated;
  std::size_t limit;
  UniqueFd fd;
};

// Reads what is available; returns false at end of stream.
bool drain(Capture& c) {
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(c.fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    const std::size_t room = c.limit > c.text->size() ? c.limit - c.text->size() : 0;
    c.text->append(buffer, std::min(room, static_cast<std::size_t>(n)));
    if (static_cast<std::size_t>(n) > room) *c.truncated = true;
  }
}

class Runner {
 public:
  Runner(const ProcessSpec& spec, ProcessResult& result) : spec_(spec), result_(result) {}
  void run();

 private:
  bool feed();
  void pump(SteadyTime deadline);
  void reap(bool block);

  const ProcessSpec& spec_;
  ProcessResult& result_;
  pid_t pid_ = -1;
  bool exited_ = false;
  UniqueFd input_;
  std::size_t fed_ = 0;
  Capture out_{}, err_{};
};

void Runner::run() {
  std::vector<char*> argv;
  for (const auto& arg : spec_.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  auto in = make_input();
  auto out = make_pipe();
  auto err = make_pipe();
  auto report = make_pipe();
  {
    std::lock_guard lock(leaders().mutex);
    pid_ = ::fork();
    if (pid_ > 0) leaders().pids.insert(pid_);
  }
  if (pid_ < 0) {
    result_.error = fmt::format("cannot start: fork: {}", std::strerror(errno));
    return;
  }
  if (pid_ == 0) child(spec_, argv.data(), in.read.get(), out.write.get(), err.write.get(), report.write.get());
  ::setpgid(pid_, pid_);  // also from the parent: no race with the kill below
  in.read.reset();
  out.write.reset();
  err.write.reset();
  report.write.reset();
  int code = 0;
  if (::read(report.read.get(), &code, sizeof code) == static_cast<ssize_t>(sizeof code)) {
    reap(true);
    result_.error = fmt::format("cannot start {}: {}", spec_.argv[0], std::strerror(code));
    return;
  }
  result_.started = true;
  input_ = std::move(in.write);
  out_ = Capture{&result_.out, &result_.out_truncated, spec_.max_output_bytes, std::move(out.read)};
  err_ = Capture{&result_.err, &result_.err_truncated, spec_.max_output_bytes, std::move(err.read)};
  for (int fd : {input_.get(), out_.fd.get(), err_.fd.get()}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  pump(std::chrono::steady_clock::now() + spec_.timeout);
}

bool Runner::feed() {
  while (fed_ < spec_.stdin_data.size()) {
    const ssize_t n = ::send(input_.get(), spec_.stdin_data.data() + fed_, spec_.stdin_data.size() - fed_, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;  // the child closed its stdin: stop feeding
    fed_ += static_cast<std::size_t>(n);
  }
  return false;
}

void Runner::pump(SteadyTime deadline) {
  if (!feed()) input_.reset();
  SteadyTime drain_until = deadline;
  while (out_.fd || err_.fd || !exited_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline || (exited_ && now >= drain_until)) break;
    std::vector<pollfd> fds;
    for (auto* c : {&out_, &err_})
      if (c->fd) fds.push_back({c->fd.get(), POLLIN, 0});
    if (input_) fds.push_back({input_.get(), POLLOUT, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(left, 1, 50)));
    for (auto* c : {&out_, &err_})
      if (c->fd && !drain(*c)) c->fd.reset();
    if (input_ && !feed()) input_.reset();
    if (!exited_) {
      reap(false);
      // A grandchild may keep the pipes open: read what it wrote for a moment, then stop.
      if (exited_) drain_until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    }
  }
  if (!exited_) {
    result_.timed_out = true;
    ::kill(-pid_, SIGKILL);
    reap(true);
  }
}

void Runner::reap(bool block) {
  siginfo_t info{};
  int r;
  do {
    r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
  } while (r < 0 && errno == EINTR);
  if (r != 0 || info.si_pid != pid_) return;
  // The unreaped leader keeps the group id ours, so this reaches only its own leftovers.
  ::kill(-pid_, SIGKILL);
  int status = 0;
  {
    // The leader has exited (WNOWAIT above): this does not block. Its pid is free once
    // reaped, so it leaves the registry in the same critical section.
    std::lock_guard lock(leaders().mutex);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    leaders().pids.erase(pid_);
  }
  exited_ = true;
  if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
}

}  // namespace

std::string ProcessResult::summary(std::chrono::milliseconds timeout) const {
  if (!started) return error;
  if (timed_out) return fmt::format("timed out after {} ms", timeout.count());
  if (signal != 0) return fmt::format("killed by signal {}", signal);
  return fmt::format("exit {}", exit_code);
}

ProcessResult run_process(const ProcessSpec& spec) {
  ProcessResult result;
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    result.error = "cannot start: argv[0] must be an absolute path";
    return result;
  }
  become_subreaper();
  Runner runner(spec, result);
  try {
    runner.run();
  } catch (const std::system_error& e) {
    result.error = fmt::format("cannot start: {}", e.what());
  }
  result.strays = sweep_strays(spec);
  return result;
}

}  // namespace writ::runtime
