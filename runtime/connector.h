// Connectors are the only way a run causes effects (DESIGN §9). The interpreter hands a
// ConnectorCall to the connector routed for the action and gets a ConnectorResult back;
// transport faults, timeouts and refusals are results, never exceptions.
// Implementations: DryRunConnector (here), HttpConnector (http_connector.h), ExecConnector
// (exec_connector.h). A Connector's call() may be entered from several threads at once (the
// branches of a parallel block share the run's connectors).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace writ::runtime {

struct ConnectorCall {
  std::string run_id;
  std::string step;    // the step id (also for its rollback)
  std::string action;  // the action, or the rollback action
  nlohmann::json args = nlohmann::json::object();
  std::string idempotency_key;  // the same for every attempt and after --resume
  int attempt = 1;
  std::chrono::milliseconds timeout{30000};  // what is left of the step's time
};

struct ConnectorResult {
  bool ok = false;
  bool retryable = true;  // false: retrying cannot help (HTTP 4xx other than 408/429)
  std::string detail;     // short outcome for the journal: "HTTP 200", "exit 0", "dry-run"
  std::string error;      // why it failed, when !ok
  // On success, the text that may carry the step's outputs (`{"outputs": {...}}`): an http
  // connector's 2xx body, an exec connector's last non-empty stdout line. Unparsed: the
  // interpreter reads it (bounded, hostile) only for a step that declares `returns`.
  std::optional<std::string> reply = std::nullopt;
};

// Connectors that touch nothing and get no reply — the dry-run connector, and `writ test`'s
// simulated one (kind "simulated") — give a step that declares `returns` typed placeholder
// outputs, so that later steps reading them still render (the log says so).
inline bool placeholder_outputs_for(std::string_view kind) { return kind == "dry-run" || kind == "simulated"; }

class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string_view kind() const = 0;  // "dry-run", "http", "exec"
  virtual ConnectorResult call(const ConnectorCall& call) = 0;
  // Why `call` must not be made, or nothing (the default). Has no effect. The interpreter's
  // preflight asks it for every planned call routed here before the run's first effect
  // (DESIGN §13), and an implementation that refuses asks it again inside call().
  virtual std::optional<std::string> refuse(const ConnectorCall& call) const;
};

// Records the call and succeeds, touching nothing.
class DryRunConnector final : public Connector {
 public:
  std::string_view kind() const override { return "dry-run"; }
  ConnectorResult call(const ConnectorCall& call) override;
  std::vector<ConnectorCall> calls() const;

 private:
  mutable std::mutex mutex_;
  std::vector<ConnectorCall> calls_;
};

// Named connectors plus the routes from action names to them ("*": every other action).
// The name "dry-run" always exists. A set built with dry_run() routes every action to it.
class ConnectorSet {
 public:
  ConnectorSet();
  // Throws std::invalid_argument when `name` is taken.
  void add(std::string name, std::unique_ptr<Connector> connector);
  // Throws std::invalid_argument when `connector` was not added.
  void route(std::string action, std::string connector);
  void force_dry_run() { force_dry_run_ = true; }
  bool forced_dry_run() const { return force_dry_run_; }

  // The connector name for `action`, or nothing when no route (and no "*") covers it.
  std::optional<std::string> route_of(const std::string& action) const;
  // Throws std::out_of_range for an unknown name.
  Connector& get(const std::string& name);
  const Connector& get(const std::string& name) const;

 private:
  std::map<std::string, std::unique_ptr<Connector>> connectors_;
  std::map<std::string, std::string> routes_;
  bool force_dry_run_ = false;
};

// Deterministic per run, step and phase ("execute" / "rollback"): 32 hex characters.
std::string idempotency_key(std::string_view run_id, std::string_view step, std::string_view phase);

// The JSON body a connector receives: {"action","args","run_id","step","idempotency_key"}.
nlohmann::json call_body(const ConnectorCall& call);

}  // namespace writ::runtime
