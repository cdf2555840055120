// Standard base64 (RFC 4648 §4, with padding) for checkpoint roots, signatures and DSSE
// payloads. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace writ::evidence {

std::string base64_encode(std::string_view bytes);

// Nothing when `text` is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace writ::evidence
