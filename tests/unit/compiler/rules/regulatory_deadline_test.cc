#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

namespace {

std::vector<const Diagnostic*> errors_of(const Compiled& c, Rule rule) {
  std::vector<const Diagnostic*> out;
  for (const auto* d : c.of(rule)) {
    if (d->severity == Severity::Error) out.push_back(d);
  }
  return out;
}

// A runbook for one obligation: an approval of `approval_minutes`, then a notice with a
// deadline of `deadline_hours` that names the obligation (or, unnamed, only notifies).
struct ObligationRunbook {
  std::string obligation;
  std::int64_t approval_minutes = 15;
  std::int64_t deadline_hours = 0;
  bool named = true;

  std::string yaml() const {
    std::string out = fmt::format(
        "metadata:\n  compliance_tags: [\"{}\"]\nplaybooks:\n  critical:\n    name: \"T\"\n    steps:\n"
        "      - action: revoke_active_sessions\n        id: revoke\n        target: \"{{{{event.user_id}}}}\"\n"
        "        requires_approval: true\n        approval_timeout_minutes: {}\n"
        "      - action: notify_regulatory_contact\n        id: notify\n        channels: [secure_portal]\n"
        "        deadline_hours: {}\n",
        obligation, approval_minutes, deadline_hours);
    if (named) out += fmt::format("        satisfies: [{}]\n", obligation);
    return out;
  }
  std::string dsl() const {
    return fmt::format(
        "runbook t {{\n  title \"T\"\n  severity critical\n  comply {}\n"
        "  step revoke = revoke_active_sessions(target: event.user_id) {{\n    approve within {}m\n  }}\n"
        "  step notify = notify_regulatory_contact(channels: [secure_portal]) {{\n    deadline {}h\n{}  }}\n}}\n",
        obligation, approval_minutes, deadline_hours, named ? "    satisfies " + obligation + "\n" : "");
  }
};

std::vector<Compiled> compile_both(const ObligationRunbook& runbook) {
  std::vector<Compiled> out;
  out.push_back(compile_yaml(runbook.yaml()));
  out.push_back(compile_dsl(runbook.dsl()));
  return out;
}

}  // namespace

TEST_CASE("regulatory-deadline: the seed's 72h notice misses NIS2's 24h early warning", "[rules]") {
  auto c = compile_fixture("tests/data/seed/seed_active_breach.yaml");
  INFO(c.dump());
  auto found = c.of(Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 2);
  const Diagnostic* error = found[0]->severity == Severity::Error ? found[0] : found[1];
  const Diagnostic* note = found[0] == error ? found[1] : found[0];
  CHECK(error->severity == Severity::Error);
  CHECK(error->message ==
        "NIS2 early warning (nis2.early_warning) is due within 24h (Dir. 2022/2555 Art. 23(4)(a)) but step "
        "`notify_regulatory_contact` promises 72h");
  CHECK(error->step == "notify_regulatory_contact");
  CHECK(c.text(*error).find("72") != std::string_view::npos);
  CHECK(note->severity == Severity::Note);
  CHECK(note->message.find("nis2.final_report") != std::string::npos);
  CHECK(c.text(*note).find("NIS2") != std::string_view::npos);
}

TEST_CASE("regulatory-deadline: the fixed DSL seed meets every obligation", "[rules]") {
  auto c = compile_fixture("tests/data/dsl/active_breach.writ");
  INFO(c.dump());
  CHECK(errors_of(c, Rule::RegulatoryDeadline).empty());
}

TEST_CASE("regulatory-deadline: a long approval before the notice shows the path", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity critical
  comply NIS2
  step isolate = isolate_network_segment(target: event.segment_id) {
    rollback restore_network_segment
  }
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 25h
  }
  step early_warning = notify_regulatory_contact(channels: [secure_portal]) {
    deadline 24h
    satisfies nis2.early_warning
  }
  step notify = notify_regulatory_contact(channels: [secure_portal]) {
    deadline 72h
    satisfies nis2.notification, nis2.final_report
  }
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message ==
        "`revoke` approval up to 25h 0m, steps before it up to 1h 0m → step `early_warning` reached at 26h 0m > 24h "
        "for NIS2 early warning (nis2.early_warning, Dir. 2022/2555 Art. 23(4)(a))");
  CHECK(c.text(*found[0]).substr(0, 20) == "step early_warning =");
  REQUIRE(found[0]->notes.size() == 3);
  CHECK(found[0]->notes[0].message == "+30m: `isolate` may run this long (its timeout)");
  CHECK(found[0]->notes[1].message == "+25h 0m: `revoke` waits up to this long for approval");
  CHECK(found[0]->notes[2].message == "+30m: `revoke` may run this long (its timeout)");
}

