// `timeline:` — `{at: DURATION, event: FILE}` delivers one event at the clock plus `at` (its
// detected_at is set to that time: the drill's clock owns time), `{replay: FILE.jsonl}` one
// event per line, each delivered at its own detected_at. Problems inside a recording are
// reported at its line.
#include <fmt/format.h>

#include <memory>

#include "common/regular_file.h"
#include "common/text.h"
#include "exercise/loader_internal.h"
#include "runtime/json_input.h"

namespace writ::exercise::detail {

namespace {

const std::vector<std::string> kEntryKeys = {"at", "event", "replay"};

bool count_incident(Context& c, const SourcePtr& source, Span span) {
  if (++c.incidents <= c.options.max_incidents) return true;
  if (c.incidents == c.options.max_incidents + 1) {
    c.sink.report(Rule::InputLimit, source, span,
                  fmt::format("the timeline holds more than {} events (the limit)", c.options.max_incidents));
  }
  return false;
}

void read_event(Context& c, const Entry& at, const Entry& event, Span span) {
  auto offset = duration(c, at);
  auto file = text(c, event, "an event file (JSON)");
  if (!offset || !file) return;
  if (!count_incident(c, c.reader.source(), span)) return;
  const auto path = (c.dir / *file).lexically_normal().string();
  try {
    auto text = runtime::read_text_file(path, c.options.runtime.max_event_bytes);
    Incident incident;
    incident.origin = *file;
    incident.offset = offset;
    incident.event = runtime::parse_event(std::move(text), path, c.options.runtime.max_json_depth);
    incident.source = c.reader.source();
    incident.span = span;
    c.incidents_out->push_back(std::move(incident));
  } catch (const std::runtime_error& e) {  // JsonInputError, EventError: both name the file
    c.reader.error(Rule::Syntax, event.value_span, e.what());
  }
}

// parse_event's message for the line alone is ":1:COL: what" (JSON) or ": what" (an event that
// is not an object, a NUL in a field): reported at the column of the line, when there is one.
void report_bad_line(Context& c, const SourcePtr& source, Span line, std::string_view what) {
  Span at = line;
  if (what.starts_with(":1:")) {
    std::size_t col = 0, i = 3;
    while (i < what.size() && what[i] >= '0' && what[i] <= '9')
      col = col * 10 + static_cast<std::size_t>(what[i++] - '0');
    if (col >= 1 && line.begin + col - 1 <= line.end)
      at = {static_cast<std::uint32_t>(line.begin + col - 1), static_cast<std::uint32_t>(line.begin + col - 1)};
    what.remove_prefix(i);
  }
  if (what.starts_with(":")) what.remove_prefix(1);
  while (what.starts_with(" ")) what.remove_prefix(1);
  c.sink.report(Rule::Syntax, source, at, fmt::format("not an event: {}", what));
}

// One line of a recording: an event with an RFC 3339 detected_at.
void read_line(Context& c, const SourcePtr& source, const std::string& name, int line) {
  const auto begin = source->line_start(line);
  const auto body = source->line_text(line);
  const Span span{begin, static_cast<std::uint32_t>(begin + body.size())};
  if (body.find_first_not_of(" \t\r") == std::string_view::npos) return;
  if (!count_incident(c, source, span)) return;
  Incident incident;
  incident.origin = fmt::format("{}:{}", name, line);
  incident.source = source;
  incident.span = span;
  if (body.size() > c.options.runtime.max_event_bytes) {
    c.sink.report(Rule::InputLimit, source, span,
                  fmt::format("the line is longer than {} bytes (the event limit)", c.options.runtime.max_event_bytes));
    return;
  }
  try {
    incident.event = runtime::parse_event(std::string(body), "", c.options.runtime.max_json_depth);
  } catch (const std::runtime_error& e) {
    report_bad_line(c, source, span, e.what());
    return;
  }
  const auto detected = incident.event.raw.find("detected_at");
  const auto at = detected != incident.event.raw.end() && detected->is_string()
                      ? runtime::parse_rfc3339(detected->get<std::string>())
                      : std::nullopt;
  if (!at) {
    c.sink.report(Rule::Syntax, source, span,
                  "a replayed event needs `detected_at` (RFC 3339): it is delivered at that time");
    return;
  }
  incident.at = *at;
  c.incidents_out->push_back(std::move(incident));
}

void read_replay(Context& c, const Entry& replay) {
  auto file = text(c, replay, "a recording (JSON lines)");
  if (!file) return;
  const auto path = (c.dir / *file).lexically_normal().string();
  auto read = read_regular_file(path, c.options.limits.max_file_bytes);
  if (!read) {
    c.reader.error(Rule::Syntax, replay.value_span, read.error);
    return;
  }
  if (auto bad = first_invalid_utf8(*read.text)) {
    c.reader.error(Rule::Syntax, replay.value_span, fmt::format("{}: not valid UTF-8 (byte {})", path, *bad));
    return;
  }
  const auto source = std::make_shared<const SourceFile>(path, std::move(*read.text));
  for (int line = 1; line <= source->line_count(); ++line) read_line(c, source, *file, line);
}

void read_entry(Context& c, const YAML::Node& node) {
  const Span span = item_span(c, node);
  if (!node.IsMap()) {
    c.reader.error(Rule::Syntax, span, "a timeline entry must be {at: DURATION, event: FILE} or {replay: FILE.jsonl}");
    return;
  }
  const auto entries = c.reader.entries(node, kEntryKeys, "a timeline entry");
  const Entry *at = nullptr, *event = nullptr, *replay = nullptr;
  for (const auto& e : entries) (e.key == "at" ? at : e.key == "event" ? event : replay) = &e;
  if (replay && !at && !event) return read_replay(c, *replay);
  if (at && event && !replay) return read_event(c, *at, *event, span);
  Diagnostic& d = c.reader.error(Rule::Syntax, span,
                                 replay ? "`replay` stands alone: its events carry their own times (detected_at)"
                                        : "a timeline entry needs both `at` and `event`");
  d.help.push_back("- {at: 0s, event: events/critical.json}\n- {replay: recorded/siem.jsonl}");
}

}  // namespace

void read_timeline(Context& c, const Entry& e, Exercise& out) {
  if (!e.value.IsSequence() || e.value.size() == 0) {
    c.reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                   "`timeline` must be a non-empty list of events");
    return;
  }
  c.incidents_out = &out.incidents;
  for (const auto& item : e.value) read_entry(c, item);
}

}  // namespace writ::exercise::detail
