#include "runtime/evidence/custody_ledger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/line_reader.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/posix_file.h"

namespace writ::evidence {

namespace {

constexpr auto kLockTimeout = std::chrono::seconds(120);
constexpr std::string_view kRunVerify = "; run `writ evidence verify` on the store";

// What an append needs to know about the ledger already on disk.
struct LedgerState {
  MerkleAccumulator tree;
  std::optional<Checkpoint> cp;
  Digest covered_root{};   // root of the records the checkpoint covers
  std::string first_hash;  // hash of record 1, names the log in the checkpoint origin
  std::string last_hash = std::string(kZeroHash);
  std::uint64_t last_seq = 0;
  PreserveFailure failure = PreserveFailure::none;
  std::string error;

  void fail(PreserveFailure kind, std::string why) {
    failure = kind;
    error = std::move(why);
  }
};

PreserveFailure failure_of(FileProblem problem) {
  return problem == FileProblem::not_regular ? PreserveFailure::not_regular
         : problem == FileProblem::too_large ? PreserveFailure::damaged
                                             : PreserveFailure::store;
}

// Records beyond the checkpoint are the residue of an append interrupted before its checkpoint
// was written; they are accepted only if they extend the chain exactly.
std::string check_uncovered(const CustodyRecord& r, std::uint64_t line, const LedgerState& state) {
  if (r.seq != line || r.prev != state.last_hash || compute_record_hash(r) != r.hash) {
    return "custody.jsonl:" + std::to_string(line) + " is not covered by checkpoint.json and does not extend the chain";
  }
  return {};
}

std::string scan_records(int fd, LedgerState& state) {
  const std::optional<Checkpoint>& cp = state.cp;
  LineReader reader(fd);
  while (auto line = reader.next()) {
    const std::string where = "custody.jsonl:" + std::to_string(line->number);
    if (!line->terminated) return where + " is an incomplete record (no newline)";
    if (line->too_long) return where + " is too long to be a record";
    state.tree.add(merkle_leaf_hash(line->text));
    if (cp && state.tree.size() == cp->size) state.covered_root = state.tree.root();
    const bool covered = cp && line->number <= cp->size;
    const bool needed = line->number == 1 || !covered || line->number == cp->size;
    if (!needed) continue;
    ParsedRecord parsed = parse_record(line->text);
    if (!parsed.record) return where + " is malformed: " + parsed.error;
    const CustodyRecord& r = *parsed.record;
    if (line->number == 1) state.first_hash = r.hash;
    if (!covered) {
      if (auto err = check_uncovered(r, line->number, state); !err.empty()) return err;
    } else if (line->number == cp->size && r.hash != cp->head) {
      return "checkpoint.json head does not match custody.jsonl:" + std::to_string(cp->size);
    }
    state.last_hash = r.hash;
    state.last_seq = r.seq;
  }
  if (reader.error()) return "cannot read custody.jsonl: " + reader.error().message();
  return {};
}

// checkpoint.json parsed, or nothing when absent; a failure says why it cannot be used.
void read_checkpoint_into(const std::filesystem::path& root, LedgerState& state) {
  ReadFile file = read_checkpoint_file(root);
  if (file.problem == FileProblem::missing) return;
  if (!file) return state.fail(failure_of(file.problem), file.error);
  ParsedCheckpoint parsed = parse_checkpoint(*file.text);
  if (!parsed.checkpoint) return state.fail(PreserveFailure::damaged, "checkpoint.json is malformed: " + parsed.error);
  state.cp = std::move(parsed.checkpoint);
  if (state.cp->size == 0) state.covered_root = merkle_root({});
}

LedgerState read_state(const std::filesystem::path& root) {
  LedgerState state;
  read_checkpoint_into(root, state);
  if (state.failure != PreserveFailure::none) return state;
  OpenedFile ledger = open_ledger_file(root);
  if (!ledger && ledger.problem != FileProblem::missing) {
    state.fail(failure_of(ledger.problem), ledger.error);
    return state;
  }
  if (ledger) {
    if (auto err = scan_records(ledger.fd.get(), state); !err.empty()) state.fail(PreserveFailure::damaged, err);
  }
  if (state.failure != PreserveFailure::none) return state;
  const std::uint64_t count = state.tree.size();
  const auto& cp = state.cp;
  if (!cp && count > 0) {
    state.fail(PreserveFailure::damaged, "custody.jsonl has records but checkpoint.json is missing");
  } else if (cp && cp->size > count) {
    state.fail(PreserveFailure::damaged, "custody.jsonl holds " + std::to_string(count) +
                                             " records but checkpoint.json covers " + std::to_string(cp->size) +
                                             " (records were removed)");
  } else if (cp && to_hex(state.covered_root) != cp->root) {
    state.fail(PreserveFailure::damaged, "checkpoint.json root does not match custody.jsonl");
  }
  return state;
}

// Whether `signer` (nullable) may append to a store whose checkpoint is `cp`.
StoreCheck signing_check(const std::filesystem::path& root, const std::optional<Checkpoint>& cp,
                         const CheckpointSigner* signer) {
  if (!cp || !cp->signature) return {};
  const std::string where = checkpoint_path(root).string() + ": ";
  const std::string by = cp->key_id ? "key " + *cp->key_id : "an unnamed key";
  if (signer == nullptr) {
    return {PreserveFailure::signing, where + "the store is signed (by " + by +
                                          "); refusing to append unsigned records, which would drop its signature "
                                          "(pass the signing key: --key PRIVATE.pem)"};
  }
  if (cp->key_id && *cp->key_id != signer->key_id()) {
    return {PreserveFailure::signing, where + "the store is signed by " + by + ", not by the given key " +
                                          signer->key_id() + "; refusing to append"};
  }
  auto signature = base64_decode(*cp->signature);
  if (!signature || !signer->verify(checkpoint_text(*cp), *signature)) {
    return {PreserveFailure::damaged, where + "its signature does not verify with the given key " + signer->key_id() +
                                          " (forged or altered); refusing to sign over it" + std::string(kRunVerify)};
  }
  return {};
}

}  // namespace

ReadFile read_checkpoint_file(const std::filesystem::path& root) {
  return read_regular_file(checkpoint_path(root).string(), kMaxCheckpointBytes, O_NOFOLLOW);
}

OpenedFile open_ledger_file(const std::filesystem::path& root) {
  return open_regular_file(custody_path(root).string(), O_RDONLY | O_NOFOLLOW);
}

StoreCheck check_store(const std::filesystem::path& root, const CheckpointSigner* signer) {
  LedgerState state;
  read_checkpoint_into(root, state);
  if (state.failure != PreserveFailure::none) {
    const bool named = state.error.starts_with(root.string());
    return {state.failure, (named ? "" : root.string() + ": ") + state.error};
  }
  if (auto signing = signing_check(root, state.cp, signer); signing.failure != PreserveFailure::none) return signing;
  for (const auto& file : {custody_path(root), root / ".lock"}) {
    OpenedFile opened = open_regular_file(file.string(), O_RDONLY | O_NOFOLLOW);
    if (!opened && opened.problem != FileProblem::missing) return {failure_of(opened.problem), opened.error};
  }
  return {};
}

LedgerLock::LedgerLock(const std::filesystem::path& root) {
  if (auto ec = make_dirs(root)) {
    error_ = root.string() + ": cannot create the evidence directory: " + ec.message();
    return;
  }
  lock_ = std::make_unique<FileLock>(root / ".lock", kLockTimeout);
  if (lock_->failure() != FileLock::Failure::none) error_ = "cannot lock the custody ledger: " + lock_->error();
  not_regular_ = lock_->failure() == FileLock::Failure::not_regular;
}

LedgerLock::~LedgerLock() = default;

LedgerReadLock::LedgerReadLock(const std::filesystem::path& root)
    : lock_(std::make_unique<FileLock>(root / ".lock", kLockTimeout, FileLock::Mode::shared)) {
  if (lock_->failure() == FileLock::Failure::not_regular) error_ = lock_->error();
}

LedgerReadLock::~LedgerReadLock() = default;

CustodyLedger::CustodyLedger(std::filesystem::path root, const Clock& clock, const Identity& identity, std::string tool,
                             const CheckpointSigner* signer)
    : root_(std::move(root)), clock_(clock), identity_(identity), tool_(std::move(tool)), signer_(signer) {}

AppendResult CustodyLedger::append(std::span<const RecordDraft> drafts, const CustodyContext& context) const {
  LedgerLock lock(root_);
  return append(drafts, context, lock);
}

namespace {

struct AppendFile {
  Fd fd;
  PreserveFailure failure = PreserveFailure::none;
  std::string error;
};

// Opens custody.jsonl for appending: created if absent, never through a symlink, never a FIFO
// (O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of waiting for one).
AppendFile open_for_append(const std::filesystem::path& ledger) {
  AppendFile out;
  out.fd = open_fd(ledger, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0644);
  struct stat st {};
  if (out.fd.valid() && ::fstat(out.fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    ::fcntl(out.fd.get(), F_SETFL, ::fcntl(out.fd.get(), F_GETFL) & ~O_NONBLOCK);
    return out;
  }
  const std::error_code ec = last_error();
  out.fd = Fd();
  OpenedFile why = open_regular_file(ledger.string(), O_RDONLY | O_NOFOLLOW);
  out.failure = why.problem == FileProblem::not_regular ? PreserveFailure::not_regular : PreserveFailure::store;
  out.error = why.problem == FileProblem::not_regular ? why.error : ledger.string() + ": cannot append: " + ec.message();
  return out;
}

}  // namespace

AppendResult CustodyLedger::append(std::span<const RecordDraft> drafts, const CustodyContext& context,
                                   const LedgerLock& held) const {
  AppendResult result;
  if (!held.error().empty()) {
    result.error = held.error();
    result.failure = held.not_regular() ? PreserveFailure::not_regular : PreserveFailure::store;
    return result;
  }
  if (drafts.empty()) return result;
  LedgerState state = read_state(root_);
  if (!state.error.empty()) {
    const bool damaged = state.failure == PreserveFailure::damaged;
    result.error = root_.string() + ": refusing to append: " + state.error + (damaged ? std::string(kRunVerify) : "");
    result.failure = state.failure;
    return result;
  }
  if (StoreCheck signing = signing_check(root_, state.cp, signer_); signing.failure != PreserveFailure::none) {
    result.error = signing.error;
    result.failure = signing.failure;
    return result;
  }
  const std::string now = format_utc(clock_.now());
  const std::string host = identity_.host();
  const std::string user = identity_.user();
  std::string lines;
  for (const RecordDraft& d : drafts) {
    CustodyRecord r{state.last_seq + 1, d.event,      d.artifact,       d.sha256,        d.size, now, tool_, host, user,
                    context.run_id,     context.step, context.incident, state.last_hash, {}};
    r.hash = compute_record_hash(r);
    std::string line = record_line(r);
    state.tree.add(merkle_leaf_hash(line));
    if (state.first_hash.empty()) state.first_hash = r.hash;
    state.last_hash = r.hash;
    state.last_seq = r.seq;
    lines += line + "\n";
    result.records.push_back(std::move(r));
  }
  const auto ledger = custody_path(root_);
  AppendFile opened = open_for_append(ledger);
  if (!opened.fd.valid()) {
    result.records.clear();
    result.error = opened.error;
    result.failure = opened.failure;
    return result;
  }
  const Fd& fd = opened.fd;
  struct stat before {};
  std::error_code ec = ::fstat(fd.get(), &before) == 0 ? write_all(fd.get(), lines) : last_error();
  if (!ec) ec = fsync_fd(fd.get());
  if (!ec) ec = fsync_dir(root_);
  if (ec) {
    // Cut a partial write back off so the ledger never ends in a torn record.
    if (::ftruncate(fd.get(), before.st_size) == 0) fsync_fd(fd.get());
    result.records.clear();
    result.error = ledger.string() + ": cannot append: " + ec.message();
    result.failure = PreserveFailure::store;
    return result;
  }
  Checkpoint cp{state.tree.size(),           state.last_hash, to_hex(state.tree.root()),
                origin_for(state.first_hash), std::nullopt,    std::nullopt};
  if (signer_ != nullptr) {
    cp.signature = base64_encode(signer_->sign(checkpoint_text(cp)));
    cp.key_id = signer_->key_id();
  }
  if (auto cp_ec = replace_file_atomically(checkpoint_path(root_), checkpoint_json(cp))) {
    result.error = checkpoint_path(root_).string() +
                   ": records appended but the checkpoint could not be written: " + cp_ec.message();
  }
  return result;
}

}  // namespace writ::evidence
