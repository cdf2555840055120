#include "common/markup.h"

#include <catch2/catch.hpp>

TEST_CASE("markup_escape quotes the markup characters and replaces C0 controls but tab and line breaks") {
  CHECK(writ::markup_escape(R"(</td><script>alert("x" & 'y')</script>)") ==
        "&lt;/td&gt;&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
  CHECK(writ::markup_escape(std::string("a\x01" "b\tc\nd\re", 9)) == "a\xEF\xBF\xBD" "b\tc\nd\re");
  CHECK(writ::markup_escape("h\xC3\xA9llo") == "h\xC3\xA9llo");  // UTF-8 passes through
}
