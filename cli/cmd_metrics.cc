// `writ metrics STATE_DIR [--format json|prometheus] [--evidence DIR] [-o FILE]` (DESIGN §11):
// readiness figures from the run journals. Exit 0; 1 when some journal could not be read or
// verified (the figures leave it out and stderr names it); 2 for a missing state directory, an
// unusable --journal-key, or a journal (or journal.head) that is not a regular file (a FIFO is
// refused without being opened for reading, never waited on). With --journal-key the journals'
// MACs are checked; a keyed journal read without it is counted and named on stderr.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "runtime/journal_key.h"
#include "runtime/metrics.h"
#include "runtime/options.h"
#include "runtime/pg/run_store.h"

namespace writ::cli {

namespace {

struct MetricsArgs {
  std::string state_dir;
  std::string format = "json";
  std::string evidence_dir;
  std::string output;
  std::string journal_key;
};

// A state directory, or the PostgreSQL store (DESIGN §15): unreachable is a usage error (exit 2).
runtime::Metrics compute(const std::string& where, const runtime::MetricsOptions& options) {
  if (!runtime::pg::is_dsn(where)) return runtime::compute_metrics(where, options);
  try {
    const runtime::pg::PgRunStore store(runtime::pg::PgStoreOptions{where, std::chrono::seconds(30), ""});
    return runtime::compute_metrics(store, options);
  } catch (const runtime::pg::PgError& e) {
    throw UsageError(e.what());
  } catch (const runtime::JournalError& e) {
    throw UsageError(e.what());
  }
}

int run_metrics(const MetricsArgs& args) {
  runtime::MetricsOptions options;
  options.max_record_bytes = runtime::RuntimeOptions{}.max_journal_record_bytes;
  std::optional<runtime::JournalKey> key;
  if (!args.journal_key.empty()) {
    try {
      key.emplace(runtime::JournalKey::load(args.journal_key));
    } catch (const runtime::JournalKeyError& e) {
      throw UsageError(e.what());
    }
    options.key = &*key;
  }
  if (!args.evidence_dir.empty()) options.evidence_dir = args.evidence_dir;
  runtime::Metrics metrics;
  try {
    metrics = compute(args.state_dir, options);
  } catch (const runtime::MetricsError& e) {
    throw UsageError(e.what());
  }
  // A run directory's name need not be UTF-8 (journals are): shown with U+FFFD.
  const std::string text = args.format == "prometheus"
                               ? runtime::metrics_to_prometheus(metrics)
                               : runtime::metrics_to_json(metrics).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (args.output.empty()) {
    std::cout << text;
  } else {
    std::ofstream out(args.output, std::ios::binary);
    if (!(out << text)) throw UsageError(args.output + ": cannot be written");
  }
  for (const auto& u : metrics.unreadable) std::cerr << "writ: run " << u.run_id << " left out: " << u.error << '\n';
  for (const auto& run : metrics.macs_unchecked) {
    std::cerr << "writ: note: run " << run << ": the journal is keyed; its MACs were not checked (give --journal-key)\n";
  }
  const bool bad_input = std::any_of(metrics.unreadable.begin(), metrics.unreadable.end(), [](const auto& u) { return u.bad_input; });
  return bad_input ? 2 : metrics.unreadable.empty() ? 0 : 1;
}

}  // namespace

void register_metrics_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<MetricsArgs>();
  auto* cmd = app.add_subcommand("metrics", "readiness metrics from the run journals of a state directory");
  cmd->add_option("state_dir", args->state_dir, "the --state of `writ run`: a directory, or postgresql://…")->required();
  cmd->add_option("--format", args->format, "json or prometheus")->check(CLI::IsMember({"json", "prometheus"}));
  cmd->add_option("--evidence", args->evidence_dir,
                  "evidence store to verify preserved objects in (default: the object paths the journals name)");
  cmd->add_option("-o,--output", args->output, "write the metrics to this file");
  cmd->add_option("--journal-key", args->journal_key, "HMAC key file of the journals: check their MACs");
  cmd->callback([args, &ctx] { ctx.exit_code = run_metrics(*args); });
}

}  // namespace writ::cli
