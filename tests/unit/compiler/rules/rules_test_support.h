// Helpers shared by the rule tests: compile YAML or DSL text through the real pipeline
// against the real stdlib catalog, and pick out the findings of one rule.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/pipeline.h"

namespace writ::rules_testing {

struct Stdlib {
  Catalog catalog;
  std::vector<Diagnostic> diagnostics;  // findings in the stdlib itself: expected none
};

// The stdlib catalog, loaded once (read-only afterwards).
inline const Stdlib& stdlib() {
  static const Stdlib loaded = [] {
    DiagnosticSink sink;
    Stdlib out;
    out.catalog = load_catalog(WRIT_SOURCE_DIR "/stdlib", {}, sink);
    out.diagnostics = std::move(sink.diagnostics());
    return out;
  }();
  return loaded;
}

inline const Catalog& stdlib_catalog() { return stdlib().catalog; }

struct Compiled {
  CompiledFile file;

  std::vector<const Diagnostic*> of(Rule rule) const {
    std::vector<const Diagnostic*> out;
    for (const auto& d : file.diagnostics) {
      if (d.rule == rule) out.push_back(&d);
    }
    return out;
  }
  std::string_view text(const Diagnostic& d) const {
    return std::string_view(file.source->text()).substr(d.span.begin, d.span.end - d.span.begin);
  }
  int line(const Diagnostic& d) const { return file.source->locate(d.span.begin).line; }
  // Every finding, one a line: "3:7 error[rule] step: message" (for INFO on failure).
  std::string dump() const {
    std::string out;
    for (const auto& d : file.diagnostics) {
      auto at = d.source ? d.source->locate(d.span.begin) : LineCol{0, 0};
      out += std::to_string(at.line) + ":" + std::to_string(at.column) + " " + std::string(severity_name(d.severity)) +
             "[" + std::string(rule_info(d.rule).id) + "] " + d.step + ": " + d.message + "\n";
    }
    return out;
  }
};

inline Compiled compile_text(std::string text, std::string path, const Catalog& catalog = stdlib_catalog()) {
  auto source = std::make_shared<SourceFile>(std::move(path), std::move(text));
  CompileOptions options;
  options.today = "2025-01-01";
  return Compiled{compile_source(source, catalog, options)};
}

inline Compiled compile_yaml(std::string text, const Catalog& catalog = stdlib_catalog()) {
  return compile_text(std::move(text), "test.yaml", catalog);
}

inline Compiled compile_dsl(std::string text, const Catalog& catalog = stdlib_catalog()) {
  return compile_text(std::move(text), "test.writ", catalog);
}

inline Compiled compile_fixture(const std::string& relative) {
  std::ifstream in(std::string(WRIT_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return compile_text(text.str(), relative);
}

}  // namespace writ::rules_testing
