// The catalog built from declarations (compiler/catalog.cc): action outputs (`returns`), the
// `manual` effect and the built-in `task` action (DESIGN §17).
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "compiler/catalog.h"
#include "compiler/dsl/parser.h"
#include "compiler/pipeline.h"

using namespace writ;

namespace {

struct Built {
  Catalog catalog;
  DiagnosticSink sink;
  std::string messages() const {
    std::string out;
    for (const auto& d : sink.diagnostics()) out += d.message + "\n";
    return out;
  }
};

std::unique_ptr<Built> build(const std::string& text) {
  auto out = std::make_unique<Built>();
  out->catalog = load_catalog(WRIT_SOURCE_DIR "/stdlib", {}, out->sink);
  auto source = std::make_shared<const SourceFile>("org.writ", text);
  ast::File file = parse_dsl(source, out->sink);
  file.source = source;
  add_declarations(out->catalog, file, out->sink);
  return out;
}

}  // namespace

TEST_CASE("catalog: an action's returns are typed outputs in declaration order", "[catalog]") {
  auto built = build(
      "action take_snapshot(target: cloud_resource) {\n"
      "  effect  collect\n"
      "  returns { snapshot_id: string, size: int\n"
      "            volumes: list<string> }\n"
      "  doc     \"Snapshot a resource\"\n"
      "}\n");
  INFO(built->messages());
  REQUIRE(built->sink.diagnostics().empty());
  const auto& returns = built->catalog.actions.at("take_snapshot").returns;
  REQUIRE(returns.size() == 3);
  CHECK(returns[0].name == "snapshot_id");
  CHECK(returns[0].type == expr::Type::of(expr::Type::Kind::String));
  CHECK(returns[1].type == expr::Type::of(expr::Type::Kind::Int));
  CHECK(returns[2].type.to_string() == "list<string>");
}

TEST_CASE("catalog: a repeated output or an unknown output type is reported", "[catalog]") {
  auto built = build(
      "action probe(target: host) {\n"
      "  effect  observe\n"
      "  returns { id: string, id: int, owner: hots }\n"
      "  doc     \"Probe a host\"\n"
      "}\n");
  std::string messages = built->messages();
  CHECK(messages.find("action `probe` declares the output `id` twice") != std::string::npos);
  CHECK(messages.find("unknown type `hots`") != std::string::npos);
  CHECK(built->catalog.actions.at("probe").returns.size() == 2);
}

TEST_CASE("catalog: the stdlib's task is manual and imaging returns an image id", "[catalog]") {
  auto built = build("");
  REQUIRE(built->sink.diagnostics().empty());
  const auto& task = built->catalog.actions.at(std::string(kTaskAction));
  CHECK(task.effect == "manual");
  REQUIRE(task.params.size() == 1);
  CHECK(task.params[0].name == "instructions");
  CHECK(built->catalog.effects.contains("manual"));
  const auto& imaging = built->catalog.actions.at("trigger_forensic_imaging").returns;
  REQUIRE(imaging.size() == 1);
  CHECK(imaging[0].name == "image_id");
  CHECK(built->catalog.actions.at("open_ticket").returns.at(0).type == expr::Type::nominal("ticket"));
}

TEST_CASE("catalog: an organisation action's outputs are readable by later steps", "[catalog]") {
  auto built = build(
      "action take_snapshot(target: cloud_resource) {\n"
      "  effect  collect\n"
      "  returns { snapshot_id: string }\n"
      "  doc     \"Snapshot a resource\"\n"
      "}\n");
  REQUIRE(built->sink.diagnostics().empty());
  auto source = std::make_shared<const SourceFile>(
      "r.writ",
      "runbook r {\n  title \"t\"\n  severity low\n  event { res: cloud_resource }\n"
      "  step snap = take_snapshot(target: event.res)\n"
      "  step note = open_ticket(summary: \"snapshot {{ steps.snap.outputs.snapshot_id }}\") {\n"
      "    when steps.snap.status == \"executed\"\n  }\n}\n");
  auto compiled = compile_source(source, built->catalog, CompileOptions{});
  CHECK_FALSE(compiled.has_errors());
  REQUIRE(compiled.runbooks.size() == 1);
  CHECK(compiled.runbooks[0].steps[0].returns.at(0).name == "snapshot_id");
}
