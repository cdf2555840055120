#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/catalog.h"
#include "compiler/ir_json.h"
#include "compiler/lower.h"
#include "compiler/yaml/loader.h"
#include "tests/unit/compiler/dsl/test_support.h"

namespace writ {
namespace {

using dsl_testing::parse_text;
using dsl_testing::read_file;
using dsl_testing::source_path;

std::string format(const std::string& text, std::string path = "in.writ") {
  auto p = parse_text(text, {}, std::move(path));
  INFO(p->messages());
  REQUIRE(p->sink.diagnostics().empty());
  return print_dsl(p->file);
}

const Catalog& stdlib_catalog() {
  static const Catalog catalog = [] {
    Catalog c;
    DiagnosticSink sink;
    for (const char* name : {"types", "actions", "regulations", "policy"}) {
      auto p = dsl_testing::parse_fixture(std::string("stdlib/") + name + ".writ");
      add_declarations(c, p->file, sink);
    }
    return c;
  }();
  return catalog;
}

std::vector<std::string> digests(const ast::File& file, const Catalog& catalog = stdlib_catalog()) {
  std::vector<std::string> out;
  DiagnosticSink sink;
  for (const auto& rb : file.runbooks) out.push_back(ir::digest(lower_runbook(rb, file, catalog, sink)));
  return out;
}

std::vector<std::string> files_in(const std::string& relative, const std::string& extension) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(source_path(relative))) {
    if (entry.path().extension() == extension) out.push_back(relative + "/" + entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("DSL printer: a policy with approver_identity, from the DSL and from YAML", "[dsl]") {
  const std::string expected =
      "policy p {\n"
      "  severity critical { approve ciso, legal for contain }\n"
      "  approval_timeout  30m\n"
      "  evidence_roots    \"/evidence\"\n"
      "  approver_identity required\n"
      "}\n";
  CHECK(format("policy p {severity critical{approve ciso,legal for contain};approver_identity   required\n"
               "approval_timeout 30m; evidence_roots \"/evidence\"}\n") == expected);
  CHECK(format(expected) == expected);
  auto source = std::make_shared<const SourceFile>(
      "p.yaml", "policy:\n  name: p\n  severities:\n    critical: {approvers: [ciso, legal], effects: [contain]}\n"
                "  approval_timeout_minutes: 30\n  evidence_roots: [\"/evidence\"]\n  approver_identity: required\n");
  DiagnosticSink sink;
  const auto file = load_yaml(source, sink, Limits{});
  REQUIRE(sink.diagnostics().empty());
  CHECK(print_dsl(file) == expected);
  // Without the statement the column stays where it was.
  CHECK(format("policy p { asap 24h }\n") == "policy p {\n  asap             24h\n}\n");
}

TEST_CASE("DSL printer: canonical layout", "[dsl]") {
  const std::string messy =
      "runbook active_breach{title \"Active Breach Containment\";severity critical\n"
      "comply GDPR,SEC ,NIS2;event{segment_id:segment,user_id:user}\n"
      "step isolate=isolate_network_segment( target:event.segment_id ){ preserve \"/tmp/a.pcap\" ,\"/tmp/b.json\"\n"
      "rollback restore_network_segment(target:event.segment_id)}\n"
      "step revoke=revoke_active_sessions(target:event.user_id){satisfies gdpr.authority; on_failure rollback;"
      "retries 2; when event.confidence>=0.8; timeout 10m; deadline 3d; approve ciso,legal within 15m}\n"
      "step notify=notify_ciso_and_legal(channels:[slack,pagerduty],)}\n";
  const std::string expected =
      "runbook active_breach {\n"
      "  title    \"Active Breach Containment\"\n"
      "  severity critical\n"
      "  comply   GDPR, SEC, NIS2\n"
      "  event    { segment_id: segment, user_id: user }\n"
      "\n"
      "  step isolate = isolate_network_segment(target: event.segment_id) {\n"
      "    rollback restore_network_segment(target: event.segment_id)\n"
      "    preserve \"/tmp/a.pcap\", \"/tmp/b.json\"\n"
      "  }\n"
      "  step revoke = revoke_active_sessions(target: event.user_id) {\n"
      "    approve ciso, legal within 15m\n"
      "    deadline 3d\n"
      "    timeout  10m\n"
      "    when     event.confidence >= 0.8\n"
      "    retries  2\n"
      "    on_failure rollback\n"
      "    satisfies gdpr.authority\n"
      "  }\n"
      "  step notify = notify_ciso_and_legal(channels: [slack, pagerduty])\n"
      "}\n";
  CHECK(format(messy) == expected);
  CHECK(format(expected) == expected);
}

TEST_CASE("DSL printer: strings are escaped and tags outside the tag syntax quoted", "[dsl]") {
  ast::File file;
  ast::Runbook rb;
  rb.id.value = "r";
  rb.title.value = "say \"hi\"\\\n\tnow\x01";
  rb.compliance = {{"GDPR", {}}, {"SOC 2", {}}};
  file.runbooks.push_back(rb);
  std::string out = print_dsl(file);
  CHECK(out == "runbook r {\n  title    \"say \\\"hi\\\"\\\\\\n\\tnow\\u0001\"\n  comply   GDPR, \"SOC 2\"\n}\n");
  auto p = parse_text(out);
  REQUIRE(p->messages() == "");
  CHECK(p->file.runbooks.at(0).title.value == rb.title.value);
  CHECK(p->file.runbooks.at(0).compliance.at(1).value == "SOC 2");
}

TEST_CASE("DSL printer: comments and blank lines are kept", "[dsl]") {
  const std::string text =
      "# Header comment.\n"
      "\n"
      "// A runbook.\n"
      "runbook r {  # trailing on the head\n"
      "  title \"t\"   # why this title\n"
      "\n"
      "  # writ:ignore approval-coverage reason=\"tabletop only\"\n"
      "  step a = isolate_host(target: event.host_id) {\n"
      "    rollback restore_host\n"
      "    # before deadline\n"
      "    deadline 1h\n"
      "    # at the end of the step\n"
      "  }\n"
      "\n"
      "\n"
      "  step b = notify_ciso_and_legal(channels: [slack])\n"
      "}\n"
      "# Footer.\n";
  const std::string expected =
      "# Header comment.\n"
      "\n"
      "// A runbook.\n"
      "runbook r {  # trailing on the head\n"
      "  title    \"t\"  # why this title\n"
      "\n"
      "  # writ:ignore approval-coverage reason=\"tabletop only\"\n"
      "  step a = isolate_host(target: event.host_id) {\n"
      "    rollback restore_host\n"
      "    # before deadline\n"
      "    deadline 1h\n"
      "    # at the end of the step\n"
      "  }\n"
      "\n"
      "  step b = notify_ciso_and_legal(channels: [slack])\n"
      "}\n"
      "# Footer.\n";
  CHECK(format(text) == expected);
  CHECK(format(expected) == expected);
}

TEST_CASE("DSL printer: comments move with reordered statements", "[dsl]") {
  const std::string text =
      "runbook r {\n"
      "  step a = x() {\n"
      "    # writ:ignore regulatory-deadline reason=\"accepted\"\n"
      "    deadline 96h\n"
      "    approve ciso  # the CISO alone\n"
      "  } # end of a\n"
      "  severity high\n"
      "}\n";
  const std::string expected =
      "runbook r {\n"
      "  severity high\n"
      "\n"
      "  step a = x() {\n"
      "    approve ciso  # the CISO alone\n"
      "    # writ:ignore regulatory-deadline reason=\"accepted\"\n"
      "    deadline 96h\n"
      "  }  # end of a\n"
      "}\n";
  CHECK(format(text) == expected);
  CHECK(format(expected) == expected);
}

TEST_CASE("DSL printer: declarations", "[dsl]") {
  const std::string text =
      "type host, user\n"
      "channel slack\n"
      "role ciso, legal\n"
      "event { id: string, host_id: host }\n"
      "action a(target: host, note?: string) { doc \"d\"; timeout 90m; inverse b; effect contain }\n"
      "regulation sec \"US SEC\" {\n"
      "  tag SEC\n"
      "  obligation 8k \"Form 8-K\" within 4bd { cite \"c\"; trigger \"t\"; notify \"n\" }\n"
      "  obligation later \"later\" within asap conditional\n"
      "}\n"
      "policy p { asap 24h; severity critical { approve ciso, legal for contain }; severity low { }\n"
      "  evidence_roots \"/evidence\"; step_timeout 30m; approval_timeout 1h }\n";
  const std::string expected =
      "type host, user\n"
      "channel slack\n"
      "role ciso, legal\n"
      "\n"
      "event {\n"
      "  id:      string\n"
      "  host_id: host\n"
      "}\n"
      "\n"
      "action a(target: host, note?: string) {\n"
      "  effect  contain\n"
      "  inverse b\n"
      "  timeout 90m\n"
      "  doc     \"d\"\n"
      "}\n"
      "\n"
      "regulation sec \"US SEC\" {\n"
      "  tag SEC\n"
      "  obligation 8k \"Form 8-K\" within 4bd {\n"
      "    trigger \"t\"\n"
      "    notify  \"n\"\n"
      "    cite    \"c\"\n"
      "  }\n"
      "  obligation later \"later\" within asap conditional\n"
      "}\n"
      "\n"
      "policy p {\n"
      "  severity critical { approve ciso, legal for contain }\n"
      "  severity low      { }\n"
      "  approval_timeout 1h\n"
      "  step_timeout     30m\n"
      "  asap             24h\n"
      "  evidence_roots   \"/evidence\"\n"
      "}\n";
  CHECK(format(text) == expected);
  CHECK(format(expected) == expected);
}

TEST_CASE("DSL printer: durations keep their unit in .writ text, YAML minutes and hours convert", "[dsl]") {
  const std::string text =
      "runbook r {\n  step a = x() {\n    approve within 60m\n    deadline 4bd\n    timeout  3600s\n  }\n}\n";
  CHECK(format(text) == text);
  auto p = parse_text(text);
  auto& step = p->file.runbooks.at(0).steps.at(0);
  step.deadline_seconds->value = 72 * 3600;  // no longer what the source says: printed canonically
  CHECK(print_dsl(p->file).find("    deadline 72h\n") != std::string::npos);
  CHECK(print_dsl(p->file).find("    approve within 60m\n") != std::string::npos);
}

TEST_CASE("DSL printer: the stdlib is in canonical form", "[dsl]") {
  for (const char* name : {"types", "actions", "regulations", "policy"}) {
    std::string path = std::string("stdlib/") + name + ".writ";
    INFO(path);
    CHECK(format(read_file(source_path(path)), path) == read_file(source_path(path)));
  }
}

// YAML text that must load without diagnostics (the file keeps its source).
ast::File load_clean_yaml(const std::string& name, const std::string& yaml) {
  DiagnosticSink sink;
  ast::File file = load_yaml(std::make_shared<SourceFile>(name, yaml), sink);
  REQUIRE(sink.diagnostics().empty());
  return file;
}

// Every file of tests/data (recursively) with the given extension, relative to the source tree.
std::vector<std::string> fixtures(const std::string& extension) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(source_path("tests/data"))) {
    if (entry.path().extension() == extension) {
      out.push_back(std::filesystem::relative(entry.path(), source_path("")).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("DSL printer: printing is idempotent and keeps the AST (fixtures, stdlib, runbooks)", "[dsl]") {
  std::vector<std::string> paths = fixtures(".writ");
  for (const auto& dir : {"stdlib", "runbooks", "runbooks/dsl"}) {
    auto more = files_in(dir, ".writ");
    paths.insert(paths.end(), more.begin(), more.end());
  }
  REQUIRE(paths.size() >= 8);
  for (const auto& path : paths) {
    INFO(path);
    auto original = dsl_testing::parse_fixture(path);
    if (path.starts_with("tests/data/") && original->messages() != "") continue;  // a syntax-error fixture
    REQUIRE(original->messages() == "");
    std::string printed = print_dsl(original->file);
    auto reparsed = parse_text(printed, {}, path);
    INFO(printed);
    REQUIRE(reparsed->messages() == "");
    CHECK(print_dsl(reparsed->file) == printed);
    CHECK(digests(reparsed->file) == digests(original->file));
    CHECK(reparsed->file.actions.size() == original->file.actions.size());
    CHECK(reparsed->file.regulations.size() == original->file.regulations.size());
  }
}

// Every YAML file of runbooks/ and of the rule fixtures (tests/data) that loads cleanly, even
// one with check errors, converts to .writ that lowers to the same IR: the deterministic
// counterpart of fuzz_yaml's round trip.
TEST_CASE("DSL printer: YAML runbooks and fixtures convert to .writ with the same IR digest", "[dsl]") {
  auto paths = files_in("runbooks", ".yaml");
  REQUIRE_FALSE(paths.empty());
  auto more = fixtures(".yaml");
  paths.insert(paths.end(), more.begin(), more.end());
  std::size_t converted_files = 0;
  for (const auto& path : paths) {
    INFO(path);
    auto source = std::make_shared<SourceFile>(path, read_file(source_path(path)));
    DiagnosticSink sink;
    ast::File yaml = load_yaml(source, sink);
    if (!sink.diagnostics().empty() || yaml.runbooks.empty() || !unprintable_names(yaml).empty()) continue;
    std::string printed = print_dsl(yaml);
    INFO(printed);
    auto converted = parse_text(printed, {}, "converted.writ");
    REQUIRE(converted->messages() == "");
    // Printed before lowering: the checker annotates the nodes (enum constants print bare).
    CHECK(print_dsl(converted->file) == printed);
    CHECK(digests(converted->file) == digests(yaml));
    ++converted_files;
  }
  CHECK(converted_files >= 25);
}

// Issue 18's constructs: each pass fixture in YAML and its DSL twin compile to one digest, and
// convert (YAML to .writ) and fmt keep it.
TEST_CASE("DSL printer: for-each, parallel, outputs and task twins share a digest", "[dsl]") {
  for (const char* name : {"pass_for_each", "pass_parallel", "pass_outputs", "pass_task"}) {
    std::string stem = std::string("tests/data/constructs/") + name;
    INFO(stem);
    auto dsl = dsl_testing::parse_fixture(stem + ".writ");
    REQUIRE(dsl->messages() == "");
    auto source = std::make_shared<SourceFile>(stem + ".yaml", read_file(source_path(stem + ".yaml")));
    DiagnosticSink sink;
    ast::File yaml = load_yaml(source, sink);
    REQUIRE(sink.diagnostics().empty());
    auto want = digests(dsl->file);
    CHECK(digests(yaml) == want);
    auto converted = parse_text(print_dsl(yaml), {}, "converted.writ");
    REQUIRE(converted->messages() == "");
    CHECK(digests(converted->file) == want);
    auto formatted = parse_text(print_dsl(dsl->file), {}, "formatted.writ");
    CHECK(digests(formatted->file) == want);
  }
}

TEST_CASE("DSL printer: YAML forms print explicitly", "[dsl]") {
  const std::string yaml =
      "metadata:\n"
      "  version: \"1.0\"\n"
      "  compliance_tags: [\"GDPR\"]\n"
      "playbooks:\n"
      "  critical:\n"
      "    name: \"Seed\"\n"
      "    steps:\n"
      "      # writ:ignore approval-coverage reason=\"tabletop exercise\"\n"
      "      - action: \"isolate_host\"\n"
      "        target: \"{{event.host_id}}\"\n"
      "        requires_approval: true\n"
      "        approval_timeout_minutes: 15\n"
      "        rollback: {action: restore_host, target: \"{{event.host_id}}\"}\n"
      "        preserve_artifacts: [\"/evidence/{{event.host_id}}.mem\"]\n"
      "      - action: \"notify_regulatory_contact\"\n"
      "        channels: [\"encrypted_email\", \"secure_portal\"]\n"
      "        requires_approval: false\n"
      "        deadline_hours: 72\n"
      "      - action: \"notify_regulatory_contact\"\n"
      "        channels: [\"secure_portal\"]\n"
      "        approvers: [ciso, legal]\n"
      "        requires_approval: [ciso]\n";
  ast::File file = load_clean_yaml("seed.yaml", yaml);
  REQUIRE(file.runbooks.size() == 1);
  std::string printed = print_dsl(file);
  INFO(printed);
  CHECK(printed.find("runbook critical {\n") == 0);
  CHECK(printed.find("  title    \"Seed\"\n") != std::string::npos);
  CHECK(printed.find("  comply   GDPR\n") != std::string::npos);
  CHECK(printed.find("  version  \"1.0\"\n") != std::string::npos);
  CHECK(printed.find("  # writ:ignore approval-coverage reason=\"tabletop exercise\"\n"
                     "  step isolate_host = isolate_host(target: event.host_id) {\n"
                     "    approve within 15m\n"
                     "    rollback restore_host(target: event.host_id)\n"
                     "    preserve \"/evidence/{{ event.host_id }}.mem\"\n"
                     "  }\n") != std::string::npos);
  CHECK(printed.find("  step notify_regulatory_contact = notify_regulatory_contact(channels: [\"encrypted_email\", "
                     "\"secure_portal\"]) {\n    deadline 72h\n  }\n") != std::string::npos);
  CHECK(printed.find("  step notify_regulatory_contact_2 = ") != std::string::npos);
  auto reparsed = parse_text(printed, {}, "converted.writ");
  REQUIRE(reparsed->messages() == "");
  CHECK(digests(reparsed->file) == digests(file));
}

TEST_CASE("DSL printer: a template argument round-trips as a template", "[dsl]") {
  auto p = parse_text("runbook r {\n  step t = open_ticket(summary: \"breach on {{ event.host_id }}\")\n}\n");
  REQUIRE(p->messages() == "");
  const auto& value = *p->file.runbooks.at(0).steps.at(0).args.at(0).value;
  REQUIRE(value.kind == expr::Node::Kind::Interpolation);
  CHECK(p->text(value.children.at(1)->span) == "event.host_id");
  CHECK(print_dsl(p->file) == "runbook r {\n  step t = open_ticket(summary: \"breach on {{ event.host_id }}\")\n}\n");
}

TEST_CASE("DSL printer: string elements of a list argument are templates, as in YAML", "[dsl]") {
  Catalog catalog = stdlib_catalog();
  DiagnosticSink declared;
  auto decl = parse_text("action label_hosts(labels: list<string>) {\n  effect notify\n  doc \"label\"\n}\n");
  add_declarations(catalog, decl->file, declared);
  REQUIRE(declared.diagnostics().empty());
  const std::string yaml =
      "playbooks:\n"
      "  low:\n"
      "    steps:\n"
      "      - action: label_hosts\n"
      "        labels: [\"s{{ event.host_id }}lack\", \"{{ '{{' }}\", plain, \"{{ event.id }}\"]\n";
  ast::File file = load_clean_yaml("labels.yaml", yaml);
  std::string printed = print_dsl(file);
  CHECK(printed.find("label_hosts(labels: [\"s{{ event.host_id }}lack\", \"{{ \\\"{{\\\" }}\", \"plain\", "
                     "event.id])") != std::string::npos);
  auto reparsed = parse_text(printed, {}, "converted.writ");
  REQUIRE(reparsed->messages() == "");
  const auto& labels = *reparsed->file.runbooks.at(0).steps.at(0).args.at(0).value;
  REQUIRE(labels.children.size() == 4);
  CHECK(labels.children[0]->kind == expr::Node::Kind::Interpolation);
  CHECK(reparsed->text(labels.children[0]->children.at(1)->span) == "event.host_id");
  CHECK(labels.children[3]->kind == expr::Node::Kind::Path);
  CHECK(digests(reparsed->file, catalog) == digests(file, catalog));

  auto nested = parse_text("runbook r {\n  step t = label_hosts(labels: [[\"a{{ event.id }}\", 'b'], []])\n}\n");
  REQUIRE(nested->messages() == "");
  const auto& inner = *nested->file.runbooks.at(0).steps.at(0).args.at(0).value->children.at(0);
  CHECK(inner.children.at(0)->kind == expr::Node::Kind::Interpolation);
  CHECK(print_dsl(nested->file) ==
        "runbook r {\n  step t = label_hosts(labels: [[\"a{{ event.id }}\", \"b\"], []])\n}\n");
}

}  // namespace
}  // namespace writ
