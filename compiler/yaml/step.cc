// Steps of a YAML playbook (DESIGN §2): one `- action: ...` mapping into an ast::Step. The
// `steps` list itself (ids, `- parallel:` blocks) is read by compiler/yaml/step_list.cc.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/text.h"
#include "compiler/yaml/reader.h"

namespace writ::yaml_detail {
namespace {

const std::vector<std::string>& step_keys() {
  // `target` and `channels` are the direct argument keys. Any other key that is not a near miss
  // of these is kept as a possible argument (`summary:`), resolved against the action's
  // parameters when lowering; `args: {...}` holds arguments explicitly.
  static const std::vector<std::string> keys = {"action",         "id",
                                                "target",         "channels",
                                                "args",           "requires_approval",
                                                "approvers",      "approval_timeout_minutes",
                                                "rollback",       "preserve_artifacts",
                                                "deadline_hours", "timeout_minutes",
                                                "when",           "retries",
                                                "on_failure",     "satisfies",
                                                "for_each",       "as",
                                                "assignee",       "within_minutes"};
  return keys;
}

const std::vector<std::string>& rollback_keys() {
  static const std::vector<std::string> keys = {"action", "target", "channels", "args"};
  return keys;
}

const std::vector<std::string>& on_failure_names() {
  static const std::vector<std::string> names = {"halt", "rollback", "continue"};
  return names;
}

bool is_direct_argument(std::string_view key) { return key == "target" || key == "channels"; }

class StepReader {
 public:
  explicit StepReader(Reader& reader) : r_(reader) {}

  std::optional<ast::Step> read(const YAML::Node& node, const std::string& id) {
    if (!node.IsMap()) {
      Diagnostic& d = r_.error(Rule::Syntax, r_.span_of(node), "a step must be a mapping with an `action`");
      d.help.push_back("for example: - action: isolate_host");
      return std::nullopt;
    }
    ast::Step step;
    step.span = r_.span_of(node);
    step.head = head_of(node);
    step.id = {id, step.head};
    for (const Entry& entry : r_.all_entries(node, "a step")) {
      if (std::find(step_keys().begin(), step_keys().end(), entry.key) != step_keys().end()) {
        apply(step, entry);
      } else if (auto meant = did_you_mean(entry.key, step_keys()); meant || entry.key == "<<") {
        r_.unknown_key(entry.key, entry.key_span, step_keys(), "a step");  // a misspelt step key
        if (meant) step.misspelt.push_back(*meant);
      } else if (entry.key == "parallel" || did_you_mean(entry.key, std::vector<std::string>{"parallel"})) {
        misplaced_parallel(entry);
      } else {
        step.key_args.push_back(argument(entry));  // an argument, if the action has the parameter
      }
    }
    finish_approval(step);
    finish_for_each(step);
    if (step.action.value.empty()) {
      if (!action_seen_) {
        Diagnostic& d = r_.error(Rule::Syntax, step.head, "this step has no `action`");
        d.help.push_back("name the action it runs: `action: isolate_host`");
      }
      return std::nullopt;
    }
    if (!step.id_explicit) step.id.span = step.action.span;
    return step;
  }

 private:
  // The step's first `key: value` (the `- action: x` line in the seed's layout).
  Span head_of(const YAML::Node& node) const {
    for (const auto& item : node) {
      Span key = r_.span_of(item.first);
      Span value = item.second.IsNull() ? key : r_.span_of(item.second);
      return Span::merge(key, value);
    }
    return r_.span_of(node);
  }

  void apply(ast::Step& step, const Entry& e) {
    const std::string& key = e.key;
    if (key == "action") {
      action_seen_ = true;
      if (auto n = r_.name(e, "an action name")) {
        if (n->value.empty()) {
          r_.error(Rule::Syntax, e.span, "`action` is empty");
        } else {
          step.action = *n;
        }
      }
    } else if (key == "id") {
      if (auto n = r_.name(e, "a step id")) {
        step.id = *n;
        step.id_explicit = true;
      }
    } else if (is_direct_argument(key)) {
      step.args.push_back(argument(e));
    } else if (key == "args") {
      arguments(step.args, e);
    } else if (key == "requires_approval") {
      requires_ = e;
    } else if (key == "approvers") {
      approvers_ = e;
    } else if (key == "approval_timeout_minutes") {
      approval_timeout_ = e;
    } else if (key == "rollback") {
      step.rollback = rollback(e);
    } else if (key == "preserve_artifacts") {
      preserve(step, e);
    } else if (key == "deadline_hours") {
      step.deadline_seconds = r_.seconds(e, 3600, "hours");
    } else if (key == "timeout_minutes") {
      step.timeout_seconds = r_.seconds(e, 60, "minutes");
    } else if (key == "when") {
      step.when = r_.condition(e);
    } else if (key == "retries") {
      step.retries = r_.count(e, ast::kMaxRetries);
    } else if (key == "on_failure") {
      on_failure(step, e);
    } else if (key == "satisfies") {
      if (auto n = r_.names(e, true, "an obligation id or a list of them, e.g. `gdpr.authority`")) step.satisfies = *n;
    } else if (key == "for_each") {
      for_each_ = e;
    } else if (key == "as") {
      as_ = e;
    } else if (key == "assignee") {
      if (auto n = r_.name(e, "a role, e.g. `ir_lead`")) {
        step.assignee = *n;
      } else {
        step.misspelt.push_back(key);  // reported: not "missing" as well
      }
    } else if (key == "within_minutes") {
      step.within_seconds = r_.seconds(e, 60, "minutes");
      if (!step.within_seconds) step.misspelt.push_back(key);
    }
  }

