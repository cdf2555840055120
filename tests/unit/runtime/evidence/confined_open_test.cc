#include "runtime/evidence/confined_open.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "unit/runtime/evidence/evidence_test_support.h"

namespace {

using namespace writ::evidence;
using namespace writ::evidence::testing;
namespace fs = std::filesystem;

std::vector<RootSet> roots(const std::vector<std::string>& policy, const std::vector<std::string>& connectors = {}) {
  return {{"the policy", policy}, {"the connectors file", connectors}};
}

// ROOT/sub/file inside, OUT/file (same name) outside the root.
struct Tree {
  ScratchDir dir;
  fs::path root = dir / "root";
  fs::path outside = dir / "outside";
  Tree() {
    fs::create_directories(root / "sub");
    fs::create_directories(outside);
    write_file(root / "sub" / "file", "inside");
    write_file(outside / "file", "OUTSIDE");
  }
  std::vector<RootSet> confined() const { return roots({root.string()}); }
};

std::string read_all(int fd) {
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST_CASE("locate_beneath: the path must lie beneath a root of every set that names one", "[evidence][confine]") {
  auto at = locate_beneath("/evidence/host/a.log", roots({"/evidence"}, {"/evidence/host", "/var/ir"}));
  CHECK(at.error.empty());
  CHECK(at.base == "/evidence");  // the shallowest root containing it: nothing above it is trusted less
  CHECK(at.relative == "host/a.log");

  at = locate_beneath("/var/ir/a.log", roots({"/evidence"}, {"/var/ir"}));
  CHECK(at.error == "lies outside the evidence roots (/evidence) of the policy");
  at = locate_beneath("/evidence/a.log", roots({"/evidence"}, {"/var/ir"}));
  CHECK(at.error == "lies outside the evidence roots (/var/ir) of the connectors file");
  at = locate_beneath("/evidence2/a.log", roots({"/evidence"}));  // a prefix of the text is not a parent
  CHECK_FALSE(at.error.empty());

  at = locate_beneath("/var//log/./a.log", roots({}, {}));
  CHECK(at.error.empty());
  CHECK(at.base == "/");
  CHECK(at.relative == "var/log/a.log");
  CHECK(locate_beneath("/evidence/", roots({"/evidence/"})).error == "names an evidence root, not a file");
  CHECK(locate_beneath("evidence/a", roots({})).error == "is not absolute");
  CHECK(locate_beneath("/evidence/../etc/shadow", roots({"/evidence"})).error == "contains `..`");
}

TEST_CASE("open_confined opens a regular file beneath the root, by either method", "[evidence][confine]") {
  const auto method = GENERATE(ResolveMethod::automatic, ResolveMethod::openat2, ResolveMethod::walk);
  Tree t;
  ConfinedFile f = open_confined((t.root / "sub" / "file").string(), t.confined(), method);
  REQUIRE(f);
  CHECK(S_ISREG(f.st.st_mode));
  CHECK(read_all(f.fd.get()) == "inside");

  // The root's own path is configuration: a symlink in it is followed once, when it is opened.
  fs::create_directory_symlink(t.root, t.dir / "root-link");
  f = open_confined((t.dir / "root-link" / "sub" / "file").string(), roots({(t.dir / "root-link").string()}), method);
  CHECK(f);
}

TEST_CASE("open_confined refuses every symlink below the root, by either method", "[evidence][confine]") {
  const auto method = GENERATE(ResolveMethod::openat2, ResolveMethod::walk);
  Tree t;
  const std::string path = (t.root / "sub" / "file").string();

  SECTION("a directory swapped for a symlink to outside the root") {
    fs::rename(t.root / "sub", t.dir / "moved");
    fs::create_directory_symlink(t.outside, t.root / "sub");
    ConfinedFile f = open_confined(path, t.confined(), method);
    CHECK_FALSE(f);
    CHECK(f.error == path + ": " + (t.root / "sub").string() +
                         " is a symbolic link; refusing to follow it (evidence paths are resolved without following "
                         "symbolic links, beneath the evidence root " + t.root.string() + ")");
  }
  SECTION("a symlink that stays inside the root is refused too") {
    fs::rename(t.root / "sub", t.root / "real");
    fs::create_directory_symlink(t.root / "real", t.root / "sub");
    CHECK_FALSE(open_confined(path, t.confined(), method));
  }
  SECTION("the file itself a symlink") {
    fs::remove(t.root / "sub" / "file");
    fs::create_symlink(t.outside / "file", t.root / "sub" / "file");
    ConfinedFile f = open_confined(path, t.confined(), method);
    CHECK(f.error == path + ": is a symbolic link; refusing to follow it (preserve the file it points to)");
  }
  SECTION("no roots: beneath /, still without following symlinks") {
    fs::rename(t.root / "sub", t.dir / "moved");
    fs::create_directory_symlink(t.outside, t.root / "sub");
    ConfinedFile f = open_confined(path, {}, method);
    CHECK_FALSE(f);
    CHECK_THAT(f.error, Catch::Contains("is a symbolic link") && Catch::Contains("beneath the evidence root /)"));
  }
}

TEST_CASE("open_confined refuses what is not a regular file, outside the roots, or absent", "[evidence][confine]") {
  const auto method = GENERATE(ResolveMethod::openat2, ResolveMethod::walk);
  Tree t;
  REQUIRE(::mkfifo((t.root / "pipe").c_str(), 0600) == 0);
  ConfinedFile f = open_confined((t.root / "pipe").string(), t.confined(), method);  // no writer: must not block
  CHECK(f.error == (t.root / "pipe").string() + ": is a FIFO, not a regular file; refusing it");
  f = open_confined((t.root / "sub").string(), t.confined(), method);
  CHECK_THAT(f.error, Catch::EndsWith("is a directory, not a regular file; refusing it"));
  f = open_confined((t.outside / "file").string(), t.confined(), method);
  CHECK_THAT(f.error, Catch::Contains("lies outside the evidence roots (" + t.root.string() + ") of the policy"));
  f = open_confined((t.root / "absent").string(), t.confined(), method);
  CHECK(f.error == (t.root / "absent").string() + ": No such file or directory");
  write_file(t.root / "plain", "x");
  f = open_confined((t.root / "plain" / "x").string(), t.confined(), method);  // a file where a directory should be
  CHECK_THAT(f.error, Catch::Contains("Not a directory"));
}

TEST_CASE("check_confined: the preflight's early word agrees with open_confined", "[evidence][confine]") {
  Tree t;
  CHECK_FALSE(check_confined((t.root / "sub" / "file").string(), t.confined()));
  CHECK_FALSE(check_confined((t.root / "later" / "dump.raw").string(), t.confined()));  // may not exist yet
  fs::create_directory_symlink(t.outside, t.root / "link");
  auto why = check_confined((t.root / "link" / "file").string(), t.confined());
  REQUIRE(why);
  CHECK_THAT(*why, Catch::StartsWith("artifact path \"" + (t.root / "link" / "file").string() + "\": ") &&
                       Catch::Contains("is a symbolic link"));
  why = check_confined("/tmp/x", roots({}, {"/evidence"}));
  CHECK(why == "artifact path \"/tmp/x\" lies outside the evidence roots (/evidence) of the connectors file");
}
