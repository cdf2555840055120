// An exercise (DESIGN §16): a tabletop drill as a file that CI runs. The loader
// (exercise/loader.h) reads it into this model; the simulation (exercise/simulation.h) runs it
// through the real engine on a virtual clock; the expectations (exercise/expectations.h) are
// measured against what happened. Every value keeps the span it came from, so problems found
// after loading (a fault naming an action no runbook calls) still point at the file.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/source.h"
#include "runtime/approval.h"
#include "runtime/clock.h"
#include "runtime/event.h"

namespace writ::exercise {

using Millis = std::chrono::milliseconds;

// One incident of the timeline: an event delivered at `at` on the virtual clock.
struct Incident {
  std::string origin;  // "events/critical.json", "recorded/siem.jsonl:3"
  runtime::WallTime at{};
  std::optional<Millis> offset;  // `{at, event}`: from the clock (the event's detected_at is set to it)
  runtime::Event event;
  SourcePtr source;  // where `span` lies: the exercise file, or the replayed recording
  Span span;         // the timeline entry, or the recording's line
};

// How the simulated approver answers one step (`approvals:` of §16). `after` empty: the approver
// never answers and the step's approval timeout expires.
struct ApprovalScript {
  std::optional<Millis> after;
  bool approved = false;
  bool rollback = false;
  bool malformed = false;  // the answer is not a well-formed decision (refused, fail closed)
  std::string reason;
  std::vector<runtime::Approver> approvers;
  Span span;      // the whole entry
  Span key_span;  // the step id
};

// When the assignee marks a human task done (`tasks:`, issue 18's `task` steps). `after` empty:
// nobody does it, and the task's `within` runs out (the step fails).
struct TaskScript {
  std::optional<Millis> after;
  std::string note;
  Span span;
  Span key_span;  // the step id
};

// One injected fault (`faults:`): on a connector action, or on an artifact.
struct Fault {
  std::string action;      // connector faults
  int fail = 0;            // the first N attempts fail (retryable, as an HTTP 503)
  bool permanent = false;  // every attempt fails and is not retryable (as an HTTP 403)
  bool malformed = false;  // every attempt gets a reply that is not well-formed HTTP (retryable)
  Millis latency{0};       // each attempt takes this long (cut to the call's timeout: then it fails)
  std::string artifact;    // artifact faults
  bool missing = false;    // the artifact is not on the host
  bool changing = false;   // the artifact changes while it is copied
  Span span;
  Span name_span;  // the action's or artifact's value
};

template <typename T>
struct Keyed {
  std::string key;
  T value;
  Span key_span;
  Span span;
};

struct Expectations {
  std::optional<Keyed<std::string>> status;
  std::vector<Keyed<std::string>> steps;  // step id -> step status (or not_run)
  std::optional<Keyed<Millis>> contained_within;
  std::vector<Keyed<std::string>> deadlines;  // obligation -> met|met_late|overdue|pending
  std::optional<Keyed<bool>> evidence_verified;
  std::vector<Keyed<std::string>> rollbacks;  // step id -> compensated|failed|none
  bool empty() const {
    return !status && steps.empty() && !contained_within && deadlines.empty() && !evidence_verified &&
           rollbacks.empty();
  }
};

struct Exercise {
  SourcePtr source;
  std::string name;
  std::string runbooks;  // path, resolved against the exercise file's directory
  Span runbooks_span;
  runtime::WallTime clock{};
  std::vector<Incident> incidents;                  // ordered by `at` (ties: file order)
  std::map<std::string, ApprovalScript> approvals;  // step id (or "*") -> script
  std::map<std::string, TaskScript> tasks;          // task step id (or "*") -> script
  std::vector<Fault> faults;
  Expectations expect;
};

// "31m", "1h 5m", "72h", "2m 30s", "0s", "250ms": durations in messages and reports.
std::string show_duration(Millis duration);

// Statuses an expectation may name (DESIGN §9, §14).
const std::vector<std::string>& run_statuses();
const std::vector<std::string>& step_statuses();  // §9's plus not_run
const std::vector<std::string>& deadline_statuses();
const std::vector<std::string>& rollback_statuses();  // compensated failed none

}  // namespace writ::exercise
