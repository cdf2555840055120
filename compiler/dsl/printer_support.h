// Internal to the DSL printer (compiler/dsl/printer.cc, compiler/dsl/printer_decls.cc): the line writer that
// carries source comments over, and the per-construct printers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"

namespace writ::dsl_print {

struct Comment {
  std::uint32_t begin = 0;  // source offset of `#` or `//`
  std::string text;         // the comment, without trailing blanks
  bool trailing = false;    // code precedes it on its line
};

// Accumulates output lines. Each line may name an anchor: the source span of the construct
// it prints. Printing runs twice: the first pass only collects the anchors, then every source
// comment is assigned to the first anchor after it (printed before that line, at its
// indentation) or, when code precedes it on its line, to the first anchor on that line
// (appended to the line). Statements may be reordered; their comments move with them. An
// empty line before an anchor in a .writ source is kept (several collapse to one).
class Writer {
 public:
  explicit Writer(const ast::File& file);

  void start_output();  // ends the collecting pass
  void line(int indent, const std::string& text, std::optional<Span> anchor);
  // Prints the comments left inside a block ending at `end`, then its `}`.
  void close(int indent, std::uint32_t end);
  void blank();  // one empty line, never two, never right after a `{`
  // A duration as written in a .writ source when that text means the same, else canonical.
  std::string duration(const ast::Located<std::int64_t>& value) const;
  std::string finish();

 private:
  void emit_leading(std::uint32_t anchor, int indent);
  std::string trailing(std::uint32_t anchor);
  int line_of(std::uint32_t offset) const;
  bool blank_before(std::uint32_t offset) const;

  SourcePtr source_;
  bool keep_blank_lines_ = false;
  bool collecting_ = true;
  std::vector<Comment> comments_;
  std::vector<std::uint32_t> anchors_;
  std::map<std::uint32_t, std::vector<std::size_t>> leading_, trailing_;  // anchor -> comments
  std::vector<std::size_t> tail_;  // comments after the last anchor
  std::string out_;
};

std::string quote(std::string_view text);  // a DSL string literal
std::string duration(std::int64_t seconds);  // 72h, 15m, 45s; whole days beyond a week: 28d
std::string pad(std::string_view keyword, std::size_t width);  // keyword, blanks to width, one blank
std::string join_names(const std::vector<ast::Name>& names);
std::string expression(const expr::NodePtr& node);
std::string template_string(const expr::NodePtr& node);

void print_runbook(Writer& w, const ast::Runbook& runbook);
void print_type(Writer& w, const ast::TypeDecl& decl);
void print_enum(Writer& w, const ast::EnumDecl& decl);
void print_event(Writer& w, const ast::EventDecl& decl);
void print_action(Writer& w, const ast::ActionDecl& decl);
void print_regulation(Writer& w, const ast::RegulationDecl& decl);
void print_policy(Writer& w, const ast::PolicyDecl& decl);

}  // namespace writ::dsl_print
