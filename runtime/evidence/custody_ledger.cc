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
  std::vector<Digest> leaves;
  std::string first_hash;  // hash of record 1, names the log in the checkpoint origin
  std::string last_hash = std::string(kZeroHash);
  std::uint64_t last_seq = 0;
  std::string error;
};

std::string read_small_file(const std::filesystem::path& path, bool& exists) {
  Fd fd = open_fd(path, O_RDONLY | O_NOFOLLOW);
  exists = fd.valid() || errno != ENOENT;
  std::string out;
  if (!fd.valid()) return out;
  char buf[4096];
  for (;;) {
    long n = read_full(fd.get(), std::span(reinterpret_cast<std::uint8_t*>(buf), sizeof buf));
    if (n <= 0 || out.size() > 64 * 1024) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Records beyond the checkpoint are the residue of an append interrupted before its checkpoint
// was written; they are accepted only if they extend the chain exactly.
std::string check_uncovered(const CustodyRecord& r, std::uint64_t line, const LedgerState& state) {
  if (r.seq != line || r.prev != state.last_hash || compute_record_hash(r) != r.hash) {
    return "custody.jsonl:" + std::to_string(line) + " is not covered by checkpoint.json and does not extend the chain";
  }
  return {};
}

std::string scan_records(int fd, const std::optional<Checkpoint>& cp, LedgerState& state) {
  LineReader reader(fd);
  while (auto line = reader.next()) {
    const std::string where = "custody.jsonl:" + std::to_string(line->number);
    if (!line->terminated) return where + " is an incomplete record (no newline)";
    if (line->too_long) return where + " is too long to be a record";
    state.leaves.push_back(merkle_leaf_hash(line->text));
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

LedgerState read_state(const std::filesystem::path& root) {
  LedgerState state;
  bool cp_exists = false;
  std::string cp_text = read_small_file(checkpoint_path(root), cp_exists);
  std::optional<Checkpoint> cp;
  if (cp_exists) {
    ParsedCheckpoint parsed = parse_checkpoint(cp_text);
    if (!parsed.checkpoint) {
      state.error = "checkpoint.json is malformed: " + parsed.error;
      return state;
    }
    cp = parsed.checkpoint;
  }
  Fd fd = open_fd(custody_path(root), O_RDONLY | O_NOFOLLOW);
  if (!fd.valid() && errno != ENOENT) {
    state.error = "cannot open custody.jsonl: " + last_error().message();
    return state;
  }
  if (fd.valid()) state.error = scan_records(fd.get(), cp, state);
  if (!state.error.empty()) return state;
  const std::uint64_t count = state.leaves.size();
  if (!cp && count > 0) {
    state.error = "custody.jsonl has records but checkpoint.json is missing";
  } else if (cp && cp->size > count) {
    state.error = "custody.jsonl holds " + std::to_string(count) + " records but checkpoint.json covers " +
                  std::to_string(cp->size) + " (records were removed)";
  } else if (cp && to_hex(merkle_root(std::span(state.leaves).first(cp->size))) != cp->root) {
    state.error = "checkpoint.json root does not match custody.jsonl";
  }
  return state;
}

}  // namespace

LedgerLock::LedgerLock(const std::filesystem::path& root) {
  if (auto ec = make_dirs(root)) {
    error_ = root.string() + ": cannot create the evidence directory: " + ec.message();
    return;
  }
  lock_ = std::make_unique<FileLock>(root / ".lock", kLockTimeout);
  if (lock_->error())
    error_ = (root / ".lock").string() + ": cannot lock the custody ledger: " + lock_->error().message();
}

LedgerLock::~LedgerLock() = default;

LedgerReadLock::LedgerReadLock(const std::filesystem::path& root)
    : lock_(std::make_unique<FileLock>(root / ".lock", kLockTimeout, FileLock::Mode::shared)) {}

LedgerReadLock::~LedgerReadLock() = default;

CustodyLedger::CustodyLedger(std::filesystem::path root, const Clock& clock, const Identity& identity, std::string tool,
                             const CheckpointSigner* signer)
    : root_(std::move(root)), clock_(clock), identity_(identity), tool_(std::move(tool)), signer_(signer) {}

AppendResult CustodyLedger::append(std::span<const RecordDraft> drafts, const CustodyContext& context) const {
  LedgerLock lock(root_);
  return append(drafts, context, lock);
}

AppendResult CustodyLedger::append(std::span<const RecordDraft> drafts, const CustodyContext& context,
                                   const LedgerLock& held) const {
  AppendResult result;
  if (!held.error().empty()) {
    result.error = held.error();
    return result;
  }
  if (drafts.empty()) return result;
  LedgerState state = read_state(root_);
  if (!state.error.empty()) {
    result.error = root_.string() + ": refusing to append: " + state.error + std::string(kRunVerify);
    result.ledger_damaged = true;
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
    state.leaves.push_back(merkle_leaf_hash(line));
    if (state.first_hash.empty()) state.first_hash = r.hash;
    state.last_hash = r.hash;
    state.last_seq = r.seq;
    lines += line + "\n";
    result.records.push_back(std::move(r));
  }
  const auto ledger = custody_path(root_);
  Fd fd = open_fd(ledger, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644);
  struct stat before {};
  std::error_code ec = fd.valid() && ::fstat(fd.get(), &before) == 0 ? write_all(fd.get(), lines) : last_error();
  if (!ec) ec = fsync_fd(fd.get());
  if (!ec) ec = fsync_dir(root_);
  if (ec) {
    // Cut a partial write back off so the ledger never ends in a torn record.
    if (fd.valid() && ::ftruncate(fd.get(), before.st_size) == 0) fsync_fd(fd.get());
    result.records.clear();
    result.error = ledger.string() + ": cannot append: " + ec.message();
    return result;
  }
  Checkpoint cp{state.leaves.size(),          state.last_hash, to_hex(merkle_root(state.leaves)),
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
