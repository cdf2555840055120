#include "runtime/connector.h"

#include <fmt/format.h>
#include <stdexcept>
#include <utility>

#include "common/sha256.h"

namespace writ::runtime {

std::optional<std::string> Connector::refuse(const ConnectorCall&) const { return std::nullopt; }

ConnectorResult DryRunConnector::call(const ConnectorCall& call) {
  std::lock_guard lock(mutex_);
  calls_.push_back(call);
  return ConnectorResult{true, false, "dry-run", ""};
}

std::vector<ConnectorCall> DryRunConnector::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

ConnectorSet::ConnectorSet() { connectors_["dry-run"] = std::make_unique<DryRunConnector>(); }

void ConnectorSet::add(std::string name, std::unique_ptr<Connector> connector) {
  if (connectors_.count(name)) throw std::invalid_argument(fmt::format("connector `{}` is defined twice", name));
  connectors_[std::move(name)] = std::move(connector);
}

void ConnectorSet::route(std::string action, std::string connector) {
  if (!connectors_.count(connector)) throw std::invalid_argument(fmt::format("no connector named `{}`", connector));
  routes_[std::move(action)] = std::move(connector);
}

std::optional<std::string> ConnectorSet::route_of(const std::string& action) const {
  if (force_dry_run_) return std::string("dry-run");
  if (auto it = routes_.find(action); it != routes_.end()) return it->second;
  if (auto it = routes_.find("*"); it != routes_.end()) return it->second;
  return std::nullopt;
}

Connector& ConnectorSet::get(const std::string& name) {
  return const_cast<Connector&>(std::as_const(*this).get(name));
}

const Connector& ConnectorSet::get(const std::string& name) const {
  auto it = connectors_.find(name);
  if (it == connectors_.end()) throw std::out_of_range(fmt::format("no connector named `{}`", name));
  return *it->second;
}

std::string idempotency_key(std::string_view run_id, std::string_view step, std::string_view phase) {
  return sha256_hex(fmt::format("writ-idempotency\n{}\n{}\n{}", run_id, step, phase)).substr(0, 32);
}

nlohmann::json call_body(const ConnectorCall& call) {
  return {{"action", call.action},
          {"args", call.args},
          {"run_id", call.run_id},
          {"step", call.step},
          {"idempotency_key", call.idempotency_key}};
}

}  // namespace writ::runtime
