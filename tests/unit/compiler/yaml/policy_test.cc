// The YAML form of a policy (top-level `policy`): it loads into the PolicyDecl the DSL would
// build, with exact spans; as a --policy file it becomes the active policy and changes what
// approval-coverage demands; mistakes are unknown-key / syntax findings at the right place.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "compiler/pipeline.h"
#include "compiler/yaml/loader.h"

using namespace writ;

namespace {

const char* const kStrict = R"(policy:
  name: strict
  severities:
    low: {}
    medium:   {approvers: [ir_lead], effects: [contain, collect, eradicate]}
    high:     {approvers: [ciso], effects: [contain, collect, eradicate]}
    critical: {approvers: [ciso, legal], effects: [contain, collect, eradicate, notify]}
  approval_timeout_minutes: 30
  step_timeout_minutes: 20
  asap_hours: 24
  evidence_roots: ["/evidence", "/var/ir"]
)";

// Passes the default policy (which needs no approval for `notify`), not the strict one.
const char* const kNotifyRunbook = R"(playbooks:
  critical:
    name: "Tell the CISO"
    steps:
      - action: notify_ciso_and_legal
        channels: [slack]
)";

struct Loaded {
  SourcePtr source;
  DiagnosticSink sink;
  ast::File file;

  const std::vector<Diagnostic>& diagnostics() const { return sink.diagnostics(); }
  std::string text(Span span) const { return source->text().substr(span.begin, span.end - span.begin); }
  LineCol at(Span span) const { return source->locate(span.begin); }
};

std::unique_ptr<Loaded> load(std::string text) {
  auto out = std::make_unique<Loaded>();
  out->source = std::make_shared<const SourceFile>("policy.yaml", std::move(text));
  out->file = load_yaml(out->source, out->sink, Limits{});
  return out;
}

// A file in the temp directory, removed when it goes out of scope.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_(std::filesystem::temp_directory_path() / ("writ_yaml_policy_test_" + name)) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

bool has_rule(const CompiledFile& compiled, Rule rule) {
  return std::any_of(compiled.diagnostics.begin(), compiled.diagnostics.end(),
                     [&](const Diagnostic& d) { return d.rule == rule; });
}

CompiledFile compile(const std::string& text, const Catalog& catalog) {
  auto source = std::make_shared<const SourceFile>("runbook.yaml", text);
  return compile_source(source, catalog, CompileOptions{Limits{}, true, "2024-01-01"});
}

}  // namespace

TEST_CASE("a YAML policy loads into a PolicyDecl with exact spans", "[yaml]") {
  auto l = load(kStrict);
  INFO(l->diagnostics().size());
  REQUIRE(l->diagnostics().empty());
  CHECK(l->file.runbooks.empty());
  REQUIRE(l->file.policies.size() == 1);
  const ast::PolicyDecl& p = l->file.policies[0];
  CHECK(p.name.value == "strict");
  CHECK(l->text(p.name.span) == "strict");
  CHECK(l->at(p.span).line == 1);
  CHECK(l->text(p.span).starts_with("policy:\n  name: strict"));
  CHECK(l->text(p.span).ends_with("\"/var/ir\"]"));

  REQUIRE(p.severities.size() == 4);
  CHECK(p.severities[0].severity.value == "low");
  CHECK(p.severities[0].roles.empty());
  CHECK(p.severities[0].effects.empty());
  CHECK(l->text(p.severities[0].span) == "low: {}");
  const ast::SeverityRule& critical = p.severities[3];
  CHECK(critical.severity.value == "critical");
  CHECK(l->at(critical.severity.span).line == 7);
  CHECK(l->at(critical.severity.span).column == 5);
  REQUIRE(critical.roles.size() == 2);
  CHECK(critical.roles[1].value == "legal");
  CHECK(l->text(critical.roles[1].span) == "legal");
  REQUIRE(critical.effects.size() == 4);
  CHECK(critical.effects[3].value == "notify");
  CHECK(l->at(critical.effects[3].span).column == 81);

  REQUIRE(p.approval_timeout_seconds);
  CHECK(p.approval_timeout_seconds->value == 30 * 60);
  CHECK(l->text(p.approval_timeout_seconds->span) == "30");
  REQUIRE(p.step_timeout_seconds);
  CHECK(p.step_timeout_seconds->value == 20 * 60);
  REQUIRE(p.asap_seconds);
  CHECK(p.asap_seconds->value == 24 * 3600);
  CHECK(l->at(p.asap_seconds->span).line == 10);
  REQUIRE(p.evidence_roots.size() == 2);
  CHECK(p.evidence_roots[1].value == "/var/ir");
  CHECK(l->text(p.evidence_roots[1].span) == "\"/var/ir\"");
}

