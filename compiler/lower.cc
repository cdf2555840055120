#include "compiler/lower.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "common/text.h"

namespace writ {

namespace {

std::vector<std::string> keys_of(const auto& map) {
  std::vector<std::string> out;
  for (const auto& [key, value] : map) out.push_back(key);
  return out;
}

void add_did_you_mean(Diagnostic& d, const std::string& word, const std::vector<std::string>& candidates) {
  if (auto hint = did_you_mean(word, candidates)) d.help.push_back(fmt::format("did you mean `{}`?", *hint));
}

class Lowerer {
 public:
  Lowerer(const ast::Runbook& runbook, const ast::File& file, const Catalog& catalog, DiagnosticSink& sink)
      : rb_(runbook), file_(file), catalog_(catalog), sink_(sink) {}

  ir::Runbook run() {
    ir::Runbook out;
    out.id = rb_.id.value;
    out.title = rb_.title.value;
    out.severity = rb_.severity.value;
    check_severity();
    std::set<std::string> tags;
    for (const auto& tag : rb_.compliance) tags.insert(tag.value);
    out.compliance.assign(tags.begin(), tags.end());
    out.event = event_schema();
    scope_ = runbook_scope(rb_, out.event, catalog_);
    scope_.source = file_.source;
    scope_.step_results = true;
    for (const auto& step : rb_.steps) {
      scope_.unreadable_steps[step.id.value] = "the runbook's `when` is decided before any step runs";
    }
    out.when = check_condition(rb_.when);
    for (std::size_t i = 0; i < rb_.steps.size(); ++i) {
      step_results_before(out.steps, i);
      out.steps.push_back(lower_step(rb_.steps[i]));
    }
    return out;
  }

 private:
  Diagnostic& report(Rule rule, Span span, std::string message, const std::string& step = {}) {
    auto& d = sink_.report(rule, file_.source, span, std::move(message));
    d.runbook = rb_.id.value;
    d.step = step;
    return d;
  }

  void check_severity() {
    const auto& policy = catalog_.policy();
    if (policy.severities.empty() || policy.severities.contains(rb_.severity.value)) return;
    auto& d = report(Rule::Syntax, rb_.severity.span,
                     fmt::format("unknown severity `{}` (the policy `{}` defines {})", rb_.severity.value, policy.name,
                                 join(policy.severity_order, ", ")));
    add_did_you_mean(d, rb_.severity.value, policy.severity_order);
  }

  std::vector<ir::EventField> event_schema() {
    if (!rb_.event_declared) return catalog_.default_event;
    std::vector<ir::EventField> fields;
    for (const auto& field : rb_.event) {
      auto type = expr::parse_type_name(field.type.value, catalog_.nominals);
      if (!type) {
        auto& d = report(Rule::Syntax, field.type.span,
                         fmt::format("unknown type `{}` for event field `{}`", field.type.value, field.name.value));
        std::vector<std::string> names(catalog_.nominals.begin(), catalog_.nominals.end());
        for (const char* s : {"string", "int", "float", "bool", "duration", "timestamp"}) names.emplace_back(s);
        add_did_you_mean(d, field.type.value, names);
      }
      fields.push_back({field.name.value, type.value_or(expr::Type::error())});
    }
    return fields;
  }

  expr::NodePtr check_condition(const expr::NodePtr& node) {
    if (!node) return nullptr;
    auto boolean = expr::Type::of(expr::Type::Kind::Bool);
    expr::check(*node, &boolean, scope_, sink_);
    return node;
  }

  void check_value(const expr::NodePtr& node, const expr::Type* expected) {
    if (node) expr::check(*node, expected, scope_, sink_);
  }

  void check_argument(const expr::NodePtr& node, const expr::Type* expected) {
    if (node) expr::check_argument(*node, expected, scope_, sink_);
  }

