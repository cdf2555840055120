// `writ metrics STATE_DIR [--format json|prometheus] [--evidence DIR] [-o FILE]` (DESIGN §11):
// readiness figures from the run journals. Exit 0; 1 when some journal could not be read or
// verified (the figures leave it out and stderr names it); 2 for a missing state directory.
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "runtime/metrics.h"
#include "runtime/options.h"

namespace writ::cli {

namespace {

struct MetricsArgs {
  std::string state_dir;
  std::string format = "json";
  std::string evidence_dir;
  std::string output;
};

int run_metrics(const MetricsArgs& args) {
  runtime::MetricsOptions options;
  options.max_journal_bytes = runtime::RuntimeOptions{}.max_journal_bytes;
  if (!args.evidence_dir.empty()) options.evidence_dir = args.evidence_dir;
  runtime::Metrics metrics;
  try {
    metrics = runtime::compute_metrics(args.state_dir, options);
  } catch (const runtime::MetricsError& e) {
    throw UsageError(e.what());
  }
  const std::string text =
      args.format == "prometheus" ? runtime::metrics_to_prometheus(metrics) : runtime::metrics_to_json(metrics).dump(2) + "\n";
  if (args.output.empty()) {
    std::cout << text;
  } else {
    std::ofstream out(args.output, std::ios::binary);
    if (!(out << text)) throw UsageError(args.output + ": cannot be written");
  }
  for (const auto& u : metrics.unreadable) std::cerr << "writ: run " << u.run_id << " left out: " << u.error << '\n';
  return metrics.unreadable.empty() ? 0 : 1;
}

}  // namespace

void register_metrics_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<MetricsArgs>();
  auto* cmd = app.add_subcommand("metrics", "readiness metrics from the run journals of a state directory");
  cmd->add_option("state_dir", args->state_dir, "the --state directory of `writ run`")->required();
  cmd->add_option("--format", args->format, "json or prometheus")->check(CLI::IsMember({"json", "prometheus"}));
  cmd->add_option("--evidence", args->evidence_dir,
                  "evidence store to verify preserved objects in (default: the object paths the journals name)");
  cmd->add_option("-o,--output", args->output, "write the metrics to this file");
  cmd->callback([args, &ctx] { ctx.exit_code = run_metrics(*args); });
}

}  // namespace writ::cli
