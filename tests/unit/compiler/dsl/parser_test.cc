#include <catch2/catch.hpp>

#include "tests/unit/compiler/dsl/test_support.h"

namespace writ {
namespace {

using dsl_testing::parse_fixture;
using dsl_testing::parse_text;

const expr::Node& arg(const ast::Step& step, std::size_t i) { return *step.args.at(i).value; }

std::string path_of(const expr::Node& node) {
  std::string out;
  for (const auto& segment : node.path) out += (out.empty() ? "" : ".") + segment;
  return out;
}

TEST_CASE("DSL: the imaging example parses into the AST", "[dsl]") {
  auto p = parse_fixture("tests/data/dsl/imaging.writ");
  REQUIRE(p->messages() == "");
  REQUIRE(p->file.runbooks.size() == 1);
  const auto& rb = p->file.runbooks[0];
  CHECK(rb.id.value == "imaging");
  CHECK(p->text(rb.head) == "runbook imaging");
  CHECK(p->text(rb.id.span) == "imaging");
  CHECK(rb.title.value == "CISO alone is not enough at critical");
  CHECK(rb.severity.value == "critical");
  CHECK_FALSE(rb.event_declared);
  REQUIRE(rb.steps.size() == 1);
  const auto& step = rb.steps[0];
  CHECK(step.id.value == "image");
  CHECK(step.id_explicit);
  CHECK(step.action.value == "trigger_forensic_imaging");
  CHECK(p->text(step.head) == "step image = trigger_forensic_imaging(target: event.host_id)");
  REQUIRE(step.args.size() == 1);
  CHECK(step.args[0].name.value == "target");
  CHECK(p->text(step.args[0].span) == "target: event.host_id");
  CHECK(arg(step, 0).kind == expr::Node::Kind::Path);
  CHECK(path_of(arg(step, 0)) == "event.host_id");
  CHECK(p->text(arg(step, 0).span) == "event.host_id");
  REQUIRE(step.approval);
  CHECK_FALSE(step.approval->policy_roles);
  REQUIRE(step.approval->roles.size() == 1);
  CHECK(step.approval->roles[0].value == "ciso");
  REQUIRE(step.approval->timeout_seconds);
  CHECK(step.approval->timeout_seconds->value == 20 * 60);
  CHECK(p->text(step.approval->span) == "approve ciso within 20m");
  REQUIRE(step.preserve.size() == 1);
  CHECK(step.preserve[0].value->kind == expr::Node::Kind::Literal);
  CHECK(step.preserve[0].value->literal.v == expr::Value{std::string("/evidence/disk_image.raw")}.v);
  CHECK(p->text(step.preserve[0].span) == "\"/evidence/disk_image.raw\"");
  CHECK(p->text(step.span).substr(0, 10) == "step image");
  CHECK(p->text(step.span).back() == '}');
}

TEST_CASE("DSL: the breach_notice example parses into the AST", "[dsl]") {
  auto p = parse_fixture("tests/data/dsl/breach_notice.writ");
  REQUIRE(p->messages() == "");
  const auto& rb = p->file.runbooks.at(0);
  REQUIRE(rb.compliance.size() == 1);
  CHECK(rb.compliance[0].value == "NIS2");
  const auto& step = rb.steps.at(0);
  CHECK(step.id.value == "notify");
  const auto& channels = arg(step, 0);
  REQUIRE(channels.kind == expr::Node::Kind::List);
  REQUIRE(channels.children.size() == 2);
  CHECK(path_of(*channels.children[0]) == "encrypted_email");
  CHECK(path_of(*channels.children[1]) == "secure_portal");
  REQUIRE(step.deadline_seconds);
  CHECK(step.deadline_seconds->value == 72 * 3600);
  CHECK(p->text(step.deadline_seconds->span) == "72h");
  CHECK_FALSE(step.approval);
}

TEST_CASE("DSL: the active_breach example of DESIGN §3 parses", "[dsl]") {
  auto p = parse_fixture("tests/data/dsl/active_breach.writ");
  REQUIRE(p->messages() == "");
  const auto& rb = p->file.runbooks.at(0);
  CHECK(rb.compliance.size() == 3);
  REQUIRE(rb.event_declared);
  REQUIRE(rb.event.size() == 3);
  CHECK(rb.event[0].name.value == "segment_id");
  CHECK(rb.event[0].type.value == "segment");
  REQUIRE(rb.steps.size() == 4);
  const auto& isolate = rb.steps[0];
  REQUIRE(isolate.rollback);
  CHECK(isolate.rollback->action.value == "restore_network_segment");
  REQUIRE(isolate.rollback->args.size() == 1);
  CHECK(path_of(*isolate.rollback->args[0].value) == "event.segment_id");
  CHECK(p->text(isolate.rollback->span) == "rollback restore_network_segment(target: event.segment_id)");
  CHECK(isolate.preserve.size() == 2);
  CHECK(rb.steps[1].satisfies.at(0).value == "nis2.early_warning");
  const auto& revoke = rb.steps[2];
  REQUIRE(revoke.approval);
  CHECK(revoke.approval->roles.size() == 2);
  CHECK(revoke.approval->timeout_seconds->value == 15 * 60);
  const auto& notify = rb.steps[3];
  REQUIRE(notify.satisfies.size() == 3);
  CHECK(notify.satisfies[2].value == "sec.8k");
}

TEST_CASE("DSL: every runbook and step statement", "[dsl]") {
  auto p = parse_fixture("tests/data/dsl/full_syntax.writ");
  REQUIRE(p->messages() == "");
  const auto& rb = p->file.runbooks.at(0);
  CHECK(rb.title.value == "Every \"statement\" at once");
  CHECK(p->text(rb.title.span) == "\"Every \\\"statement\\\" at once\"");
  REQUIRE(rb.compliance.size() == 5);
  CHECK(rb.compliance[1].value == "UK-GDPR");
  CHECK(rb.compliance[3].value == "CERT-In");
  CHECK(rb.compliance[4].value == "GDPR.subjects");
  CHECK(rb.version->value == "2.1");
  CHECK(rb.owner->value == "secops@example.com");
  CHECK(rb.last_updated->value == "2026-01-15");
  REQUIRE(rb.event.size() == 3);
  CHECK(rb.event[2].type.value == "list<ip>");
  REQUIRE(rb.when);
  CHECK(rb.when->kind == expr::Node::Kind::Binary);
  CHECK(rb.when->op == "&&");
  CHECK(p->text(rb.when->span) == "event.confidence > 0.5 && event.severity == \"critical\"");

  REQUIRE(rb.steps.size() == 3);
  const auto& isolate = rb.steps[0];
  CHECK(isolate.rollback->action.value == "restore_host");
  CHECK(isolate.rollback->args.empty());
  REQUIRE(isolate.preserve.size() == 2);
  CHECK(isolate.preserve[0].value->kind == expr::Node::Kind::Interpolation);
  CHECK(isolate.deadline_seconds->value == 24 * 3600);
  CHECK(isolate.timeout_seconds->value == 600);
  REQUIRE(isolate.when);
  CHECK(isolate.when->op == ">=");
  CHECK(isolate.retries->value == 3);
  CHECK(isolate.on_failure->value == ast::OnFailure::Rollback);
  CHECK(isolate.satisfies.size() == 2);

  const auto& notify = rb.steps[1];
  CHECK(notify.id.value == "notify");
  CHECK_FALSE(notify.approval);
  const auto& page = rb.steps[2];
  REQUIRE(page.args.size() == 2);
  CHECK(page.args[1].name.value == "message");
  CHECK(arg(page, 1).op == "+");
  REQUIRE(page.approval);
  CHECK(page.approval->policy_roles);
  CHECK(page.approval->roles.empty());
  CHECK_FALSE(page.approval->timeout_seconds);
  CHECK(page.on_failure->value == ast::OnFailure::Continue);
}

TEST_CASE("DSL: approve forms", "[dsl]") {
  auto p = parse_text(
      "runbook r {\n"
      "  step a = x() { approve }\n"
      "  step b = x() { approve within 20m }\n"
      "  step c = x() { approve ciso }\n"
      "}\n");
  REQUIRE(p->messages() == "");
  const auto& steps = p->file.runbooks.at(0).steps;
  CHECK(steps[0].approval->policy_roles);
  CHECK(steps[1].approval->policy_roles);
  CHECK(steps[1].approval->timeout_seconds->value == 1200);
  CHECK_FALSE(steps[2].approval->policy_roles);
  CHECK(steps[2].approval->roles.at(0).value == "ciso");
  CHECK(p->text(steps[1].approval->span) == "approve within 20m");
}

TEST_CASE("DSL: runbook and step ids may hold '-' and '.' but not start with them", "[dsl]") {
  auto p = parse_text("runbook high-1 {\n  step notify.ciso-1 = x()\n}\n");
  REQUIRE(p->messages() == "");
  CHECK(p->file.runbooks.at(0).id.value == "high-1");
  CHECK(p->file.runbooks.at(0).steps.at(0).id.value == "notify.ciso-1");
  CHECK(p->text(p->file.runbooks.at(0).steps.at(0).id.span) == "notify.ciso-1");
  for (const char* bad :
       {"runbook -r {\n}\n", "runbook r {\n  step 1a = x()\n}\n", "runbook r {\n  step .a = x()\n}\n"}) {
    INFO(bad);
    auto q = parse_text(bad);
    CHECK(q->messages().find("[syntax]") != std::string::npos);
  }
}

TEST_CASE("DSL: duration units", "[dsl]") {
  auto p = parse_text(
      "runbook r {\n"
      "  step a = x() { timeout 45s }\n  step b = x() { timeout 15m }\n  step c = x() { timeout 2h }\n"
      "  step d = x() { timeout 3d }\n  step e = x() { timeout 3cd }\n  step f = x() { timeout 4bd }\n"
      "  step g = x() { timeout 1mo }\n"
      "}\n");
  REQUIRE(p->messages() == "");
  const std::int64_t expected[] = {45, 900, 7200, 3 * 86400, 3 * 86400, 4 * 86400, 28 * 86400};
  const auto& steps = p->file.runbooks.at(0).steps;
  REQUIRE(steps.size() == 7);
  for (std::size_t i = 0; i < steps.size(); ++i) CHECK(steps[i].timeout_seconds->value == expected[i]);
}

TEST_CASE("DSL: comments, semicolons and CRLF", "[dsl]") {
  auto p = parse_text(
      "# leading comment\r\n"
      "runbook r { // trailing\r\n"
      "  title \"t\"; severity low   # both on one line\r\n"
      "\r\n"
      "  step a = isolate_host(  # arguments may span lines\r\n"
      "    target: event.host_id, // comment\r\n"
      "  ) {\r\n"
      "    preserve \"/a\",\r\n"
      "             \"/b\"\r\n"
      "  }\r\n"
      "}\r\n");
  REQUIRE(p->messages() == "");
  const auto& rb = p->file.runbooks.at(0);
  CHECK(rb.title.value == "t");
  CHECK(rb.severity.value == "low");
  CHECK(rb.steps.at(0).args.size() == 1);
  CHECK(rb.steps.at(0).preserve.size() == 2);
}

TEST_CASE("DSL: string escapes map template positions back to the source", "[dsl]") {
  auto p = parse_text("runbook r {\n  step a = x() { preserve \"/ev\\u0069dence/\\\"{{ event.host_id }}\" }\n}\n");
  REQUIRE(p->messages() == "");
  const auto& path = *p->file.runbooks.at(0).steps.at(0).preserve.at(0).value;
  REQUIRE(path.kind == expr::Node::Kind::Interpolation);
  REQUIRE(path.children.size() == 2);
  CHECK(path.children[0]->literal.v == expr::Value{std::string("/evidence/\"")}.v);
  CHECK(p->text(path.children[1]->span) == "event.host_id");
}

TEST_CASE("DSL: a bad template in a preserve path points into the string", "[dsl]") {
  auto p = parse_text("runbook r {\n  step a = x() { preserve \"/e/\\t{{ event. }}\" }\n}\n");
  REQUIRE(p->sink.diagnostics().size() == 1);
  const auto& d = p->sink.diagnostics()[0];
  CHECK(d.rule == Rule::TemplateBinding);
  CHECK(p->source->locate(d.span.begin).line == 2);
  CHECK(p->source->locate(d.span.begin).column > 30);
}

TEST_CASE("DSL: declarations", "[dsl]") {
  auto p = parse_text(
      "type host, user\n"
      "channel slack, email\n"
      "role ciso\n"
      "event { id: string, host_id: host }\n"
      "action isolate_host(target: host) {\n"
      "  effect  contain\n  inverse restore_host\n  timeout 30m\n  doc     \"Isolate\"\n"
      "}\n"
      "action notify_vendor(vendor: string, channels: list<channel>, message?: string) { effect notify }\n"
      "action bare()\n"
      "regulation gdpr \"EU GDPR\" {\n"
      "  tag GDPR, GDPR-EU\n"
      "  obligation authority \"notify the supervisory authority\" within 72h {\n"
      "    trigger \"controller becomes aware\"\n    notify \"lead supervisory authority\"\n"
      "    cite \"Reg. 2016/679 Art. 33(1)\"\n"
      "  }\n"
      "  obligation subjects \"notify data subjects\" within asap conditional\n"
      "  obligation 8k \"filing\" within 4bd { }\n"
      "}\n"
      "policy default {\n"
      "  severity low { }\n"
      "  severity critical { approve ciso, legal for contain, collect }\n"
      "  approval_timeout 60m\n  step_timeout 30m\n  asap 24h\n"
      "  evidence_roots \"/evidence\", \"/var/ir\"\n"
      "}\n");
  REQUIRE(p->messages() == "");
  const auto& f = p->file;
  REQUIRE(f.types.size() == 1);
  CHECK(f.types[0].names.size() == 2);
  REQUIRE(f.enums.size() == 2);
  CHECK(f.enums[0].type.value == "channel");
  CHECK(f.enums[0].values[1].value == "email");
  CHECK(f.enums[1].type.value == "role");
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].fields[1].type.value == "host");