  // `misspelt`: parameters whose key was misspelt and already reported (never "missing" too).
  std::vector<ir::Argument> lower_args(const std::vector<ast::Argument>& args, const ActionInfo* action,
                                       const ast::Name& callee, Span head, const std::string& step,
                                       const std::set<std::string>& misspelt) {
    std::vector<ir::Argument> out;
    std::set<std::string> seen;
    for (const auto& arg : args) {
      const ActionParam* param = nullptr;
      if (action) {
        auto it = std::find_if(action->params.begin(), action->params.end(),
                               [&](const ActionParam& p) { return p.name == arg.name.value; });
        if (it != action->params.end()) param = &*it;
      }
      if (!seen.insert(arg.name.value).second) {
        report(Rule::ActionArguments, arg.name.span, fmt::format("duplicate argument `{}`", arg.name.value), step);
      } else if (action && !param) {
        std::vector<std::string> names;
        for (const auto& p : action->params) names.push_back(p.name);
        auto& d = report(Rule::ActionArguments, arg.name.span,
                         fmt::format("action `{}` has no parameter `{}`", callee.value, arg.name.value), step);
        add_did_you_mean(d, arg.name.value, names);
        if (names.empty()) d.help.push_back(fmt::format("`{}` takes no arguments", callee.value));
      }
      // An unknown action's parameter types are unknown: checking its values would report a
      // bare channel or role (`[slack]`) as an unbound variable, a cascade of the one mistake.
      if (action) check_argument(arg.value, param ? &param->type : nullptr);
      out.push_back({arg.name.value, arg.value});
    }
    if (action) {
      for (const auto& p : action->params) {
        if (!p.optional && !seen.contains(p.name) && !misspelt.contains(p.name)) {
          report(Rule::ActionArguments, head,
                 fmt::format("missing argument `{}: {}` for action `{}`", p.name, p.type.to_string(), callee.value),
                 step);
        }
      }
    }
    std::sort(out.begin(), out.end(), [](const ir::Argument& a, const ir::Argument& b) { return a.name < b.name; });
    return out;
  }

  struct StepArguments {
    std::vector<ast::Argument> args;
    std::set<std::string> misspelt;  // the loader's ast::Step::misspelt plus the keys misspelt here
  };

  // A YAML step key the loader kept (`summary: ...`) is an argument when the action has that
  // parameter, else an unknown key. Nothing is said when the action itself is unknown.
  StepArguments step_arguments(const ast::Step& step, const ActionInfo* action) {
    StepArguments out{step.args, {step.misspelt.begin(), step.misspelt.end()}};
    if (!action) return out;
    std::vector<std::string> names;
    for (const auto& p : action->params) names.push_back(p.name);
    for (const auto& arg : step.key_args) {
      if (std::find(names.begin(), names.end(), arg.name.value) != names.end()) {
        out.args.push_back(arg);
        continue;
      }
      auto& d = report(Rule::UnknownKey, arg.name.span,
                       fmt::format("unknown key `{}` in a step: neither a step key nor a parameter of `{}`",
                                   arg.name.value, step.action.value),
                       step.id.value);
      if (auto hint = did_you_mean(arg.name.value, names)) {
        d.help.push_back(fmt::format("did you mean `{}`?", *hint));
        out.misspelt.insert(*hint);
      } else {
        d.help.push_back(names.empty()
                             ? fmt::format("`{}` takes no arguments", step.action.value)
                             : fmt::format("the parameters of `{}`: {}", step.action.value, join(names, ", ")));
      }
    }
    return out;
  }

  // The results step `i` may read: the steps strictly before it on every path, that is every
  // earlier step except its siblings in the same parallel block (DESIGN §17).
  void step_results_before(const std::vector<ir::Step>& lowered, std::size_t i) {
    const ast::Step& current = rb_.steps[i];
    scope_.readable_steps.clear();
    scope_.unreadable_steps.clear();
    for (std::size_t j = 0; j < rb_.steps.size(); ++j) {
      const std::string& id = rb_.steps[j].id.value;
      bool sibling = current.parallel_block != 0 && rb_.steps[j].parallel_block == current.parallel_block;
      if (j < i && !sibling) {
        scope_.readable_steps[id] = step_result(lowered[j]);
      } else if (j == i) {
        scope_.unreadable_steps[id] = fmt::format("step `{}` cannot read its own result", id);
      } else if (sibling) {
        scope_.unreadable_steps[id] = fmt::format(
            "step `{}` runs at the same time as this one (the same `parallel` block): its result is not known yet", id);
      } else {
        scope_.unreadable_steps[id] = fmt::format("step `{}` runs after this one: its result is not known yet", id);
      }
    }
  }

  static expr::Scope::StepResult step_result(const ir::Step& step) {
    expr::Scope::StepResult out{step.action, {}};
    for (const auto& output : step.returns) {
      out.outputs[output.name] = step.for_each ? expr::Type::list(output.type) : output.type;
    }
    return out;
  }

  const ActionInfo* find_action(const ast::Name& name, const std::string& step, bool is_rollback) {
    auto it = catalog_.actions.find(name.value);
    if (it != catalog_.actions.end()) return &it->second;
    auto& d = report(
        Rule::UnknownAction, name.span,
        fmt::format("{} `{}` is not in the catalog", is_rollback ? "rollback action" : "action", name.value), step);
    auto names = keys_of(catalog_.actions);
    if (auto hint = did_you_mean(name.value, names)) {
      d.help.push_back(fmt::format("did you mean `{}`?", *hint));
      return nullptr;
    }
    // No single close spelling: show the nearest few and where the whole list is.
    auto near = nearest_names(name.value, names, 5);
    for (auto& n : near) n = "`" + n + "`";
    d.help.push_back(near.empty() ? std::string("`writ catalog actions` lists every action")
                                  : fmt::format("nearest catalog actions: {}; `writ catalog actions` lists them all",
                                                join(near, ", ")));
    return nullptr;
  }

