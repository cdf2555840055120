#include "runtime/evidence_sink.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/evidence_store.h"
#include "runtime/evidence/signing.h"
#include "unit/runtime/evidence/evidence_test_support.h"

namespace {

using namespace writ::runtime;
using writ::evidence::testing::ScratchDir;
using writ::evidence::testing::write_file;
namespace fs = std::filesystem;

}  // namespace

TEST_CASE("evidence roots round-trip through the journal's run_started data", "[runtime][evidence]") {
  EvidenceRoots roots{{"/evidence"}, {"/evidence/hosts", "/var/ir"}, {}};
  auto j = roots.to_json();
  CHECK(j == nlohmann::json::parse(R"({"policy": ["/evidence"], "connectors": ["/evidence/hosts", "/var/ir"]})"));
  auto back = EvidenceRoots::from_json(j);
  REQUIRE(back);
  CHECK(back->policy == roots.policy);
  CHECK(back->connectors == roots.connectors);
  CHECK_FALSE(EvidenceRoots::from_json(nullptr));
  CHECK_FALSE(EvidenceRoots::from_json({{"policy", {1}}, {"connectors", nlohmann::json::array()}}));
}

TEST_CASE("artifact paths must satisfy the policy's roots and the connectors file's", "[runtime][evidence]") {
  const EvidenceRoots both{{"/evidence"}, {"/evidence/hosts"}, {}};
  CHECK_FALSE(check_artifact_path("/evidence/hosts/ws-042/auth.log", both));
  CHECK(check_artifact_path("/evidence/other.log", both) ==
        "artifact path \"/evidence/other.log\" lies outside the evidence roots (/evidence/hosts) of the connectors file");
  CHECK(check_artifact_path("/var/log/auth.log", EvidenceRoots{{"/evidence"}, {}, {}}) ==
        "artifact path \"/var/log/auth.log\" lies outside the evidence roots (/evidence) of the policy");
  CHECK_FALSE(check_artifact_path("/var/log/auth.log", EvidenceRoots{}));
  CHECK(check_artifact_path("var/log/auth.log", EvidenceRoots{}) == "artifact path \"var/log/auth.log\" is not absolute");
}

TEST_CASE("the store sink confines what it preserves and says before a run when it cannot append",
          "[runtime][evidence]") {
  ScratchDir dir;
  ManualClock clock;
  fs::create_directories(dir / "host" / "logs");
  fs::create_directories(dir / "elsewhere");
  write_file(dir / "host" / "logs" / "auth.log", "inside");
  write_file(dir / "elsewhere" / "auth.log", "OUTSIDE");
  fs::create_directory_symlink(dir / "elsewhere", dir / "host" / "link");
  StoreEvidenceSink sink(dir / "ev", clock, "writ test", EvidenceRoots{{(dir / "host").string()}, {}, {}});
  CHECK(sink.preserve((dir / "host" / "logs" / "auth.log").string(), "run-1", "s", "").preserved);
  auto out = sink.preserve((dir / "host" / "link" / "auth.log").string(), "run-1", "s", "");
  CHECK_FALSE(out.preserved);
  CHECK_THAT(out.error, Catch::Contains((dir / "host" / "link").string() + " is a symbolic link"));
  out = sink.preserve((dir / "elsewhere" / "auth.log").string(), "run-1", "s", "");
  CHECK_THAT(out.error, Catch::Contains("lies outside the evidence roots"));
  CHECK_FALSE(sink.check_ready());

  // Signed by a key the run does not have: said before the run starts, with the way out.
  auto key = writ::evidence::Ed25519PrivateKey::generate();
  StoreEvidenceSink signed_sink(dir / "ev2", clock, "writ test", {}, &key);
  REQUIRE(signed_sink.preserve((dir / "host" / "logs" / "auth.log").string(), "run-1", "s", "").preserved);
  StoreEvidenceSink unsigned_sink(dir / "ev2", clock, "writ test");
  auto why = unsigned_sink.check_ready();
  REQUIRE(why);
  CHECK_THAT(*why, Catch::Contains("the store is signed (by key " + key.key_id() + ")") &&
                       Catch::Contains("--key PRIVATE.pem or as signing_key in the connectors file"));
  CHECK_FALSE(signed_sink.check_ready());
}

TEST_CASE("a tabletop's host image stands for / and is journaled only when set", "[runtime][evidence]") {
  ScratchDir dir;
  ManualClock clock;
  fs::create_directories(dir / "image" / "var" / "forensics");
  write_file(dir / "image" / "var" / "forensics" / "disk.raw", "staged");
  const EvidenceRoots roots{{"/var/forensics"}, {}, (dir / "image").string()};
  auto back = EvidenceRoots::from_json(roots.to_json());
  REQUIRE(back);
  CHECK(back->host_root == roots.host_root);
  CHECK_FALSE(EvidenceRoots{}.to_json().contains("host_root"));
  CHECK_FALSE(EvidenceRoots::from_json({{"policy", {}}, {"connectors", {}}, {"host_root", "relative"}}));

  StoreEvidenceSink sink(dir / "ev", clock, "writ test", roots);
  const auto out = sink.preserve("/var/forensics/disk.raw", "run-1", "s", "");
  REQUIRE(out.preserved);
  CHECK(out.sha256 == "8d906d61f92c9696387e566ecee255b733c79536074173a8eab915bad2d1fa28");
  // Confinement applies to the path as the runbook names it, before the image is consulted.
  CHECK_THAT(sink.preserve("/etc/passwd", "run-1", "s", "").error, Catch::Contains("lies outside the evidence roots"));
  CHECK_FALSE(check_artifact_path("/var/forensics/disk.raw", roots));
}
