#include <catch2/catch.hpp>

#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

namespace {

std::string runbook(const std::string& when) {
  return "runbook t {\n  title \"T\"\n  severity low\n  step post = post_message(channels: [slack], message: \"m\") {\n"
         "    when " +
         when + "\n  }\n}\n";
}

}  // namespace

TEST_CASE("dead-step: a constantly false condition is a warning at the condition", "[rules]") {
  for (const char* when : {"false", "1 > 2", "false && event.confidence > 0.5", "!(true || event.id == \"x\")"}) {
    INFO(when);
    auto c = compile_dsl(runbook(when));
    INFO(c.dump());
    auto found = c.of(Rule::DeadStep);
    REQUIRE(found.size() == 1);
    CHECK(found[0]->severity == Severity::Warning);
    CHECK(found[0]->step == "post");
    CHECK(c.text(*found[0]) == when);
    CHECK(found[0]->message.find("never runs") != std::string::npos);
  }
}

TEST_CASE("dead-step: conditions that can hold are not dead", "[rules]") {
  for (const char* when : {"true", "event.confidence > 0.5", "event.confidence > 0.5 || false", "!false"}) {
    INFO(when);
    auto c = compile_dsl(runbook(when));
    INFO(c.dump());
    CHECK(c.of(Rule::DeadStep).empty());
  }
}

TEST_CASE("dead-step: an ill-typed condition is reported once, as template-binding", "[rules]") {
  auto c = compile_dsl(runbook("\"a\" && 1"));
  INFO(c.dump());
  CHECK_FALSE(c.of(Rule::TemplateBinding).empty());
  CHECK(c.of(Rule::DeadStep).empty());
}

TEST_CASE("dead-step: YAML `when` alike, with a note naming the obligations it cannot meet", "[rules]") {
  auto c = compile_yaml(
      "playbooks:\n  low:\n    name: \"T\"\n    steps:\n      - action: notify_card_brands\n        id: brands\n"
      "        channels: [secure_portal]\n        when: \"false\"\n        satisfies: [pci.brands]\n");
  INFO(c.dump());
  auto found = c.of(Rule::DeadStep);
  REQUIRE(found.size() == 1);
  REQUIRE(found[0]->notes.size() == 1);
  CHECK(found[0]->notes[0].message.find("`pci.brands`") != std::string::npos);
}
