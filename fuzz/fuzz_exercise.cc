// Fuzzes the exercise loader (exercise/loader.h, DESIGN §16). The input is the exercise file;
// event files and recordings it names resolve beneath a directory that does not exist, so
// every such reference is a diagnostic. Invariants: nothing but a diagnostic comes out of bad
// input (no exception, no crash); every diagnostic's span lies inside its file; an exercise is
// returned exactly when no error was reported, and then every value is one the form allows.
#include <algorithm>
#include <cstdint>

#include "exercise/loader.h"
#include "fuzz/fuzz_support.h"

namespace writ::fuzz {
namespace {

bool allowed(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void check_exercise(const exercise::Exercise& x) {
  require(!x.name.empty() && !x.runbooks.empty(), "an exercise without a name or runbooks");
  require(!x.expect.empty(), "an exercise without expectations");
  require(
      std::is_sorted(x.incidents.begin(), x.incidents.end(), [](const auto& a, const auto& b) { return a.at < b.at; }),
      "incidents out of time order");
  for (const auto& f : x.faults) {
    require(f.action.empty() != f.artifact.empty(), "a fault on both or neither of an action and an artifact");
    require(f.fail >= 0 && f.latency.count() >= 0, "a negative fault");
  }
  for (const auto& [step, script] : x.approvals)
    require(!script.after || script.after->count() >= 0, "a negative approval delay");
  if (x.expect.status) require(allowed(exercise::run_statuses(), x.expect.status->value), "an unknown run status");
  for (const auto& s : x.expect.steps) require(allowed(exercise::step_statuses(), s.value), "an unknown step status");
  for (const auto& d : x.expect.deadlines)
    require(allowed(exercise::deadline_statuses(), d.value), "an unknown deadline status");
  for (const auto& r : x.expect.rollbacks)
    require(allowed(exercise::rollback_statuses(), r.value), "an unknown rollback status");
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ;
  auto source =
      std::make_shared<const SourceFile>("/nonexistent-writ-fuzz/drill.yaml", std::string(fuzz::as_text(data, size)));
  DiagnosticSink sink;
  const auto loaded = exercise::load_exercise(source, sink);
  fuzz::check_diagnostics(sink.diagnostics());
  fuzz::require(loaded.has_value() == !sink.has_errors(), "an exercise returned with errors, or refused without one");
  if (loaded) fuzz::check_exercise(*loaded);
  return 0;
}
