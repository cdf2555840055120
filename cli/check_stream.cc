#include "cli/check_stream.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace writ::cli {

namespace {

struct Worker {
  std::set<std::string> severities;
  std::size_t first_source = SIZE_MAX;  // index of the first readable file this worker compiled
};

}  // namespace

CheckedFiles check_files(const std::vector<std::string>& files, const Catalog& catalog,
                         const CompileOptions& options, unsigned jobs, Format format, bool color) {
  CheckedFiles out;
  out.findings.resize(files.size());
  std::atomic<std::size_t> next{0};
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(files.size())));
  std::vector<Worker> workers(jobs);
  auto work = [&](Worker& worker) {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      CompiledFile result = compile_file(files[i], catalog, options);
      for (const auto& runbook : result.runbooks) worker.severities.insert(runbook.severity);
      if (result.source) worker.first_source = std::min(worker.first_source, i);
      auto& rendered = out.findings[i];
      rendered.reserve(result.diagnostics.size());
      for (const auto& d : result.diagnostics) rendered.push_back(render_diagnostic(d, format, color));
    }  // `result` (source, AST, IR, diagnostics) is released here, file by file
  };
  {
    std::vector<std::jthread> threads;
    for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(work, std::ref(workers[t]));
    work(workers[0]);
  }
  std::size_t first = SIZE_MAX;
  for (auto& worker : workers) {
    out.severities.merge(worker.severities);
    first = std::min(first, worker.first_source);
  }
  if (first != SIZE_MAX) out.first_source = files[first];
  return out;
}

}  // namespace writ::cli
