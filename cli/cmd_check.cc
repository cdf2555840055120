// `writ check`, `writ compile`, `writ convert`, `writ fmt`.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "cli/check_stream.h"
#include "cli/cli_support.h"
#include "cli/pool_allocator.h"
#include "common/canonical_json.h"
#include "common/line_diff.h"
#include "common/regular_file.h"
#include "common/sha256.h"
#include "compiler/dsl/parser.h"
#include "compiler/emit/emit.h"
#include "compiler/ir_json.h"
#include "compiler/pipeline.h"
#include "compiler/rules/rules.h"
#include "compiler/yaml/loader.h"

namespace writ::cli {

namespace {

namespace fs = std::filesystem;

struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::vector<std::string> policies;
  bool werror = false;
  std::string baseline;
  std::string write_baseline;
  bool no_inline_suppressions = false;
  unsigned jobs = 0;
};

bool use_color() {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
}

Format format_of(const std::string& name) {
  if (name == "json") return Format::Json;
  if (name == "sarif") return Format::Sarif;
  if (name == "github") return Format::Github;
  return Format::Text;
}

// severity-coverage across the files checked, anchored at the policy that defines the
// severities, else at the first file that could be read (files are sorted, so the anchor is
// stable for a given set). Whole-file findings: the anchor's path is all they print.
std::vector<RenderedDiagnostic> coverage(const CheckOptions& opt, const Catalog& catalog, const CheckedFiles& checked,
                                         Format format, bool color) {
  const std::string anchor = !opt.policies.empty() ? opt.policies.back() : checked.first_source;
  DiagnosticSink sink;
  rules::severity_coverage(catalog, {checked.severities.begin(), checked.severities.end()},
                           anchor.empty() ? nullptr : std::make_shared<const SourceFile>(anchor, std::string()), sink);
  std::vector<RenderedDiagnostic> out;
  for (const auto& d : sink.diagnostics()) out.push_back(render_diagnostic(d, format, color));
  return out;
}

// The findings in sort_diagnostics' order: each file's are sorted, files are in path order,
// and the coverage findings go where their anchor's path sorts.
std::vector<const RenderedDiagnostic*> in_order(const CheckedFiles& checked,
                                                const std::vector<RenderedDiagnostic>& coverage) {
  std::vector<const RenderedDiagnostic*> all;
  for (const auto& file : checked.findings) {
    for (const auto& r : file) all.push_back(&r);
  }
  for (const auto& r : coverage) all.push_back(&r);
  std::stable_sort(all.begin(), all.end(),
                   [](const RenderedDiagnostic* a, const RenderedDiagnostic* b) { return sorts_before(*a, *b); });
  return all;
}

// --write-baseline records every finding; --baseline then drops the known ones.
void apply_baselines(const CheckOptions& opt, std::vector<const RenderedDiagnostic*>& all,
                     std::vector<std::string>& prints) {
  std::vector<std::string_view> identities;
  for (const auto* r : all) identities.push_back(r->identity);
  prints = fingerprints_of(identities);
  if (!opt.write_baseline.empty()) {
    std::set<std::string> recorded;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!all[i]->suppressed) recorded.insert(prints[i]);
    }
    write_baseline_fingerprints(opt.write_baseline, recorded);
  }
  if (opt.baseline.empty()) return;
  require_readable(opt.baseline);
  std::set<std::string> known;
  try {
    const auto baseline = read_baseline(opt.baseline);
    known.insert(baseline.begin(), baseline.end());
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());  // a malformed baseline is bad input, not a writ bug
  }
  std::vector<const RenderedDiagnostic*> kept;
  std::vector<std::string> kept_prints;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (known.contains(prints[i])) continue;
    kept.push_back(all[i]);
    kept_prints.push_back(std::move(prints[i]));
  }
  all = std::move(kept);
  prints = std::move(kept_prints);
}

// Every thread the machine offers by default; -j N asks for N.
unsigned jobs_for(unsigned asked) { return asked != 0 ? asked : std::max(1u, std::thread::hardware_concurrency()); }