  std::optional<ir::Approval> lower_approval(const ast::Step& step) {
    if (!step.approval) return std::nullopt;
    const auto& a = *step.approval;
    ir::Approval out;
    std::set<std::string> roles;
    if (a.policy_roles) {
      auto level = catalog_.policy().severities.find(rb_.severity.value);
      if (level != catalog_.policy().severities.end())
        roles.insert(level->second.roles.begin(), level->second.roles.end());
    }
    const auto& known = catalog_.enums.contains("role") ? catalog_.enums.at("role") : std::set<std::string>{};
    for (const auto& role : a.roles) {
      if (!known.contains(role.value)) {
        auto& d = report(Rule::ApprovalCoverage, role.span, fmt::format("unknown approver role `{}`", role.value),
                         step.id.value);
        add_did_you_mean(d, role.value, std::vector<std::string>(known.begin(), known.end()));
      }
      roles.insert(role.value);
    }
    out.roles.assign(roles.begin(), roles.end());
    out.timeout_seconds = a.timeout_seconds ? a.timeout_seconds->value : catalog_.policy().approval_timeout_seconds;
    return out;
  }

  std::optional<ir::Rollback> lower_rollback(const ast::Step& step, const std::vector<ir::Argument>& step_args,
                                             const std::set<std::string>& misspelt) {
    if (!step.rollback) return std::nullopt;
    const auto& rb = *step.rollback;
    ir::Rollback out;
    out.action = rb.action.value;
    const ActionInfo* action = find_action(rb.action, step.id.value, true);
    if (rb.args.empty()) {
      out.args = step_args;
    } else {
      out.args = lower_args(rb.args, action, rb.action, rb.span, step.id.value, misspelt);
    }
    return out;
  }

  // `for X in LIST`: LIST must be a list; X, typed by its elements, is in scope for the step's
  // arguments, preserve paths and rollback (not its `when`).
  std::optional<ir::ForEach> lower_for_each(const ast::Step& step) {
    if (!step.for_each) return std::nullopt;
    const auto& loop = *step.for_each;
    const std::string& variable = loop.variable.value;
    expr::Type type = loop.list ? expr::check(*loop.list, nullptr, scope_, sink_) : expr::Type::error();
    expr::Type element = type.kind == expr::Type::Kind::List && type.element ? *type.element : expr::Type::error();
    if (type.kind == expr::Type::Kind::List && !type.element) {
      report(Rule::TemplateBinding, loop.list->span, "`for` over an empty list: the step would never run", step.id.value)
          .help.push_back("iterate over a list that holds the targets, such as an event field of type list<user>");
    } else if (!type.is_error() && type.kind != expr::Type::Kind::List) {
      report(Rule::TemplateBinding, loop.list->span,
             fmt::format("`for` needs a list to iterate over, found `{}`", type.to_string()), step.id.value)
          .help.push_back("without `for`, the step runs once on this value");
    }
    if (scope_.variables.contains(variable) || variable == "steps") {
      report(Rule::TemplateBinding, loop.variable.span,
             fmt::format("the loop variable cannot be named `{}`: that name is taken by `{}.…`", variable, variable),
             step.id.value)
          .help.push_back("name it after what it holds, e.g. `for u in event.users`");
    } else {
      scope_.locals[variable] = element;
    }
    return ir::ForEach{loop.list, variable};
  }

  // A step's `when` is decided once for the whole step: its loop variable is not readable.
  expr::NodePtr check_step_condition(const ast::Step& step) {
    for (const auto& [name, type] : scope_.locals) {
      scope_.hidden[name] = fmt::format(
          "the loop variable `{}` cannot be read in `when`: the condition is decided once for the whole step, "
          "before any element runs",
          name);
    }
    auto saved = std::exchange(scope_.locals, {});
    auto out = check_condition(step.when);
    scope_.locals = std::move(saved);
    scope_.hidden.clear();
    return out;
  }