TEST_CASE("a YAML policy may sit beside playbooks", "[yaml]") {
  auto l = load(std::string(kNotifyRunbook) + "policy:\n  name: p\n  evidence_roots: /evidence\n");
  REQUIRE(l->diagnostics().empty());
  REQUIRE(l->file.runbooks.size() == 1);
  REQUIRE(l->file.policies.size() == 1);
  CHECK(l->file.policies[0].severities.empty());
  REQUIRE(l->file.policies[0].evidence_roots.size() == 1);
  CHECK(l->file.policies[0].evidence_roots[0].value == "/evidence");
  CHECK_FALSE(l->file.policies[0].approval_timeout_seconds);
}

TEST_CASE("a YAML --policy file becomes the active policy", "[yaml]") {
  DiagnosticSink default_sink;
  Catalog defaults = load_catalog(WRIT_SOURCE_DIR "/stdlib", {}, default_sink);
  REQUIRE_FALSE(default_sink.has_errors());
  CHECK(defaults.policy().name == "default");

  TempFile policy("strict.yaml", kStrict);
  DiagnosticSink sink;
  Catalog strict = load_catalog(WRIT_SOURCE_DIR "/stdlib", {policy.path()}, sink);
  REQUIRE_FALSE(sink.has_errors());
  CHECK(strict.active_policy == "strict");
  const PolicyInfo& info = strict.policy();
  CHECK(info.name == "strict");
  CHECK(info.approval_timeout_seconds == 30 * 60);
  CHECK(info.step_timeout_seconds == 20 * 60);
  CHECK(info.asap_seconds == 24 * 3600);
  CHECK(info.evidence_roots == std::vector<std::string>{"/evidence", "/var/ir"});
  CHECK(info.severity_order == std::vector<std::string>{"low", "medium", "high", "critical"});
  CHECK(info.severities.at("critical").roles == std::vector<std::string>{"ciso", "legal"});
  CHECK(info.severities.at("critical").effects.contains("notify"));
  CHECK(info.severities.at("low").roles.empty());

  CompiledFile under_default = compile(kNotifyRunbook, defaults);
  CHECK_FALSE(under_default.has_errors());
  CompiledFile under_strict = compile(kNotifyRunbook, strict);
  CHECK(under_strict.has_errors());
  CHECK(has_rule(under_strict, Rule::ApprovalCoverage));
}

TEST_CASE("a YAML policy naming an unknown role fails the catalog at that role", "[yaml]") {
  TempFile policy("bad_role.yaml",
                  "policy:\n  name: p\n  severities:\n    high: {approvers: [cisco], effects: [contain]}\n");
  DiagnosticSink sink;
  load_catalog(WRIT_SOURCE_DIR "/stdlib", {policy.path()}, sink);
  REQUIRE(sink.has_errors());
  const Diagnostic& d = sink.diagnostics().back();
  CHECK(d.message == "unknown role `cisco`");
  REQUIRE(d.source);
  CHECK(d.source->path() == policy.path());
  CHECK(d.source->locate(d.span.begin).line == 4);
  CHECK(d.source->locate(d.span.begin).column == 24);
}

