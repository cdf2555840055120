// Alertmanager webhook payloads (version "4") as writ events (DESIGN §14). Each alert whose
// `status` is `firing` becomes one event: its `labels`, then those of its `annotations` that
// no label already names, become fields (labels win: they are what Alertmanager routed on);
// `fingerprint` + "-" + `startsAt` is its `id`, `startsAt` its `detected_at`. Resolved alerts
// are ignored. Every value is checked for shape; nothing here trusts the payload.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace writ::service {

struct PayloadError : std::runtime_error {  // "alerts[2].labels.host_id: not a string"
  using std::runtime_error::runtime_error;
};

// True when `payload` claims to be an Alertmanager webhook (an object with "version" and
// "alerts"); its shape is checked by alertmanager_events.
bool is_alertmanager_payload(const nlohmann::json& payload);

// The events (JSON objects, as `writ run --event` reads them) of the firing alerts. Throws
// PayloadError for a version other than "4" or a malformed alert.
std::vector<nlohmann::json> alertmanager_events(const nlohmann::json& payload);

}  // namespace writ::service
