// The YAML front-end: both seed runbooks load unchanged into the expected AST, spans map back
// to the exact source bytes (also through escapes and block scalars), user mistakes become
// diagnostics, and hostile inputs hit a limit instead of a crash.
#include "common/text.h"
#include "compiler/yaml/loader.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace writ;

namespace {

struct Loaded {
  SourcePtr source;
  DiagnosticSink sink;
  ast::File file;

  const std::vector<Diagnostic>& diagnostics() const { return sink.diagnostics(); }
  std::string text(Span span) const { return source->text().substr(span.begin, span.end - span.begin); }
  LineCol at(Span span) const { return source->locate(span.begin); }
  const ast::Runbook& runbook() const { return file.runbooks.at(0); }
  const ast::Step& step(std::size_t i) const { return runbook().steps.at(i); }
  std::string dump() const {
    std::string out;
    for (const auto& d : diagnostics()) {
      LineCol lc = source->locate(d.span.begin);
      out += std::to_string(lc.line) + ":" + std::to_string(lc.column) + " [" + std::string(rule_info(d.rule).id) +
             "] " + d.message + "\n";
    }
    return out;
  }
};

std::unique_ptr<Loaded> load(std::string text, const Limits& limits = {}) {
  auto out = std::make_unique<Loaded>();
  out->source = std::make_shared<const SourceFile>("test.yaml", std::move(text));
  out->file = load_yaml(out->source, out->sink, limits);
  return out;
}

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(WRIT_SOURCE_DIR) + "/tests/data/seed/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<Loaded> load_fixture(const std::string& name) {
  auto out = std::make_unique<Loaded>();
  out->source = std::make_shared<const SourceFile>(name, read_fixture(name));
  out->file = load_yaml(out->source, out->sink, Limits{});
  return out;
}

// The `arg` argument of a step.
const ast::Argument& arg(const ast::Step& step, std::string_view name) {
  for (const auto& a : step.args) {
    if (a.name.value == name) return a;
  }
  FAIL("no argument " << name);
  throw std::logic_error("unreachable");
}

std::vector<std::string> names(const std::vector<ast::Name>& list) {
  std::vector<std::string> out;
  for (const auto& n : list) out.push_back(n.value);
  return out;
}

std::string string_literal(const expr::NodePtr& node) {
  REQUIRE(node);
  REQUIRE(node->kind == expr::Node::Kind::Literal);
  REQUIRE(std::holds_alternative<std::string>(node->literal.v));
  return std::get<std::string>(node->literal.v);
}

std::vector<std::string> path_of(const expr::NodePtr& node) {
  REQUIRE(node);
  REQUIRE(node->kind == expr::Node::Kind::Path);
  return node->path;
}

// The first Path node in a tree (templates inside interpolations).
const expr::Node* find_path(const expr::Node& node) {
  if (node.kind == expr::Node::Kind::Path) return &node;
  for (const auto& child : node.children) {
    if (const auto* found = find_path(*child)) return found;
  }
  return nullptr;
}

std::size_t count_rule(const Loaded& l, Rule rule) {
  std::size_t n = 0;
  for (const auto& d : l.diagnostics()) n += d.rule == rule ? 1 : 0;
  return n;
}

