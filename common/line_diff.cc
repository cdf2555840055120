#include "common/line_diff.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace writ {

namespace {

// Past these, a formatter's diff is not worth minimising: the texts share almost nothing.
constexpr std::size_t kMaxEdits = 2048;   // trace memory grows with its square
constexpr std::size_t kWorkPerLine = 16;  // snake steps allowed per line of input
constexpr std::size_t kMinWork = std::size_t{1} << 22;

enum class Op : std::uint8_t { equal, remove, insert };

// Lines keep their '\n' so that a last line without one differs from the same line with one.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

using Lines = std::span<const std::string_view>;

// Myers' greedy forward search; trace[d][i] is the furthest x on diagonal k = 2i - d after d
// edits. Empty when the budget runs out first.
std::vector<std::vector<std::int64_t>> myers_trace(Lines a, Lines b) {
  const auto n = static_cast<std::int64_t>(a.size());
  const auto m = static_cast<std::int64_t>(b.size());
  const std::size_t budget = std::max(kMinWork, kWorkPerLine * (a.size() + b.size()));
  std::size_t work = 0;
  std::vector<std::vector<std::int64_t>> trace;
  for (std::int64_t d = 0; d <= n + m && static_cast<std::size_t>(d) <= kMaxEdits; ++d) {
    std::vector<std::int64_t> cur(static_cast<std::size_t>(d) + 1);
    const auto prev_x = [&](std::int64_t k) { return trace.back()[static_cast<std::size_t>((k + d - 1) / 2)]; };
    for (std::int64_t k = -d; k <= d; k += 2) {
      std::int64_t x = 0;
      if (d > 0) x = (k == -d || (k != d && prev_x(k - 1) < prev_x(k + 1))) ? prev_x(k + 1) : prev_x(k - 1) + 1;
      std::int64_t y = x - k;
      while (x < n && y < m && a[static_cast<std::size_t>(x)] == b[static_cast<std::size_t>(y)]) ++x, ++y, ++work;
      cur[static_cast<std::size_t>((k + d) / 2)] = x;
      if (x >= n && y >= m) {
        trace.push_back(std::move(cur));
        return trace;
      }
    }
    trace.push_back(std::move(cur));
    work += static_cast<std::size_t>(d) + 1;
    if (work > budget) break;
  }
  return {};
}

// The edit script from the trace, walking back from the end.
std::vector<Op> backtrack(const std::vector<std::vector<std::int64_t>>& trace, Lines a, Lines b) {
  std::vector<Op> ops;
  auto x = static_cast<std::int64_t>(a.size());
  auto y = static_cast<std::int64_t>(b.size());
  for (auto d = static_cast<std::int64_t>(trace.size()) - 1; d > 0; --d) {
    const auto& prev = trace[static_cast<std::size_t>(d - 1)];
    const auto at = [&](std::int64_t k) { return prev[static_cast<std::size_t>((k + d - 1) / 2)]; };
    const std::int64_t k = x - y;
    const bool down = k == -d || (k != d && at(k - 1) < at(k + 1));
    const std::int64_t prev_k = down ? k + 1 : k - 1;
    const std::int64_t px = at(prev_k);
    const std::int64_t py = px - prev_k;
    const std::int64_t mid_x = down ? px : px + 1;
    for (; x > mid_x; --x, --y) ops.push_back(Op::equal);
    ops.push_back(down ? Op::insert : Op::remove);
    x = px;
    y = py;
  }
  for (; x > 0; --x) ops.push_back(Op::equal);
  std::reverse(ops.begin(), ops.end());
  return ops;
}

std::vector<Op> edit_script(Lines a, Lines b) {
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  Lines mid_a = a.subspan(prefix, a.size() - prefix - suffix);
  Lines mid_b = b.subspan(prefix, b.size() - prefix - suffix);
  std::vector<Op> ops(prefix, Op::equal);
  auto trace = myers_trace(mid_a, mid_b);
  if (trace.empty()) {
    ops.insert(ops.end(), mid_a.size(), Op::remove);
    ops.insert(ops.end(), mid_b.size(), Op::insert);
  } else {
    auto middle = backtrack(trace, mid_a, mid_b);
    ops.insert(ops.end(), middle.begin(), middle.end());
  }
  ops.insert(ops.end(), suffix, Op::equal);
  return ops;
}

// "3" or "3,4"; a range of no lines names the line before it (as `diff -u` does).
std::string range(std::size_t start, std::size_t count) {
  const std::size_t first = count == 0 ? start : start + 1;
  return count == 1 ? std::to_string(first) : std::to_string(first) + "," + std::to_string(count);
}

void put_line(std::string& out, char prefix, std::string_view line) {
  out += prefix;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label, std::size_t context) {
  if (before == after) return {};
  const auto a = split_lines(before);
  const auto b = split_lines(after);
  const auto ops = edit_script(a, b);
  // Where each op starts in either text.
  std::vector<std::size_t> at_a(ops.size() + 1), at_b(ops.size() + 1);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    at_a[i + 1] = at_a[i] + (ops[i] != Op::insert);
    at_b[i + 1] = at_b[i] + (ops[i] != Op::remove);
  }
  std::string out = "--- " + std::string(before_label) + "\n+++ " + std::string(after_label) + "\n";
  std::size_t i = 0;
  while (i < ops.size()) {
    if (ops[i] == Op::equal) {
      ++i;
      continue;
    }
    const std::size_t begin = i > context ? i - context : 0;
    std::size_t last_change = i;
    for (std::size_t j = i; j < ops.size() && j <= last_change + 2 * context + 1; ++j) {
      if (ops[j] != Op::equal) last_change = j;
    }
    const std::size_t end = std::min(ops.size(), last_change + context + 1);
    out += "@@ -" + range(at_a[begin], at_a[end] - at_a[begin]) + " +" + range(at_b[begin], at_b[end] - at_b[begin]) +
           " @@\n";
    for (std::size_t j = begin; j < end; ++j) {
      if (ops[j] == Op::insert) {
        put_line(out, '+', b[at_b[j]]);
      } else {
        put_line(out, ops[j] == Op::equal ? ' ' : '-', a[at_a[j]]);
      }
    }
    i = end;
  }
  return out;
}

}  // namespace writ
