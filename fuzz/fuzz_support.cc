#include "fuzz/fuzz_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include "compiler/dsl/parser.h"
#include "compiler/ir_json.h"

namespace writ::fuzz {

namespace {

std::string describe(Span span) { return "[" + std::to_string(span.begin) + ", " + std::to_string(span.end) + ")"; }

void check_name(const SourceFile& source, const ast::Name& name, std::string_view where) {
  check_span(source, name.span, where);
}

template <typename T>
void check_optional(const SourceFile& source, const std::optional<ast::Located<T>>& value, std::string_view where) {
  if (value) check_span(source, value->span, where);
}

void check_node(const SourceFile& source, const expr::NodePtr& node) {
  if (node) check_expression(*node, source);
}

void check_arguments(const SourceFile& source, const std::vector<ast::Argument>& args) {
  for (const auto& arg : args) {
    check_name(source, arg.name, "argument name");
    check_span(source, arg.span, "argument");
    check_node(source, arg.value);
  }
}

void check_step(const SourceFile& source, const ast::Step& step) {
  check_span(source, step.span, "step");
  check_span(source, step.head, "step head");
  check_name(source, step.id, "step id");
  check_name(source, step.action, "step action");
  check_arguments(source, step.args);
  if (step.approval) {
    check_span(source, step.approval->span, "approval");
    for (const auto& role : step.approval->roles) check_name(source, role, "approver role");
    check_optional(source, step.approval->timeout_seconds, "approval timeout");
  }
  if (step.rollback) {
    check_span(source, step.rollback->span, "rollback");
    check_name(source, step.rollback->action, "rollback action");
    check_arguments(source, step.rollback->args);
  }
  for (const auto& path : step.preserve) {
    check_span(source, path.span, "preserve");
    check_node(source, path.value);
  }
  check_optional(source, step.deadline_seconds, "deadline");
  check_optional(source, step.timeout_seconds, "timeout");
  check_optional(source, step.retries, "retries");
  check_optional(source, step.on_failure, "on_failure");
  check_node(source, step.when);
  for (const auto& s : step.satisfies) check_name(source, s, "satisfies");
}

void check_runbook(const SourceFile& source, const ast::Runbook& runbook) {
  check_span(source, runbook.span, "runbook");
  check_span(source, runbook.head, "runbook head");
  check_name(source, runbook.id, "runbook id");
  check_name(source, runbook.title, "runbook title");
  check_name(source, runbook.severity, "runbook severity");
  for (const auto& tag : runbook.compliance) check_name(source, tag, "compliance tag");
  for (const auto& field : runbook.event) {
    check_name(source, field.name, "event field");
    check_name(source, field.type, "event field type");
  }
  check_node(source, runbook.when);
  for (const auto& step : runbook.steps) check_step(source, step);
  for (const auto* meta : {&runbook.version, &runbook.owner, &runbook.last_updated}) {
    if (*meta) check_name(source, **meta, "runbook metadata");
  }
}

void check_declarations(const SourceFile& source, const ast::File& file) {
  for (const auto& action : file.actions) {
    check_span(source, action.span, "action");
    check_name(source, action.name, "action name");
    for (const auto& p : action.params) {
      check_name(source, p.name, "parameter");
      check_name(source, p.type, "parameter type");
    }
    check_optional(source, action.timeout_seconds, "action timeout");
  }
  for (const auto& regulation : file.regulations) {
    check_span(source, regulation.span, "regulation");
    for (const auto& o : regulation.obligations) {
      check_span(source, o.span, "obligation");
      check_optional(source, o.deadline_seconds, "obligation deadline");
    }
  }
  for (const auto& policy : file.policies) {
    check_span(source, policy.span, "policy");
    for (const auto& s : policy.severities) check_span(source, s.span, "policy severity");
    for (const auto& root : policy.evidence_roots) check_span(source, root.span, "evidence root");
  }
  for (const auto& t : file.types) check_span(source, t.span, "type declaration");
  for (const auto& e : file.enums) check_span(source, e.span, "enum declaration");
  for (const auto& e : file.events) check_span(source, e.span, "event declaration");
  for (const auto& s : file.suppressions) {
    check_span(source, s.span, "suppression");
    require(s.target_line >= 1, "suppression target line < 1");
  }
}

}  // namespace

void fail(std::string_view what) {
  std::fprintf(stderr, "writ fuzz invariant violated: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

void check_span(const SourceFile& source, Span span, std::string_view where) {
  std::size_t size = source.text().size();
  if (span.begin > span.end || span.end > size) {
    fail(std::string(where) + ": span " + describe(span) + " outside a source of " + std::to_string(size) + " bytes");
  }
  LineCol begin = source.locate(span.begin);
  LineCol end = source.locate(span.end);
  require(begin.line >= 1 && begin.column >= 1 && end.line >= 1 && end.column >= 1,
          std::string(where) + ": line or column < 1");
  require(begin.line <= end.line, std::string(where) + ": span ends on an earlier line than it begins");
}

void check_diagnostics(std::span<const Diagnostic> diagnostics) {
  for (const auto& d : diagnostics) {
    std::string where = "diagnostic [" + std::string(rule_info(d.rule).id) + "] " + d.message;
    require(!d.message.empty(), where + ": empty message");
    if (d.source) check_span(*d.source, d.span, where);
    for (const auto& note : d.notes) {
      if (note.source) check_span(*note.source, note.span, where + ": note " + note.message);
    }
  }
}

void check_expression(const expr::Node& node, const SourceFile& source) {
  check_span(source, node.span, "expression node");
  for (const auto& span : node.path_spans) check_span(source, span, "expression path segment");
  for (const auto& child : node.children) {
    require(child != nullptr, "expression node with a null child");
    check_expression(*child, source);
  }
}

void check_ast(const ast::File& file, const SourceFile& source) {
  for (const auto& runbook : file.runbooks) check_runbook(source, runbook);
  check_declarations(source, file);
}

namespace {

// What the rules found, without positions: (rule, runbook, step) in sorted order.
std::vector<std::string> findings(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const auto& d : diagnostics) out.push_back(std::string(rule_info(d.rule).id) + " " + d.runbook + " " + d.step);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void check_print_round_trip(const CompiledFile& compiled) {
  std::string printed = print_dsl(compiled.ast);
  auto source = std::make_shared<const SourceFile>("printed.writ", printed);
  DiagnosticSink sink;
  ast::File reparsed = parse_dsl(source, sink);
  std::string shown = "\n--- printed ---\n" + printed;
  // Escapes lengthen strings, so a source just within a byte limit may print over it; writ fmt
  // and convert refuse such text (within_limits_once_printed in cli/cmd_check.cc).
  auto over_limit = [](const Diagnostic& d) { return d.rule == Rule::InputLimit; };
  if (!sink.diagnostics().empty() && std::all_of(sink.diagnostics().begin(), sink.diagnostics().end(), over_limit)) {
    return;
  }
  if (!sink.diagnostics().empty()) {
    const Diagnostic& d = sink.diagnostics().front();
    LineCol at = source->locate(d.span.begin);
    fail("print_dsl output does not re-parse: " + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
         d.message + shown);
  }
  require(print_dsl(reparsed) == printed, "print_dsl(parse_dsl(print_dsl(f))) differs from print_dsl(f)" + shown);
  CompiledFile again = compile_source(source, catalog(), compile_options(false));
  require(again.runbooks.size() == compiled.runbooks.size(), "the printed file has another number of runbooks" + shown);
  for (std::size_t i = 0; i < again.runbooks.size(); ++i) {
    require(ir::digest(again.runbooks[i]) == ir::digest(compiled.runbooks[i]),
            "runbook `" + compiled.runbooks[i].id + "` has another IR digest once printed and re-parsed:\n" +
                ir::to_json(compiled.runbooks[i]).dump() + "\n" + ir::to_json(again.runbooks[i]).dump() + shown);
  }
  auto before = findings(compiled.diagnostics), after = findings(again.diagnostics);
  if (before != after) {
    std::string list;
    for (const auto& f : before) list += "\n  before: " + f;
    for (const auto& f : after) list += "\n  after:  " + f;
    fail("the printed file has other findings than the original:" + list + shown);
  }
}

const Catalog& catalog() {
  static const Catalog loaded = [] {
    const char* env = std::getenv("WRIT_STDLIB");
    std::string dir = env != nullptr && *env != '\0' ? env : WRIT_FUZZ_STDLIB_DIR;
    DiagnosticSink sink;
    Catalog c = load_catalog(dir, {}, sink);
    if (sink.has_errors()) {
      for (const auto& d : sink.diagnostics()) std::fprintf(stderr, "stdlib: %s\n", d.message.c_str());
      fail("the stdlib in " + dir + " does not load cleanly (set WRIT_STDLIB)");
    }
    return c;
  }();
  return loaded;
}

CompileOptions compile_options(bool inline_suppressions) {
  CompileOptions options;
  options.inline_suppressions = inline_suppressions;
  options.today = "2026-01-01";
  return options;
}

void check_front_end(const std::uint8_t* data, std::size_t size, const std::string& name, FrontEnd parse,
                     bool with_errors, std::string_view what) {
  auto source = std::make_shared<const SourceFile>(name, std::string(as_text(data, size)));
  try {
    DiagnosticSink sink;
    ast::File file = parse(source, sink, Limits{});
    check_diagnostics(sink.diagnostics());
    check_ast(file, *source);
    if (!sink.diagnostics().empty()) return;
    CompiledFile compiled = compile_source(source, catalog(), compile_options(false));
    check_diagnostics(compiled.diagnostics);
    if ((with_errors || !compiled.has_errors()) && unprintable_names(compiled.ast).empty()) {
      check_print_round_trip(compiled);
    }
  } catch (const std::exception& e) {
    fail(std::string("the ") + std::string(what) + " threw: " + e.what());
  }
}

}  // namespace writ::fuzz