// A one-step critical playbook around `step_lines` (each already indented by 8 spaces).
std::string one_step(const std::string& step_lines) {
  return "playbooks:\n  critical:\n    name: \"Test\"\n    steps:\n      - action: isolate_host\n" + step_lines;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The seed runbooks

TEST_CASE("yaml: the ransomware seed runbook loads unchanged", "[yaml]") {
  auto l = load_fixture("seed_ransomware.yaml");
  INFO(l->dump());
  REQUIRE(l->diagnostics().empty());
  REQUIRE(l->file.runbooks.size() == 1);
  const auto& rb = l->runbook();
  CHECK(rb.id.value == "critical");
  CHECK(rb.severity.value == "critical");
  CHECK(l->text(rb.id.span) == "critical");
  CHECK(l->text(rb.head) == "critical");
  CHECK(rb.title.value == "Ransomware Containment & Forensics");
  CHECK(rb.compliance.empty());
  CHECK_FALSE(rb.event_declared);
  CHECK_FALSE(rb.version.has_value());
  REQUIRE(rb.steps.size() == 4);

  const auto& isolate = l->step(0);
  CHECK(isolate.id.value == "isolate_host");
  CHECK_FALSE(isolate.id_explicit);
  CHECK(isolate.action.value == "isolate_host");
  CHECK(l->text(isolate.action.span) == "\"isolate_host\"");
  CHECK(l->text(isolate.head) == "action: \"isolate_host\"");
  CHECK(l->at(isolate.head).line == 5);
  CHECK(l->at(isolate.head).column == 9);
  REQUIRE(isolate.args.size() == 1);
  CHECK(path_of(arg(isolate, "target").value) == std::vector<std::string>{"event", "host_id"});
  CHECK(l->text(arg(isolate, "target").span) == "target: \"{{event.host_id}}\"");
  CHECK(l->text(arg(isolate, "target").name.span) == "target");
  CHECK_FALSE(isolate.approval.has_value());
  CHECK(isolate.approval_declared_false);
  REQUIRE(isolate.preserve.size() == 2);
  CHECK(string_literal(isolate.preserve[0].value) == "/tmp/host_snapshot.mem");
  CHECK(string_literal(isolate.preserve[1].value) == "/tmp/network_connections.log");
  CHECK(l->text(isolate.preserve[1].span) == "\"/tmp/network_connections.log\"");
  CHECK_FALSE(isolate.rollback.has_value());
  CHECK_FALSE(isolate.deadline_seconds.has_value());
  CHECK(l->text(isolate.span).starts_with("action: \"isolate_host\""));
  CHECK(l->text(isolate.span).ends_with("\"/tmp/network_connections.log\""));

  const auto& creds = l->step(1);
  CHECK(creds.id.value == "disable_compromised_credentials");
  CHECK(path_of(arg(creds, "target").value) == std::vector<std::string>{"event", "user_account"});
  REQUIRE(creds.approval.has_value());
  CHECK(creds.approval->policy_roles);
  CHECK(creds.approval->roles.empty());
  CHECK_FALSE(creds.approval->timeout_seconds.has_value());
  CHECK(l->text(creds.approval->span) == "requires_approval: true");
  CHECK_FALSE(creds.approval_declared_false);

  const auto& notify = l->step(2);
  CHECK(notify.action.value == "notify_ciso_and_legal");
  const auto& channels = arg(notify, "channels").value;
  REQUIRE(channels->kind == expr::Node::Kind::List);
  REQUIRE(channels->children.size() == 2);
  CHECK(string_literal(channels->children[0]) == "slack");
  CHECK(string_literal(channels->children[1]) == "pagerduty");
  CHECK(l->text(channels->span) == "[\"slack\", \"pagerduty\"]");
  CHECK(l->text(channels->children[1]->span) == "pagerduty");
  CHECK_FALSE(notify.approval.has_value());

  const auto& imaging = l->step(3);
  CHECK(imaging.id.value == "trigger_full_disk_imaging");
  REQUIRE(imaging.approval.has_value());
  CHECK(imaging.approval->policy_roles);
  REQUIRE(imaging.preserve.size() == 1);
  CHECK(string_literal(imaging.preserve[0].value) == "/evidence/disk_image.raw");
}

TEST_CASE("yaml: the active-breach seed runbook loads with its metadata", "[yaml]") {
  auto l = load_fixture("seed_active_breach.yaml");
  INFO(l->dump());
  REQUIRE(l->diagnostics().empty());
  REQUIRE(l->file.runbooks.size() == 1);
  const auto& rb = l->runbook();
  CHECK(rb.id.value == "critical");
  CHECK(rb.title.value == "Active Breach Containment");
  CHECK(names(rb.compliance) == std::vector<std::string>{"GDPR", "SEC", "NIS2"});
  REQUIRE(rb.version.has_value());
  CHECK(rb.version->value == "2.1");
  CHECK(rb.owner->value == "security-ir-team");
  CHECK(rb.last_updated->value == "2024-06-15T08:30:00Z");
  REQUIRE(rb.steps.size() == 4);

  const auto& isolate = l->step(0);
  CHECK(isolate.id.value == "isolate_network_segment");
  CHECK(path_of(arg(isolate, "target").value) == std::vector<std::string>{"event", "segment_id"});
  CHECK(isolate.approval_declared_false);
  REQUIRE(isolate.rollback.has_value());
  CHECK(isolate.rollback->action.value == "restore_network_segment");
  CHECK(isolate.rollback->args.empty());
  CHECK(l->text(isolate.rollback->span) == "rollback: \"restore_network_segment\"");
  REQUIRE(isolate.preserve.size() == 2);
  CHECK(string_literal(isolate.preserve[0].value) == "/tmp/pcap_capture.pcap");
  CHECK(string_literal(isolate.preserve[1].value) == "/tmp/flow_logs.json");

  const auto& revoke = l->step(1);
  CHECK(revoke.id.value == "revoke_active_sessions");
  REQUIRE(revoke.approval.has_value());
  CHECK(revoke.approval->policy_roles);
  REQUIRE(revoke.approval->timeout_seconds.has_value());
  CHECK(revoke.approval->timeout_seconds->value == 15 * 60);
  CHECK(l->text(revoke.approval->timeout_seconds->span) == "15");

  const auto& imaging = l->step(2);
  CHECK(imaging.action.value == "trigger_forensic_imaging");
  CHECK(path_of(arg(imaging, "target").value) == std::vector<std::string>{"event", "host_id"});
  CHECK(imaging.preserve.size() == 2);

  const auto& notify = l->step(3);
  CHECK(notify.id.value == "notify_regulatory_contact");
  const auto& channels = arg(notify, "channels").value;
  REQUIRE(channels->children.size() == 2);
  CHECK(string_literal(channels->children[0]) == "encrypted_email");
  CHECK(string_literal(channels->children[1]) == "secure_portal");
  REQUIRE(notify.deadline_seconds.has_value());
  CHECK(notify.deadline_seconds->value == 72 * 3600);
  CHECK(l->text(notify.deadline_seconds->span) == "72");
  CHECK(l->text(notify.span).ends_with("deadline_hours: 72"));
  CHECK(l->text(rb.span).starts_with("critical:"));
  CHECK(l->text(rb.span).ends_with("deadline_hours: 72"));
}

TEST_CASE("yaml: CRLF line ends and a byte order mark change nothing but offsets", "[yaml]") {
  std::string text = read_fixture("seed_active_breach.yaml");
  std::string crlf = "\xEF\xBB\xBF";
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  auto l = load(crlf);
  INFO(l->dump());
  REQUIRE(l->diagnostics().empty());
  REQUIRE(l->runbook().steps.size() == 4);
  CHECK(l->text(l->step(1).head) == "action: \"revoke_active_sessions\"");
  CHECK(l->at(l->step(1).head).line == 18);
  CHECK(l->at(l->step(1).head).column == 9);
  const auto* path = find_path(*arg(l->step(1), "target").value);
  REQUIRE(path != nullptr);
  CHECK(l->text(path->path_spans[1]) == "user_id");
  CHECK(l->text(l->step(3).deadline_seconds->span) == "72");
}

// ---------------------------------------------------------------------------------------
// Spans through every scalar style

TEST_CASE("yaml: template spans map to the exact source bytes in every scalar style", "[yaml]") {
  struct Case {
    const char* style;
    std::string target;  // the `target:` value as written, possibly over several lines
    int line;            // where `hostid` is
    int column;
  };
  std::vector<Case> cases = {
      {"plain", "host-{{event.hostid}}", 6, 30},
      {"double-quoted with escapes", R"("\t\"\u00e9\x41 {{event.hostid}}")", 6, 41},
      {"single-quoted with ''", "'it''s {{event.hostid}}'", 6, 32},
      {"double-quoted with the escapes yaml-cpp mis-decodes", R"("\N\_ {{event.hostid}}")", 6, 31},
      {"literal block", "|\n          first line\n          x {{event.hostid}}\n", 8, 21},
      {"folded block", ">-\n          folded\n          text {{event.hostid}}\n", 8, 24},
      {"plain over two lines", "first\n          x-{{event.hostid}}", 7, 21},
      {"double-quoted over two lines", "\"a\n          b {{event.hostid}}\"", 7, 21},
  };
  for (const auto& c : cases) {
    SECTION(c.style) {
      auto l = load(one_step("        target: " + c.target + "\n"));
      INFO(l->dump());
      REQUIRE(l->diagnostics().empty());
      const auto* path = find_path(*arg(l->step(0), "target").value);
      REQUIRE(path != nullptr);
      REQUIRE(path->path == std::vector<std::string>{"event", "hostid"});
      REQUIRE(path->path_spans.size() == 2);
      CHECK(l->text(path->path_spans[1]) == "hostid");
      CHECK(l->at(path->path_spans[1]).line == c.line);
      CHECK(l->at(path->path_spans[1]).column == c.column);
    }
  }
}

TEST_CASE("yaml: a template syntax error is reported at its exact line and column", "[yaml]") {
  // The same broken template in three styles: the error lands on the `}}` that follows `+`.
  SECTION("plain") {
    auto l = load(one_step("        target: x-{{event.host_id +}}\n"));
    REQUIRE(count_rule(*l, Rule::TemplateBinding) == 1);
    CHECK(l->at(l->diagnostics()[0].span).line == 6);
    CHECK(l->at(l->diagnostics()[0].span).column == 36);
    CHECK(l->diagnostics()[0].step == "isolate_host");
    CHECK(l->diagnostics()[0].runbook == "critical");
  }
  SECTION("double-quoted with escapes before it") {
    auto l = load(one_step("        target: \"\\t\\u00e9{{event.host_id +}}\"\n"));
    REQUIRE(count_rule(*l, Rule::TemplateBinding) == 1);
    CHECK(l->at(l->diagnostics()[0].span).line == 6);
    CHECK(l->at(l->diagnostics()[0].span).column == 43);
  }
  SECTION("literal block") {
    auto l = load(one_step("        target: |\n          line one\n            {{event.host_id +}}\n"));
    REQUIRE(count_rule(*l, Rule::TemplateBinding) == 1);
    CHECK(l->at(l->diagnostics()[0].span).line == 8);
    CHECK(l->at(l->diagnostics()[0].span).column == 30);
  }
}

// ---------------------------------------------------------------------------------------
// Step form

TEST_CASE("yaml: an unknown key gets a did-you-mean and the step still loads", "[yaml]") {
  auto l = load(one_step("        target: \"{{event.host_id}}\"\n        requires_aproval: true\n"));
  REQUIRE(l->diagnostics().size() == 1);
  const auto& d = l->diagnostics()[0];
  CHECK(d.rule == Rule::UnknownKey);
  CHECK(l->text(d.span) == "requires_aproval");
  CHECK(d.message == "unknown key `requires_aproval` in a step");
  REQUIRE(d.help.size() == 1);
  CHECK(d.help[0] == "did you mean `requires_approval`?");
  CHECK(d.runbook == "critical");
  CHECK(d.step == "isolate_host");
  REQUIRE(l->runbook().steps.size() == 1);
  CHECK(l->step(0).args.size() == 1);
  CHECK_FALSE(l->step(0).approval.has_value());
}

TEST_CASE("yaml: unknown keys at every level, a key that is not an argument stays out of args", "[yaml]") {
  auto l = load(
      "metadata:\n  versoin: \"1\"\nplaybook: {}\nplaybooks:\n  high:\n    nmae: x\n    id: contain\n    steps:\n"
      "      - action: isolate_host\n        host: \"{{event.host_id}}\"\n        chanels: [slack]\n");
  INFO(l->dump());
  REQUIRE(count_rule(*l, Rule::UnknownKey) == 4);
  CHECK(l->diagnostics()[0].help.at(0) == "did you mean `playbooks`?");  // the top level is read first
  CHECK(l->diagnostics()[1].help.at(0) == "did you mean `version`?");
  CHECK(l->diagnostics()[2].help.at(0) == "did you mean `name`?");
  CHECK(l->diagnostics()[2].runbook == "contain");  // the explicit id, though it comes later
  CHECK(l->diagnostics()[3].runbook == "contain");
  CHECK(l->diagnostics()[3].step == "isolate_host");
  CHECK(l->text(l->diagnostics()[3].span) == "chanels");  // a near miss of a step key
  CHECK(l->diagnostics()[3].help.at(0) == "did you mean `channels`?");
  REQUIRE(l->runbook().steps.size() == 1);
  CHECK(l->step(0).args.empty());
  // `host` may be an argument: lowering decides against the action's parameters.
  REQUIRE(l->step(0).key_args.size() == 1);
  CHECK(l->step(0).key_args[0].name.value == "host");
}

TEST_CASE("yaml: duplicate default ids get _2, _3 suffixes, skipping explicit ids", "[yaml]") {
  auto l = load(
      "playbooks:\n  high:\n    name: x\n    steps:\n"
      "      - action: isolate_host\n"
      "      - action: isolate_host\n"
      "      - action: notify_ciso_and_legal\n"
      "      - action: isolate_host\n        id: isolate_host_2\n"
      "      - action: isolate_host\n");
  INFO(l->dump());
  REQUIRE(l->diagnostics().empty());
  const auto& steps = l->runbook().steps;
  REQUIRE(steps.size() == 5);
  CHECK(steps[0].id.value == "isolate_host");
  CHECK(steps[1].id.value == "isolate_host_3");
  CHECK(steps[2].id.value == "notify_ciso_and_legal");
  CHECK(steps[3].id.value == "isolate_host_2");
  CHECK(steps[3].id_explicit);
  CHECK(l->text(steps[3].id.span) == "isolate_host_2");
  CHECK(steps[4].id.value == "isolate_host_4");
  CHECK(l->text(steps[1].id.span) == "isolate_host");
  CHECK(l->at(steps[1].id.span).line == 6);
}

TEST_CASE("yaml: two steps with the same action get isolate_host and isolate_host_2", "[yaml]") {
  auto l = load("playbooks:\n  high:\n    steps:\n      - action: isolate_host\n      - action: isolate_host\n");
  REQUIRE(l->diagnostics().empty());
  CHECK(l->step(0).id.value == "isolate_host");
  CHECK(l->step(1).id.value == "isolate_host_2");
  CHECK(l->runbook().title.value == "high");  // no `name`: the id
}

TEST_CASE("yaml: every step key maps into the AST", "[yaml]") {
  auto l = load(
      "event:\n  host_id: host\n  tags: list<string>\n"
      "playbooks:\n  high:\n    id: contain_host\n    compliance_tags: GDPR\n"
      "    when: \"event.confidence >= 0.8\"\n    steps:\n"
      "      - action: isolate_host\n        id: isolate\n"
      "        args: {target: \"{{ event.host_id }}\", force: true, count: 3, ratio: 0.5, note: \"3\", ports: [22, "
      "\"x\"]}\n"
      "        requires_approval: [ciso]\n        approvers: [legal, ciso]\n"
      "        approval_timeout_minutes: 30\n"
      "        rollback: {action: restore_host, target: \"{{ event.host_id }}\"}\n"
      "        deadline_hours: 1.5\n        timeout_minutes: 10\n        retries: 3\n"
      "        on_failure: rollback\n        satisfies: gdpr.authority\n"
      "        when: \"{{ event.severity == 'high' }}\"\n");
  INFO(l->dump());
  REQUIRE(l->diagnostics().empty());
  const auto& rb = l->runbook();
  CHECK(rb.id.value == "contain_host");
  CHECK(rb.severity.value == "high");
  CHECK(names(rb.compliance) == std::vector<std::string>{"GDPR"});
  CHECK(rb.event_declared);
  REQUIRE(rb.event.size() == 2);
  CHECK(rb.event[1].name.value == "tags");
  CHECK(rb.event[1].type.value == "list<string>");
  REQUIRE(rb.when);
  CHECK(rb.when->kind == expr::Node::Kind::Binary);
  CHECK(rb.when->op == ">=");

  const auto& s = l->step(0);
  CHECK(s.id.value == "isolate");
  CHECK(s.id_explicit);
  CHECK(path_of(arg(s, "target").value) == std::vector<std::string>{"event", "host_id"});
  CHECK(std::get<bool>(arg(s, "force").value->literal.v) == true);
  CHECK(std::get<std::int64_t>(arg(s, "count").value->literal.v) == 3);
  CHECK(std::get<double>(arg(s, "ratio").value->literal.v) == 0.5);
  CHECK(string_literal(arg(s, "note").value) == "3");  // quoted: a string
  const auto& ports = arg(s, "ports").value;
  REQUIRE(ports->kind == expr::Node::Kind::List);
  CHECK(std::get<std::int64_t>(ports->children.at(0)->literal.v) == 22);
  CHECK(string_literal(ports->children.at(1)) == "x");
  CHECK(l->text(arg(s, "count").span) == "count: 3");

  REQUIRE(s.approval.has_value());
  CHECK_FALSE(s.approval->policy_roles);
  CHECK(names(s.approval->roles) == std::vector<std::string>{"ciso", "legal"});
  CHECK(s.approval->timeout_seconds->value == 30 * 60);
  CHECK(l->text(s.approval->span) == "requires_approval: [ciso]");
  REQUIRE(s.rollback.has_value());
  CHECK(s.rollback->action.value == "restore_host");
  REQUIRE(s.rollback->args.size() == 1);
  CHECK(s.rollback->args[0].name.value == "target");
  CHECK(l->text(s.rollback->span) == "rollback: {action: restore_host, target: \"{{ event.host_id }}\"}");
  CHECK(s.deadline_seconds->value == 5400);
  CHECK(s.timeout_seconds->value == 600);
  CHECK(s.retries->value == 3);
  CHECK(s.on_failure->value == ast::OnFailure::Rollback);
  CHECK(names(s.satisfies) == std::vector<std::string>{"gdpr.authority"});
  REQUIRE(s.when);
  CHECK(s.when->kind == expr::Node::Kind::Binary);
  CHECK(s.when->op == "==");
}

TEST_CASE("yaml: approvers alone imply an approval, false records the declaration", "[yaml]") {
  auto l = load(one_step("        approvers: ciso\n        approval_timeout_minutes: 5\n"));
  INFO(l->dump());
  REQUIRE(l->diagnostics().empty());
  REQUIRE(l->step(0).approval.has_value());
  CHECK_FALSE(l->step(0).approval->policy_roles);
  CHECK(names(l->step(0).approval->roles) == std::vector<std::string>{"ciso"});
  CHECK(l->text(l->step(0).approval->span) == "approvers: ciso");
  CHECK(l->step(0).approval->timeout_seconds->value == 300);

  // With `requires_approval: true`, named approvers are the roles asked (as DSL `approve ciso`),
  // not added to the policy's.
  auto named = load(one_step("        requires_approval: true\n        approvers: [ciso]\n"));
  REQUIRE(named->diagnostics().empty());
  CHECK_FALSE(named->step(0).approval->policy_roles);
  CHECK(names(named->step(0).approval->roles) == std::vector<std::string>{"ciso"});

  auto bad = load(one_step("        requires_approval: false\n        approvers: [ciso]\n"));
  REQUIRE(bad->diagnostics().size() == 1);
  CHECK(bad->diagnostics()[0].rule == Rule::Syntax);
  CHECK(bad->step(0).approval_declared_false);
  CHECK_FALSE(bad->step(0).approval.has_value());

  auto lonely = load(one_step("        approval_timeout_minutes: 5\n"));
  REQUIRE(lonely->diagnostics().size() == 1);
  CHECK(lonely->text(lonely->diagnostics()[0].span) == "approval_timeout_minutes: 5");
}

// ---------------------------------------------------------------------------------------
// Wrong shapes

TEST_CASE("yaml: wrong value shapes are syntax errors at the value", "[yaml]") {
  struct Case {
    std::string lines;
    std::string at;       // the text the diagnostic points at
    std::string message;  // its start
  };
  std::vector<Case> cases = {
      {"        requires_approval: maybe\n", "maybe", "`requires_approval` must be true, false or a list of roles"},
      {"        requires_approval: \"true\"\n", "\"true\"",
       "`requires_approval` must be true, false or a list of roles"},
      {"        retries: -1\n", "-1", "`retries` must be a whole number from 0 to 100"},
      {"        deadline_hours: \"soon\"\n", "\"soon\"", "`deadline_hours` must be a positive number of hours"},
      {"        timeout_minutes: 0\n", "0", "`timeout_minutes` must be a positive number of minutes"},
      {"        on_failure: rolback\n", "rolback", "`on_failure` must be halt, rollback or continue"},
      {"        preserve_artifacts: {a: b}\n", "{a: b}", "`preserve_artifacts` must be a list of artifact paths"},
      {"        target: {{event.host_id}}\n", "{{event.host_id}}", "`target` must be a string, a number"},
      {"        rollback: [a]\n", "[a]", "`rollback` must be an action name or a mapping"},
      {"        when: [a]\n", "[a]", "`when` must be a condition string"},
      {"        args: [a]\n", "[a]", "`args` must be a mapping"},
  };
  for (const auto& c : cases) {
    SECTION(c.lines) {
      auto l = load(one_step(c.lines));
      INFO(l->dump());
      REQUIRE(l->diagnostics().size() == 1);
      const auto& d = l->diagnostics()[0];
      CHECK(d.rule == Rule::Syntax);
      CHECK(l->text(d.span) == c.at);
      CHECK(d.message.starts_with(c.message));
      CHECK(d.step == "isolate_host");
      REQUIRE(l->runbook().steps.size() == 1);  // the step is still there
    }
  }
}

TEST_CASE("yaml: an unquoted template gets a hint to quote it", "[yaml]") {
  auto l = load(one_step("        target: {{event.host_id}}\n"));
  REQUIRE(l->diagnostics().size() == 1);
  REQUIRE(l->diagnostics()[0].help.size() == 1);
  CHECK(l->diagnostics()[0].help[0].find("quote a template") != std::string::npos);
  CHECK(arg(l->step(0), "target").value->kind == expr::Node::Kind::Error);
}

TEST_CASE("yaml: structural mistakes are clear syntax errors", "[yaml]") {
  SECTION("steps is not a list") {
    auto l = load("playbooks:\n  high:\n    steps: isolate_host\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "`steps` must be a list of steps");
    CHECK(l->text(l->diagnostics()[0].span) == "isolate_host");
  }
  SECTION("a step without an action") {
    auto l = load("playbooks:\n  high:\n    steps:\n      - target: x\n      - action: isolate_host\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "this step has no `action`");
    CHECK(l->text(l->diagnostics()[0].span) == "target: x");
    REQUIRE(l->runbook().steps.size() == 1);
    CHECK(l->step(0).id.value == "isolate_host");
  }
  SECTION("no playbooks") {
    auto l = load("metadata:\n  owner: me\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "this file has no `playbooks`");
    CHECK(l->file.runbooks.empty());
  }
  SECTION("a misspelt playbooks is one unknown-key error, not also 'no playbooks'") {
    auto l = load("metadata:\n  owner: me\nplaybook:\n  high:\n    steps: []\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::UnknownKey);
    CHECK(l->text(l->diagnostics()[0].span) == "playbook");
    CHECK(l->diagnostics()[0].help == std::vector<std::string>{"did you mean `playbooks`?"});
  }
  SECTION("empty file") {
    for (std::string text : {"", "# only a comment\n", "---\n"}) {
      auto l = load(text);
      REQUIRE(l->diagnostics().size() == 1);
      CHECK(l->diagnostics()[0].rule == Rule::Syntax);
      CHECK(l->diagnostics()[0].message.starts_with("the file is empty"));
    }
  }
  SECTION("not a mapping") {
    auto l = load("- a\n- b\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "a runbook file must be a mapping with `playbooks`");
  }
  SECTION("a playbook without steps") {
    auto l = load("playbooks:\n  high:\n    name: x\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "playbook `high` has no `steps`");
    CHECK(l->text(l->diagnostics()[0].span) == "high");
  }
  SECTION("a duplicate key") {
    auto l = load(one_step("        target: a\n        target: b\n"));
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].message == "duplicate key `target` in a step");
    CHECK(l->at(l->diagnostics()[0].span).line == 7);
    REQUIRE(l->diagnostics()[0].notes.size() == 1);
    CHECK(l->at(l->diagnostics()[0].notes[0].span).line == 6);
  }
  SECTION("a second document") {
    auto l = load("playbooks:\n  high:\n    steps: []\n---\nplaybooks: {}\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->text(l->diagnostics()[0].span) == "---");
    CHECK(l->at(l->diagnostics()[0].span).line == 4);
    CHECK(l->file.runbooks.size() == 1);  // the first document still loads
  }
  SECTION("a stray comma (yaml-cpp's LoadAll would never return)") {
    for (std::string text : {",", ",laybooks:\n  high: {}\n", "[a]\n,\n", "playbooks: {}\n---\n,\n"}) {
      auto l = load(text);
      REQUIRE_FALSE(l->diagnostics().empty());
      CHECK(l->diagnostics().back().rule == Rule::Syntax);
    }
  }
}

TEST_CASE("yaml: a YAML parse error is a syntax error at yaml-cpp's position", "[yaml]") {
  SECTION("unclosed flow sequence") {
    auto l = load(one_step("        channels: [slack, pagerduty\n"));
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->diagnostics()[0].message.starts_with("YAML syntax error: "));
    CHECK(l->at(l->diagnostics()[0].span).line == 7);
    CHECK(l->file.runbooks.empty());
  }
  SECTION("bad indentation") {
    auto l = load("playbooks:\n  high:\n    name: x\n     steps: []\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    LineCol at = l->at(l->diagnostics()[0].span);
    CHECK(at.line == 4);
    CHECK(at.column == 11);  // yaml-cpp: "illegal map value" at the `:`
  }
  SECTION("after multibyte text on the same line") {
    auto l = load("playbooks:\n  high:\n    name: \"Contención ✓\" x\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    LineCol at = l->at(l->diagnostics()[0].span);
    CHECK(at.line == 3);
    CHECK(at.column == 26);  // code points: the `x`
    CHECK(l->source->text().substr(l->diagnostics()[0].span.begin, 1) == "x");
  }
  SECTION("a byte order mark does not shift positions") {
    auto l = load("\xEF\xBB\xBFplaybooks: [a\n");
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->at(l->diagnostics()[0].span).line == 2);
  }
}

// ---------------------------------------------------------------------------------------
// Limits and hostile input

TEST_CASE("yaml: a 100k-deep flow bomb is refused before parsing", "[yaml]") {
  auto l = load("playbooks: " + std::string(100'000, '['));
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
  // The top-level mapping is level 1, so the 64th bracket is level 65.
  CHECK(l->diagnostics()[0].span.begin == 11 + 63);
  CHECK(l->file.runbooks.empty());
}

TEST_CASE("yaml: deep block nesting is refused before parsing", "[yaml]") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  auto l = load(text);
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
  CHECK(l->at(l->diagnostics()[0].span).line == 65);

  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  auto d = load(dashes + "x\n");
  REQUIRE(d->diagnostics().size() == 1);
  CHECK(d->diagnostics()[0].rule == Rule::InputLimit);
}

TEST_CASE("yaml: compact sequences the pre-scan undercounts are stopped by the exact check", "[yaml]") {
  // `- k:` lines at the parent's indentation: each line opens a sequence and a mapping, the
  // pre-scan sees one level per line; the walk over the parsed tree counts both.
  std::string text = "playbooks:\n";
  for (int i = 0; i < 40; ++i) text += std::string(static_cast<std::size_t>(2 * i), ' ') + "- k:\n";
  auto l = load(text);
  INFO(l->dump());
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
  CHECK(l->diagnostics()[0].message.find("64") != std::string::npos);
  CHECK(l->file.runbooks.empty());
}

TEST_CASE("yaml: nesting within the limit loads, one level more does not", "[yaml]") {
  Limits limits;
  limits.max_nesting_depth = 8;
  // top(1) > playbooks(2) > critical(3) > steps(4) > step(5) > args(6) > lists 7, 8.
  std::string ok = one_step("        args: {a: [[1]]}\n");
  auto l = load(ok, limits);
  INFO(l->dump());
  CHECK(l->diagnostics().empty());
  auto deeper = load(one_step("        args: {a: [[[1]]]}\n"), limits);
  REQUIRE(deeper->diagnostics().size() == 1);
  CHECK(deeper->diagnostics()[0].rule == Rule::InputLimit);
  CHECK(deeper->file.runbooks.empty());
}

TEST_CASE("yaml: an alias bomb hits the node budget", "[yaml]") {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    text += std::string(1, c) + ": &" + std::string(1, c) + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", " : "") + "*" + std::string(1, static_cast<char>(c - 1));
    text += "]\n";
  }
  text += "playbooks: *j\n";
  auto l = load(text);
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
  CHECK(l->diagnostics()[0].message.find("200000 nodes") != std::string::npos);
}

TEST_CASE("yaml: an alias cycle does not loop", "[yaml]") {
  auto l = load("playbooks: &p [*p]\n");
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
}

TEST_CASE("yaml: too many nodes are refused before parsing", "[yaml]") {
  Limits limits;
  limits.max_yaml_nodes = 1000;
  std::string text = "playbooks:\n  high:\n    steps:\n";
  for (int i = 0; i < 600; ++i) text += "      - action: isolate_host\n";
  auto l = load(text, limits);
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
  CHECK(l->file.runbooks.empty());
}

TEST_CASE("yaml: a file over the size limit is refused", "[yaml]") {
  Limits limits;
  limits.max_file_bytes = 64;
  auto l = load(read_fixture("seed_ransomware.yaml"), limits);
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
  CHECK(l->diagnostics()[0].span.begin == 64);
  CHECK(l->file.runbooks.empty());
}

TEST_CASE("yaml: more steps than the limit", "[yaml]") {
  Limits limits;
  limits.max_steps = 3;
  std::string text = "playbooks:\n  high:\n    steps:\n";
  for (int i = 0; i < 5; ++i) text += "      - action: isolate_host\n";
  auto l = load(text, limits);
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::InputLimit);
  CHECK(l->at(l->diagnostics()[0].span).line == 7);
  CHECK(l->runbook().steps.size() == 3);
}

TEST_CASE("yaml: invalid UTF-8 is a syntax error at the byte", "[yaml]") {
  std::string text = "playbooks:\n  high:\n    name: \"caf\xC3\x28\"\n";
  auto l = load(text);
  REQUIRE(l->diagnostics().size() == 1);
  CHECK(l->diagnostics()[0].rule == Rule::Syntax);
  CHECK(l->diagnostics()[0].span.begin == text.find('\xC3'));
  CHECK(l->file.runbooks.empty());
}

TEST_CASE("yaml: hostile fragments never crash or throw", "[yaml]") {
  std::vector<std::string> inputs = {
      "{",
      "]",
      "\"",
      "'",
      "|",
      ">",
      "&",
      "*x",
      "!!binary x",
      "? [a]\n: b",
      ":",
      "- - - -",
      "\t\t",
      "playbooks:\n  high:\n    steps:\n      - action: [a, b]\n",
      "playbooks:\n  high:\n    steps:\n      - action:\n",
      "playbooks:\n  high:\n    steps:\n      - ? [x]\n        : y\n",
      "playbooks: {high: {steps: [{action: a, target: \"\\q\"}]}}",
      "playbooks:\n  high: &h\n    steps: [*h]\n",
      "playbooks:\n  ? [a]\n  : {}\n",
      "playbooks:\n  high:\n    steps:\n      - action: isolate_host\n        target: !!int 99999999999999999999\n",
      "playbooks:\n  high:\n    steps:\n      - action: isolate_host\n        target: \"{{\"\n",
  };
  for (const auto& text : inputs) {
    CAPTURE(text);
    auto l = load(text);
    for (const auto& d : l->diagnostics()) CHECK(d.span.end <= text.size());
    CHECK(l->sink.has_errors());
  }
}

// Found by fuzz_yaml: yaml-cpp turned `\0N` in a plain scalar into a lone 0x85 byte, so a value
// held invalid UTF-8 (and `writ convert` printed DSL that does not parse).
TEST_CASE("yaml: the escapes \\N and \\_ decode to UTF-8 in values and keys", "[yaml]") {
  auto l = load("\"x\\N\": 1\n" + one_step("        target: \"a\\Nb\\_c\"\n"));
  INFO(l->dump());
  CHECK(string_literal(arg(l->step(0), "target").value) == "a\u0085b\u00a0c");
  REQUIRE(l->diagnostics().size() == 1);
  const std::string& message = l->diagnostics()[0].message;
  CHECK(message.find("x\u0085") != std::string::npos);
  CHECK_FALSE(first_invalid_utf8(message).has_value());
}

TEST_CASE("yaml: control characters other than tab, LF and CR are a syntax error at the byte", "[yaml]") {
  for (char c : {'\0', '\x01', '\x1e', '\x7f'}) {
    std::string text = "playbooks:\n  high:\n    name: \"a";
    text += c;
    text += "b\"\n    steps: []\n";
    auto l = load(text);
    INFO(static_cast<int>(c));
    REQUIRE(l->diagnostics().size() == 1);
    CHECK(l->diagnostics()[0].rule == Rule::Syntax);
    CHECK(l->diagnostics()[0].span.begin == text.find(c, 10));
    CHECK(l->diagnostics()[0].message.find("control character") != std::string::npos);
    CHECK(l->file.runbooks.empty());
  }
  auto tabs = load("playbooks:\r\n  high:\r\n    name: \"a\tb\"\r\n    steps: []\r\n");
  INFO(tabs->dump());
  CHECK(tabs->diagnostics().empty());
}

// Found by fuzz_yaml: a tag running into an unterminated template at the end of the file left
// the scalar unmapped, and the template error's span ran one byte past the source.
TEST_CASE("yaml: a template error in an unmapped scalar at the end of the file stays inside the source", "[yaml]") {
  std::string text =
      "playbooks:\n  high:\n    name: \"x\"\n    steps:\n      - action: \"trigger_forensic_imaging\"\n"
      "        target: !!map\"{{event.\n";
  auto l = load(text);
  REQUIRE_FALSE(l->diagnostics().empty());
  for (const auto& d : l->diagnostics()) {
    INFO(d.message);
    CHECK(d.span.begin <= d.span.end);
    CHECK(d.span.end <= text.size());
  }
}

TEST_CASE("yaml: an escape that makes NUL is refused where it is written", "[yaml][trust]") {
  // Finding 2: yaml-cpp decodes "\0", "\x00" and "\u0000"; a NUL must never reach the IR.
  auto loaded = load(
      "metadata:\n  owner: \"a\\0b\"\n"
      "playbooks:\n  low:\n    id: r\n    name: n\n    steps:\n"
      "      - action: open_ticket\n        args: {summary: \"x\\x00y\", \"k\\u0000\": 1}\n");
  CHECK(loaded->dump() ==
        "2:12 [syntax] a NUL character (U+0000) is not allowed in a runbook: it would cut the value short\n"
        "9:27 [syntax] a NUL character (U+0000) is not allowed in a runbook: it would cut the value short\n"
        "9:37 [syntax] a NUL character (U+0000) is not allowed in a runbook: it would cut the value short\n");
  CHECK(loaded->file.runbooks.empty());
  CHECK(loaded->text(loaded->diagnostics()[1].span) == "\\x00");
}

TEST_CASE("yaml: YAML text is told from DSL whatever the file is called", "[yaml]") {
  for (const char* yaml : {"playbooks:\n  low:\n", "# comment\n\nmetadata:\n  version: 1\n", "\xEF\xBB\xBFpolicy:\n",
                           "---\nplaybooks: {}\n", "%YAML 1.2\n---\n", "{\"playbooks\": {}}\n", "- a\n",
                           "\"playbooks\": {}\n", "  playbooks :\n", "playbooks: {low: {}}", "key:\r\n"}) {
    INFO(yaml);
    CHECK(looks_like_yaml(yaml));
  }
  for (const char* dsl : {"runbook r {\n}\n", "# a comment: with a colon\nrunbook r {}\n", "// note: x\ntype host\n",
                          "", "\n\n", "policy strict {\n  asap 1h\n}\n", "runbook:x\n", "runbook r { title \"a: b\" }"}) {
    INFO(dsl);
    CHECK_FALSE(looks_like_yaml(dsl));
  }
}

TEST_CASE("yaml: a plain duration argument is a duration, as in the DSL; a quoted one a string", "[yaml]") {
  auto l = load(
      "playbooks:\n  low:\n    name: x\n    steps:\n      - action: collect_logs\n        target: \"{{event.host_id}}\"\n"
      "        since: 24h\n        args: {length: 4bd}\n      - action: open_ticket\n        summary: \"10m\"\n"
      "        queue: 10mo\n");
  INFO(l->dump());
  REQUIRE(l->diagnostics().empty());
  // Keys that are not step keys wait in key_args until lowering knows the action.
  auto key_arg = [&](std::size_t step, std::string_view name) -> const expr::NodePtr& {
    for (const auto& a : l->step(step).key_args) {
      if (a.name.value == name) return a.value;
    }
    return arg(l->step(step), name).value;
  };
  const auto& since = key_arg(0, "since");
  REQUIRE(since->kind == expr::Node::Kind::Literal);
  REQUIRE(std::holds_alternative<expr::DurationValue>(since->literal.v));
  CHECK(std::get<expr::DurationValue>(since->literal.v).seconds == 24 * 3600);
  CHECK(l->text(since->span) == "24h");
  CHECK(std::get<expr::DurationValue>(arg(l->step(0), "length").value->literal.v).seconds == 4 * 24 * 3600);
  CHECK(string_literal(key_arg(1, "summary")) == "10m");  // quoted: a string
  CHECK(std::holds_alternative<expr::DurationValue>(key_arg(1, "queue")->literal.v));
  auto big = load(
      "playbooks:\n  low:\n    name: x\n    steps:\n      - action: collect_logs\n        since: 99999999999999999999h\n");
  REQUIRE(big->diagnostics().size() == 1);
  CHECK(big->dump() == "6:16 [template-binding] duration `99999999999999999999h` is out of range\n");
}

TEST_CASE("YAML: for_each, parallel blocks and task keys load into the AST", "[yaml]") {
  auto loaded = load(
      "playbooks:\n"
      "  high:\n"
      "    steps:\n"
      "      - action: disable_account\n"
      "        for_each: \"{{ event.users }}\"\n"
      "        as: u\n"
      "        target: \"{{ u }}\"\n"
      "      - parallel:\n"
      "          - action: open_ticket\n"
      "            summary: a\n"
      "          - action: open_ticket\n"
      "            summary: b\n"
      "      - parallel:\n"
      "          - action: collect_logs\n"
      "      - action: task\n"
      "        instructions: call\n"
      "        assignee: ir_lead\n"
      "        within_minutes: 90\n");
  INFO(loaded->dump());
  REQUIRE(loaded->diagnostics().empty());
  const auto& rb = loaded->runbook();
  REQUIRE(rb.steps.size() == 5);
  REQUIRE(rb.steps[0].for_each);
  CHECK(rb.steps[0].for_each->variable.value == "u");
  CHECK(loaded->text(rb.steps[0].for_each->variable.span) == "u");
  CHECK(rb.steps[0].for_each->list->path == std::vector<std::string>{"event", "users"});
  // Ids de-duplicate across blocks; block numbers count from 1, in order.
  CHECK(rb.steps[1].id.value == "open_ticket");
  CHECK(rb.steps[2].id.value == "open_ticket_2");
  CHECK(rb.steps[0].parallel_block == 0);
  CHECK(rb.steps[1].parallel_block == 1);
  CHECK(rb.steps[2].parallel_block == 1);
  CHECK(rb.steps[3].parallel_block == 2);
  CHECK(rb.steps[4].parallel_block == 0);
  REQUIRE(rb.parallel.size() == 2);
  CHECK(loaded->at(rb.parallel[0]).line == 8);
  REQUIRE(rb.steps[4].assignee);
  CHECK(rb.steps[4].assignee->value == "ir_lead");
  REQUIRE(rb.steps[4].within_seconds);
  CHECK(rb.steps[4].within_seconds->value == 90 * 60);
}

TEST_CASE("YAML: a parallel block counts toward the step limit", "[yaml][limits]") {
  Limits limits;
  limits.max_steps = 2;
  auto loaded = load(
      "playbooks:\n  low:\n    steps:\n      - parallel:\n          - action: open_ticket\n            summary: a\n"
      "          - action: open_ticket\n            summary: b\n          - action: open_ticket\n            summary: c\n",
      limits);
  CHECK(loaded->runbook().steps.size() == 2);
  CHECK(loaded->dump().find("[input-limit] playbook `low` has more than 2 steps") != std::string::npos);
}
