#include "compiler/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/dsl_parser.h"
#include "compiler/lower.h"
#include "compiler/rules/rules.h"
#include "compiler/suppressions.h"
#include "compiler/yaml_loader.h"

namespace writ {

namespace fs = std::filesystem;

namespace {

bool has_extension(const std::string& path, std::initializer_list<std::string_view> exts) {
  std::string ext = fs::path(path).extension().string();
  return std::any_of(exts.begin(), exts.end(), [&](std::string_view e) { return ext == e; });
}

bool is_yaml(const std::string& path) { return has_extension(path, {".yaml", ".yml"}); }

// Reads at most `limit` + 1 bytes so an oversized file is detected without loading it all.
// Reads in chunks: sizing the buffer to the limit up front would keep megabytes of capacity
// alive per file (thousands of files in one `writ check`).
std::optional<std::string> read_file(const std::string& path, std::size_t limit, bool& too_large) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char chunk[64 * 1024];
  while (text.size() <= limit) {
    in.read(chunk, sizeof chunk);
    auto got = static_cast<std::size_t>(in.gcount());
    text.append(chunk, std::min(got, limit + 1 - text.size()));
    if (got < sizeof chunk) break;
  }
  if (in.bad()) return std::nullopt;
  too_large = text.size() > limit;
  if (too_large) text.resize(limit);
  text.shrink_to_fit();
  return text;
}

ast::File parse(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits) {
  return is_yaml(source->path()) ? load_yaml(source, sink, limits) : parse_dsl(source, sink, limits);
}

// A whole-file `syntax` finding of a file that could not be read (it names the file).
Diagnostic unreadable(const std::string& path) {
  Diagnostic d;
  d.rule = Rule::Syntax;
  d.source = std::make_shared<const SourceFile>(path, std::string());
  d.whole_file = true;
  std::error_code ec;
  bool dangling = fs::is_symlink(path, ec) && !fs::exists(path, ec);
  d.message = dangling ? "cannot read this file: it is a symbolic link to a missing file" : "cannot read this file";
  return d;
}

}  // namespace

bool CompiledFile::has_errors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error && !d.suppressed_by; });
}

CompiledFile compile_source(const SourcePtr& source, const Catalog& catalog, const CompileOptions& options) {
  CompiledFile out;
  out.source = source;
  DiagnosticSink sink;
  out.ast = parse(source, sink, options.limits);
  out.ast.source = source;
  for (const auto& runbook : out.ast.runbooks) {
    out.runbooks.push_back(lower_runbook(runbook, out.ast, catalog, sink));
  }
  for (std::size_t i = 0; i < out.runbooks.size(); ++i) {
    rules::run_all(rules::Context{out.ast, out.ast.runbooks[i], out.runbooks[i], catalog, sink});
  }
  out.diagnostics = std::move(sink.diagnostics());
  out.ast.suppressions = scan_suppressions(source);
  if (options.inline_suppressions) {
    apply_suppressions(out.ast, options.today.empty() ? utc_today() : options.today, out.diagnostics);
  }
  sort_diagnostics(out.diagnostics);
  return out;
}

CompiledFile compile_file(const std::string& path, const Catalog& catalog, const CompileOptions& options) {
  bool too_large = false;
  auto text = read_file(path, options.limits.max_file_bytes, too_large);
  if (!text) {
    CompiledFile out;
    out.diagnostics.push_back(unreadable(path));
    return out;
  }
  auto source = std::make_shared<const SourceFile>(path, std::move(*text));
  if (too_large) {
    CompiledFile out;
    out.source = source;
    Diagnostic d;
    d.rule = Rule::InputLimit;
    d.source = source;
    d.whole_file = true;
    d.message = fmt::format("file is larger than the limit of {} bytes", options.limits.max_file_bytes);
    out.diagnostics.push_back(std::move(d));
    return out;
  }
  return compile_source(source, catalog, options);
}

std::vector<std::string> expand_inputs(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!has_extension(it->path().string(), {".yaml", ".yml", ".writ"})) continue;
    // A dangling symlink is listed so that it is reported as unreadable, not skipped; other
    // non-regular files (FIFOs, sockets, devices) are not runbooks and would block a read.
    bool dangling = it->is_symlink(ec) && !fs::exists(it->path(), ec);
    if (it->is_regular_file(ec) || dangling) out.push_back(it->path().lexically_normal().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Catalog load_catalog(const std::string& stdlib_dir, const std::vector<std::string>& policy_files, DiagnosticSink& sink,
                     const Limits& limits) {
  Catalog catalog;
  std::vector<std::string> files;
  for (const auto& file : expand_inputs(stdlib_dir)) {
    if (has_extension(file, {".writ"})) files.push_back(file);
  }
  if (files.empty()) {
    Diagnostic d;
    d.rule = Rule::Syntax;
    d.message = fmt::format("{}: no stdlib (*.writ) files found", stdlib_dir);
    d.whole_file = true;
    sink.add(std::move(d));
  }
  files.insert(files.end(), policy_files.begin(), policy_files.end());
  std::vector<ast::File> parsed;
  for (const auto& path : files) {
    bool too_large = false;
    auto text = read_file(path, limits.max_file_bytes, too_large);
    if (!text) {
      sink.add(unreadable(path));
      continue;
    }
    auto source = std::make_shared<const SourceFile>(path, std::move(*text));
    parsed.push_back(parse(source, sink, limits));
    parsed.back().source = source;
  }
  for (const auto& file : parsed) add_type_declarations(catalog, file);
  for (const auto& file : parsed) add_declarations(catalog, file, sink);
  for (const auto& file : parsed) check_action_inverses(catalog, file, sink);
  return catalog;
}

}  // namespace writ
