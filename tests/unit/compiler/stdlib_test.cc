// The standard library parses without a diagnostic, declares what DESIGN §6 and
// shared/reference/regulations.md require, and loads into a catalog.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "compiler/catalog.h"
#include "tests/unit/compiler/dsl/test_support.h"

namespace writ {
namespace {

using dsl_testing::parse_fixture;

const ast::ActionDecl* find_action(const ast::File& file, const std::string& name) {
  for (const auto& a : file.actions) {
    if (a.name.value == name) return &a;
  }
  return nullptr;
}

std::set<std::string> names(const std::vector<ast::Name>& list) {
  std::set<std::string> out;
  for (const auto& n : list) out.insert(n.value);
  return out;
}

TEST_CASE("stdlib: types.writ declares the nominal types, channels, roles and default event", "[dsl]") {
  auto p = parse_fixture("stdlib/types.writ");
  REQUIRE(p->messages() == "");
  std::set<std::string> types;
  for (const auto& decl : p->file.types) types.merge(names(decl.names));
  for (const char* t : {"host", "user", "segment", "ip", "path", "file_hash", "process", "ticket", "domain", "url",
                        "vendor", "vm", "account", "cloud_resource"}) {
    INFO(t);
    CHECK(types.count(t) == 1);
  }
  std::map<std::string, std::set<std::string>> enums;  // a `role` statement may be split over lines
  for (const auto& decl : p->file.enums) enums[decl.type.value].merge(names(decl.values));
  REQUIRE(enums.size() == 2);
  CHECK(enums["channel"] == std::set<std::string>{"slack", "pagerduty", "email", "encrypted_email", "secure_portal",
                                                  "sms", "teams", "webhook"});
  CHECK(enums["role"] ==
        std::set<std::string>{"soc_analyst", "ir_lead", "ciso", "legal", "privacy_officer", "communications",
                              "account_owner", "executive_sponsor", "incident_commander"});
  REQUIRE(p->file.events.size() == 1);
  std::map<std::string, std::string> event;
  for (const auto& f : p->file.events[0].fields) event[f.name.value] = f.type.value;
  CHECK(event == std::map<std::string, std::string>{{"id", "string"},
                                                    {"severity", "string"},
                                                    {"host_id", "host"},
                                                    {"user_account", "user"},
                                                    {"user_id", "user"},
                                                    {"segment_id", "segment"},
                                                    {"source_ip", "ip"},
                                                    {"confidence", "float"},
                                                    {"impact", "string"},
                                                    {"detected_at", "timestamp"}});
}

struct SeedAction {
  const char* name;
  const char* param;
  const char* type;
  const char* effect;
  const char* inverse;  // "" for none
};

TEST_CASE("stdlib: actions.writ has every seed action exactly per DESIGN §6", "[dsl]") {
  auto p = parse_fixture("stdlib/actions.writ");
  REQUIRE(p->messages() == "");
  const SeedAction seed[] = {
      {"isolate_host", "target", "host", "contain", "restore_host"},
      {"restore_host", "target", "host", "contain", ""},
      {"isolate_network_segment", "target", "segment", "contain", "restore_network_segment"},
      {"restore_network_segment", "target", "segment", "contain", ""},
      {"disable_compromised_credentials", "target", "user", "contain", "enable_credentials"},
      {"enable_credentials", "target", "user", "contain", ""},
      {"revoke_active_sessions", "target", "user", "contain", ""},
      {"trigger_full_disk_imaging", "target", "host", "collect", ""},
      {"trigger_forensic_imaging", "target", "host", "collect", ""},
      {"notify_ciso_and_legal", "channels", "list<channel>", "notify", ""},
      {"notify_regulatory_contact", "channels", "list<channel>", "notify", ""},
  };
  for (const auto& s : seed) {
    INFO(s.name);
    const auto* a = find_action(p->file, s.name);
    REQUIRE(a);
    REQUIRE(a->params.size() == 1);
    CHECK(a->params[0].name.value == s.param);
    CHECK(a->params[0].type.value == s.type);
    CHECK_FALSE(a->params[0].optional);
    CHECK(a->effect.value == s.effect);
    CHECK(a->inverse.has_value() == (s.inverse[0] != '\0'));
    if (a->inverse) CHECK(a->inverse->value == s.inverse);
  }
  CHECK(p->file.actions.size() >= 11 + 25);
  std::set<std::string> declared;
  for (const auto& a : p->file.actions) {
    INFO(a.name.value);
    CHECK(declared.insert(a.name.value).second);
    REQUIRE(a.doc);
    CHECK_FALSE(a.doc->value.empty());
    CHECK(std::set<std::string>{"observe", "notify", "collect", "contain", "eradicate", "recover", "manual"}.count(
              a.effect.value) == 1);
  }
  // Every inverse is an action, is itself irreversible, and takes the same target type.
  for (const auto& a : p->file.actions) {
    if (!a.inverse) continue;
    INFO(a.name.value);
    const auto* inverse = find_action(p->file, a.inverse->value);
    REQUIRE(inverse);
    CHECK_FALSE(inverse->inverse);
    CHECK(inverse->params.at(0).type.value == a.params.at(0).type.value);
  }
  for (const char* name :
       {"block_ip",        "unblock_ip",     "quarantine_file",      "restore_file",       "kill_process",
        "reimage_host",    "collect_memory", "collect_logs",         "snapshot_vm",        "open_ticket",
        "page_oncall",     "notify_vendor",  "legal_hold",           "release_legal_hold", "reset_password",
        "disable_account", "enable_account", "block_domain",         "unblock_domain",     "rotate_credentials",
        "suspend_vm",      "resume_vm",      "notify_data_subjects", "notify_card_brands", "file_sec_8k"}) {
    INFO(name);
    CHECK(find_action(p->file, name));
  }
}

// The actions public incident-response playbooks (AWS, Microsoft, Counteractive) need that the
// first stdlib lacked (issue 18), with their effect and inverse.
TEST_CASE("stdlib: actions.writ has the actions public playbooks need", "[dsl]") {
  auto p = parse_fixture("stdlib/actions.writ");
  REQUIRE(p->messages() == "");
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"notify_law_enforcement", {"notify", ""}},
      {"revert_config_change", {"eradicate", ""}},
      {"add_to_watchlist", {"observe", "remove_from_watchlist"}},
      {"remove_from_watchlist", {"observe", ""}},
      {"enforce_mfa", {"contain", ""}},
      {"restore_from_backup", {"recover", ""}},
      {"delete_cloud_resource", {"eradicate", ""}},
      {"enable_security_policy", {"contain", "disable_security_policy"}},
      {"disable_security_policy", {"contain", ""}},
      {"restrict_data_store", {"contain", "unrestrict_data_store"}},
      {"unrestrict_data_store", {"contain", ""}},
      {"remove_auth_method", {"eradicate", ""}},
      {"capture_resource_state", {"collect", ""}},
      {"check_endpoint_protection", {"observe", ""}},
      {"mark_user_compromised", {"contain", "dismiss_user_risk"}},
      {"dismiss_user_risk", {"contain", ""}},
      {"remove_mailbox_rule", {"eradicate", ""}},
      {"restrict_access", {"contain", "unrestrict_access"}},
      {"unrestrict_access", {"contain", ""}},
      {"revoke_role_sessions", {"contain", ""}},
      {"submit_sample", {"observe", ""}},
      {"set_password", {"contain", ""}},
  };
  for (const auto& [name, effect_inverse] : expected) {
    INFO(name);
    const auto* a = find_action(p->file, name);
    REQUIRE(a);
    CHECK(a->effect.value == effect_inverse.first);
    CHECK(a->inverse.has_value() == !effect_inverse.second.empty());
    if (a->inverse) CHECK(a->inverse->value == effect_inverse.second);
  }
  // An inverse takes exactly its action's parameters: a rollback without arguments gets the step's.
  for (const auto& a : p->file.actions) {
    if (!a.inverse) continue;
    INFO(a.name.value);
    const auto* inverse = find_action(p->file, a.inverse->value);
    REQUIRE(inverse);
    REQUIRE(inverse->params.size() == a.params.size());
    for (std::size_t i = 0; i < a.params.size(); ++i) {
      CHECK(inverse->params[i].name.value == a.params[i].name.value);
      CHECK(inverse->params[i].type.value == a.params[i].type.value);
    }
  }
  const auto* set_password = find_action(p->file, "set_password");
  REQUIRE(set_password->params.size() == 2);
  CHECK(set_password->params[1].name.value == "force_change");
  CHECK(set_password->params[1].type.value == "bool");
  CHECK(set_password->params[1].optional);
}

