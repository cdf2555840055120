#include "runtime/evidence/temp_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "unit/runtime/evidence/evidence_test_support.h"

namespace {

using namespace writ::evidence;
using namespace writ::evidence::testing;
namespace fs = std::filesystem;

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

void write_text(int fd, const std::string& text) { REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())); }

}  // namespace

TEST_CASE("an unnamed temporary leaves nothing in its directory until it is linked", "[evidence][tmpfile]") {
  ScratchDir dir;
  fs::create_directories(dir / "tmp");
  {
    TempFile tmp(dir / "tmp");
    REQUIRE(tmp.valid());
    CHECK(tmp.anonymous());  // the scratch directory is on a filesystem with O_TMPFILE
    write_text(tmp.fd(), "copy");
    CHECK(entries(dir / "tmp") == 0);  // a process killed now would leave nothing
    CHECK(read_file(tmp.reopen_path()) == "copy");
    REQUIRE_FALSE(tmp.link_to(dir / "object"));
    CHECK(tmp.link_to(dir / "object") == std::errc::file_exists);  // never replaces
  }
  CHECK(read_file(dir / "object") == "copy");
  CHECK(entries(dir / "tmp") == 0);
}

TEST_CASE("the named fallback is unlinked when it goes out of scope", "[evidence][tmpfile]") {
  ScratchDir dir;
  fs::create_directories(dir / "tmp");
  {
    TempFile tmp(dir / "tmp", TempFile::Kind::named);
    REQUIRE(tmp.valid());
    CHECK_FALSE(tmp.anonymous());
    write_text(tmp.fd(), "copy");
    CHECK(entries(dir / "tmp") == 1);
    CHECK(read_file(tmp.reopen_path()) == "copy");
    REQUIRE_FALSE(tmp.link_to(dir / "object"));
  }
  CHECK(read_file(dir / "object") == "copy");
  CHECK(entries(dir / "tmp") == 0);
}

TEST_CASE("a temporary in a directory that cannot hold one reports why", "[evidence][tmpfile]") {
  ScratchDir dir;
  TempFile tmp(dir / "absent");
  CHECK_FALSE(tmp.valid());
  CHECK(tmp.error() == std::errc::no_such_file_or_directory);
}
