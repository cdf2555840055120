#include "common/canonical_json.h"

#include <stdexcept>

#include "common/sha256.h"

namespace writ {

namespace {
void reject_floats(const nlohmann::json& value) {
  if (value.is_number_float()) throw std::invalid_argument("canonical JSON holds no floats");
  if (value.is_structured()) {
    for (const auto& item : value) reject_floats(item);
  }
}
}  // namespace

std::string canonical_json(const nlohmann::json& value) {
  reject_floats(value);
  // nlohmann::json keeps objects in std::map order (byte-wise sorted keys) and dump() with no
  // indent emits no whitespace; non-ASCII stays UTF-8. Invalid UTF-8 is replaced, not thrown.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string canonical_digest(const nlohmann::json& value) { return sha256_hex(canonical_json(value)); }

}  // namespace writ
