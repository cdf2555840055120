// Worst-case timing of a runbook and the evaluation of its regulatory obligations (DESIGN §6,
// reference/regulations.md). Pure functions of the IR and the catalog, with no spans and no
// diagnostics: the regulatory-deadline rule reports from them and `writ report` prints them,
// so both always agree. Thread-safe (they only read their arguments).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/catalog.h"
#include "compiler/ir.h"

namespace writ::rules {

// One contribution to the longest path to a step: an approval wait or a step's run time.
struct PathPart {
  std::size_t step = 0;   // index into ir::Runbook::steps
  bool approval = false;  // true: the step's approval timeout; false: the step's timeout
  std::int64_t seconds = 0;
};

struct Arrival {
  std::size_t step = 0;
  // Worst-case time from the start of the run until the step's action starts: every earlier
  // step's approval timeout (when it has an approval) and run time (its timeout; a task's
  // `within`), plus the step's own approval timeout. An earlier parallel block counts its
  // longest branch (the branches run together), a sibling in the step's own block nothing. A
  // `when` condition never shortens it (the longest path counts). A for-each step's timeout
  // bounds the whole step, all its elements.
  std::int64_t seconds = 0;
  bool approval_on_path = false;  // some step at or before this one waits for an approval
  std::vector<PathPart> path;     // the contributions, in run order (zero-length ones left out)
};

Arrival worst_case_arrival(const ir::Runbook& runbook, std::size_t step);

// How long a step may run once started: a task's `within`, else its timeout.
std::int64_t run_seconds(const ir::Step& step);

// Whether a step runs whatever the event and the run hold (no `when`, or one constantly
// true; no `for` over a list that may be empty), and whether it can never run (its `when` is
// constantly false: expr::constant_truth).
bool guaranteed(const ir::Step& step);
bool never_runs(const ir::Step& step);
// A for-each step over a list that is not a non-empty list literal: it may run on nothing.
bool may_be_empty(const ir::Step& step);
// Why a step that is not guaranteed may not run, for messages: "`COND`", "`LIST` is not
// empty", or both joined with " and ".
std::string run_condition(const ir::Step& step);

// A step that may meet an obligation, and whether it does.
struct Candidate {
  std::size_t step = 0;
  bool named = false;        // the step's `satisfies` names the obligation
  bool deadline_ok = false;  // the step declares no deadline, or one within the bound
  bool arrival_ok = false;   // worst-case arrival within the bound (asap: or no approval wait)
  // The step runs under a `when` that may be false, or for each element of a list that may be
  // empty: it meets the obligation only then, never on its own (DESIGN §17: obligations need
  // a guaranteed step).
  bool conditional = false;
  Arrival arrival;
  bool in_time() const { return deadline_ok && arrival_ok; }
  bool holds() const { return in_time() && !conditional; }
};

struct ObligationStatus {
  std::string obligation;  // catalog id: "nis2.early_warning"
  std::string tag;         // the compliance tag that brought it in; empty: only named by a step
  bool asap = false;       // no fixed deadline: the bound is the policy's asap bound
  bool follow_up = false;  // due more than 7 days out: may stay open (reported as a note)
  std::int64_t bound_seconds = 0;
  // Steps that may meet it, best first: one that holds (named before unnamed, earliest
  // arrival), else the closest miss (a conditional step in time before a late one). Unnamed
  // candidates are `notify` steps with a deadline and no `satisfies`; a follow-up only counts
  // steps that name it. A step whose `when` is constantly false meets nothing: it is no
  // candidate (the dead-step rule reports it).
  std::vector<Candidate> candidates;
  bool met() const { return !candidates.empty() && candidates.front().holds(); }
};

// The obligations a runbook must meet: those its compliance tags bring in
// (Catalog::obligations_for_tag, in tag order), then those only its steps' `satisfies` name.
// Unknown tags and obligation ids bring nothing in (the rule reports them).
std::vector<ObligationStatus> evaluate_obligations(const ir::Runbook& runbook, const Catalog& catalog);

}  // namespace writ::rules
