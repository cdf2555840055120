// Fuzzes event JSON validation (runtime/event.h): parse_event, type_event against the stdlib's
// default event schema plus fields of every other type, value_to_json and make_environment.
// Invariants: the only exception is EventError, with a message naming the origin; an accepted
// event holds no NUL byte (no garbage hidden after one) and no string or key holding NUL at
// any depth (DESIGN §13); a typed field holds the value kind its schema type promises, and
// every nominal string in it satisfies its validator (runtime/nominal_types.h); a typed event
// renders to JSON.
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "runtime/event.h"
#include "runtime/nominal_types.h"
#include "runtime/options.h"
#include "fuzz/fuzz_support.h"

namespace writ::fuzz {
namespace {

using expr::Type;

std::vector<ir::EventField> fuzz_schema() {
  std::vector<ir::EventField> schema = catalog().default_event;
  schema.push_back({"count", Type::of(Type::Kind::Int)});
  schema.push_back({"flag", Type::of(Type::Kind::Bool)});
  schema.push_back({"window", Type::of(Type::Kind::Duration)});
  schema.push_back({"hosts", Type::list(Type::nominal("host"))});
  schema.push_back({"matrix", Type::list(Type::list(Type::of(Type::Kind::Int)))});
  for (const char* type : {"domain", "path", "file_hash", "url", "email_address", "process"}) {
    schema.push_back({std::string("n_") + type, Type::nominal(type)});
  }
  return schema;
}

bool value_has_type(const expr::Value& value, const Type& type) {
  switch (type.kind) {
    case Type::Kind::String: return std::holds_alternative<std::string>(value.v);
    case Type::Kind::Nominal: {
      const auto* text = std::get_if<std::string>(&value.v);
      return text != nullptr && !runtime::nominal_violation(type.name, *text);
    }
    case Type::Kind::Int: return std::holds_alternative<std::int64_t>(value.v);
    case Type::Kind::Float: return std::holds_alternative<double>(value.v);
    case Type::Kind::Bool: return std::holds_alternative<bool>(value.v);
    case Type::Kind::Duration: return std::holds_alternative<expr::DurationValue>(value.v);
    case Type::Kind::Timestamp: return std::holds_alternative<expr::TimestampValue>(value.v);
    case Type::Kind::List: {
      const auto* items = std::get_if<expr::ValueList>(&value.v);
      if (items == nullptr) return false;
      for (const auto& item : *items) {
        if (type.element && !value_has_type(item, *type.element)) return false;
      }
      return true;
    }
    default: return true;
  }
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  writ::fuzz::catalog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ;
  using namespace writ::fuzz;
  static const std::vector<ir::EventField> schema = fuzz_schema();
  runtime::RuntimeOptions options;
  try {
    runtime::Event event = runtime::parse_event(std::string(as_text(data, size)), "event.json", options.max_json_depth);
    require(event.raw.is_object(), "parse_event accepted a non-object");
    // JSON never holds a raw NUL; nlohmann alone would stop reading at one and accept garbage.
    require(event.text.find('\0') == std::string::npos, "parse_event accepted a NUL byte");
    require(!runtime::nul_path(event.raw, ""), "parse_event accepted a string or key holding NUL");
    runtime::type_event(event, schema);
    for (const auto& field : schema) {
      auto it = event.fields.find(field.name);
      if (it == event.fields.end()) continue;
      require(value_has_type(it->second, field.type), "field `" + field.name + "` does not hold a " + field.type.to_string());
      (void)runtime::value_to_json(it->second).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    auto env = runtime::make_environment(event, "run-1");
    std::vector<std::string> path{"event", "host_id"};
    (void)env.lookup(path);
    (void)event.id();
    (void)event.severity();
  } catch (const runtime::EventError& e) {
    require(std::string_view(e.what()).starts_with("event.json"), std::string("an event error not naming the file: ") + e.what());
  } catch (const std::exception& e) {
    fail(std::string("event validation threw something other than EventError: ") + e.what());
  }
  return 0;
}