  REQUIRE(f.actions.size() == 3);
  const auto& isolate = f.actions[0];
  CHECK(isolate.name.value == "isolate_host");
  CHECK(isolate.params.at(0).name.value == "target");
  CHECK(isolate.params.at(0).type.value == "host");
  CHECK(isolate.effect.value == "contain");
  CHECK(isolate.inverse->value == "restore_host");
  CHECK(isolate.timeout_seconds->value == 1800);
  CHECK(isolate.doc->value == "Isolate");
  const auto& vendor = f.actions[1];
  REQUIRE(vendor.params.size() == 3);
  CHECK(vendor.params[1].type.value == "list<channel>");
  CHECK_FALSE(vendor.params[1].optional);
  CHECK(vendor.params[2].optional);
  CHECK_FALSE(vendor.inverse);
  CHECK(f.actions[2].params.empty());

  REQUIRE(f.regulations.size() == 1);
  const auto& gdpr = f.regulations[0];
  CHECK(gdpr.name.value == "gdpr");
  CHECK(gdpr.regime.value == "EU GDPR");
  REQUIRE(gdpr.tags.size() == 2);
  CHECK(gdpr.tags[1].value == "GDPR-EU");
  REQUIRE(gdpr.obligations.size() == 3);
  const auto& authority = gdpr.obligations[0];
  CHECK(authority.id.value == "authority");
  CHECK(authority.title.value == "notify the supervisory authority");
  CHECK(authority.deadline_seconds->value == 72 * 3600);
  CHECK(authority.deadline_text == "72h");
  CHECK_FALSE(authority.conditional);
  CHECK(authority.trigger == "controller becomes aware");
  CHECK(authority.notify == "lead supervisory authority");
  CHECK(authority.citation == "Reg. 2016/679 Art. 33(1)");
  const auto& subjects = gdpr.obligations[1];
  CHECK_FALSE(subjects.deadline_seconds);
  CHECK(subjects.deadline_text == "asap");
  CHECK(subjects.conditional);
  CHECK(gdpr.obligations[2].id.value == "8k");
  CHECK(gdpr.obligations[2].deadline_seconds->value == 4 * 86400);
  CHECK(gdpr.obligations[2].deadline_text == "4bd");

