#include "service/alertmanager.h"

#include <fmt/format.h>

namespace writ::service {

namespace {

const nlohmann::json& member(const nlohmann::json& object, const std::string& key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) throw PayloadError(fmt::format("{}: `{}` is missing", where, key));
  return *it;
}

std::string string_member(const nlohmann::json& object, const std::string& key, const std::string& where) {
  const auto& value = member(object, key, where);
  if (!value.is_string()) throw PayloadError(fmt::format("{}.{}: not a string", where, key));
  return value.get<std::string>();
}

// Copies the string values of `map` (an object of strings) into `fields`, keeping existing ones.
void add_fields(nlohmann::json& fields, const nlohmann::json& alert, const std::string& key, const std::string& where) {
  auto it = alert.find(key);
  if (it == alert.end() || it->is_null()) return;
  if (!it->is_object()) throw PayloadError(fmt::format("{}.{}: not an object", where, key));
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) throw PayloadError(fmt::format("{}.{}.{}: not a string", where, key, name));
    if (!fields.contains(name)) fields[name] = value;
  }
}

}  // namespace

bool is_alertmanager_payload(const nlohmann::json& payload) {
  return payload.is_object() && payload.contains("version") && payload.contains("alerts");
}

std::vector<nlohmann::json> alertmanager_events(const nlohmann::json& payload) {
  const auto& version = payload.at("version");
  if (!version.is_string() || version.get<std::string>() != "4") {
    throw PayloadError(fmt::format("version: {} is not an Alertmanager webhook version writ reads (\"4\")", version.dump()));
  }
  const auto& alerts = payload.at("alerts");
  if (!alerts.is_array()) throw PayloadError("alerts: not a list");
  std::vector<nlohmann::json> events;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    const auto where = fmt::format("alerts[{}]", i);
    const auto& alert = alerts[i];
    if (!alert.is_object()) throw PayloadError(fmt::format("{}: not an object", where));
    if (string_member(alert, "status", where) != "firing") continue;
    const auto fingerprint = string_member(alert, "fingerprint", where);
    const auto starts_at = string_member(alert, "startsAt", where);
    if (fingerprint.empty()) throw PayloadError(fmt::format("{}.fingerprint: empty", where));
    nlohmann::json event = {{"id", fingerprint + "-" + starts_at}, {"detected_at", starts_at}};
    add_fields(event, alert, "labels", where);
    add_fields(event, alert, "annotations", where);
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace writ::service