TEST_CASE("regulatory-deadline: asap obligations hold without an approval wait in front", "[rules]") {
  auto runbook = [](const std::string& approve) {
    return compile_dsl(R"(runbook t {
  title "T"
  severity critical
  comply GDPR.subjects
  step image = trigger_forensic_imaging(target: event.host_id) {
    timeout 30h
)" + approve + R"(
  }
  step tell = notify_regulatory_contact(channels: [email]) {
    satisfies gdpr.subjects
  }
}
)");
  };
  auto unapproved = runbook("");
  INFO(unapproved.dump());
  CHECK(unapproved.of(Rule::RegulatoryDeadline).empty());
  auto approved = runbook("    approve within 15m");
  INFO(approved.dump());
  auto found = approved.of(Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message.find("reached at 30h 15m > 24h 0m asap bound for EU GDPR") != std::string::npos);
}

TEST_CASE("regulatory-deadline: unknown tags and obligations get a did-you-mean", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity low
  comply NIS, gdpr.subject
  step tell = notify_regulatory_contact(channels: [email]) {
    deadline 24h
    satisfies nis2.early_warn
  }
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 3);
  CHECK(found[0]->message == "unknown compliance tag `NIS`: no regulation in the catalog names it");
  CHECK(found[0]->help == std::vector<std::string>{"did you mean `NIS2`?"});
  CHECK(found[1]->message == "unknown compliance tag `gdpr.subject`: no regulation in the catalog names it");
  CHECK(found[1]->help == std::vector<std::string>{"did you mean `gdpr.subjects`?"});
  CHECK(found[2]->message == "step `tell` satisfies `nis2.early_warn`, which is not an obligation in the catalog");
  CHECK(found[2]->help == std::vector<std::string>{"did you mean `nis2.early_warning`?"});
  CHECK(c.text(*found[2]) == "nis2.early_warn");
}

TEST_CASE("regulatory-deadline: an obligation no step can meet is reported at its tag", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity low
  comply DORA
  step tell = notify_ciso_and_legal(channels: [email])
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 3);
  for (const auto* d : found) CHECK(c.text(*d) == "DORA");
  auto errors = errors_of(c, Rule::RegulatoryDeadline);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0]->message ==
        "no step satisfies DORA initial notification (dora.initial, 4h, Reg. 2022/2554 Art. 19(4)(a); Del. Reg. "
        "2025/301 Art. 5(1)(a))");
  CHECK(errors[0]->help.at(0) ==
        "add a step that notifies in time, e.g. `step dora_initial = notify_regulatory_contact(channels: "
        "[secure_portal]) { deadline 4h; satisfies dora.initial }` before any long approval");

  // The help's suggestion, applied, meets the obligation.
  auto fixed = compile_dsl(R"(runbook t {
  title "T"
  severity low
  comply DORA.initial
  step dora_initial = notify_regulatory_contact(channels: [secure_portal]) { deadline 4h; satisfies dora.initial }
}
)");
  INFO(fixed.dump());
  CHECK(fixed.file.diagnostics.empty());
}

TEST_CASE("regulatory-deadline: a named deadline beyond the obligation's is reported once", "[rules]") {
  auto c = compile_yaml(R"(playbooks:
  high:
    name: "T"
    compliance_tags: [SEC]
    steps:
      - action: notify_regulatory_contact
        id: file_8k
        channels: [secure_portal]
        deadline_hours: 120
        satisfies: [sec.8k]
)");
  INFO(c.dump());
  auto found = c.of(Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message ==
        "US SEC Form 8-K Item 1.05 filing (sec.8k) is due within 4bd (counted as 96h 0m) (Form 8-K Item 1.05; "
        "Release 33-11216) but step `file_8k` promises 120h");
  CHECK(c.text(*found[0]).find("120") != std::string_view::npos);
}