  REQUIRE(f.policies.size() == 1);
  const auto& policy = f.policies[0];
  REQUIRE(policy.severities.size() == 2);
  CHECK(policy.severities[0].roles.empty());
  CHECK(policy.severities[1].severity.value == "critical");
  CHECK(policy.severities[1].roles.size() == 2);
  CHECK(policy.severities[1].effects.size() == 2);
  CHECK(policy.approval_timeout_seconds->value == 3600);
  CHECK(policy.step_timeout_seconds->value == 1800);
  CHECK(policy.asap_seconds->value == 86400);
  REQUIRE(policy.evidence_roots.size() == 2);
  CHECK(policy.evidence_roots[1].value == "/var/ir");
}

// ---------------------------------------------------------------------------------------
// Errors: exactly one syntax diagnostic at the failing position, never an exception.

struct ExpectedError {
  const char* text;
  const char* message;
  int line;
  int column;
};

TEST_CASE("DSL: syntax errors carry the rule's message and position", "[dsl]") {
  const ExpectedError cases[] = {
      {"runbook r {\n  step a isolate_host(target: event.host_id)\n}\n",
       "expected `=` and an action call after the step name", 2, 10},
      {"runbook r {\n  step a = isolate_host\n}\n", "expected `(` and the action's arguments after the action name", 2,
       24},
      {"runbook x {\n  title \"t\"\n", "expected `}` to close runbook `x`", 3, 1},
      {"runbook x {\n  step s = y() {\n    deadline 2h\n", "expected `}` to close step `s`", 4, 1},
      {"runbook r {\n  step a = x() {\n    aprove ciso\n  }\n}\n",
       "unknown statement `aprove`; did you mean `approve`?", 3, 5},
      {"runbook r {\n  severty high\n}\n", "unknown statement `severty`; did you mean `severity`?", 2, 3},
      {"runbok r {\n}\n", "unknown declaration `runbok`; did you mean `runbook`?", 1, 1},
      {"runbook r {\n  title \"open\n}\n", "unterminated string: expected a closing `\"` on the same line", 2, 14},
      {"runbook r {\n  step a = x() { deadline 15min }\n}\n",
       "expected a duration such as `30s`, `15m`, `72h`, `3cd`, `4bd` or `1mo`", 2, 27},
      {"runbook r {\n  step a = x(target: event.) \n}\n", "expected a field name after `.`", 2, 28},
      {"runbook r {\n  step a = x(target event.host_id)\n}\n", "expected `:` after the argument name", 2, 21},
      {"runbook r {\n  title \"a\" \"b\"\n}\n", "expected the end of the statement (a newline or `;`)", 2, 13},
      {"runbook r {\n  step a = x() { on_failure retry }\n}\n", "expected `halt`, `rollback` or `continue`", 2, 29},
      {"runbook r {\n  step a = x(t: 1,,)\n}\n", "expected an argument `name: value` after `,`", 2, 19},
      {"action a(target host) { effect contain }\n", "expected `:` and a type after the parameter name", 1, 17},
      {"action a(t: host) {\n  effect contain\n", "expected `}` to close the declaration of `a`", 3, 1},
      {"regulation r \"R\" {\n  obligation o \"O\" 72h\n}\n", "expected `within` and the obligation's deadline", 2, 20},
      {"policy p {\n  severity high { approve ciso contain }\n}\n", "expected `for` and the effects that need approval",
       2, 32},
      {"event { a: host b: user }\n", "expected `}` to close the event schema (separate fields with `,` or a newline)",
       1, 17},
      {"}\n",
       "expected a declaration: `runbook`, `action`, `type`, `channel`, `role`, `event`, `regulation` or `policy`", 1,
       1},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::unique_ptr<dsl_testing::Parsed> p;
    REQUIRE_NOTHROW(p = parse_text(c.text));
    REQUIRE(p->sink.diagnostics().size() == 1);
    const auto& d = p->sink.diagnostics()[0];
    CHECK(d.rule == Rule::Syntax);
    CHECK(d.message == c.message);
    auto at = p->source->locate(d.span.begin);
    CHECK(at.line == c.line);
    CHECK(at.column == c.column);
  }
}

