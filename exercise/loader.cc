// The exercise file's top level, its approvals and its faults; the timeline and the
// expectations are read in loader_timeline.cc and loader_expect.cc.
#include "exercise/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/text.h"
#include "compiler/dsl/lower.h"
#include "compiler/yaml/prescan.h"
#include "exercise/loader_internal.h"

namespace writ::exercise {

const std::vector<std::string>& run_statuses() {
  static const std::vector<std::string> v = {"completed", "halted_by_approval", "failed", "rolled_back",
                                             "rollback_incomplete"};
  return v;
}
const std::vector<std::string>& step_statuses() {
  static const std::vector<std::string> v = {"executed", "skipped", "refused", "failed", "compensated", "not_run"};
  return v;
}
const std::vector<std::string>& deadline_statuses() {
  static const std::vector<std::string> v = {"met", "met_late", "overdue", "pending"};
  return v;
}
const std::vector<std::string>& rollback_statuses() {
  static const std::vector<std::string> v = {"compensated", "failed", "none"};
  return v;
}

std::optional<Millis> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const auto unit = text.substr(digits);
  if (digits == 0 || digits > 12 || (unit != "s" && unit != "m" && unit != "h" && unit != "d")) return std::nullopt;
  const auto seconds = dsl_internal::duration_seconds(text);
  if (!seconds || *seconds > std::numeric_limits<std::int64_t>::max() / 1000) return std::nullopt;
  return Millis(*seconds * 1000);
}

std::string show_duration(Millis duration) {
  const auto ms = std::max<std::int64_t>(duration.count(), 0);
  if (ms < 1000) return ms == 0 ? "0s" : fmt::format("{}ms", ms);
  const auto s = ms / 1000;
  std::string out;
  for (auto [value, unit] : {std::pair{s / 3600, "h"}, std::pair{s / 60 % 60, "m"}, std::pair{s % 60, "s"}}) {
    if (value != 0) out += fmt::format("{}{}{}", out.empty() ? "" : " ", value, unit);
  }
  return out;
}

namespace detail {

void bad_choice(Context& c, Span span, std::string_view what, const std::string& value,
                std::span<const std::string> allowed) {
  Diagnostic& d =
      c.reader.error(Rule::Syntax, span, fmt::format("{} `{}` is not one of: {}", what, value, join(allowed, ", ")));
  if (auto near = did_you_mean(value, allowed)) d.help.push_back(fmt::format("did you mean `{}`?", *near));
}

std::optional<std::string> text(Context& c, const Entry& e, std::string_view expected) {
  auto name = c.reader.name(e, expected);
  if (!name) return std::nullopt;
  return name->value;
}

std::optional<Millis> duration(Context& c, const Entry& e) {
  if (e.value.IsScalar()) {
    if (auto d = parse_duration(e.value.Scalar())) return d;
  }
  c.reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                 fmt::format("`{}` must be a duration such as 0s, 90s, 15m, 72h or 2d", e.key));
  return std::nullopt;
}

std::optional<std::vector<Entry>> mapping(Context& c, const Entry& e, std::span<const std::string> allowed,
                                          bool check) {
  if (!e.value.IsMap()) {
    c.reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                   fmt::format("`{}` must be a mapping", e.key));
    return std::nullopt;
  }
  const auto where = fmt::format("`{}`", e.key);
  return check ? c.reader.entries(e.value, allowed, where) : c.reader.all_entries(e.value, where);
}

Span item_span(Context& c, const YAML::Node& node) { return c.reader.span_of(node); }

}  // namespace detail

