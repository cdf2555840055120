// Quoting untrusted text (runbook titles, step ids, file paths, policy names, suppression
// reasons, ...) inside a Markdown document, so that a viewer shows it as the same characters
// and nothing else: no HTML, no link, no emphasis, no new table cell, row or block.
#pragma once

#include <string>
#include <string_view>

namespace writ {

// `text` as Markdown inline content that renders as exactly its characters, in running text,
// a heading or a GitHub-flavoured table cell:
// - `<`, `>`, `&` become `&lt;`, `&gt;`, `&amp;` (no raw HTML, autolink or entity);
// - the characters that open inline or block constructs are backslash-escaped: `\` `` ` ``
//   `*` `[` `]` `#` `~` `|` (a table cell's separator) `$` (math), and `_` unless it stands
//   between two ASCII letters or digits (where CommonMark never reads it as emphasis, so
//   `early_warning` stays readable in the Markdown source);
// - line breaks and every other control character become a space, so the text stays on its
//   line (a heading, a list item, a table row). Since the text never starts a line, no block
//   construct (`-`, `1.`, `>`, `=`) can begin inside it.
// Bare URLs may still be auto-linked by GitHub; such a link shows its own target. Never
// put the result in a code span (backslash escapes and entities are not decoded there).
std::string markdown_escape(std::string_view text);

}  // namespace writ