TEST_CASE("DSL: a syntax error names the runbook and step it is in", "[dsl]") {
  auto p = parse_text("runbook r {\n  step s = x() { retries many }\n}\n");
  REQUIRE(p->sink.diagnostics().size() == 1);
  CHECK(p->sink.diagnostics()[0].runbook == "r");
  CHECK(p->sink.diagnostics()[0].step == "s");
  auto q = parse_text("runbook r {\n  step s = x()\n}\nbogus\n");
  REQUIRE(q->sink.diagnostics().size() == 1);
  CHECK(q->sink.diagnostics()[0].runbook.empty());
}

TEST_CASE("DSL: a statement given twice is reported once with a note", "[dsl]") {
  auto p = parse_text("runbook r {\n  title \"a\"\n  title \"b\"\n  step s = x() { deadline 1h; deadline 2h }\n}\n");
  REQUIRE(p->sink.diagnostics().size() == 2);
  CHECK(p->sink.diagnostics()[0].message == "`title` is given twice in runbook `r`");
  CHECK(p->sink.diagnostics()[0].notes.size() == 1);
  CHECK(p->sink.diagnostics()[1].message == "`deadline` is given twice in step `s`");
  CHECK(p->file.runbooks.at(0).title.value == "a");
  CHECK(p->file.runbooks.at(0).steps.at(0).deadline_seconds->value == 3600);
}

