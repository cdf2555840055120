// Canonical IR JSON (compiler/ir_json.cc): the issue-18 keys appear only when used, so the
// digest of a runbook without the constructs is what it was before they existed.
#include <catch2/catch.hpp>

#include "compiler/ir_json.h"

using namespace writ;

namespace {

expr::NodePtr path(std::vector<std::string> segments, expr::Type type) {
  auto node = std::make_shared<expr::Node>();
  node->kind = expr::Node::Kind::Path;
  node->path = std::move(segments);
  node->type = std::move(type);
  return node;
}

ir::Step step(std::string id, std::string action) {
  ir::Step out;
  out.id = std::move(id);
  out.action = std::move(action);
  out.effect = "collect";
  return out;
}

}  // namespace

TEST_CASE("IR JSON: the constructs' keys appear only when set", "[ir]") {
  ir::Runbook runbook;
  runbook.id = "rb";
  runbook.steps.push_back(step("plain", "collect_logs"));
  auto json = ir::to_json(runbook);
  for (const char* key : {"for_each", "parallel", "task", "returns"}) CHECK_FALSE(json["steps"][0].contains(key));

  auto& s = runbook.steps.front();
  auto user = expr::Type::nominal("user");
  s.for_each = ir::ForEach{path({"event", "users"}, expr::Type::list(user)), "u"};
  s.parallel_block = 2;
  s.task = ir::Task{"ir_lead", 7200};
  json = ir::to_json(runbook)["steps"][0];
  CHECK(json["for_each"]["as"] == "u");
  CHECK(json["for_each"]["list"]["path"] == nlohmann::json::array({"event", "users"}));
  CHECK(json["parallel"] == 2);
  CHECK(json["task"] == nlohmann::json{{"assignee", "ir_lead"}, {"within_seconds", 7200}});
}

TEST_CASE("IR JSON: a step's returns appear when a later step reads them", "[ir]") {
  ir::Runbook runbook;
  runbook.id = "rb";
  auto image = step("image", "trigger_forensic_imaging");
  image.returns = {{"image_id", expr::Type::of(expr::Type::Kind::String)}};
  runbook.steps.push_back(image);
  runbook.steps.push_back(step("ticket", "open_ticket"));
  std::string unread = ir::digest(runbook);
  CHECK_FALSE(ir::to_json(runbook)["steps"][0].contains("returns"));

  runbook.steps[1].args.push_back(
      {"summary", path({"steps", "image", "outputs", "image_id"}, expr::Type::of(expr::Type::Kind::String))});
  auto json = ir::to_json(runbook);
  CHECK(json["steps"][0]["returns"] == nlohmann::json{{"image_id", "string"}});
  CHECK(ir::digest(runbook) != unread);
}
