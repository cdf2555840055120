// The anchor of the `writ check` benchmark (WRIT_BENCH=ON; not a test): yaml-cpp alone,
// `YAML::LoadFile` of every *.yaml / *.yml file below the given directories, one thread, in
// sorted order, nothing kept. `writ check` does this parse and everything after it, so the
// ratio check / parse-only says what the rest of the checker costs on top of its parser.
//
//   yaml_parse DIR...      prints "<files> files, <nodes> nodes, <n> not YAML" (the count keeps
//                          the work live; a file yaml-cpp rejects is counted and skipped)
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> yaml_files(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : fs::recursive_directory_iterator(argv[i])) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::size_t count_nodes(const YAML::Node& node) {
  std::size_t n = 1;
  if (node.IsMap()) {
    for (const auto& kv : node) n += count_nodes(kv.first) + count_nodes(kv.second);
  } else if (node.IsSequence()) {
    for (const auto& item : node) n += count_nodes(item);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: yaml_parse DIR...\n");
    return 2;
  }
  std::size_t nodes = 0;
  std::size_t rejected = 0;
  const auto files = yaml_files(argc, argv);
  for (const auto& path : files) {
    try {
      nodes += count_nodes(YAML::LoadFile(path));
    } catch (const YAML::Exception&) {
      ++rejected;
    }
  }
  std::printf("%zu files, %zu nodes, %zu not YAML\n", files.size(), nodes, rejected);
  return 0;
}
