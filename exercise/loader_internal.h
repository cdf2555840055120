// Internal to the exercise loader (exercise/loader*.cc): the reader state shared by the parts
// that read the top level, the timeline and the expectations.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compiler/yaml/reader.h"
#include "exercise/exercise.h"
#include "exercise/loader.h"

namespace writ::exercise::detail {

using yaml_detail::Entry;

struct Context {
  yaml_detail::Reader& reader;
  DiagnosticSink& sink;
  const LoadOptions& options;
  std::filesystem::path dir;  // the exercise file's directory
  std::size_t incidents = 0;  // read so far, against options.max_incidents
  std::vector<Incident>* incidents_out = nullptr;
};

// Reports a value that is not one of `allowed`, with a did-you-mean (or the list).
void bad_choice(Context& c, Span span, std::string_view what, const std::string& value,
                std::span<const std::string> allowed);
// A string value (numbers and booleans keep their text); reports and returns nothing otherwise.
std::optional<std::string> text(Context& c, const Entry& e, std::string_view expected);
// A duration value ("15m"); reports and returns nothing otherwise.
std::optional<Millis> duration(Context& c, const Entry& e);
// The entries of a mapping value, or nothing (reported) when `e` is not a mapping.
std::optional<std::vector<Entry>> mapping(Context& c, const Entry& e, std::span<const std::string> allowed, bool check);
// The span of a whole sequence item.
Span item_span(Context& c, const YAML::Node& node);

void read_timeline(Context& c, const Entry& e, Exercise& out);
void read_expect(Context& c, const Entry& e, Expectations& out);

}  // namespace writ::exercise::detail
