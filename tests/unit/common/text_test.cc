#include <catch2/catch.hpp>

#include "common/text.h"

using namespace writ;

TEST_CASE("edit distance and did-you-mean", "[common]") {
  CHECK(edit_distance("requires_aproval", "requires_approval") == 1);
  CHECK(edit_distance("", "abc") == 3);
  std::vector<std::string> keys{"requires_approval", "approvers", "rollback"};
  CHECK(did_you_mean("requires_aproval", keys) == "requires_approval");
  CHECK_FALSE(did_you_mean("zzzzzzzz", keys).has_value());
  CHECK_FALSE(did_you_mean("rollback", keys).has_value());  // an exact match is no suggestion
}

TEST_CASE("nearest names rank shared words, then edit distance", "[common]") {
  std::vector<std::string> actions{"isolate_host",          "notify_ciso_and_legal", "notify_regulatory_contact",
                                   "notify_vendor",         "page_oncall",           "restore_host",
                                   "disable_account",       "quarantine_file"};
  // No single did-you-mean is close to `notify_user`; every notify_* action is near.
  CHECK_FALSE(did_you_mean("notify_user", actions).has_value());
  auto notify = nearest_names("notify_user", actions, 5);
  CHECK(notify == std::vector<std::string>{"notify_vendor", "notify_ciso_and_legal", "notify_regulatory_contact"});
  // Two shared words beat one; a shared stem counts (`isolation` ~ `isolate`).
  CHECK(nearest_names("isolation_host", actions, 2) == std::vector<std::string>{"isolate_host", "restore_host"});
  CHECK(nearest_names("notification", actions, 1) == std::vector<std::string>{"notify_vendor"});
  // Without a shared word, only close spellings; nothing close: nothing.
  CHECK(nearest_names("page_oncal", actions, 3) == std::vector<std::string>{"page_oncall"});
  CHECK(nearest_names("zzzz", actions, 3).empty());
  CHECK(nearest_names("isolate_host", actions, 3) == std::vector<std::string>{"restore_host"});  // not itself
  // A huge misspelt name resembles nothing, at once.
  const std::string huge(1'000'000, 'a');
  CHECK(nearest_names(huge + "_host", actions, 3).empty());
  CHECK_FALSE(did_you_mean(huge, actions).has_value());
}

TEST_CASE("UTF-8 validation finds the first bad byte", "[common]") {
  CHECK_FALSE(first_invalid_utf8("plain ascii").has_value());
  CHECK_FALSE(first_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92").has_value());
  CHECK(first_invalid_utf8("ab\xff") == 2u);
  CHECK(first_invalid_utf8("\xc0\xaf") == 0u);          // overlong
  CHECK(first_invalid_utf8("x\xed\xa0\x80") == 1u);     // surrogate
  CHECK(first_invalid_utf8("\xe2\x82") == 0u);          // truncated
}

TEST_CASE("durations print for humans", "[common]") {
  CHECK(format_duration(0) == "0m");
  CHECK(format_duration(15 * 60) == "15m");
  CHECK(format_duration(25 * 3600 + 5 * 60) == "25h 5m");
  CHECK(format_duration(72 * 3600) == "72h 0m");
  CHECK(format_duration(28 * 24 * 3600) == "28d");
}