TEST_CASE("DSL: a policy may require approver identity", "[dsl]") {
  auto p = parse_text("policy p {\n  severity high { approve ciso for contain }\n  approver_identity required\n}\n");
  REQUIRE(p->messages() == "");
  const auto& policy = p->file.policies.at(0);
  REQUIRE(policy.approver_identity);
  CHECK(policy.approver_identity->value == "required");
  CHECK(p->text(policy.approver_identity->span) == "required");
  CHECK(parse_text("policy p { approver_identity optional }\n")->file.policies.at(0).approver_identity->value == "optional");
  CHECK_FALSE(parse_text("policy p { asap 1h }\n")->file.policies.at(0).approver_identity);

  auto twice = parse_text("policy p {\n  approver_identity required\n  approver_identity optional\n}\n");
  REQUIRE(twice->sink.diagnostics().size() == 1);
  CHECK(twice->sink.diagnostics()[0].message == "`approver_identity` is given twice in policy `p`");
  CHECK(twice->file.policies.at(0).approver_identity->value == "required");

  const ExpectedError errors[] = {
      {"policy p {\n  approver_identity\n}\n", "expected `required` or `optional`", 2, 20},
      {"policy p {\n  approver_identty required\n}\n", "unknown statement `approver_identty`; did you mean `approver_identity`?",
       2, 3},
  };
  for (const auto& c : errors) {
    INFO(c.text);
    auto e = parse_text(c.text);
    REQUIRE(e->sink.diagnostics().size() == 1);
    CHECK(e->sink.diagnostics()[0].message == c.message);
    CHECK(e->source->locate(e->sink.diagnostics()[0].span.begin).line == c.line);
    CHECK(e->source->locate(e->sink.diagnostics()[0].span.begin).column == c.column);
  }
}

