#include "cli/run_support.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/cli_support.h"
#include "compiler/emit/emit.h"
#include "runtime/connectors_config.h"
#include "runtime/event.h"
#include "runtime/journal.h"
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