struct ExpectedObligation {
  const char* deadline;  // as written
  std::int64_t seconds;  // -1: asap
  bool conditional;
};

TEST_CASE("stdlib: regulations.writ has every row of the regulations reference", "[dsl]") {
  auto p = parse_fixture("stdlib/regulations.writ");
  REQUIRE(p->messages() == "");
  constexpr std::int64_t h = 3600, d = 86400;
  const std::map<std::string, ExpectedObligation> expected = {
      {"gdpr.authority", {"72h", 72 * h, false}},
      {"gdpr.subjects", {"asap", -1, true}},
      {"ukgdpr.authority", {"72h", 72 * h, false}},
      {"nis2.early_warning", {"24h", 24 * h, false}},
      {"nis2.notification", {"72h", 72 * h, false}},
      {"nis2.final_report", {"1mo", 28 * d, false}},
      {"dora.initial", {"4h", 4 * h, false}},
      {"dora.intermediate", {"72h", 72 * h, false}},
      {"dora.final", {"1mo", 28 * d, false}},
      {"sec.8k", {"4bd", 4 * d, false}},
      {"hipaa.individuals", {"60cd", 60 * d, false}},
      {"hipaa.media", {"60cd", 60 * d, true}},
      {"hipaa.hhs", {"60cd", 60 * d, false}},
      {"nydfs.incident", {"72h", 72 * h, false}},
      {"nydfs.extortion", {"24h", 24 * h, true}},
      {"circia.incident", {"72h", 72 * h, false}},
      {"circia.ransom", {"24h", 24 * h, true}},
      {"pci.brands", {"asap", -1, false}},
      {"au.assessment", {"30cd", 30 * d, false}},
      {"au.notify", {"asap", -1, false}},
      {"ca.pipeda", {"asap", -1, false}},
      {"sg.pdpa", {"3cd", 3 * d, false}},
      {"in.certin", {"6h", 6 * h, false}},
      {"br.lgpd", {"3bd", 3 * d, false}},
  };
  const std::map<std::string, std::string> tags = {
      {"gdpr", "GDPR"},   {"ukgdpr", "UK-GDPR"}, {"nis2", "NIS2"},     {"dora", "DORA"},   {"sec", "SEC"},
      {"hipaa", "HIPAA"}, {"nydfs", "NYDFS"},    {"circia", "CIRCIA"}, {"pci", "PCI-DSS"}, {"au", "NDB"},
      {"ca", "PIPEDA"},   {"sg", "PDPA"},        {"in", "CERT-In"},    {"br", "LGPD"},
  };
  std::set<std::string> seen;
  REQUIRE(p->file.regulations.size() == tags.size());
  for (const auto& reg : p->file.regulations) {
    INFO(reg.name.value);
    REQUIRE(tags.count(reg.name.value) == 1);
    CHECK(names(reg.tags) == std::set<std::string>{tags.at(reg.name.value)});
    CHECK_FALSE(reg.regime.value.empty());
    for (const auto& o : reg.obligations) {
      std::string id = reg.name.value + "." + o.id.value;
      INFO(id);
      REQUIRE(expected.count(id) == 1);
      const auto& e = expected.at(id);
      CHECK(o.deadline_text == e.deadline);
      CHECK(o.deadline_seconds.has_value() == (e.seconds >= 0));
      if (o.deadline_seconds) CHECK(o.deadline_seconds->value == e.seconds);
      CHECK(o.conditional == e.conditional);
      CHECK_FALSE(o.title.value.empty());
      CHECK_FALSE(o.trigger.empty());
      CHECK_FALSE(o.notify.empty());
      CHECK_FALSE(o.citation.empty());
      seen.insert(id);
    }
  }
  CHECK(seen.size() == expected.size());
}