TEST_CASE("DSL: overflowing numbers are diagnostics", "[dsl]") {
  auto p =
      parse_text("runbook r {\n  step s = x() { deadline 99999999999999999999h; retries 99999999999999999999 }\n}\n");
  REQUIRE(p->sink.diagnostics().size() == 2);
  CHECK(p->sink.diagnostics()[0].message == "duration `99999999999999999999h` is too large");
  CHECK(p->sink.diagnostics()[1].message == "number `99999999999999999999` is too large");
}

TEST_CASE("DSL: an empty file and a file of comments are valid", "[dsl]") {
  CHECK(parse_text("")->messages() == "");
  CHECK(parse_text("# nothing\n// here\n\n")->messages() == "");
}

// ---------------------------------------------------------------------------------------
// Limits

TEST_CASE("DSL: file size limit", "[dsl]") {
  Limits limits;
  limits.max_file_bytes = 16;
  auto p = parse_text("runbook r { title \"longer than sixteen bytes\" }\n", limits);
  REQUIRE(p->sink.diagnostics().size() == 1);
  CHECK(p->sink.diagnostics()[0].rule == Rule::InputLimit);
  CHECK(p->file.runbooks.empty());
}

TEST_CASE("DSL: step and runbook count limits", "[dsl]") {
  Limits limits;
  limits.max_steps = 2;
  limits.max_runbooks = 1;
  auto p = parse_text(
      "runbook r {\n step a = x()\n step b = x()\n step c = x()\n step d = x()\n}\nrunbook q { }\nrunbook z { }\n",
      limits);
  REQUIRE(p->sink.diagnostics().size() == 2);
  CHECK(p->sink.diagnostics()[0].rule == Rule::InputLimit);
  CHECK(p->source->locate(p->sink.diagnostics()[0].span.begin).line == 4);
  CHECK(p->sink.diagnostics()[1].rule == Rule::InputLimit);
  REQUIRE(p->file.runbooks.size() == 1);
  CHECK(p->file.runbooks[0].steps.size() == 2);
}