  // `- paralel: [...]`, or `parallel` beside a step's keys: a parallel block is a `steps`
  // entry with the one key `parallel`.
  void misplaced_parallel(const Entry& entry) {
    std::string message = entry.key == "parallel"
                              ? "`parallel` is a `steps` entry of its own, not a key of a step"
                              : fmt::format("unknown key `{}` in a step; did you mean `parallel`?", entry.key);
    Diagnostic& d = r_.error(entry.key == "parallel" ? Rule::Syntax : Rule::UnknownKey, entry.key_span, message);
    d.help.push_back("- parallel:\n    - action: trigger_forensic_imaging\n    - action: notify_regulatory_contact");
    action_seen_ = true;  // the entry is reported: not also "this step has no `action`"
  }

  // `for_each: "{{ event.users }}"` with `as: u` (DESIGN §17): each needs the other.
  void finish_for_each(ast::Step& step) {
    if (!for_each_ && !as_) return;
    if (!for_each_ || !as_) {
      const Entry& given = for_each_ ? *for_each_ : *as_;
      Diagnostic& d = r_.error(Rule::Syntax, given.span,
                               for_each_ ? "`for_each` needs `as`: the name of the loop variable"
                                         : "`as` names the loop variable of a `for_each`, and this step has none");
      d.help.push_back("for_each: \"{{ event.users }}\"\nas: u");
      return;
    }
    if (!for_each_->value.IsScalar() && !for_each_->value.IsSequence()) {
      Diagnostic& d = r_.error(Rule::Syntax, for_each_->value.IsNull() ? for_each_->span : for_each_->value_span,
                               "`for_each` must be a template naming a list, or a list");
      d.help.push_back("for example: for_each: \"{{ event.users }}\"");
      return;
    }
    auto variable = r_.name(*as_, "a name for the loop variable, e.g. `u`");
    if (!variable) return;
    if (!is_identifier(variable->value)) {
      Diagnostic& d = r_.error(Rule::Syntax, variable->span,
                               fmt::format("the loop variable `{}` is not a name", variable->value));
      d.help.push_back("use letters, digits and `_`, starting with a letter: `as: u`");
      return;
    }
    step.for_each = ast::ForEach{r_.argument_value(for_each_->value, for_each_->value_span, "for_each"), *variable,
                                 for_each_->span};
  }

  static bool is_identifier(std::string_view text) {
    auto first = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; };
    auto other = [&](char c) { return first(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; };
    return !text.empty() && first(text[0]) && std::all_of(text.begin() + 1, text.end(), other);
  }

  ast::Argument argument(const Entry& e) {
    Span value_span = e.value.IsNull() ? e.span : e.value_span;
    return {{e.key, e.key_span}, r_.argument_value(e.value, value_span, e.key), e.span};
  }

  void arguments(std::vector<ast::Argument>& out, const Entry& e) {
    if (!e.value.IsMap()) {
      Diagnostic& d = r_.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                               fmt::format("`{}` must be a mapping of argument names to values", e.key));
      d.help.push_back("for example: args: {target: \"{{ event.host_id }}\"}");
      return;
    }
    for (const Entry& arg : r_.all_entries(e.value, "`args`")) out.push_back(argument(arg));
  }

  std::optional<ast::Rollback> rollback(const Entry& e) {
    if (e.value.IsScalar()) return ast::Rollback{{e.value.Scalar(), e.value_span}, {}, e.span};
    if (!e.value.IsMap()) {
      r_.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
               "`rollback` must be an action name or a mapping {action, target|args}");
      return std::nullopt;
    }
    ast::Rollback out;
    out.span = e.span;
    for (const Entry& entry : r_.entries(e.value, rollback_keys(), "a rollback")) {
      if (entry.key == "action") {
        if (auto n = r_.name(entry, "an action name")) out.action = *n;
      } else if (entry.key == "args") {
        arguments(out.args, entry);
      } else {
        out.args.push_back(argument(entry));
      }
    }
    if (out.action.value.empty()) {
      r_.error(Rule::Syntax, e.value_span, "this rollback has no `action`");
      return std::nullopt;
    }
    return out;
  }