  // `task` needs `assignee` (a role) and `within`; no other action takes them (DESIGN §17).
  std::optional<ir::Task> lower_task(const ast::Step& step, const ActionInfo* action) {
    bool is_task = action && step.action.value == kTaskAction;
    if (!is_task) {
      if (!action) return std::nullopt;  // an unknown action is reported already
      std::optional<Span> given = step.assignee ? std::optional(step.assignee->span)
                                  : step.within_seconds ? std::optional(step.within_seconds->span)
                                                        : std::nullopt;
      if (given) {
        report(Rule::ActionArguments, *given,
               fmt::format("`{}` applies only to a `task` step; `{}` is done by its connector",
                           step.assignee ? "assignee" : "within", step.action.value),
               step.id.value)
            .help.push_back("for work a person does, call `task(instructions: \"…\")` with `assignee` and `within`");
      }
      return std::nullopt;
    }
    ir::Task out;
    auto reported = [&](const char* key) {
      return std::find(step.misspelt.begin(), step.misspelt.end(), key) != step.misspelt.end();
    };
    if (step.assignee) {
      check_assignee(*step.assignee, step.id.value);
      out.assignee = step.assignee->value;
    } else if (!reported("assignee")) {
      report(Rule::ActionArguments, step.head, "a `task` needs an `assignee`: the role of the person who does it",
             step.id.value)
          .help.push_back("DSL: `assignee ir_lead`; YAML: `assignee: ir_lead`");
    }
    if (step.within_seconds && step.within_seconds->value > 0) {
      out.within_seconds = step.within_seconds->value;
    } else if (step.within_seconds) {
      report(Rule::ActionArguments, step.within_seconds->span, "a `task`'s `within` must be longer than zero",
             step.id.value);
    } else if (!reported("within_minutes")) {
      report(Rule::ActionArguments, step.head, "a `task` needs `within`: how long the assignee has to do it",
             step.id.value)
          .help.push_back("DSL: `within 2h`; YAML: `within_minutes: 120`");
    }
    return out;
  }

  void check_assignee(const ast::Name& role, const std::string& step) {
    const auto& known = catalog_.enums.contains("role") ? catalog_.enums.at("role") : std::set<std::string>{};
    if (known.contains(role.value)) return;
    auto& d = report(Rule::ActionArguments, role.span, fmt::format("unknown assignee role `{}`", role.value), step);
    std::vector<std::string> names(known.begin(), known.end());
    if (auto hint = did_you_mean(role.value, names)) {
      d.help.push_back(fmt::format("did you mean `{}`?", *hint));
    } else {
      d.help.push_back(fmt::format("the roles: {}", join(names, ", ")));
    }
  }

  ir::Step lower_step(const ast::Step& step) {
    scope_.step = step.id.value;
    ir::Step out;
    out.id = step.id.value;
    out.action = step.action.value;
    const ActionInfo* action = find_action(step.action, step.id.value, false);
    if (action) {
      out.effect = action->effect;
      out.returns = action->returns;
    }
    out.for_each = lower_for_each(step);  // binds the loop variable for what follows
    StepArguments given = step_arguments(step, action);
    out.args = lower_args(given.args, action, step.action, step.head, step.id.value, given.misspelt);
    out.approval = lower_approval(step);
    out.rollback = lower_rollback(step, out.args, given.misspelt);
    auto string_type = expr::Type::of(expr::Type::Kind::String);
    for (const auto& path : step.preserve) {
      check_value(path.value, &string_type);
      out.preserve.push_back(path.value);
    }
    if (step.deadline_seconds) out.deadline_seconds = step.deadline_seconds->value;
    out.timeout_seconds = step.timeout_seconds                ? step.timeout_seconds->value
                          : action && action->timeout_seconds ? *action->timeout_seconds
                                                              : catalog_.policy().step_timeout_seconds;
    out.when = check_step_condition(step);
    out.task = lower_task(step, action);
    out.parallel_block = step.parallel_block;
    scope_.locals.clear();
    if (step.retries && step.retries->value <= ast::kMaxRetries) {
      out.retries = static_cast<int>(step.retries->value);
    } else if (step.retries) {  // the YAML loader bounds it already; the DSL grammar takes any integer
      report(Rule::Syntax, step.retries->span, fmt::format("`retries` must be a whole number from 0 to {}", ast::kMaxRetries),
             step.id.value);
    }
    if (step.on_failure) out.on_failure = static_cast<ir::OnFailure>(step.on_failure->value);
    for (const auto& s : step.satisfies) out.satisfies.push_back(s.value);
    scope_.step.clear();
    return out;
  }

  const ast::Runbook& rb_;
  const ast::File& file_;
  const Catalog& catalog_;
  DiagnosticSink& sink_;
  expr::Scope scope_;
};

}  // namespace

expr::Scope runbook_scope(const ast::Runbook& runbook, const std::vector<ir::EventField>& event,
                          const Catalog& catalog) {
  expr::Scope scope;
  auto& fields = scope.variables["event"];
  for (const auto& field : event) fields[field.name] = field.type;
  auto string_type = expr::Type::of(expr::Type::Kind::String);
  scope.variables["run"] = {{"id", string_type}, {"runbook", string_type}, {"severity", string_type}};
  scope.enums = catalog.enums;
  scope.nominals = catalog.nominals;
  scope.runbook = runbook.id.value;
  return scope;
}

ir::Runbook lower_runbook(const ast::Runbook& runbook, const ast::File& file, const Catalog& catalog,
                          DiagnosticSink& sink) {
  return Lowerer(runbook, file, catalog, sink).run();
}

}  // namespace writ
