// `writ evidence preserve|verify|prove` (DESIGN §10, §13). Exit codes: 0 preserved / intact /
// proved, 1 damaged evidence, an artifact that changed while it was copied, or a failed store
// write; 2 usage errors and refused inputs (artifacts outside the roots, through a symlink,
// non-regular or unreadable; a store file that is a FIFO or device; a signed store without its
// key; bad keys or checkpoints; a directory that is no store). `preserve` checks every artifact
// before it preserves any: one refused argument refuses the batch.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "cli/commands.h"
#include "common/regular_file.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/evidence_store.h"
#include "runtime/evidence/prove.h"
#include "runtime/evidence/signing.h"
#include "runtime/evidence/verify.h"

namespace writ::cli {

namespace {

namespace fs = std::filesystem;
namespace ev = writ::evidence;

std::string tool_name() { return std::string("writ ") + WRIT_VERSION; }

// A one-line progress bar on stderr, only on a terminal and only for work large enough to take
// a while (the total the callback reports); redrawn at most every 100 ms, erased when done.
class ProgressBar {
 public:
  static constexpr std::uint64_t kThreshold = 64ull << 20;

  explicit ProgressBar(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) != 0) {}
  ~ProgressBar() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  ev::ProgressFn callback() {
    if (!enabled_) return {};
    return [this](std::uint64_t done, std::uint64_t total) { update(done, total); };
  }

