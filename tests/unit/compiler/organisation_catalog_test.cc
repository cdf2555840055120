// Organisation catalogs (`--catalog`, DESIGN §17): they add actions, types, channels and roles
// to the stdlib's, which runbooks are then checked against; a name the stdlib or an earlier
// catalog file declares, and a runbook, policy or default event inside one, are errors.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "compiler/dsl/parser.h"
#include "compiler/organisation_catalog.h"
#include "compiler/pipeline.h"

using namespace writ;

namespace {

const std::string kData = WRIT_SOURCE_DIR "/tests/data/syntax/";

struct Loaded {
  Catalog catalog;
  DiagnosticSink sink;
};

std::unique_ptr<Loaded> load(std::vector<std::string> catalogs) {
  auto out = std::make_unique<Loaded>();
  out->catalog = load_catalog(CatalogInputs{WRIT_SOURCE_DIR "/stdlib", std::move(catalogs), {}}, out->sink);
  return out;
}

std::vector<std::string> messages(const DiagnosticSink& sink) {
  std::vector<std::string> out;
  for (const auto& d : sink.diagnostics()) {
    auto at = d.source && !d.whole_file ? d.source->locate(d.span.begin) : LineCol{0, 0};
    out.push_back(std::to_string(at.line) + ":" + std::to_string(at.column) + " " + d.message);
  }
  return out;
}

ast::File parse(const std::string& path, const std::string& text, DiagnosticSink& sink) {
  auto source = std::make_shared<const SourceFile>(path, text);
  auto file = parse_dsl(source, sink);
  file.source = source;
  return file;
}

}  // namespace

TEST_CASE("organisation catalog: its declarations join the stdlib's and runbooks use them", "[catalog]") {
  auto loaded = load({kData + "catalog_org.writ"});
  INFO(messages(loaded->sink).size());
  REQUIRE(loaded->sink.diagnostics().empty());
  const Catalog& catalog = loaded->catalog;
  CHECK(catalog.actions.at("freeze_card").inverse == "unfreeze_card");
  CHECK(catalog.actions.at("take_snapshot").params.at(0).type == expr::Type::nominal("cloud_resource"));
  CHECK(catalog.actions.contains("isolate_host"));
  CHECK(catalog.nominals.contains("cost_center"));
  CHECK(catalog.enums.at("role").contains("fraud_desk"));
  CHECK(catalog.enums.at("role").contains("ciso"));
  CHECK(catalog.enums.at("channel").contains("signal"));

  auto compiled = compile_file(kData + "pass_organisation_catalog.writ", catalog, CompileOptions{});
  CHECK_FALSE(compiled.has_errors());
}

TEST_CASE("organisation catalog: a policy file may name its roles (catalogs are read first)", "[catalog]") {
  DiagnosticSink sink;
  auto catalog = load_catalog(
      CatalogInputs{WRIT_SOURCE_DIR "/stdlib", {kData + "catalog_org.writ"}, {kData + "catalog_org_policy.writ"}}, sink);
  INFO(messages(sink).size());
  REQUIRE(sink.diagnostics().empty());
  CHECK(catalog.policy().name == "fraud");
  CHECK(catalog.policy().severities.at("high").effects.contains("recover"));
  CHECK(catalog.policy().severities.at("medium").roles == std::vector<std::string>{"fraud_desk"});

  DiagnosticSink without;
  load_catalog(WRIT_SOURCE_DIR "/stdlib", {kData + "catalog_org_policy.writ"}, without);
  REQUIRE(without.has_errors());
  CHECK(messages(without).front() == "5:31 unknown role `fraud_desk`");
}

TEST_CASE("organisation catalog: stdlib names and misplaced declarations are errors with positions", "[catalog]") {
  auto loaded = load({kData + "catalog_collision.writ"});
  CHECK(messages(loaded->sink) == std::vector<std::string>{
                                      "3:6 type `host` is already declared by the stdlib",
                                      "4:6 role `ciso` is already declared by the stdlib",
                                      "5:9 channel `slack` is already declared by the stdlib",
                                      "7:8 action `isolate_host` is already declared by the stdlib",
                                      "18:1 a runbook in a `--catalog` file is not checked there",
                                      "12:8 policy `lax` in a `--catalog` file does not apply",
                                      "16:1 a `--catalog` file cannot replace the default event schema",
                                  });
  const auto& first = loaded->sink.diagnostics().front();
  REQUIRE(first.notes.size() == 1);
  CHECK(first.notes[0].source->path().ends_with("stdlib/types.writ"));
}

TEST_CASE("organisation catalog: two catalog files may not declare the same name", "[catalog]") {
  DiagnosticSink sink;
  std::vector<ast::File> stdlib;
  stdlib.push_back(parse("std.writ", "type host\nrole ciso\n", sink));
  std::vector<ast::File> org;
  org.push_back(parse("a.writ", "type badge\naction ping(target: host) {\n  effect observe\n  doc \"p\"\n}\n", sink));
  org.push_back(parse("b.writ", "role ciso_deputy\naction ping(target: badge) {\n  effect observe\n  doc \"q\"\n}\n", sink));
  REQUIRE(sink.diagnostics().empty());
  check_organisation_catalogs(stdlib, org, sink);
  REQUIRE(sink.diagnostics().size() == 1);
  const auto& d = sink.diagnostics()[0];
  CHECK(d.message == "action `ping` is already declared by another catalog file");
  CHECK(d.source->path() == "b.writ");
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes[0].source->path() == "a.writ");
}

TEST_CASE("organisation catalog: a path that holds no .writ catalog is a whole-file error", "[catalog]") {
  auto loaded = load({kData + "pass_minimal.yaml"});
  REQUIRE(loaded->sink.diagnostics().size() == 1);
  const auto& d = loaded->sink.diagnostics()[0];
  CHECK(d.whole_file);
  CHECK(d.source->path().ends_with("pass_minimal.yaml"));
  CHECK(d.message == "a catalog file is written in the stdlib's syntax and named *.writ");
  auto empty = load({WRIT_SOURCE_DIR "/tests/data/seed"});  // YAML runbooks only
  REQUIRE(empty->sink.diagnostics().size() == 1);
  CHECK(empty->sink.diagnostics()[0].message == "no catalog (*.writ) files below this directory");
}
