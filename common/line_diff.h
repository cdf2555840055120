// Line diffs in the unified format `diff -u` prints, for `writ fmt --check` (what formatting
// would change). Pure functions over text in memory; nothing here throws for any input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace writ {

// The unified diff that turns `before` into `after`: `--- before_label` / `+++ after_label`
// headers, then `@@ -a,b +c,d @@` hunks with `context` unchanged lines around each change
// (hunks closer than that merge), ` `/`-`/`+` line prefixes, and `\ No newline at end of file`
// after a last line without one. Empty when the texts are equal.
//
// The edit script is minimal (Myers' O(ND) algorithm) while the work stays within a budget
// proportional to the texts' size; beyond it (texts that share almost nothing) the part
// between the common first and last lines is shown as removed and re-added, which is still a
// correct diff. Memory is O(D²) for D edits up to the budget, never O(N·M).
std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label, std::size_t context = 3);

}  // namespace writ