int run_check(const CheckOptions& opt, const CliContext& ctx) {
  bool saw_directory = false;
  std::vector<std::string> files = runbook_files(opt.paths, &saw_directory);
  Catalog catalog = load_catalog_or_report(ctx, opt.policies);
  CompileOptions options;
  options.inline_suppressions = !opt.no_inline_suppressions;
  const Format format = format_of(opt.format);
  const bool color = use_color() && format == Format::Text;
  enable_pooled_allocation();
  const CheckedFiles checked = check_files(files, catalog, options, jobs_for(opt.jobs), format, color);
  std::vector<RenderedDiagnostic> covered;
  if (saw_directory || files.size() > 1) covered = coverage(opt, catalog, checked, format, color);
  std::vector<const RenderedDiagnostic*> all = in_order(checked, covered);
  std::vector<std::string> prints;
  apply_baselines(opt, all, prints);

  EmitOptions emit;
  emit.color = color;
  emit.files = files.size();
  emit.tool_version = WRIT_VERSION;
  emit_rendered(std::cout, format, all, prints, emit);

  bool errors = std::any_of(all.begin(), all.end(), [&](const RenderedDiagnostic* r) {
    return !r->suppressed && (r->severity == Severity::Error || (opt.werror && r->severity == Severity::Warning));
  });
  return errors ? 1 : 0;
}

// Compiles one file for compile/convert/fmt; prints its diagnostics to stderr.
CompiledFile compile_one(const std::string& path, const CliContext& ctx) {
  require_readable(path);
  if (fs::is_directory(path)) throw UsageError(path + ": is a directory; expected a file");
  Catalog catalog = load_catalog_or_report(ctx, {});
  auto result = compile_file(path, catalog, CompileOptions{});
  EmitOptions emit;
  emit.files = 1;
  emit.tool_version = WRIT_VERSION;
  std::vector<Diagnostic> shown;
  std::copy_if(result.diagnostics.begin(), result.diagnostics.end(), std::back_inserter(shown),
               [](const Diagnostic& d) { return !d.suppressed_by; });
  if (!shown.empty()) emit_text(std::cerr, shown, emit);
  return result;
}

int run_compile(const std::string& path, const std::string& out_path, const CliContext& ctx) {
  auto result = compile_one(path, ctx);
  if (result.has_errors()) return 1;
  nlohmann::json runbooks = nlohmann::json::array();
  std::string digests;
  for (const auto& rb : result.runbooks) {
    std::string digest = ir::digest(rb);
    digests += digest;
    runbooks.push_back({{"id", rb.id}, {"digest", digest}, {"ir", ir::to_json(rb)}});
  }
  std::string file_digest =
      result.runbooks.size() == 1 ? runbooks[0]["digest"].get<std::string>() : sha256_hex(digests);
  nlohmann::json doc{{"version", 1}, {"digest", file_digest}, {"runbooks", runbooks}};
  std::string text = doc.dump(2) + "\n";
  if (out_path.empty()) {
    std::cout << text;
  } else {
    std::ofstream out(out_path, std::ios::binary);
    if (!(out << text)) throw UsageError(out_path + ": cannot be written");
  }
  std::cerr << "digest sha256:" << file_digest << '\n';
  return 0;
}

// The printed text can exceed a byte limit its source met (escapes lengthen strings: a raw
// line break becomes `\n`); such text is refused, never printed or written over the file.
bool within_limits_once_printed(const std::string& path, const std::string& text) {
  DiagnosticSink sink;
  parse_dsl(std::make_shared<const SourceFile>(path + " (formatted)", text), sink);
  std::vector<Diagnostic> over;
  std::copy_if(sink.diagnostics().begin(), sink.diagnostics().end(), std::back_inserter(over),
               [](const Diagnostic& d) { return d.rule == Rule::InputLimit; });
  if (over.empty()) return true;
  EmitOptions emit;
  emit.files = 1;
  emit_text(std::cerr, over, emit);
  std::cerr << "writ: " << path << ": the formatted text would exceed an input limit; nothing was printed\n";
  return false;
}

// The file as canonical DSL, or nothing when it cannot be printed (why is on stderr): it does
// not parse, or it holds a name the DSL cannot spell.
std::optional<std::string> printed_dsl(const std::string& path, const CliContext& ctx, SourcePtr& source) {
  auto result = compile_one(path, ctx);
  source = result.source;
  bool syntax_errors = std::any_of(result.diagnostics.begin(), result.diagnostics.end(), [](const Diagnostic& d) {
    return d.rule == Rule::Syntax || d.rule == Rule::UnknownKey || d.rule == Rule::InputLimit;
  });
  if (syntax_errors) return std::nullopt;
  if (auto refused = unprintable_names(result.ast); !refused.empty()) {
    EmitOptions emit;
    emit.files = 1;
    emit_text(std::cerr, refused, emit);
    return std::nullopt;
  }
  return print_dsl(result.ast);
}

int run_convert(const std::string& path, const CliContext& ctx) {
  SourcePtr source;
  auto text = printed_dsl(path, ctx, source);
  if (!text || !within_limits_once_printed(path, *text)) return 1;
  std::cout << *text;
  return 0;
}

