// Names in an exercise checked against the runbooks it drills, before anything runs: a fault on
// an action no step (or rollback) calls, an approval or an expectation naming a step no runbook
// has, a deadline naming an obligation no runbook's regulations bring in. A typo there would
// otherwise make a drill pass or fail for the wrong reason. Each is an error at the name's
// position, with a did-you-mean.
#pragma once

#include "compiler/diagnostic.h"
#include "exercise/exercise.h"
#include "runtime/engine.h"

namespace writ::exercise {

void check_names(const Exercise& exercise, const runtime::RunbookSet& runbooks, DiagnosticSink& sink);

}  // namespace writ::exercise
