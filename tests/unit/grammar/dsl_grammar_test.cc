#include "grammar/dsl_grammar.h"

#include <catch2/catch.hpp>
#include <string>
#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>

namespace writ {
namespace {

namespace pegtl = tao::pegtl;
namespace g = grammar::dsl;

// Whether `Rule` matches the whole of `text` (errors from must<> count as no match).
template <typename Rule>
bool matches(const std::string& text) {
  pegtl::memory_input in(text, "test");
  try {
    return pegtl::parse<pegtl::seq<Rule, pegtl::eof>, pegtl::nothing, g::control>(in);
  } catch (const pegtl::parse_error&) {
    return false;
  }
}

TEST_CASE("DSL grammar: no rule can loop without consuming input", "[dsl]") { CHECK(pegtl::analyze<g::file>(-1) == 0); }

TEST_CASE("DSL grammar: durations", "[dsl]") {
  for (const char* ok : {"30s", "15m", "72h", "2d", "60cd", "4bd", "1mo", "0m"}) {
    INFO(ok);
    CHECK(matches<g::duration>(ok));
  }
  for (const char* bad : {"15", "15min", "m", "1.5h", "15 m", "4BD", "-1h"}) {
    INFO(bad);
    CHECK_FALSE(matches<g::duration>(bad));
  }
}

TEST_CASE("DSL grammar: names, tags and obligation references", "[dsl]") {
  CHECK(matches<g::tag>("UK-GDPR"));
  CHECK(matches<g::tag>("CERT-In"));
  CHECK(matches<g::tag>("GDPR.subjects"));
  CHECK_FALSE(matches<g::tag>("-GDPR"));
  CHECK(matches<g::obligation_ref>("sec.8k"));
  CHECK(matches<g::obligation_ref>("nis2.early_warning"));
  CHECK_FALSE(matches<g::obligation_ref>("8k.sec"));
  CHECK(matches<g::type_name>("list<channel>"));
  CHECK(matches<g::type_name>("list < list<ip> >"));
  CHECK_FALSE(matches<g::type_name>("list<channel"));
}

TEST_CASE("DSL grammar: keywords are whole words", "[dsl]") {
  CHECK(matches<g::kw_step>("step"));
  CHECK_FALSE(matches<g::kw_step>("steps"));
  // `within` ends the role list of `approve`.
  CHECK(matches<g::approve_stmt>("approve ciso, legal within 15m"));
  CHECK(matches<g::approve_stmt>("approve within 15m"));
  CHECK(matches<g::approve_stmt>("approve"));
  CHECK(matches<g::approve_stmt>("approve withinx"));  // a role named `withinx`
}

TEST_CASE("DSL grammar: strings and escapes", "[dsl]") {
  CHECK(matches<g::string_lit>(R"("plain")"));
  CHECK(matches<g::string_lit>(R"("a \"quoted\" \\ \/ \n \t \r \u00e9")"));
  CHECK(matches<g::string_lit>("\"caf\xc3\xa9\""));
  CHECK_FALSE(matches<g::string_lit>(R"("bad \x escape")"));
  CHECK_FALSE(matches<g::string_lit>(R"("bad \u12 escape")"));
  CHECK_FALSE(matches<g::string_lit>("\"no newline\nin strings\""));
  CHECK_FALSE(matches<g::string_lit>("\"unterminated"));
}

TEST_CASE("DSL grammar: statements end at a newline or `,`", "[dsl]") {
  CHECK(matches<g::file>("runbook r { title \"t\"; severity low }"));
  CHECK(matches<g::file>("runbook r {\n  title \"t\"\n  severity low\n}\n"));
  CHECK_FALSE(matches<g::file>("runbook r { title \"t\" severity low }"));
  CHECK(matches<g::file>("runbook r {}\nrunbook q {}"));
  CHECK_FALSE(matches<g::file>("runbook r {} runbook q {}"));
}

}  // namespace
}  // namespace writ