  void preserve(ast::Step& step, const Entry& e) {
    if (e.value.IsScalar()) {
      step.preserve.push_back({r_.template_of(e.value), e.value_span});
      return;
    }
    if (!e.value.IsSequence()) {
      r_.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
               "`preserve_artifacts` must be a list of artifact paths");
      return;
    }
    for (const auto& item : e.value) {
      Span span = r_.span_of(item);
      if (item.IsScalar()) {
        step.preserve.push_back({r_.template_of(item), span});
      } else {
        r_.error(Rule::Syntax, span, "an entry of `preserve_artifacts` must be a path string");
      }
    }
  }

  void on_failure(ast::Step& step, const Entry& e) {
    auto n = r_.name(e, "halt, rollback or continue");
    if (!n) return;
    static constexpr ast::OnFailure kValues[] = {ast::OnFailure::Halt, ast::OnFailure::Rollback,
                                                 ast::OnFailure::Continue};
    const auto& names = on_failure_names();
    auto it = std::find(names.begin(), names.end(), n->value);
    if (it != names.end()) {
      step.on_failure = ast::Located<ast::OnFailure>{kValues[it - names.begin()], n->span};
      return;
    }
    Diagnostic& d = r_.error(Rule::Syntax, n->span, "`on_failure` must be halt, rollback or continue");
    if (auto suggestion = did_you_mean(n->value, names))
      d.help.push_back(fmt::format("did you mean `{}`?", *suggestion));
  }

  // requires_approval / approvers / approval_timeout_minutes combine whatever their order.
  void finish_approval(ast::Step& step) {
    if (requires_) read_requires(step, *requires_);
    if (approvers_) {
      auto roles = r_.names(*approvers_, true, "a role or a list of roles");
      if (step.approval_declared_false) {
        Diagnostic& d = r_.error(Rule::Syntax, approvers_->span, "`approvers` contradicts `requires_approval: false`");
        d.help.push_back("remove one of them");
      } else if (roles) {
        if (!step.approval) step.approval = ast::Approval{false, {}, std::nullopt, approvers_->span};
        for (auto& role : *roles) add_role(*step.approval, std::move(role));
        // Named approvers are who approves, as `approve ciso` in the DSL: not added to the
        // policy's roles that `requires_approval: true` alone would ask for.
        if (!step.approval->roles.empty()) step.approval->policy_roles = false;
      }
    }
    if (approval_timeout_) {
      auto timeout = r_.seconds(*approval_timeout_, 60, "minutes");
      if (timeout && step.approval) {
        step.approval->timeout_seconds = timeout;
      } else if (timeout && !approval_key_misspelt(step)) {
        // An error, though the rule's default is a warning: the author expected an approval
        // that will not be asked.
        Diagnostic& d = r_.error(Rule::ApprovalTimeout, approval_timeout_->span,
                                 "`approval_timeout_minutes` has no effect: this step asks for no approval");
        d.severity = Severity::Error;
        d.help.push_back("add `requires_approval: true` or `approvers: [...]`, or remove the timeout");
      }
    }
  }

  // A near miss of an approval key (`requires_aproval`) is reported already and explains a
  // timeout without an approval: saying so again would be a cascade.
  static bool approval_key_misspelt(const ast::Step& step) {
    return std::any_of(step.misspelt.begin(), step.misspelt.end(),
                       [](const std::string& key) { return key == "requires_approval" || key == "approvers"; });
  }

  void read_requires(ast::Step& step, const Entry& e) {
    if (e.value.IsSequence()) {
      ast::Approval approval{false, {}, std::nullopt, e.span};
      if (auto roles = r_.names(e, false, "a list of roles")) {
        for (auto& role : *roles) add_role(approval, std::move(role));
      }
      if (approval.roles.empty()) {
        Diagnostic& d = r_.error(Rule::Syntax, e.value_span, "`requires_approval` lists no roles");
        d.help.push_back("use `true` for the roles the policy requires at this severity");
        approval.policy_roles = true;  // reported; cascade nothing
      }
      step.approval = std::move(approval);
      return;
    }
    auto value = r_.boolean(e, "`requires_approval` must be true, false or a list of roles");
    if (value && !*value) {
      step.approval_declared_false = true;
    } else {
      // true, or a wrong value already reported (then no approval-coverage cascade either).
      step.approval = ast::Approval{true, {}, std::nullopt, e.span};
    }
  }

  static void add_role(ast::Approval& approval, ast::Name role) {
    auto same = [&](const ast::Name& r) { return r.value == role.value; };
    if (std::none_of(approval.roles.begin(), approval.roles.end(), same)) approval.roles.push_back(std::move(role));
  }

  Reader& r_;
  std::optional<Entry> requires_, approvers_, approval_timeout_, for_each_, as_;
  bool action_seen_ = false;  // an `action` key was present (a bad value is already reported)
};

}  // namespace

std::optional<ast::Step> read_step(Reader& reader, const YAML::Node& node, const std::string& id) {
  return StepReader(reader).read(node, id);
}

}  // namespace writ::yaml_detail
