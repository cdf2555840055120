#include "cli/run_support.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/cli_support.h"
#include "compiler/emit/emit.h"
#include "runtime/connectors_config.h"
#include "runtime/event.h"
#include "runtime/journal.h"
#include "runtime/pg/run_store.h"
#include "runtime/plan.h"

namespace writ::cli {

namespace rt = writ::runtime;

std::shared_ptr<const rt::RunbookSet> load_checked_runbooks(const std::string& path, const std::vector<std::string>& policies,
                                                            const CliContext& ctx) {
  require_readable(path);
  auto set = rt::RunbookSet::compile(path, load_catalog_or_report(ctx, policies));
  if (set->file_count() == 0) throw Refused(path + ": no runbook files (*.yaml, *.yml, *.writ)");
  if (!set->errors().empty()) {
    EmitOptions emit;
    emit.files = set->file_count();  // the summary line counts the files compiled, as `writ check` does
    emit_text(std::cerr, set->errors(), emit);
    throw Refused(fmt::format("{} has check errors; a runbook that fails `writ check` is never run", path));
  }
  return set;
}

rt::EngineHooks cli_hooks() {
  rt::EngineHooks hooks;
  hooks.note = [](const std::string& message) { std::cerr << "writ: note: " << message << '\n'; };
  hooks.progress = [](const std::string& message) { std::cerr << message << '\n'; };
  return hooks;
}

std::string absolute_path(const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); }

std::chrono::milliseconds parse_lease(const std::string& text, const std::string& option) {
  static const std::pair<const char*, long long> units[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  const auto digits = text.find_first_not_of("0123456789");
  if (digits != 0 && digits != std::string::npos && digits <= 9) {
    const long long n = std::stoll(text.substr(0, digits));
    for (const auto& [unit, scale] : units) {
      if (text.compare(digits, std::string::npos, unit) == 0 && n > 0) return std::chrono::milliseconds(n * scale);
    }
  }
  throw UsageError(fmt::format("{} {}: expected a positive duration such as 30s, 500ms or 2m", option, text));
}

void use_run_store(rt::EngineConfig& config, const std::string& lease, bool new_runs) {
  if (!rt::pg::is_dsn(config.state_dir)) return;
  if (new_runs && config.evidence.empty()) {
    throw UsageError(fmt::format("{} keeps runs in PostgreSQL; give --evidence DIR for the evidence store (a directory, shared "
                                 "storage when several nodes share the database)",
                                 rt::pg::redact_dsn(config.state_dir)));
  }
  try {
    config.store = std::make_shared<rt::pg::PgRunStore>(rt::pg::PgStoreOptions{config.state_dir, parse_lease(lease, "--lease"), ""});
  } catch (const rt::pg::PgError& e) {
    throw Refused(e.what());
  }
}

void run_guarded(CliContext& ctx, const std::function<int()>& body) {
  try {
    ctx.exit_code = body();
  } catch (const CatalogError&) {
    ctx.exit_code = 1;
  } catch (const Refused& e) {
    std::cerr << "writ: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::RunRefused& e) {
    std::cerr << "writ: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::RunUsageError& e) {
    throw UsageError(e.what());
  } catch (const rt::EventError& e) {
    std::cerr << "writ: invalid event: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::PlanError& e) {
    std::cerr << "writ: the runbook cannot run for this event: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::ConfigError& e) {
    std::cerr << "writ: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::JournalError& e) {
    std::cerr << "writ: journal: " << e.what() << " (the run stopped before any further effect)\n";
    ctx.exit_code = 1;
  }
}

}  // namespace writ::cli
