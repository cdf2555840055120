#include "common/regular_file.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "writ-regular-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("a regular file is opened and read whole", "[regular_file]") {
  TempDir dir;
  const auto file = (dir.path / "a.json").string();
  std::ofstream(file) << "{\"a\": 1}";
  auto read = writ::read_regular_file(file, 1024);
  REQUIRE(read);
  CHECK(*read.text == "{\"a\": 1}");
  auto opened = writ::open_regular_file(file);
  REQUIRE(opened);
  CHECK(opened.st.st_size == 8);
}

TEST_CASE("a FIFO is refused at once, for reading and for appending, without waiting for a peer", "[regular_file]") {
  TempDir dir;
  const auto fifo = (dir.path / "journal.jsonl").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (int flags : {0, O_WRONLY | O_APPEND}) {
    auto opened = writ::open_regular_file(fifo, flags);
    CHECK(opened.problem == writ::FileProblem::not_regular);
    CHECK(opened.error == fifo + ": is a FIFO, not a regular file");
  }
  auto read = writ::read_regular_file(fifo, 1024);
  CHECK_FALSE(read);
  CHECK(read.problem == writ::FileProblem::not_regular);
}

TEST_CASE("directories, sockets and devices are refused; a missing file says so", "[regular_file]") {
  TempDir dir;
  CHECK(writ::open_regular_file(dir.path.string()).error == dir.path.string() + ": is a directory, not a regular file");
  CHECK(writ::open_regular_file("/dev/null").error == "/dev/null: is a character device, not a regular file");
  const auto socket_path = (dir.path / "s").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socket_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  CHECK(writ::open_regular_file(socket_path).problem == writ::FileProblem::not_regular);
  ::close(fd);
  auto missing = writ::open_regular_file((dir.path / "nope").string());
  CHECK(missing.problem == writ::FileProblem::missing);
}

TEST_CASE("a file over the limit is too_large and not read past it", "[regular_file][limits]") {
  TempDir dir;
  const auto file = (dir.path / "big").string();
  std::ofstream(file) << std::string(2000, 'x');
  auto read = writ::read_regular_file(file, 1999);
  CHECK(read.problem == writ::FileProblem::too_large);
  CHECK(read.error == file + ": larger than the limit of 1999 bytes");
  CHECK(writ::read_regular_file(file, 2000));
}

TEST_CASE("O_NOFOLLOW refuses a symbolic link by name", "[regular_file]") {
  TempDir dir;
  const auto target = (dir.path / "t").string();
  std::ofstream(target) << "x";
  fs::create_symlink(target, dir.path / "l");
  auto opened = writ::open_regular_file((dir.path / "l").string(), O_NOFOLLOW);
  CHECK(opened.problem == writ::FileProblem::unreadable);
  CHECK(opened.error.find("symbolic link") != std::string::npos);
}