namespace {

using detail::Context;
using detail::Entry;

const std::vector<std::string> kTopKeys = {"exercise",  "runbooks", "clock",  "timeline",
                                           "approvals", "tasks",    "faults", "expect"};
const std::vector<std::string> kTaskKeys = {"after", "note"};
const std::vector<std::string> kApprovalKeys = {"after", "approved", "rollback", "reason", "approvers", "malformed"};
const std::vector<std::string> kApproverKeys = {"approver", "role"};
const std::vector<std::string> kFaultKeys = {"action",  "fail",     "permanent", "malformed",
                                             "latency", "artifact", "missing",   "changing"};

std::optional<bool> flag(Context& c, const Entry& e) {
  return c.reader.boolean(e, fmt::format("`{}` must be true or false", e.key));
}

std::vector<runtime::Approver> read_approvers(Context& c, const Entry& e) {
  std::vector<runtime::Approver> out;
  if (!e.value.IsSequence()) {
    c.reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                   "`approvers` must be a list of {approver: NAME, role: ROLE}");
    return out;
  }
  for (const auto& item : e.value) {
    const Span span = detail::item_span(c, item);
    if (!item.IsMap()) {
      c.reader.error(Rule::Syntax, span, "an approver must be a mapping {approver: NAME, role: ROLE}");
      continue;
    }
    runtime::Approver a;
    for (const auto& f : c.reader.entries(item, kApproverKeys, "an approver")) {
      auto value = detail::text(c, f, "a name");
      if (value && value->empty())
        c.reader.error(Rule::Syntax, f.value_span, fmt::format("`{}` must not be empty", f.key));
      (f.key == "approver" ? a.approver : a.role) = value.value_or("");
    }
    if (a.approver.empty() || a.role.empty()) {
      c.reader.error(Rule::Syntax, span, "an approver needs both `approver` and `role`");
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

void read_approval(Context& c, const Entry& e, Exercise& out) {
  auto entries = detail::mapping(c, e, kApprovalKeys, true);
  if (!entries) return;
  ApprovalScript s;
  s.span = e.span;
  s.key_span = e.key_span;
  bool never = false, has_approved = false;
  for (const auto& f : *entries) {
    if (f.key == "after") {
      if (f.value.IsScalar() && f.value.Scalar() == "never") {
        never = true;
      } else {
        s.after = detail::duration(c, f);
      }
    } else if (f.key == "approved") {
      has_approved = true;
      s.approved = flag(c, f).value_or(false);
    } else if (f.key == "rollback") {
      s.rollback = flag(c, f).value_or(false);
    } else if (f.key == "malformed") {
      s.malformed = flag(c, f).value_or(false);
    } else if (f.key == "reason") {
      s.reason = detail::text(c, f, "a string").value_or("");
    } else if (f.key == "approvers") {
      s.approvers = read_approvers(c, f);
    }
  }
  if (never && entries->size() > 1) {
    c.reader.error(Rule::Syntax, e.span,
                   fmt::format("approval `{}`: `after: never` (no answer) takes no other key", e.key));
  } else if (!never && !s.after &&
             std::none_of(entries->begin(), entries->end(), [](const Entry& f) { return f.key == "after"; })) {
    Diagnostic& d = c.reader.error(Rule::Syntax, e.span, fmt::format("approval `{}` has no `after`", e.key));
    d.help.push_back("say when the approver answers (after: 5m), or that they never do (after: never)");
  } else if (!never && !has_approved && !s.malformed) {
    c.reader.error(Rule::Syntax, e.span, fmt::format("approval `{}` has no `approved: true|false`", e.key));
  }
  if (s.rollback && s.approved)
    c.reader.error(Rule::Syntax, e.span, "`rollback: true` goes with a refusal (`approved: false`)");
  if (never) s.after.reset();
  out.approvals[e.key] = std::move(s);
}

void read_approvals(Context& c, const Entry& e, Exercise& out) {
  auto entries = detail::mapping(c, e, {}, false);
  if (!entries) return;
  for (const auto& step : *entries) read_approval(c, step, out);
}

void read_task(Context& c, const Entry& e, Exercise& out) {
  auto entries = detail::mapping(c, e, kTaskKeys, true);
  if (!entries) return;
  TaskScript s;
  s.span = e.span;
  s.key_span = e.key_span;
  bool has_after = false;
  for (const auto& f : *entries) {
    if (f.key == "after") {
      has_after = true;
      if (!(f.value.IsScalar() && f.value.Scalar() == "never")) s.after = detail::duration(c, f);
    } else if (f.key == "note") {
      s.note = detail::text(c, f, "a string").value_or("");
    }
  }
  if (!has_after) {
    Diagnostic& d = c.reader.error(Rule::Syntax, e.span, fmt::format("task `{}` has no `after`", e.key));
    d.help.push_back("say when the assignee marks it done (after: 30m), or that nobody does (after: never)");
  }
  out.tasks[e.key] = std::move(s);
}

void read_tasks(Context& c, const Entry& e, Exercise& out) {
  auto entries = detail::mapping(c, e, {}, false);
  if (!entries) return;
  for (const auto& step : *entries) read_task(c, step, out);
}

void check_fault(Context& c, const Fault& f, const YAML::Node& node) {
  // `acton:` is reported as an unknown key already: one typo, one diagnostic.
  if (yaml_detail::misspells(node, kFaultKeys, "action") || yaml_detail::misspells(node, kFaultKeys, "artifact"))
    return;
  const bool connector = f.fail > 0 || f.permanent || f.malformed || f.latency.count() > 0;
  const bool artifact = f.missing || f.changing;
  if (f.action.empty() == f.artifact.empty()) {
    c.reader.error(Rule::Syntax, f.span, "a fault names exactly one `action` or one `artifact`");
  } else if (!f.action.empty() && (artifact || !connector)) {
    Diagnostic& d =
        c.reader.error(Rule::Syntax, f.span,
                       fmt::format("fault on action `{}` needs fail, permanent, malformed or latency", f.action));
    if (artifact) d.help.push_back("`missing` and `changing` are faults of an `artifact`");
  } else if (!f.artifact.empty() && (connector || !artifact || (f.missing && f.changing))) {
    c.reader.error(Rule::Syntax, f.span,
                   fmt::format("fault on artifact `{}` needs one of `missing: true` or `changing: true`", f.artifact));
  }
}

void read_fault(Context& c, const YAML::Node& node, Exercise& out) {
  Fault f;
  f.span = detail::item_span(c, node);
  if (!node.IsMap()) {
    c.reader.error(Rule::Syntax, f.span, "a fault must be a mapping, e.g. {action: isolate_host, fail: 2}");
    return;
  }
  for (const auto& e : c.reader.entries(node, kFaultKeys, "a fault")) {
    if (e.key == "action" || e.key == "artifact") {
      (e.key == "action" ? f.action : f.artifact) = detail::text(c, e, "a name").value_or("");
      f.name_span = e.value_span;
    } else if (e.key == "fail") {
      if (auto n = c.reader.count(e, 1000)) f.fail = static_cast<int>(n->value);
    } else if (e.key == "latency") {
      f.latency = detail::duration(c, e).value_or(Millis(0));
    } else {
      const bool value = flag(c, e).value_or(false);
      if (e.key == "permanent") f.permanent = value;
      if (e.key == "malformed") f.malformed = value;
      if (e.key == "missing") f.missing = value;
      if (e.key == "changing") f.changing = value;
    }
  }
  check_fault(c, f, node);
  out.faults.push_back(std::move(f));
}

void read_faults(Context& c, const Entry& e, Exercise& out) {
  if (!e.value.IsSequence()) {
    c.reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span, "`faults` must be a list");
    return;
  }
  for (const auto& item : e.value) read_fault(c, item, out);
}

void read_top(Context& c, const Entry& e, Exercise& out) {
  if (e.key == "exercise") {
    out.name = detail::text(c, e, "the exercise's name").value_or("");
  } else if (e.key == "runbooks") {
    if (auto path = detail::text(c, e, "a runbook file or directory")) {
      out.runbooks = (c.dir / *path).lexically_normal().string();
      out.runbooks_span = e.value_span;
    }
  } else if (e.key == "clock") {
    auto at = detail::text(c, e, "an RFC 3339 time such as \"2026-11-27T08:00:00Z\"");
    auto parsed = at ? runtime::parse_rfc3339(*at) : std::nullopt;
    if (at && !parsed)
      c.reader.error(Rule::Syntax, e.value_span, "`clock` must be an RFC 3339 time such as \"2026-11-27T08:00:00Z\"");
    if (parsed) out.clock = *parsed;
  } else if (e.key == "timeline") {
    detail::read_timeline(c, e, out);
  } else if (e.key == "approvals") {
    read_approvals(c, e, out);
  } else if (e.key == "tasks") {
    read_tasks(c, e, out);
  } else if (e.key == "faults") {
    read_faults(c, e, out);
  } else if (e.key == "expect") {
    detail::read_expect(c, e, out.expect);
  }
}

// The first document, or nothing (reported): limits and yaml-cpp's errors first.
std::optional<YAML::Node> parse_document(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits) {
  const std::string& text = source->text();
  if (auto bad = first_invalid_utf8(text)) {
    auto at = static_cast<std::uint32_t>(*bad);
    sink.report(Rule::Syntax, source, {at, at + 1}, "the file is not valid UTF-8");
    return std::nullopt;
  }
  const auto scan = yaml_detail::prescan_yaml(text, limits.max_nesting_depth, limits.max_yaml_nodes);
  if (scan.hit) {
    auto at = static_cast<std::uint32_t>(scan.hit->offset);
    sink.report(scan.hit->kind == yaml_detail::PrescanHit::Kind::StrayComma ? Rule::Syntax : Rule::InputLimit, source,
                {at, at + 1},
                scan.hit->kind == yaml_detail::PrescanHit::Kind::StrayComma
                    ? "YAML syntax error: `,` outside a flow collection"
                    : "the YAML document is nested too deeply or has too many nodes");
    return std::nullopt;
  }
  if (scan.second_document) {
    auto at = static_cast<std::uint32_t>(*scan.second_document);
    sink.report(Rule::Syntax, source, {at, at + 3},
                "an exercise file holds one YAML document; this starts a second one");
    return std::nullopt;
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::uint32_t at = 0;
    if (!e.mark.is_null() && e.mark.line >= 0) {
      at = std::min<std::uint32_t>(
          source->line_start(e.mark.line + 1) + static_cast<std::uint32_t>(std::max(e.mark.column, 0)),
          static_cast<std::uint32_t>(text.size()));
    }
    sink.report(Rule::Syntax, source, {at, at}, fmt::format("YAML syntax error: {}", e.msg));
    return std::nullopt;
  }
}

void require(Context& c, const std::vector<Entry>& entries, const YAML::Node& root) {
  for (const char* key : {"exercise", "runbooks", "clock", "timeline", "expect"}) {
    const bool present = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
    if (present || yaml_detail::misspells(root, kTopKeys, key)) continue;
    Diagnostic& d = c.reader.error(Rule::Syntax, {0, 0}, fmt::format("the exercise has no `{}`", key));
    d.help.push_back("see docs/exercises.md for a complete drill");
  }
}

// `{at, event}`: delivered at the clock plus `at`, which becomes its detected_at (the deadline
// clocks and contained_within count from it). A replayed event keeps its own, which must not
// lie before the clock.
void resolve_times(Context& c, Exercise& out) {
  for (auto& incident : out.incidents) {
    if (!incident.offset) {
      if (incident.at < out.clock) {
        c.sink.report(Rule::Syntax, incident.source, incident.span,
                      fmt::format("detected_at {} lies before the exercise's clock ({})",
                                  runtime::format_rfc3339(incident.at), runtime::format_rfc3339(out.clock)));
      }
      continue;
    }
    incident.at = out.clock + *incident.offset;
    auto raw = incident.event.raw;
    raw["detected_at"] = runtime::format_rfc3339(incident.at);
    incident.event = runtime::parse_event(raw.dump(), incident.event.origin, c.options.runtime.max_json_depth + 1);
  }
}

}  // namespace

std::optional<Exercise> load_exercise(const SourcePtr& source, DiagnosticSink& sink, const LoadOptions& options) {
  const auto errors_before = sink.error_count();
  auto root = parse_document(source, sink, options.limits);
  if (!root) return std::nullopt;
  yaml_detail::Reader reader(source, sink);
  Context c{reader, sink, options, std::filesystem::path(source->path()).parent_path(), 0};
  Exercise out;
  out.source = source;
  try {
    if (!root->IsMap()) {
      Diagnostic& d = reader.error(
          Rule::Syntax, {0, 0},
          "an exercise file must be a mapping with `exercise`, `runbooks`, `clock`, `timeline` and `expect`");
      d.help.push_back("see docs/exercises.md");
      return std::nullopt;
    }
    auto entries = reader.entries(*root, kTopKeys, "an exercise");
    for (const auto& e : entries) read_top(c, e, out);
    require(c, entries, *root);
    if (sink.error_count() == errors_before) resolve_times(c, out);
  } catch (const YAML::Exception& e) {
    sink.report(Rule::Syntax, source, {0, 0}, fmt::format("could not read the exercise: {}", e.msg));
  }
  std::stable_sort(out.incidents.begin(), out.incidents.end(),
                   [](const Incident& a, const Incident& b) { return a.at < b.at; });
  if (sink.error_count() != errors_before) return std::nullopt;
  return out;
}

}  // namespace writ::exercise
