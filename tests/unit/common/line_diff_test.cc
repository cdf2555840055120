#include "common/line_diff.h"

#include <catch2/catch.hpp>
#include <random>
#include <sstream>

using namespace writ;

namespace {

// Applies a unified diff to `before` (hunks in order, context and removals checked): what a
// reader of `writ fmt --check` output would get with `patch`.
std::string patched(const std::string& before, const std::string& diff) {
  std::vector<std::string> lines;
  std::istringstream in(before);
  for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
  if (!before.empty() && before.back() != '\n') lines.back().pop_back();
  std::vector<std::string> out;
  std::size_t next = 0;  // next line of `before` to copy
  std::istringstream d(diff);
  std::string line;
  std::getline(d, line);   // ---
  std::getline(d, line);   // +++
  bool last_kept = false;  // the previous diff line went to the output
  while (std::getline(d, line)) {
    if (line.rfind("@@ -", 0) == 0) {
      std::size_t start = std::stoul(line.substr(4));
      std::size_t count = line.find(',') < line.find(' ', 4) ? std::stoul(line.substr(line.find(',') + 1)) : 1;
      std::size_t first = count == 0 ? start : start - 1;
      while (next < first) out.push_back(lines.at(next++));
      continue;
    }
    if (line == "\\ No newline at end of file") {
      if (last_kept) out.back().pop_back();
      continue;
    }
    std::string text = line.substr(1) + "\n";
    if (line[0] == '+') {
      out.push_back(text);
      last_kept = true;
      continue;
    }
    REQUIRE(next < lines.size());
    std::string expected = lines[next];
    if (expected.empty() || expected.back() != '\n') expected += "\n";
    CHECK(expected == text);
    last_kept = line[0] == ' ';
    if (last_kept) out.push_back(text);
    ++next;
  }
  while (next < lines.size()) out.push_back(lines[next++]);
  std::string joined;
  for (const auto& l : out) joined += l;
  return joined;
}

}  // namespace

TEST_CASE("equal texts have no diff", "[common][diff]") {
  CHECK(unified_diff("a\nb\n", "a\nb\n", "x", "y").empty());
  CHECK(unified_diff("", "", "x", "y").empty());
}

TEST_CASE("a changed line prints as diff -u does", "[common][diff]") {
  std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  CHECK(unified_diff(before, after, "a.writ", "a.writ (formatted)") ==
        "--- a.writ\n+++ a.writ (formatted)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("changes far apart make two hunks, close ones one", "[common][diff]") {
  std::string before;
  for (int i = 1; i <= 20; ++i) before += std::to_string(i) + "\n";
  std::string far = before;
  far.replace(far.find("2\n"), 2, "two\n");
  far.replace(far.find("\n18\n") + 1, 3, "eighteen\n");
  std::string diff = unified_diff(before, far, "a", "b");
  CHECK(diff ==
        "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n "
        "19\n 20\n");
  // Six unchanged lines between two changes (2 x context): one hunk, as diff -u.
  std::string close = before;
  close.replace(close.find("\n3\n") + 1, 2, "three\n");
  close.replace(close.find("\n10\n") + 1, 3, "ten\n");
  CHECK(unified_diff(before, close, "a", "b").find("@@ -1,13 +1,13 @@\n") != std::string::npos);
}

TEST_CASE("pure insertions and removals name the line before", "[common][diff]") {
  CHECK(unified_diff("", "a\n", "x", "y") == "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n");
  CHECK(unified_diff("a\n", "", "x", "y") == "--- x\n+++ y\n@@ -1 +0,0 @@\n-a\n");
  CHECK(unified_diff("a\nb\n", "a\nnew\nb\n", "x", "y") == "--- x\n+++ y\n@@ -1,2 +1,3 @@\n a\n+new\n b\n");
}

TEST_CASE("a missing final newline is shown", "[common][diff]") {
  CHECK(unified_diff("a\nb", "a\nb\n", "x", "y") ==
        "--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

TEST_CASE("random edits: the diff turns one text into the other", "[common][diff]") {
  std::mt19937 rng(15);
  for (int round = 0; round < 300; ++round) {
    std::string before, after;
    int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      std::string line = std::to_string(rng() % 6) + "\n";
      before += line;
      switch (rng() % 4) {
        case 0:
          break;  // removed
        case 1:
          after += std::to_string(rng() % 6) + "\n";
          break;  // replaced
        case 2:
          after += line + std::to_string(rng() % 6) + "\n";
          break;
        default:
          after += line;
      }
    }
    if (rng() % 5 == 0 && !after.empty()) after.pop_back();
    std::string diff = unified_diff(before, after, "a", "b");
    CHECK(diff.empty() == (before == after));
    if (!diff.empty()) CHECK(patched(before, diff) == after);
  }
}

TEST_CASE("texts with nothing in common stay within the work budget", "[common][diff]") {
  std::string before, after;
  for (int i = 0; i < 200000; ++i) {
    before += "a" + std::to_string(i) + "\n";
    after += "b" + std::to_string(i) + "\n";
  }
  std::string diff = unified_diff(before, after, "a", "b");
  CHECK(diff.rfind("--- a\n+++ b\n@@ -1,200000 +1,200000 @@\n-a0\n", 0) == 0);
  CHECK(patched(before, diff) == after);
}