// `fmt` rewrites DSL only. YAML — by its name or, whatever the name, by its content — is
// refused before it is compiled or written: `fmt -w` once replaced a YAML runbook with DSL.
void refuse_yaml(const std::string& path) {
  require_readable(path);
  if (fs::is_directory(path)) throw UsageError(path + ": is a directory; expected a .writ file");
  const std::string ext = fs::path(path).extension().string();
  bool yaml = ext == ".yaml" || ext == ".yml";
  if (!yaml) {
    ReadFile file = read_regular_file(path, Limits{}.max_file_bytes);
    yaml = file && looks_like_yaml(*file.text);  // too large or unreadable: compiling reports it
  }
  if (!yaml) return;
  const std::string dsl = fs::path(path).replace_extension(".writ").string();
  throw UsageError(path + ": is YAML; `writ fmt` formats only .writ (DSL) files and left this one unchanged\n" +
                   (ext == ".yaml" || ext == ".yml"
                        ? "help: `writ convert " + path + " > " + dsl + "` writes it as DSL"
                        : "help: `writ convert` reads YAML from a .yaml or .yml file: rename it, then convert it"));
}

int run_fmt(const std::string& path, bool write_back, bool check_only, const CliContext& ctx) {
  refuse_yaml(path);
  SourcePtr source;
  auto text = printed_dsl(path, ctx, source);
  if (!text) return 1;
  if (check_only) {
    std::string diff = unified_diff(source->text(), *text, path, path + " (formatted)");
    std::cout << diff;
    return diff.empty() ? 0 : 1;
  }
  if (!within_limits_once_printed(path, *text)) return 1;
  if (!write_back) {
    std::cout << *text;
    return 0;
  }
  if (*text == source->text()) return 0;  // already formatted: the file is not touched
  std::ofstream out(path, std::ios::binary);
  if (!(out << *text)) throw UsageError(path + ": cannot be written");
  return 0;
}

void add_check(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand("check", "check runbooks: syntax, bindings, approvals, rollbacks, deadlines");
  cmd->add_option("paths", opt->paths, "files or directories (*.yaml, *.yml, *.writ below them)")->required();
  cmd->add_option("--format", opt->format, "output format")->check(CLI::IsMember({"text", "json", "sarif", "github"}));
  cmd->add_option("--policy", opt->policies, "policy file (DSL or YAML) overriding the default policy")
      ->allow_extra_args(false);
  add_catalog_option(cmd, ctx);
  cmd->add_flag("--werror", opt->werror, "treat warnings as errors for the exit code");
  cmd->add_option("--baseline", opt->baseline, "report only findings not in this baseline file");
  cmd->add_option("--write-baseline", opt->write_baseline, "record the current findings as a baseline");
  cmd->add_flag("--no-inline-suppressions", opt->no_inline_suppressions, "ignore writ:ignore comments");
  cmd->add_option("-j,--jobs", opt->jobs, "threads (default: all cores)");
  cmd->callback([opt, &ctx] { catalog_guarded(ctx, [&] { return run_check(*opt, ctx); }); });
}

void add_compile(CLI::App& app, CliContext& ctx) {
  auto path = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("compile", "print the canonical IR JSON and its sha256 digest");
  cmd->add_option("file", *path, "a runbook file (.yaml, .yml, .writ)")->required();
  cmd->add_option("-o,--output", *out, "write the IR JSON to this file");
  add_catalog_option(cmd, ctx);
  cmd->callback([path, out, &ctx] { catalog_guarded(ctx, [&] { return run_compile(*path, *out, ctx); }); });
}

void add_printers(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string path;
    bool write = false;
    bool check = false;
  };
  auto convert = std::make_shared<Args>();
  auto* c = app.add_subcommand("convert", "print a YAML runbook as equivalent .writ DSL");
  c->add_option("file", convert->path, "a YAML runbook")->required();
  add_catalog_option(c, ctx);
  c->callback([convert, &ctx] { catalog_guarded(ctx, [&] { return run_convert(convert->path, ctx); }); });
  auto fmt_args = std::make_shared<Args>();
  auto* f = app.add_subcommand("fmt", "format a .writ file canonically (YAML is refused: use convert)");
  f->add_option("file", fmt_args->path, "a .writ file")->required();
  f->add_flag("-w,--write", fmt_args->write, "rewrite the file in place");
  f->add_flag("--check", fmt_args->check, "print the diff formatting would make; exit 1 when there is one");
  add_catalog_option(f, ctx);
  f->callback([fmt_args, &ctx] {
    catalog_guarded(ctx, [&] { return run_fmt(fmt_args->path, fmt_args->write, fmt_args->check, ctx); });
  });
}

}  // namespace

void register_check_commands(CLI::App& app, CliContext& ctx) {
  add_check(app, ctx);
  add_compile(app, ctx);
  add_printers(app, ctx);
}

}  // namespace writ::cli
