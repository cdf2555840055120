#include "compiler/organisation_catalog.h"

#include <fmt/format.h>

#include <map>
#include <string>
#include <utility>

namespace writ {

namespace {

struct Origin {
  SourcePtr source;
  Span span;
  bool stdlib = false;
};

// Every name a catalog file declares, keyed by what it names: {"action", "isolate_host"},
// {"type", "host"}, {"role", "ciso"} (an enumeration's values under its type), ...
class Declarations {
 public:
  Declarations(DiagnosticSink& sink, bool stdlib) : sink_(sink), stdlib_(stdlib) {}
  void set_stdlib(bool stdlib) { stdlib_ = stdlib; }

  void add_file(const ast::File& file) {
    for (const auto& decl : file.types) {
      for (const auto& name : decl.names) add(file, "type", name);
    }
    for (const auto& decl : file.enums) {
      for (const auto& value : decl.values) add(file, decl.type.value, value);
    }
    for (const auto& decl : file.actions) add(file, "action", decl.name);
    for (const auto& decl : file.regulations) add(file, "regulation", decl.name);
  }

 private:
  void add(const ast::File& file, const std::string& kind, const ast::Name& name) {
    auto [it, inserted] = seen_.try_emplace({kind, name.value}, Origin{file.source, name.span, stdlib_});
    if (inserted || stdlib_) return;
    const Origin& first = it->second;
    auto& d = sink_.report(Rule::Syntax, file.source, name.span,
                           fmt::format("{} `{}` is already declared {}", kind, name.value,
                                       first.stdlib ? "by the stdlib" : "by another catalog file"));
    d.notes.push_back({"declared first here", first.source, first.span});
    d.help.push_back(first.stdlib ? "an organisation catalog adds to the stdlib and never redefines it: give yours "
                                    "another name"
                                  : "declare it once, in one catalog file");
  }

  DiagnosticSink& sink_;
  bool stdlib_;
  std::map<std::pair<std::string, std::string>, Origin> seen_;
};

// A catalog file holds declarations only: runbooks are checked, the policy is `--policy`, and
// the default event schema is the stdlib's (a runbook declares its own `event`).
void report_foreign(const ast::File& file, DiagnosticSink& sink) {
  auto refuse = [&](Span at, std::string message, std::string help) {
    auto& d = sink.report(Rule::Syntax, file.source, at, std::move(message));
    d.help.push_back(std::move(help));
  };
  for (const auto& r : file.runbooks) {
    refuse(r.head, "a runbook in a `--catalog` file is not checked there",
           "put runbooks in their own files and pass those to the command");
  }
  for (const auto& p : file.policies) {
    refuse(p.name.span, fmt::format("policy `{}` in a `--catalog` file does not apply", p.name.value),
           "pass a policy file with `--policy FILE`");
  }
  for (const auto& e : file.events) {
    refuse({e.span.begin, e.span.begin + 5}, "a `--catalog` file cannot replace the default event schema",
           "declare the fields a runbook reads inside it: `runbook ID { event { ... } ... }`");
  }
}

}  // namespace

void check_organisation_catalogs(std::span<const ast::File> stdlib, std::span<const ast::File> organisation,
                                 DiagnosticSink& sink) {
  Declarations declared(sink, true);
  for (const auto& file : stdlib) declared.add_file(file);
  declared.set_stdlib(false);
  for (const auto& file : organisation) {
    declared.add_file(file);
    report_foreign(file, sink);
  }
}

}  // namespace writ
