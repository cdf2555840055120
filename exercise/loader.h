// The exercise loader (DESIGN §16): reads an exercise file into exercise::Exercise with the
// YAML front-end's reader (compiler/yaml/reader.h), so every problem — an unknown key (with a
// did-you-mean), a bad value, an unreadable event file, a malformed line of a replayed
// recording — is a diagnostic naming the file, line and column, exactly as for runbooks.
// Event files and recordings are read relative to the exercise file's directory, bounded by
// the runtime's limits (event size, JSON depth) and `max_incidents`.
// Errors: never throws for what the files say; yaml-cpp exceptions become diagnostics.
#pragma once

#include <cstddef>
#include <optional>

#include "common/limits.h"
#include "compiler/diagnostic.h"
#include "exercise/exercise.h"
#include "runtime/options.h"

namespace writ::exercise {

struct LoadOptions {
  Limits limits;
  runtime::RuntimeOptions runtime;
  std::size_t max_incidents = 10000;  // timeline entries plus replayed lines
};

// Nothing when any error was reported to `sink`.
std::optional<Exercise> load_exercise(const SourcePtr& source, DiagnosticSink& sink, const LoadOptions& options = {});

// "15m", "72h", "0s", "2d" -> milliseconds; nothing for anything else (or on overflow).
std::optional<Millis> parse_duration(std::string_view text);

}  // namespace writ::exercise
