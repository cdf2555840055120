#include "compiler/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "common/regular_file.h"
#include "compiler/dsl/parser.h"
#include "compiler/lower.h"
#include "compiler/organisation_catalog.h"
#include "compiler/rules/rules.h"
#include "compiler/suppressions.h"
#include "compiler/yaml/loader.h"

namespace writ {

namespace fs = std::filesystem;

namespace {

bool has_extension(const std::string& path, std::initializer_list<std::string_view> exts) {
  std::string ext = fs::path(path).extension().string();
  return std::any_of(exts.begin(), exts.end(), [&](std::string_view e) { return ext == e; });
}

bool is_yaml(const std::string& path) { return has_extension(path, {".yaml", ".yml"}); }

struct FileText {
  std::optional<std::string> text;  // nothing: unreadable (see `error`)
  bool too_large = false;           // `text` holds the first bytes only
  std::string error;
};

// Reads chunk by chunk, never past `limit`: sizing the buffer to the limit up front would keep
// megabytes of capacity alive per file (thousands of files in one `writ check`). The open never
// blocks and refuses FIFOs, sockets and devices (common/regular_file.h).
FileText read_file(const std::string& path, std::size_t limit) {
  FileText out;
  auto file = open_regular_file(path);
  if (!file) {
    out.error = file.problem == FileProblem::not_regular ? file.error.substr(path.size() + 2) : "";
    return out;
  }
  std::string text;
  std::string error;
  const auto problem = read_all(file.fd.get(), path, limit, text, error);
  if (problem == FileProblem::unreadable) return out;
  out.too_large = problem == FileProblem::too_large;
  text.shrink_to_fit();
  out.text = std::move(text);
  return out;
}

ast::File parse(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits) {
  return is_yaml(source->path()) ? load_yaml(source, sink, limits) : parse_dsl(source, sink, limits);
}

// A whole-file `syntax` finding of a file that could not be read (it names the file);
// `why` says what the path is when that is the reason ("is a FIFO, not a regular file").
Diagnostic unreadable(const std::string& path, const std::string& why) {
  Diagnostic d;
  d.rule = Rule::Syntax;
  d.source = std::make_shared<const SourceFile>(path, std::string());
  d.whole_file = true;
  std::error_code ec;
  bool dangling = fs::is_symlink(path, ec) && !fs::exists(path, ec);
  d.message = dangling ? "cannot read this file: it is a symbolic link to a missing file"
                       : why.empty() ? "cannot read this file" : "cannot read this file: it " + why;
  return d;
}

// A `--policy` file that parses but declares no policy (a runbook, a catalog file) would
// leave the default policy active without a word.
Diagnostic no_policy(const SourcePtr& source) {
  Diagnostic d;
  d.rule = Rule::Syntax;
  d.source = source;
  d.whole_file = true;
  d.message = "this policy file declares no policy";
  d.help.push_back(is_yaml(source->path()) ? "a YAML policy file has a top-level `policy:` key (docs/policy.md)"
                                           : "a .writ policy file declares `policy NAME { ... }` (docs/policy.md)");
  return d;
}

// The catalog is read from the stdlib and `--catalog` files only: an `action` (or type,
// channel, role, regulation, default event) written beside a runbook would otherwise be
// ignored without a word, and the runbook's call to it reported as unknown right under its
// declaration.
void report_declarations(const ast::File& file, const Catalog& catalog, DiagnosticSink& sink) {
  if (file.runbooks.empty()) return;
  // A policy beside runbooks is legitimate (the file may also be the `--policy`), but one that
  // is not the active policy does not apply to them: say so rather than let it look in force.
  for (const auto& p : file.policies) {
    if (p.name.value == catalog.policy().name) continue;
    auto& d = sink.report(Rule::Syntax, file.source, p.name.span,
                          fmt::format("policy `{}` in this file does not apply: the active policy is `{}`", p.name.value,
                                      catalog.policy().name));
    d.severity = Severity::Note;
    d.help.push_back(fmt::format("pass the file as `--policy {}` to check its runbooks under it", file.source->path()));
  }
  auto report = [&](Span at, std::string_view what, std::string_view section) {
    auto& d = sink.report(Rule::Syntax, file.source, at,
                          fmt::format("{} declared in a runbook file is not read: the catalog comes from the stdlib "
                                      "and `--catalog` files",
                                      what));
    d.help.push_back(fmt::format("`writ catalog {}` lists what the catalog declares; a declaration of your own goes in "
                                 "an organisation catalog file, passed with `--catalog FILE`",
                                 section));
  };
  for (const auto& a : file.actions) report(a.name.span, "an `action`", "actions");
  for (const auto& t : file.types) report(t.names.empty() ? t.span : t.names.front().span, "a `type`", "types");
  for (const auto& e : file.enums) report(e.type.span, fmt::format("a `{}`", e.type.value), e.type.value + "s");
  for (const auto& r : file.regulations) report(r.name.span, "a `regulation`", "regulations");
  for (const auto& e : file.events) {
    auto& d = sink.report(Rule::Syntax, file.source, {e.span.begin, e.span.begin + 5},
                          "a top-level `event` block in a runbook file is not read");
    d.help.push_back("put it inside the runbook (`runbook ID { event { ... } ... }`): it declares that runbook's fields");
  }
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
  report_declarations(out.ast, catalog, sink);
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
  auto file = read_file(path, options.limits.max_file_bytes);
  if (!file.text) {
    CompiledFile out;
    out.diagnostics.push_back(unreadable(path, file.error));
    return out;
  }
  auto source = std::make_shared<const SourceFile>(path, std::move(*file.text));
  if (file.too_large) {
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

namespace {

// A whole-file `syntax` finding about `path` (it names the file, with no position).
Diagnostic whole_file_error(const std::string& path, std::string message) {
  Diagnostic d;
  d.rule = Rule::Syntax;
  d.source = std::make_shared<const SourceFile>(path, std::string());
  d.whole_file = true;
  d.message = std::move(message);
  return d;
}

std::vector<std::string> writ_files(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& file : expand_inputs(path)) {
    if (has_extension(file, {".writ"})) out.push_back(file);
  }
  return out;
}

// The files the `--catalog` paths name: a .writ file as given, a directory's *.writ files.
std::vector<std::string> catalog_files(const std::vector<std::string>& catalogs, DiagnosticSink& sink) {
  std::vector<std::string> out;
  for (const auto& path : catalogs) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      auto found = writ_files(path);
      if (found.empty()) sink.add(whole_file_error(path, "no catalog (*.writ) files below this directory"));
      out.insert(out.end(), found.begin(), found.end());
    } else if (!has_extension(path, {".writ"})) {
      auto d = whole_file_error(path, "a catalog file is written in the stdlib's syntax and named *.writ");
      d.help.push_back("declare actions, types, channels and roles as stdlib/*.writ does (docs/dsl.md)");
      sink.add(std::move(d));
    } else {
      out.push_back(path);
    }
  }
  return out;
}

// Reads and parses `paths` in order; an unreadable one is reported and left out. With
// `policies`, a file that parses but declares no policy is reported too.
std::vector<ast::File> parse_files(const std::vector<std::string>& paths, DiagnosticSink& sink, const Limits& limits,
                                   bool policies) {
  std::vector<ast::File> parsed;
  for (const auto& path : paths) {
    auto file = read_file(path, limits.max_file_bytes);
    if (!file.text) {
      sink.add(unreadable(path, file.error));
      continue;
    }
    auto source = std::make_shared<const SourceFile>(path, std::move(*file.text));
    std::size_t before = sink.diagnostics().size();
    parsed.push_back(parse(source, sink, limits));
    parsed.back().source = source;
    if (policies && parsed.back().policies.empty() && sink.diagnostics().size() == before) sink.add(no_policy(source));
  }
  return parsed;
}

// Types first, so that an action may use a type declared in a later file of the group.
void add_group(Catalog& catalog, const std::vector<ast::File>& files, DiagnosticSink& sink) {
  for (const auto& file : files) add_type_declarations(catalog, file);
  for (const auto& file : files) add_declarations(catalog, file, sink);
}

}  // namespace

Catalog load_catalog(const CatalogInputs& inputs, DiagnosticSink& sink, const Limits& limits) {
  auto stdlib_paths = writ_files(inputs.stdlib_dir);
  if (stdlib_paths.empty()) {
    Diagnostic d;
    d.rule = Rule::Syntax;
    d.message = fmt::format("{}: no stdlib (*.writ) files found", inputs.stdlib_dir);
    d.whole_file = true;
    sink.add(std::move(d));
  }
  auto stdlib = parse_files(stdlib_paths, sink, limits, false);
  auto organisation = parse_files(catalog_files(inputs.catalogs, sink), sink, limits, false);
  auto policies = parse_files(inputs.policies, sink, limits, true);
  Catalog catalog;
  add_group(catalog, stdlib, sink);
  check_organisation_catalogs(stdlib, organisation, sink);
  add_group(catalog, organisation, sink);
  add_group(catalog, policies, sink);
  for (const auto* group : {&stdlib, &organisation, &policies}) {
    for (const auto& file : *group) check_action_inverses(catalog, file, sink);
  }
  return catalog;
}

Catalog load_catalog(const std::string& stdlib_dir, const std::vector<std::string>& policy_files, DiagnosticSink& sink,
                     const Limits& limits) {
  return load_catalog(CatalogInputs{stdlib_dir, {}, policy_files}, sink, limits);
}

}  // namespace writ
