#include "common/markdown.h"

#include <catch2/catch.hpp>

using namespace writ;

TEST_CASE("markdown_escape: HTML never survives", "[common][markdown]") {
  CHECK(markdown_escape("</td><script>alert(3)</script>") == "&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;");
  CHECK(markdown_escape("a & b &amp; c") == "a &amp; b &amp;amp; c");
  CHECK(markdown_escape("<https://example.test>") == "&lt;https://example.test&gt;");  // no autolink
}

TEST_CASE("markdown_escape: table cells and lines stay whole", "[common][markdown]") {
  CHECK(markdown_escape("a|b") == "a\\|b");
  CHECK(markdown_escape("line one\nline two\r\n| x |") == "line one line two  \\| x \\|");
  CHECK(markdown_escape(std::string("tab\tnul\0del\x7f", 12)) == "tab nul del ");
  CHECK(markdown_escape("# not a heading ##") == "\\# not a heading \\#\\#");
}

TEST_CASE("markdown_escape: inline constructs are inert", "[common][markdown]") {
  CHECK(markdown_escape("[click](javascript:alert(1))") == "\\[click\\](javascript:alert(1))");
  CHECK(markdown_escape("![img](x)") == "!\\[img\\](x)");
  CHECK(markdown_escape("*bold* `code` ~~gone~~ $x^2$ \\") == "\\*bold\\* \\`code\\` \\~\\~gone\\~\\~ \\$x^2\\$ \\\\");
  CHECK(markdown_escape("_emph_ __strong__ a_ _b") == "\\_emph\\_ \\_\\_strong\\_\\_ a\\_ \\_b");
}

TEST_CASE("markdown_escape: ordinary identifiers read as they are", "[common][markdown]") {
  CHECK(markdown_escape("early_warning") == "early_warning");
  CHECK(markdown_escape("nis2.early_warning") == "nis2.early_warning");
  CHECK(markdown_escape("runbooks/active_breach.yaml") == "runbooks/active_breach.yaml");
  CHECK(markdown_escape("Containment — «caf\xc3\xa9»") == "Containment — «caf\xc3\xa9»");
  CHECK(markdown_escape("x_\xc3\xa9") == "x\\_\xc3\xa9");  // only ASCII neighbours make `_` intraword
  CHECK(markdown_escape("") == "");
}
