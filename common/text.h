// Small string helpers shared by every phase: edit distance for did-you-mean hints, UTF-8
// validation, and formatting of durations for messages.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace writ {

std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate within a distance that scales with the word's length, or nothing.
std::optional<std::string> did_you_mean(std::string_view word, std::span<const std::string> candidates);

// Up to `count` candidates that resemble `word`, best first, for a help line when no single
// did-you-mean is close: first those sharing a `_`-separated word with it (two words match
// when equal or when they share a prefix of four letters or more: `notify`/`notification`),
// more shared words first, then by edit distance; failing that, those within an edit distance
// of half the word's length. Ties keep the candidates' order. Empty when nothing resembles it
// (and for a word over 256 characters, which no name resembles).
std::vector<std::string> nearest_names(std::string_view word, std::span<const std::string> candidates,
                                       std::size_t count);

// Byte offset of the first invalid UTF-8 sequence, or nothing when `text` is valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// yaml-cpp decodes the YAML escapes `\N` and `\_` to the lone bytes 0x85 and 0xA0 instead of
// the UTF-8 of U+0085 and U+00A0. For a scalar parsed from valid UTF-8 (where a lone 0x85 or
// 0xA0 can only come from those escapes), the value with the lead byte put back, or nothing
// when the value needs no repair.
std::optional<std::string> restore_yaml_cpp_escapes(const std::string& value);

// "25h 5m", "15m", "0m", and whole days from a week up ("28d") — for messages about durations.
std::string format_duration(std::int64_t seconds);

std::string join(std::span<const std::string> parts, std::string_view sep);

}  // namespace writ
