#include "common/text.h"

#include <algorithm>
#include <numeric>

namespace writ {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  std::size_t limit = std::max<std::size_t>(1, (word.size() + 2) / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    // The length difference bounds the distance from below: skip the O(n·m) work when it
    // already exceeds the limit (a megabyte-long misspelt name costs nothing).
    std::size_t gap = word.size() > candidate.size() ? word.size() - candidate.size() : candidate.size() - word.size();
    if (gap > limit) continue;
    std::size_t d = edit_distance(word, candidate);
    if (d < best_distance && d != 0) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

namespace {

std::vector<std::string_view> words_of(std::string_view name) {
  std::vector<std::string_view> out;
  while (!name.empty()) {
    auto cut = name.find('_');
    if (cut != 0) out.push_back(name.substr(0, cut));
    if (cut == std::string_view::npos) break;
    name.remove_prefix(cut + 1);
  }
  return out;
}

bool same_word(std::string_view a, std::string_view b) {
  constexpr std::size_t kStem = 4;
  if (a == b) return true;
  return a.size() >= kStem && b.size() >= kStem && a.substr(0, kStem) == b.substr(0, kStem);
}

std::size_t shared_words(const std::vector<std::string_view>& a, std::string_view candidate) {
  std::size_t shared = 0;
  for (auto word : words_of(candidate)) {
    if (std::any_of(a.begin(), a.end(), [&](std::string_view w) { return same_word(w, word); })) ++shared;
  }
  return shared;
}

}  // namespace

std::vector<std::string> nearest_names(std::string_view word, std::span<const std::string> candidates,
                                       std::size_t count) {
  struct Ranked {
    std::size_t shared, distance, index;
  };
  constexpr std::size_t kLongest = 256;  // no catalog name is longer; a longer word resembles none
  if (word.size() > kLongest) return {};
  const auto words = words_of(word);
  std::vector<Ranked> ranked;
  bool any_shared = false;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i] == word) continue;
    ranked.push_back({shared_words(words, candidates[i]), edit_distance(word, candidates[i]), i});
    any_shared = any_shared || ranked.back().shared > 0;
  }
  std::erase_if(ranked, [&](const Ranked& r) { return any_shared ? r.shared == 0 : r.distance > word.size() / 2; });
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    return a.shared != b.shared ? a.shared > b.shared : a.distance < b.distance;
  });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ranked.size() && i < count; ++i) out.push_back(candidates[ranked[i].index]);
  return out;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > text.size()) return i;
    if (len == 2 && c < 0xc2) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return i;
    }
    if (len == 3) {
      auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) return i;
    }
    if (len == 4) {
      auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90) || c > 0xf4) return i;
    }
    i += len;
  }
  return std::nullopt;
}

std::optional<std::string> restore_yaml_cpp_escapes(const std::string& value) {
  std::optional<std::string> out;
  std::size_t from = 0;
  while (true) {
    const std::string& current = out ? *out : value;
    auto bad = first_invalid_utf8(std::string_view(current).substr(from));
    if (!bad) return out;
    std::size_t at = from + *bad;
    auto byte = static_cast<unsigned char>(current[at]);
    if (byte != 0x85 && byte != 0xA0) return out;
    if (!out) out = value;
    out->insert(at, 1, '\xC2');
    from = at + 2;
  }
}

std::string format_duration(std::int64_t seconds) {
  constexpr std::int64_t kDay = 24 * 3600;
  // Week-scale periods (follow-ups, HIPAA's 60 days) read better in days.
  if (seconds >= 7 * kDay && seconds % kDay == 0) return std::to_string(seconds / kDay) + "d";
  std::int64_t minutes = seconds / 60;
  std::int64_t hours = minutes / 60;
  std::int64_t rest = minutes % 60;
  if (hours == 0) return std::to_string(rest) + "m";
  return std::to_string(hours) + "h " + std::to_string(rest) + "m";
}

std::string join(std::span<const std::string> parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace writ