TEST_CASE("approver_identity: YAML and DSL reach the active policy; other values are errors", "[yaml]") {
  auto l = load("policy:\n  name: p\n  approver_identity: required\n");
  REQUIRE(l->diagnostics().empty());
  REQUIRE(l->file.policies.at(0).approver_identity);
  CHECK(l->file.policies.at(0).approver_identity->value == "required");
  CHECK(l->at(l->file.policies.at(0).approver_identity->span).column == 22);

  DiagnosticSink default_sink;
  CHECK_FALSE(load_catalog(WRIT_SOURCE_DIR "/stdlib", {}, default_sink).policy().approver_identity_required);
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"identity.yaml", "policy:\n  name: p\n  approver_identity: required\n"},
           {"identity.writ", "policy p {\n  approver_identity required\n}\n"}}) {
    INFO(name);
    TempFile policy(name, text);
    DiagnosticSink sink;
    const Catalog catalog = load_catalog(WRIT_SOURCE_DIR "/stdlib", {policy.path()}, sink);
    REQUIRE_FALSE(sink.has_errors());
    CHECK(catalog.policy().approver_identity_required);
  }
  TempFile optional("optional.yaml", "policy:\n  name: p\n  approver_identity: optional\n");
  DiagnosticSink optional_sink;
  CHECK_FALSE(load_catalog(WRIT_SOURCE_DIR "/stdlib", {optional.path()}, optional_sink).policy().approver_identity_required);

  for (const auto& [name, text, message, column] : std::vector<std::tuple<std::string, std::string, std::string, int>>{
           {"typo.yaml", "policy:\n  name: p\n  approver_identity: requird\n",
            "unknown approver_identity `requird`; did you mean `required`?", 22},
           {"typo.writ", "policy p {\n  approver_identity optinal\n}\n",
            "unknown approver_identity `optinal`; did you mean `optional`?", 21},
           {"other.yaml", "policy:\n  name: p\n  approver_identity: always\n",
            "unknown approver_identity `always`; expected `required` or `optional`", 22}}) {
    INFO(name);
    TempFile policy(name, text);
    DiagnosticSink sink;
    const Catalog catalog = load_catalog(WRIT_SOURCE_DIR "/stdlib", {policy.path()}, sink);
    REQUIRE(sink.has_errors());
    const Diagnostic& d = sink.diagnostics().back();
    CHECK(d.message == message);
    CHECK(d.source->path() == policy.path());
    CHECK(d.source->locate(d.span.begin).column == column);
    CHECK(catalog.policy().approver_identity_required);  // an unreadable value counts as the stricter one
  }
  auto listed = load("policy:\n  name: p\n  approver_identity: [required]\n");
  REQUIRE(listed->diagnostics().size() == 1);
  CHECK(listed->diagnostics()[0].rule == Rule::Syntax);
  CHECK(listed->text(listed->diagnostics()[0].span) == "[required]");
}

