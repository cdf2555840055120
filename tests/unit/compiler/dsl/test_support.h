// Helpers shared by the DSL tests: parse text or a fixture, and read spans back as text.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "compiler/dsl/parser.h"

namespace writ::dsl_testing {

struct Parsed {
  SourcePtr source;
  ast::File file;
  DiagnosticSink sink;

  std::string_view text(Span span) const { return std::string_view(source->text()).substr(span.begin, span.end - span.begin); }
  std::string messages() const {
    std::string out;
    for (const auto& d : sink.diagnostics()) {
      auto at = source ? source->locate(d.span.begin) : LineCol{};
      out += std::to_string(at.line) + ":" + std::to_string(at.column) + ": [" + std::string(rule_info(d.rule).id) +
             "] " + d.message + "\n";
    }
    return out;
  }
};

inline std::unique_ptr<Parsed> parse_text(std::string text, const Limits& limits = {}, std::string path = "test.writ") {
  auto out = std::make_unique<Parsed>();
  out->source = std::make_shared<SourceFile>(std::move(path), std::move(text));
  out->file = parse_dsl(out->source, out->sink, limits);
  return out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string source_path(const std::string& relative) { return std::string(WRIT_SOURCE_DIR) + "/" + relative; }

inline std::unique_ptr<Parsed> parse_fixture(const std::string& relative) {
  return parse_text(read_file(source_path(relative)), {}, relative);
}

}  // namespace writ::dsl_testing
