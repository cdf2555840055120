// Fuzzes the Alertmanager webhook mapping of `writ serve` (service/alertmanager.h) as the
// service reads a request body: parse_json, then alertmanager_events, then parse_event on each
// event's text.
// Invariants: the only exceptions are JsonInputError and PayloadError; every event comes from a
// firing alert (no more events than alerts whose status is "firing"); each event's `id` is
// fingerprint + "-" + startsAt of its alert and its `detected_at` that startsAt (never a
// label's); every other field is a string taken from the alert's labels, else its annotations;
// an event renders to JSON that parse_event reads or refuses with EventError only.
#include <cstdint>
#include <exception>
#include <string>

#include "fuzz/fuzz_support.h"
#include "runtime/event.h"
#include "runtime/json_input.h"
#include "service/alertmanager.h"

namespace writ::fuzz {
namespace {

std::size_t firing(const nlohmann::json& payload) {
  std::size_t n = 0;
  for (const auto& alert : payload["alerts"]) n += alert.is_object() && alert.value("status", nlohmann::json()) == "firing";
  return n;
}

void check_event(const nlohmann::json& event, const nlohmann::json& alerts) {
  const auto id = event.at("id").get<std::string>();
  const auto detected = event.at("detected_at").get<std::string>();
  bool found = false;
  for (const auto& alert : alerts) {
    if (!alert.is_object() || !alert.contains("fingerprint") || !alert["fingerprint"].is_string()) continue;
    if (alert["fingerprint"].get<std::string>() + "-" + detected == id && alert.value("startsAt", nlohmann::json()) == detected) found = true;
  }
  require(found, "an event id that is not fingerprint-startsAt of a firing alert");
  for (const auto& [key, value] : event.items()) require(value.is_string(), "field `" + key + "` is not a string");
  try {
    (void)runtime::parse_event(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "event", 64);
  } catch (const runtime::EventError&) {
  }
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ::fuzz;
  nlohmann::json payload;
  try {
    payload = writ::runtime::parse_json(as_text(data, size), "body", 64);
  } catch (const writ::runtime::JsonInputError&) {
    return 0;
  } catch (const std::exception& e) {
    fail(std::string("parse_json threw something other than JsonInputError: ") + e.what());
  }
  if (!writ::service::is_alertmanager_payload(payload)) return 0;
  try {
    const auto events = writ::service::alertmanager_events(payload);
    require(payload["alerts"].is_array(), "events from a payload whose alerts are not a list");
    require(events.size() <= firing(payload), "more events than firing alerts");
    for (const auto& event : events) check_event(event, payload["alerts"]);
  } catch (const writ::service::PayloadError&) {
  } catch (const std::exception& e) {
    fail(std::string("alertmanager_events threw something other than PayloadError: ") + e.what());
  }
  return 0;
}