TEST_CASE("YAML policy mistakes are reported where they are", "[yaml]") {
  SECTION("an unknown policy key, with a did-you-mean") {
    auto l = load("policy:\n  name: p\n  aproval_timeout_minutes: 30\n");
    REQUIRE(l->diagnostics().size() == 1);
    const Diagnostic& d = l->diagnostics()[0];
    CHECK(d.rule == Rule::UnknownKey);
    CHECK(d.message == "unknown key `aproval_timeout_minutes` in `policy`");
    CHECK(l->at(d.span).line == 3);
    CHECK(l->at(d.span).column == 3);
    REQUIRE(d.help.size() == 1);
    CHECK(d.help[0] == "did you mean `approval_timeout_minutes`?");
    REQUIRE(l->file.policies.size() == 1);
    CHECK_FALSE(l->file.policies[0].approval_timeout_seconds);
  }
  SECTION("a misspelled severity key is one diagnostic") {
    auto l = load("policy:\n  name: p\n  severities:\n    high: {aprovers: [ciso], effects: [contain]}\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::UnknownKey);
    CHECK(l->diagnostics()[0].help.at(0) == "did you mean `approvers`?");
    CHECK(l->at(l->diagnostics()[0].span).column == 12);
  }
  SECTION("a misspelled name is one diagnostic") {
    auto l = load("policy:\n  nme: p\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::UnknownKey);
    CHECK(l->file.policies.empty());
  }
  SECTION("no name") {
    auto l = load("policy:\n  asap_hours: 12\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->diagnostics()[0].message == "`policy` has no `name`");
    CHECK(l->text(l->diagnostics()[0].span) == "policy");
    CHECK(l->file.policies.empty());
  }
  SECTION("policy is not a mapping") {
    auto l = load("policy: strict\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->text(l->diagnostics()[0].span) == "strict");
  }
  SECTION("severities is a list") {
    auto l = load("policy:\n  name: p\n  severities: [low, high]\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->diagnostics()[0].message.starts_with("`severities` must be a mapping"));
    CHECK(l->text(l->diagnostics()[0].span) == "[low, high]");
  }
  SECTION("a severity that is a string") {
    auto l = load("policy:\n  name: p\n  severities:\n    high: ciso\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "severity `high` must be a mapping with `approvers` and `effects`");
    CHECK(l->at(l->diagnostics()[0].span).line == 4);
    CHECK(l->at(l->diagnostics()[0].span).column == 11);
  }
  SECTION("approvers without effects") {
    auto l = load("policy:\n  name: p\n  severities:\n    high: {approvers: [ciso]}\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "severity `high` has `approvers` without `effects`");
    CHECK(l->text(l->diagnostics()[0].span) == "approvers");
  }
  SECTION("a timeout that is not a number") {
    auto l = load("policy:\n  name: p\n  step_timeout_minutes: soon\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->diagnostics()[0].message == "`step_timeout_minutes` must be a positive number of minutes");
    CHECK(l->text(l->diagnostics()[0].span) == "soon");
  }
  SECTION("evidence roots that are a mapping") {
    auto l = load("policy:\n  name: p\n  evidence_roots: {a: b}\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->at(l->diagnostics()[0].span).line == 3);
    CHECK(l->at(l->diagnostics()[0].span).column == 19);
  }
  SECTION("an approver that is not a string") {
    auto l = load("policy:\n  name: p\n  severities:\n    high: {approvers: [[ciso]], effects: [contain]}\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->text(l->diagnostics()[0].span) == "[ciso]");
  }
}

TEST_CASE("a misspelled `steps` is one diagnostic", "[yaml]") {
  auto l = load("playbooks:\n  low:\n    name: x\n    stpes:\n      - action: block_ip\n");
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::UnknownKey);
  CHECK(l->diagnostics()[0].help.at(0) == "did you mean `steps`?");
}

TEST_CASE("a YAML policy without its top-level `policy:` key says so, once", "[yaml]") {
  auto l = load("name: strict\nseverities:\n  low: {}\n  high: {approvers: [ciso], effects: [contain]}\n");
  REQUIRE(l->diagnostics().size() == 1);
  const Diagnostic& d = l->diagnostics()[0];
  CHECK(d.rule == Rule::Syntax);
  CHECK(d.message.starts_with("this policy has no top-level `policy:` key"));
  CHECK(d.message.find("playbooks") == std::string::npos);
  CHECK(l->at(d.span).line == 1);
  REQUIRE(d.help.size() == 1);
  CHECK(d.help[0].starts_with("policy:\n  name: strict\n  severities:"));
  CHECK(l->file.policies.empty());

  // Only a policy key other than `name` marks a policy: a runbook's stray `name:` keeps the
  // runbook messages, and so does a file that has any runbook key.
  auto stray = load("name: x\nstep: []\n");
  CHECK(std::none_of(stray->diagnostics().begin(), stray->diagnostics().end(),
                     [](const Diagnostic& x) { return x.message.find("`policy:`") != std::string::npos; }));
  auto runbook = load(std::string(kNotifyRunbook) + "asap_hours: 12\n");
  REQUIRE(runbook->diagnostics().size() == 1);
  CHECK(runbook->diagnostics()[0].rule == Rule::UnknownKey);
}

TEST_CASE("a --policy file that declares no policy fails the catalog", "[yaml]") {
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"runbook.yaml", kNotifyRunbook},
           {"bare.yaml", "severities:\n  low: {}\n"},
           {"actions.writ", "action ping(target: host) {\n  effect observe\n}\n"}}) {
    INFO(name);
    TempFile policy(name, text);
    DiagnosticSink sink;
    const Catalog catalog = load_catalog(WRIT_SOURCE_DIR "/stdlib", {policy.path()}, sink);
    REQUIRE(sink.has_errors());
    const auto& d = sink.diagnostics();
    CHECK(std::count_if(d.begin(), d.end(), [](const Diagnostic& x) { return x.severity == Severity::Error; }) == 1);
    CHECK(d.back().source->path() == policy.path());
    CHECK(catalog.policy().name == "default");
  }
}
