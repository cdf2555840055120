// Fingerprints and baseline files (DESIGN §6 `--baseline`, §7 partialFingerprints).
// A fingerprint is sha256 hex over "rule\0file\0runbook\0step" — never a line number or the
// message, so it survives edits that move a finding or reword it — plus "\0<k>" for the k-th
// (k >= 1) later finding with the same four keys, in sorted order.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "common/regular_file.h"
#include "common/sha256.h"
#include "compiler/emit/emit.h"
#include "compiler/emit/common.h"

namespace writ {

namespace {

// A baseline holds 67 bytes per finding; anything near this is not a baseline (or is
// /dev/zero), and reading it must not run forever.
constexpr std::size_t kMaxBaselineBytes = 64 * 1024 * 1024;

}  // namespace

std::string fingerprint_identity(const Diagnostic& d) {
  std::string key(rule_info(d.rule).id);
  // severity-coverage is about the set of files checked, not the file it is anchored to, so
  // adding a file that sorts first does not change its fingerprint.
  std::string path = d.rule == Rule::SeverityCoverage ? std::string() : emit_detail::normalized_path(d);
  for (const std::string& part : {path, d.runbook, d.step}) {
    key += '\0';
    key += part;
  }
  return key;
}

namespace {

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string read_file_capped(const std::string& path) {
  auto file = read_regular_file(path, kMaxBaselineBytes);
  if (file.problem == FileProblem::too_large) {
    throw std::runtime_error("baseline " + path + " is larger than " + std::to_string(kMaxBaselineBytes >> 20) + " MiB");
  }
  if (!file) throw std::runtime_error("cannot read baseline " + file.error);
  return std::move(*file.text);
}

std::vector<std::string> parse_baseline(const std::string& path, const std::string& text) {
  const std::string where = "baseline " + path + ": ";
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 2: ...".
    const std::string what = e.what();
    const std::size_t bracket = what.find("] ");
    throw std::runtime_error(where +
                             "not valid JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  if (!root.is_object()) throw std::runtime_error(where + "expected a JSON object");
  const auto version = root.find("version");
  if (version == root.end() || *version != 1) throw std::runtime_error(where + "\"version\" must be 1");
  const auto list = root.find("fingerprints");
  if (list == root.end() || !list->is_array()) throw std::runtime_error(where + "\"fingerprints\" must be an array");
  std::set<std::string> result;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    if (!item.is_string() || !is_sha256_hex(item.get<std::string>())) {
      throw std::runtime_error(where + "fingerprints[" + std::to_string(i) + "] is not a sha256 hex string");
    }
    result.insert(item.get<std::string>());
  }
  return {result.begin(), result.end()};
}

}  // namespace

std::string fingerprint(const Diagnostic& diagnostic) { return sha256_hex(fingerprint_identity(diagnostic)); }

std::vector<std::string> fingerprints_of(const std::vector<std::string_view>& identities) {
  std::map<std::string_view, std::size_t> seen;
  std::vector<std::string> result;
  result.reserve(identities.size());
  for (const auto identity : identities) {
    std::string key(identity);
    const std::size_t occurrence = seen[identity]++;
    if (occurrence > 0) key += '\0' + std::to_string(occurrence);
    result.push_back(sha256_hex(key));
  }
  return result;
}

std::vector<std::string> fingerprints(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> identities;
  identities.reserve(diagnostics.size());
  for (const auto& d : diagnostics) identities.push_back(fingerprint_identity(d));
  return fingerprints_of({identities.begin(), identities.end()});
}

std::vector<Diagnostic> remove_baselined(const std::vector<Diagnostic>& diagnostics,
                                         const std::vector<std::string>& baseline) {
  const std::set<std::string> known(baseline.begin(), baseline.end());
  const std::vector<std::string> prints = fingerprints(diagnostics);
  std::vector<Diagnostic> kept;
  for (std::size_t i = 0; i < diagnostics.size(); ++i) {
    if (!known.contains(prints[i])) kept.push_back(diagnostics[i]);
  }
  return kept;
}

void write_baseline(const std::string& path, const std::vector<Diagnostic>& diagnostics) {
  const std::vector<std::string> prints = fingerprints(diagnostics);
  std::set<std::string> recorded;
  for (std::size_t i = 0; i < diagnostics.size(); ++i) {
    if (!diagnostics[i].suppressed_by) recorded.insert(prints[i]);
  }
  write_baseline_fingerprints(path, recorded);
}

void write_baseline_fingerprints(const std::string& path, const std::set<std::string>& recorded) {
  nlohmann::ordered_json root;
  root["version"] = 1;
  root["fingerprints"] = recorded;

  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write baseline " + path + ": " + std::strerror(errno));
    out << root.dump(2) << "\n";
    out.close();
    if (!out) throw std::runtime_error("cannot write baseline " + path + ": write error");
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    const std::string reason = error.message();
    std::filesystem::remove(temp, error);
    throw std::runtime_error("cannot write baseline " + path + ": " + reason);
  }
}

std::vector<std::string> read_baseline(const std::string& path) { return parse_baseline(path, read_file_capped(path)); }

}  // namespace writ