 private:
  void update(std::uint64_t done, std::uint64_t total) {
    if (total < kThreshold) return;
    auto now = std::chrono::steady_clock::now();
    if (done < last_done_) start_ = now;  // a second pass (--verify-copy) starts over
    last_done_ = done;
    if (drawn_ && now - last_ < std::chrono::milliseconds(100) && done < total) return;
    last_ = now;
    drawn_ = true;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const int pct = static_cast<int>(done * 100 / total);
    const int filled = pct * 30 / 100;
    std::fprintf(stderr, "\r%s [%-30s] %3d%% %llu/%llu MiB %.0f MiB/s\033[K", label_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(), pct,
                 static_cast<unsigned long long>(done >> 20), static_cast<unsigned long long>(total >> 20),
                 secs > 0 ? static_cast<double>(done >> 20) / secs : 0.0);
    std::fflush(stderr);
  }

  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_;
  std::uint64_t last_done_ = 0;
};

std::optional<ev::Ed25519PrivateKey> load_private_key(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::string error;
  auto key = ev::Ed25519PrivateKey::load(path, error);
  if (!key) throw UsageError(error);
  return key;
}

void require_store(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(dir + ": no such evidence directory");
  if (!fs::exists(ev::custody_path(dir), ec) && !fs::exists(ev::checkpoint_path(dir), ec) &&
      !fs::exists(fs::path(dir) / "objects", ec)) {
    throw UsageError(dir + ": not an evidence store (no custody.jsonl, checkpoint.json or objects/)");
  }
}

struct PreserveArgs {
  std::vector<std::string> files;
  std::string evidence;
  std::string incident, run_id, step, key;
  bool verify_copy = false;
};

std::optional<std::string> optional_arg(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional(value);
}

int preserve_exit_code(ev::PreserveFailure failure) {
  switch (failure) {
    case ev::PreserveFailure::none: return 0;
    case ev::PreserveFailure::refused:
    case ev::PreserveFailure::not_regular:
    case ev::PreserveFailure::signing: return 2;
    case ev::PreserveFailure::unstable:
    case ev::PreserveFailure::store:
    case ev::PreserveFailure::damaged: break;
  }
  return 1;
}

int run_preserve(const PreserveArgs& args) {
  auto key = load_private_key(args.key);
  ev::SystemClock clock;
  ev::SystemIdentity identity;
  ev::EvidenceStore store(args.evidence, clock, identity, {tool_name(), key ? &*key : nullptr});
  const ev::CustodyContext context{optional_arg(args.run_id), optional_arg(args.step), optional_arg(args.incident)};
  // Every argument is checked before any is preserved: a batch with a bad argument (a
  // directory, a typo) is refused whole, instead of leaving the custody ledger half written.
  std::vector<std::string> refused;
  for (const auto& file : args.files) {
    if (auto why = store.refusal(file)) refused.push_back(*why);
  }
  if (!refused.empty()) {
    for (const auto& why : refused) std::cerr << "writ: " << why << '\n';
    std::cerr << "writ: nothing was preserved: " << refused.size() << " of " << args.files.size()
              << " argument(s) refused\n";
    return 2;
  }
  int exit_code = 0;
  for (const auto& file : args.files) {
    ProgressBar bar("preserving " + fs::path(file).filename().string());
    ev::PreserveOptions options;
    options.verify_copy = args.verify_copy;
    options.progress = bar.callback();
    ev::PreserveResult r = store.preserve(file, context, options);
    if (r.preserved) {
      const auto& p = *r.preserved;
      std::cout << "preserved " << p.artifact << " sha256=" << p.sha256 << " size=" << p.size << " seq=" << p.seq
                << (p.already_stored ? " (content already stored)" : "") << (args.verify_copy ? " (copy verified)" : "")
                << '\n';
    }
    if (r.failure == ev::PreserveFailure::none) continue;
    std::cerr << "writ: " << r.error << '\n';
    exit_code = std::max(exit_code, preserve_exit_code(r.failure));
  }
  return exit_code;
}

std::string since_summary(const ev::SinceReport& since) {
  return "extends the kept checkpoint (" + std::to_string(since.old_size) + " of " + std::to_string(since.new_size) +
         " records, RFC 6962 consistency proof of " + std::to_string(since.proof.size()) + " hashes" +
         (since.signature_verified ? ", its signature verified" : "") + ")";
}

void print_verify_text(const std::string& dir, const ev::VerifyReport& report) {
  for (const auto& f : report.findings)
    std::cout << (fs::path(dir) / f.item).string() << ": error: " << f.message << '\n';
  if (report.findings_total > report.findings.size()) {
    std::cout << "… and " << report.findings_total - report.findings.size() << " more problem(s) not listed\n";
  }
  for (const auto& n : report.notes) std::cout << "note: " << n << '\n';
  const std::string counts =
      std::to_string(report.records) + " records, " + std::to_string(report.objects) + " objects";
  if (report.status == ev::VerifyStatus::intact) {
    std::cout << "evidence intact: " << counts << (report.signature_verified ? ", checkpoint signature verified" : "")
              << (report.since ? ", " + since_summary(*report.since) : "") << '\n';
  } else {
    std::cout << "evidence damaged: " << report.findings_total << " problem(s) in " << counts
              << "; first: " << report.findings.front().item << '\n';
  }
}

nlohmann::json since_json(const std::optional<ev::SinceReport>& since) {
  if (!since) return nullptr;
  return {{"old_size", since->old_size},       {"old_root", since->old_root},
          {"new_size", since->new_size},       {"new_root", since->new_root},
          {"proof", since->proof},             {"consistent", since->consistent},
          {"signature_verified", since->signature_verified}};
}

void print_verify_json(const ev::VerifyReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings) findings.push_back({{"item", f.item}, {"message", f.message}});
  nlohmann::json out{{"status", report.status == ev::VerifyStatus::intact ? "intact" : "damaged"},
                     {"records", report.records},
                     {"objects", report.objects},
                     {"signature_verified", report.signature_verified},
                     {"findings", findings},
                     {"findings_total", report.findings_total},
                     {"since", since_json(report.since)},
                     {"notes", report.notes}};
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

// The checkpoint an auditor kept: a regular file that parses, else a usage error.
ev::KeptCheckpoint load_kept_checkpoint(const std::string& path) {
  ReadFile file = read_regular_file(path, ev::kMaxCheckpointBytes);
  if (!file) throw UsageError(file.error);
  ev::ParsedCheckpoint parsed = ev::parse_checkpoint(*file.text);
  if (!parsed.checkpoint) throw UsageError(path + ": not a checkpoint: " + parsed.error);
  return {*parsed.checkpoint, path};
}

struct VerifyArgs {
  std::string dir, key, since, format = "text";
};

int run_verify(const VerifyArgs& args) {
  require_store(args.dir);
  std::optional<ev::Ed25519PublicKey> key;
  if (!args.key.empty()) {
    std::string error;
    key = ev::Ed25519PublicKey::load(args.key, error);
    if (!key) throw UsageError(error);
  }
  std::optional<ev::KeptCheckpoint> since;
  if (!args.since.empty()) since = load_kept_checkpoint(args.since);
  ProgressBar bar("verifying " + args.dir);
  ev::VerifyOptions options{key ? &*key : nullptr, bar.callback(), 100, since ? &*since : nullptr};
  ev::VerifyReport report = ev::verify_store(args.dir, options);
  if (report.status == ev::VerifyStatus::not_a_store) throw UsageError(args.dir + ": not an evidence store");
  if (report.status == ev::VerifyStatus::not_regular) throw UsageError(report.error + "; refusing to read the store");
  args.format == "json" ? print_verify_json(report) : print_verify_text(args.dir, report);
  return report.status == ev::VerifyStatus::intact ? 0 : 1;
}

struct ProveArgs {
  std::string dir, sha256, key, output, incident;
  bool record = false;
};

// Appends an `exported` record for the artifact, so the export itself is in the custody chain.
int record_export(const ProveArgs& args, const ev::CheckpointSigner* signer) {
  ev::FoundRecord found = ev::find_record(args.dir, args.sha256);
  if (!found.record) {
    if (found.status == ev::ProveStatus::not_regular) throw UsageError(found.error);
    std::cerr << "writ: " << found.error << '\n';
    return 1;
  }
  const auto& first = found.record;
  ev::SystemClock clock;
  ev::SystemIdentity identity;
  ev::CustodyLedger ledger(args.dir, clock, identity, tool_name(), signer);
  const ev::RecordDraft draft{ev::CustodyEvent::exported, first->artifact, first->sha256, first->size};
  auto appended = ledger.append(std::span(&draft, 1), {std::nullopt, std::nullopt, optional_arg(args.incident)});
  if (!appended.ok()) {
    std::cerr << "writ: " << appended.error << '\n';
    return preserve_exit_code(appended.failure == ev::PreserveFailure::none ? ev::PreserveFailure::store
                                                                            : appended.failure);
  }
  return 0;
}

int run_prove(ProveArgs args) {
  std::transform(args.sha256.begin(), args.sha256.end(), args.sha256.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!ev::is_sha256_hex(args.sha256)) throw UsageError(args.sha256 + ": not a SHA-256 digest (64 hex digits)");
  require_store(args.dir);
  auto key = load_private_key(args.key);
  const ev::CheckpointSigner* signer = key ? &*key : nullptr;
  if (args.record) {
    if (int code = record_export(args, signer); code != 0) return code;
  }
  ev::ProveResult result = ev::prove_artifact(args.dir, args.sha256, signer);
  if (result.status == ev::ProveStatus::not_regular) throw UsageError(result.error);
  if (result.status != ev::ProveStatus::ok) {
    std::cerr << "writ: " << result.error << '\n';
    return 1;
  }
  if (args.output.empty()) {
    std::cout << result.document;
    return 0;
  }
  std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
  if (!(out << result.document)) throw UsageError(args.output + ": cannot be written");
  return 0;
}

void add_preserve(CLI::App& group, CliContext& ctx) {
  auto args = std::make_shared<PreserveArgs>();
  auto* cmd = group.add_subcommand("preserve", "copy artifacts into the evidence store and record their custody");
  cmd->add_option("files", args->files, "artifact files (symlinks and non-regular files are refused)")->required();
  cmd->add_option("--evidence", args->evidence, "evidence directory (created if absent)")->required();
  cmd->add_option("--incident", args->incident, "incident id recorded with each artifact");
  cmd->add_option("--run-id", args->run_id, "run id recorded with each artifact");
  cmd->add_option("--step", args->step, "runbook step recorded with each artifact");
  cmd->add_option("--key", args->key, "Ed25519 private key (PEM) to sign checkpoint.json");
  cmd->add_flag("--verify-copy", args->verify_copy, "re-read each stored copy and record a `verified` event");
  cmd->callback([args, &ctx] { ctx.exit_code = run_preserve(*args); });
}

void add_verify(CLI::App& group, CliContext& ctx) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = group.add_subcommand("verify", "re-hash every object, walk the custody chain, check the checkpoint");
  cmd->add_option("dir", args->dir, "evidence directory")->required();
  cmd->add_option("--key", args->key, "Ed25519 public key (PEM) the checkpoint(s) must be signed with");
  cmd->add_option("--since", args->since,
                  "a checkpoint.json kept earlier: prove the store is an append-only extension of it");
  cmd->add_option("--format", args->format, "output format")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([args, &ctx] { ctx.exit_code = run_verify(*args); });
}

void add_prove(CLI::App& group, CliContext& ctx) {
  auto args = std::make_shared<ProveArgs>();
  auto* cmd = group.add_subcommand("prove", "print an in-toto statement with inclusion proofs for one artifact");
  cmd->add_option("dir", args->dir, "evidence directory")->required();
  cmd->add_option("sha256", args->sha256, "the artifact's SHA-256 digest")->required();
  cmd->add_option("--key", args->key, "Ed25519 private key (PEM): wrap the statement in a signed DSSE envelope");
  cmd->add_flag("--record", args->record, "first append an `exported` custody record for the artifact");
  cmd->add_option("--incident", args->incident, "incident id for the `exported` record");
  cmd->add_option("-o,--output", args->output, "write the statement to this file");
  cmd->callback([args, &ctx] { ctx.exit_code = run_prove(*args); });
}

}  // namespace

void register_evidence_commands(CLI::App& app, CliContext& ctx) {
  auto* group = app.add_subcommand("evidence", "preserve artifacts and verify their chain of custody");
  group->require_subcommand(1);
  add_preserve(*group, ctx);
  add_verify(*group, ctx);
  add_prove(*group, ctx);
}

}  // namespace writ::cli
