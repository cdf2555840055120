// `expect:` — what must have happened when every run of the drill has ended.
#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"
#include "exercise/loader_internal.h"

namespace writ::exercise::detail {

namespace {

const std::vector<std::string> kExpectKeys = {"status",   "steps", "contained_within", "deadlines", "evidence_verified",
                                              "rollbacks"};

std::optional<std::string> choice(Context& c, const Entry& e, std::string_view what,
                                  const std::vector<std::string>& allowed) {
  auto value = text(c, e, fmt::format("one of: {}", join(allowed, ", ")));
  if (!value) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *value) != allowed.end()) return value;
  bad_choice(c, e.value_span, what, *value, allowed);
  return std::nullopt;
}

// `{name: status, ...}` with every status one of `allowed`.
std::vector<Keyed<std::string>> statuses(Context& c, const Entry& e, std::string_view what,
                                         const std::vector<std::string>& allowed) {
  std::vector<Keyed<std::string>> out;
  auto entries = mapping(c, e, {}, false);
  if (!entries) return out;
  if (entries->empty()) c.reader.error(Rule::Syntax, e.span, fmt::format("`{}` names nothing to expect", e.key));
  for (const auto& item : *entries) {
    if (auto value = choice(c, item, what, allowed)) out.push_back({item.key, *value, item.key_span, item.span});
  }
  return out;
}

}  // namespace

void read_expect(Context& c, const Entry& e, Expectations& out) {
  auto entries = mapping(c, e, kExpectKeys, true);
  if (!entries) return;
  for (const auto& item : *entries) {
    if (item.key == "status") {
      if (auto v = choice(c, item, "run status", run_statuses()))
        out.status = Keyed<std::string>{item.key, *v, item.key_span, item.span};
    } else if (item.key == "steps") {
      out.steps = statuses(c, item, "step status", step_statuses());
    } else if (item.key == "contained_within") {
      if (auto d = duration(c, item)) out.contained_within = Keyed<Millis>{item.key, *d, item.key_span, item.span};
    } else if (item.key == "deadlines") {
      out.deadlines = statuses(c, item, "deadline status", deadline_statuses());
    } else if (item.key == "evidence_verified") {
      if (auto b = c.reader.boolean(item, "`evidence_verified` must be true or false")) {
        out.evidence_verified = Keyed<bool>{item.key, *b, item.key_span, item.span};
      }
    } else if (item.key == "rollbacks") {
      out.rollbacks = statuses(c, item, "rollback status", rollback_statuses());
    }
  }
  if (entries->empty()) {
    Diagnostic& d = c.reader.error(Rule::Syntax, e.span,
                                   "`expect` names no expectation: a drill that expects nothing proves nothing");
    d.help.push_back(fmt::format("expectations: {}", join(kExpectKeys, ", ")));
  }
}

}  // namespace writ::exercise::detail
