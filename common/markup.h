// Text quoted into HTML or XML (the auditor report, the exercise report, JUnit XML): `&` `<`
// `>` `"` `'` as entities, and the C0 control characters other than tab, line feed and carriage
// return — parse errors in HTML, forbidden in XML 1.0 — as U+FFFD. Safe in element content and
// in quoted attribute values.
#pragma once

#include <string>
#include <string_view>

namespace writ {

std::string markup_escape(std::string_view text);

}  // namespace writ