TEST_CASE("regulatory-deadline: every catalog obligation is enforced", "[rules]") {
  const auto& catalog = stdlib_catalog();
  REQUIRE(catalog.obligations.size() >= 20);
  for (const auto& [id, ob] : catalog.obligations) {
    std::int64_t bound = ob.deadline_seconds.value_or(catalog.policy().asap_seconds);
    REQUIRE(bound % 3600 == 0);
    std::int64_t hours = bound / 3600;
    for (bool named : {true, false}) {
      INFO(id << (named ? " named" : " unnamed"));
      // In time: a short approval, the obligation's own deadline.
      for (const auto& c : compile_both({id, 15, hours, named})) {
        INFO(c.dump());
        if (named || !ob.follow_up()) {
          CHECK(c.of(Rule::RegulatoryDeadline).empty());
        } else {
          // An unnamed notice does not close a follow-up: it stays open as a note.
          auto found = c.of(Rule::RegulatoryDeadline);
          REQUIRE(found.size() == 1);
          CHECK(found[0]->severity == Severity::Note);
          continue;
        }
        CHECK_FALSE(c.file.has_errors());
      }
      if (!named && ob.follow_up()) continue;
      // Too late to arrive: the approval alone takes the whole window.
      for (const auto& c : compile_both({id, hours * 60, hours, named})) {
        INFO(c.dump());
        auto found = errors_of(c, Rule::RegulatoryDeadline);
        REQUIRE(found.size() == 1);
        CHECK(found[0]->step == "notify");
        CHECK(found[0]->message.find("→ step `notify` reached at") != std::string::npos);
        CHECK(found[0]->message.find(id) != std::string::npos);
      }
      // Too late a promise.
      for (const auto& c : compile_both({id, 15, hours + 1, named})) {
        INFO(c.dump());
        auto found = errors_of(c, Rule::RegulatoryDeadline);
        REQUIRE(found.size() == 1);
        CHECK(found[0]->message.find(fmt::format("promises {}h", hours + 1)) != std::string::npos);
        CHECK(found[0]->message.find(id) != std::string::npos);
        CHECK(c.text(*found[0]).find(std::to_string(hours + 1)) != std::string_view::npos);
      }
    }
  }
}

// Issue 18: a step guarded by `when false` counted as meeting PCI's card-brand notice.
TEST_CASE("regulatory-deadline: only a step that always runs meets an obligation", "[rules]") {
  auto runbook = [](const std::string& when, const std::string& extra = "") {
    return compile_dsl("runbook t {\n  title \"T\"\n  severity high\n  comply PCI-DSS\n"
                       "  step brands = notify_card_brands(channels: [secure_portal]) {\n    " +
                       when + "\n    satisfies pci.brands\n  }\n" + extra + "}\n");
  };
  auto dead = runbook("when false");
  INFO(dead.dump());
  auto found = errors_of(dead, Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message.rfind("no step satisfies PCI DSS notify acquirer and card brands (pci.brands", 0) == 0);
  CHECK(dead.of(Rule::DeadStep).size() == 1);

  auto conditional = runbook("when event.confidence > 0.9");
  INFO(conditional.dump());
  found = errors_of(conditional, Rule::RegulatoryDeadline);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message ==
        "PCI DSS notify acquirer and card brands (pci.brands) is met only when `event.confidence > 0.9`: step "
        "`brands` runs only then");
  CHECK(conditional.text(*found[0]) == "event.confidence > 0.9");
  CHECK(found[0]->help.at(0).find("add one without `when` that satisfies `pci.brands`") != std::string::npos);

  // A constantly true condition is no condition; a guaranteed step beside a conditional one meets it.
  CHECK(errors_of(runbook("when true"), Rule::RegulatoryDeadline).empty());
  auto with_fallback = runbook("when event.confidence > 0.9",
                               "  step always = notify_card_brands(channels: [email]) {\n    satisfies pci.brands\n  }\n");
  INFO(with_fallback.dump());
  CHECK(errors_of(with_fallback, Rule::RegulatoryDeadline).empty());
}