TEST_CASE("stdlib: policy.writ is the seed's decision matrix", "[dsl]") {
  auto p = parse_fixture("stdlib/policy.writ");
  REQUIRE(p->messages() == "");
  REQUIRE(p->file.policies.size() == 1);
  const auto& policy = p->file.policies[0];
  CHECK(policy.name.value == "default");
  std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> levels;
  for (const auto& s : policy.severities) levels[s.severity.value] = {names(s.roles), names(s.effects)};
  const std::set<std::string> gated{"contain", "collect", "eradicate"};
  CHECK(levels.at("low").first.empty());
  CHECK(levels.at("low").second.empty());
  CHECK(levels.at("medium") == std::make_pair(std::set<std::string>{"ir_lead"}, gated));
  CHECK(levels.at("high") == std::make_pair(std::set<std::string>{"ciso"}, gated));
  CHECK(levels.at("critical") == std::make_pair(std::set<std::string>{"ciso", "legal"}, gated));
  CHECK(policy.approval_timeout_seconds->value == 3600);
  CHECK(policy.step_timeout_seconds->value == 1800);
  CHECK(policy.asap_seconds->value == 86400);
  CHECK(policy.evidence_roots.empty());
}

TEST_CASE("stdlib: the declarations load into a catalog without a diagnostic", "[dsl]") {
  Catalog catalog;
  DiagnosticSink sink;
  std::vector<std::unique_ptr<dsl_testing::Parsed>> files;
  // Declaration order: types before the signatures that use them.
  for (const char* name : {"types", "actions", "regulations", "policy"}) {
    files.push_back(parse_fixture(std::string("stdlib/") + name + ".writ"));
    REQUIRE(files.back()->messages() == "");
    add_declarations(catalog, files.back()->file, sink);
  }
  CHECK(sink.diagnostics().empty());
  CHECK(catalog.actions.size() == files[1]->file.actions.size());
  CHECK(catalog.obligations.size() == 24);
  CHECK(catalog.default_event.size() == 10);
  CHECK(catalog.obligations_for_tag("NIS2").size() == 3);
  CHECK(catalog.obligations_for_tag("GDPR") == std::vector<std::string>{"gdpr.authority"});
  CHECK(catalog.obligations_for_tag("GDPR.subjects") == std::vector<std::string>{"gdpr.subjects"});
  CHECK(catalog.obligations_for_tag("CERT-In") == std::vector<std::string>{"in.certin"});
  CHECK(catalog.policy().severities.size() == 4);
}

}  // namespace
}  // namespace writ