TEST_CASE("DSL: pathological nesting is an input-limit diagnostic, not a crash", "[dsl]") {
  std::string deep(20000, '[');
  auto p = parse_text("runbook r {\n  step a = x(target: " + deep + ")\n}\n");
  REQUIRE(p->sink.diagnostics().size() == 1);
  CHECK(p->sink.diagnostics()[0].rule == Rule::InputLimit);
  std::string types;
  for (int i = 0; i < 5000; ++i) types += "list<";
  auto q = parse_text("event { a: " + types + " }\n");
  REQUIRE(q->sink.diagnostics().size() == 1);
  CHECK(q->sink.diagnostics()[0].rule == Rule::InputLimit);
}

TEST_CASE("DSL: expressions nested up to the documented depth parse", "[dsl]") {
  const std::size_t depth = Limits{}.max_nesting_depth - 4;
  std::string nested = std::string(depth, '[') + "1" + std::string(depth, ']');
  auto p = parse_text("runbook r {\n  step a = x(target: " + nested + ") { when " + std::string(depth, '(') + "true" +
                      std::string(depth, ')') + " }\n}\n");
  CHECK(p->messages() == "");
}

TEST_CASE("DSL: invalid UTF-8 is a syntax error", "[dsl]") {
  auto p = parse_text("runbook r { title \"\xff\" }\n");
  REQUIRE(p->sink.diagnostics().size() == 1);
  CHECK(p->sink.diagnostics()[0].rule == Rule::Syntax);
  CHECK(p->sink.diagnostics()[0].span.begin == 19);
}

