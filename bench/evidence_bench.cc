// In-process timing of the evidence store (WRIT_BENCH=ON; not a test): streams one large file
// through SHA-256 alone (what `openssl dgst -sha256` does) and through EvidenceStore::preserve
// (copy + hash + fsync + ledger append), and prints both times, their ratio and the peak RSS.
// bench/evidence_bench.sh compares the real `writ` binary with openssl and dc3dd instead.
//
//   evidence_bench [SIZE_MIB=1024] [DIR=/var/tmp/writ-evidence-bench]
#include <fcntl.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "runtime/evidence/evidence_store.h"
#include "runtime/evidence/posix_file.h"
#include "runtime/evidence/stream_copy.h"

namespace {

namespace fs = std::filesystem;
namespace ev = writ::evidence;

void make_artifact(const fs::path& path, std::uint64_t bytes) {
  if (fs::exists(path) && fs::file_size(path) == bytes) return;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
  for (std::uint64_t done = 0; done < bytes; done += 1 << 20) {
    for (auto& w : block) w = rng();
    out.write(reinterpret_cast<const char*>(block.data()),
              static_cast<std::streamsize>(std::min<std::uint64_t>(1 << 20, bytes - done)));
  }
}

template <typename F>
double seconds(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t mib = argc > 1 ? std::stoull(argv[1]) : 1024;
  const fs::path dir = argc > 2 ? argv[2] : "/var/tmp/writ-evidence-bench";
  fs::create_directories(dir);
  const fs::path artifact = dir / "artifact.bin";
  make_artifact(artifact, mib << 20);

  std::string digest;
  double hash_s = seconds([&] {
    ev::Fd fd = ev::open_fd(artifact, O_RDONLY);
    digest = writ::to_hex(ev::hash_stream(fd.get(), mib << 20, {}).digest);
  });
  hash_s = std::min(hash_s, seconds([&] {  // the first pass may have warmed the cache
                      ev::Fd fd = ev::open_fd(artifact, O_RDONLY);
                      ev::hash_stream(fd.get(), mib << 20, {});
                    }));

  const fs::path store_root = dir / "bench-store";
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(store_root, ec))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  fs::remove_all(store_root, ec);
  ev::SystemClock clock;
  ev::SystemIdentity identity;
  ev::EvidenceStore store(store_root, clock, identity);
  ev::PreserveResult result;
  const double preserve_s = seconds([&] { result = store.preserve(artifact, {}); });
  if (!result || result.preserved->sha256 != digest) {
    std::fprintf(stderr, "evidence_bench: preserve failed: %s\n", result.error.c_str());
    return 1;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("artifact       %llu MiB\n", static_cast<unsigned long long>(mib));
  std::printf("sha256 stream  %.3f s  (%.0f MiB/s)\n", hash_s, static_cast<double>(mib) / hash_s);
  std::printf("preserve       %.3f s  (%.0f MiB/s)\n", preserve_s, static_cast<double>(mib) / preserve_s);
  std::printf("ratio          %.2f (preserve / hash only)\n", preserve_s / hash_s);
  std::printf("peak RSS       %.1f MiB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