TEST_CASE("DSL: a string may not hold NUL, raw or as \\u0000", "[dsl][trust]") {
  // Finding 2: a raw NUL inside a string literal used to reach the IR (and an argv, cut short).
  using namespace std::string_literals;
  auto raw = parse_text("runbook r {\n  title \"a\0b\"\n}\n"s);
  CHECK(raw->messages() == "2:11: [syntax] a NUL byte is not allowed in a string: it would cut the value short\n");
  auto escaped = parse_text("runbook r {\n  step s = open_ticket(summary: \"x\\u0000y\")\n}\n");
  // An argument is an expression, whose strings have no \u escape at all.
  CHECK(escaped->messages() == "2:36: [syntax] unknown escape sequence: use \\\", \\', \\\\, \\n, \\t or \\r\n");
  auto title = parse_text("runbook r {\n  title \"a\\u0000b\"\n}\n");
  CHECK(title->messages().find("2:12: [syntax] `\\u0000` (NUL)") == 0);
  // In an expression's string literal (the embedded language's own strings).
  auto when = parse_text("runbook r {\n  step s = x() { when event.impact == \"a\0b\" }\n}\n"s);
  CHECK(when->messages() == "2:41: [syntax] a NUL character (U+0000) is not allowed in a runbook: it would cut the value short\n");
  // Other escapes and code points stay allowed.
  auto fine = parse_text("runbook r {\n  title \"tab\\t \\u0001 \\u00e9\"\n}\n");
  CHECK(fine->messages() == "");
  CHECK(fine->file.runbooks.at(0).title.value == "tab\t \x01 \xc3\xa9");
}

TEST_CASE("DSL: for, parallel, assignee and within parse into the AST", "[dsl]") {
  auto p = parse_text(
      "runbook r {\n"
      "  step lock = disable_account(target: u) for u in event.users {\n"
      "    rollback enable_account\n"
      "  }\n"
      "  parallel {\n"
      "    step a = open_ticket(summary: \"a\")\n"
      "    step b = open_ticket(summary: \"b\") for x in [\"1\", \"2\"]\n"
      "  }\n"
      "  parallel { step c = open_ticket(summary: \"c\") }\n"
      "  step call = task(instructions: \"call\") {\n"
      "    assignee ir_lead\n"
      "    within   90m\n"
      "  }\n"
      "}\n");
  INFO(p->messages());
  REQUIRE(p->messages() == "");
  const auto& rb = p->file.runbooks.at(0);
  REQUIRE(rb.steps.size() == 5);
  REQUIRE(rb.steps[0].for_each);
  CHECK(rb.steps[0].for_each->variable.value == "u");
  CHECK(path_of(*rb.steps[0].for_each->list) == "event.users");
  CHECK(p->text(rb.steps[0].for_each->span) == "for u in event.users");
  CHECK(rb.steps[1].parallel_block == 1);
  CHECK(rb.steps[2].parallel_block == 1);
  CHECK(rb.steps[2].for_each->list->kind == expr::Node::Kind::List);
  CHECK(rb.steps[3].parallel_block == 2);
  CHECK(rb.steps[4].parallel_block == 0);
  REQUIRE(rb.parallel.size() == 2);
  CHECK(p->text(rb.parallel[1]) == "parallel { step c = open_ticket(summary: \"c\") }");
  CHECK(rb.steps[4].assignee->value == "ir_lead");
  CHECK(rb.steps[4].within_seconds->value == 90 * 60);
}

TEST_CASE("DSL: construct mistakes are syntax errors at their position", "[dsl]") {
  auto nested = parse_text("runbook r {\n  parallel {\n    parallel { }\n  }\n}\n");
  CHECK(nested->messages().find("3:5: [syntax] a `parallel` block cannot hold another `parallel` block") == 0);
  auto empty = parse_text("runbook r {\n  parallel { }\n}\n");
  CHECK(empty->messages() == "2:3: [syntax] this `parallel` block holds no steps\n");
  auto no_in = parse_text("runbook r {\n  step s = open_ticket(summary: \"a\") for u event.users\n}\n");
  CHECK(no_in->messages().find("2:44: [syntax] expected `in` and a list after the loop variable") == 0);
  auto misspelt = parse_text("runbook r {\n  step s = task(instructions: \"a\") {\n    asignee ir_lead\n  }\n}\n");
  CHECK(misspelt->messages().find("unknown statement `asignee`; did you mean `assignee`?") != std::string::npos);
  auto in_block = parse_text("runbook r {\n  parallel {\n    title \"x\"\n  }\n}\n");
  CHECK(in_block->messages().find("unknown statement `title`") != std::string::npos);
}

}  // namespace
}  // namespace writ
