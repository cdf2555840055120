#include "runtime/exec_connector.h"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <optional>
#include <stdexcept>

#include "runtime/event.h"
#include "runtime/http_connector.h"
#include "runtime/subprocess.h"

namespace writ::runtime {

namespace {

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

bool valid_placeholder(const std::string& name) {
  if (name == "run_id" || name == "step" || name == "action" || name == "idempotency_key") return true;
  if (name.rfind("args.", 0) != 0 || name.size() == 5) return false;
  return std::all_of(name.begin() + 5, name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string display(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ",") + display(item);
    return out;
  }
  return value.dump();
}

std::optional<std::string> lookup(const std::string& name, const ConnectorCall& call) {
  if (name == "run_id") return call.run_id;
  if (name == "step") return call.step;
  if (name == "action") return call.action;
  if (name == "idempotency_key") return call.idempotency_key;
  auto it = call.args.find(name.substr(5));
  if (it == call.args.end()) return std::nullopt;
  return display(*it);
}

// Why the rendered element `arg` (argv[index]) must not be passed, or nothing.
std::optional<std::string> element_refusal(const ArgvTemplate& element, std::size_t index, const std::string& arg,
                                           bool allow_leading_dash) {
  if (arg.find('\0') != std::string::npos) {
    return fmt::format("argv[{}] `{}` renders to {}, which holds a NUL character (U+0000)", index, element.source(),
                       quote_for_message(arg));
  }
  const bool placeholder_first = !element.parts.empty() && element.parts.front().placeholder;
  if (placeholder_first && arg.starts_with('-') && !allow_leading_dash) {
    return fmt::format(
        "argv[{}] `{}` renders to {}, which starts with `-` and would be read as an option (write the option "
        "yourself, as in `--target={}`, or set `allow_leading_dash: true` on the connector if the program expects it)",
        index, element.source(), quote_for_message(arg), element.source());
  }
  return std::nullopt;
}

// The last non-empty line of a program's stdout: where it reports its outputs (docs/runtime.md).
std::string last_line(std::string_view out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.remove_suffix(1);
  const auto start = out.find_last_of('\n');
  return std::string(start == std::string_view::npos ? out : out.substr(start + 1));
}

}  // namespace

std::string ArgvTemplate::source() const {
  std::string out;
  for (const auto& part : parts) out += part.placeholder ? "{{" + part.text + "}}" : part.text;
  return out;
}

RenderedArgv render_argv(const ExecConnectorConfig& config, const ConnectorCall& call) {
  RenderedArgv out;
  for (std::size_t i = 0; i < config.argv.size(); ++i) {
    const auto& element = config.argv[i];
    std::string arg;
    for (const auto& part : element.parts) {
      if (!part.placeholder) {
        arg += part.text;
        continue;
      }
      auto value = lookup(part.text, call);
      if (!value) {
        out.refusal = fmt::format("argv[{}] needs `{}`, but action `{}` has no such argument", i, part.text, call.action);
        return out;
      }
      arg += *value;
    }
    if ((out.refusal = element_refusal(element, i, arg, config.allow_leading_dash))) return out;
    out.argv.push_back(std::move(arg));
  }
  return out;
}

ArgvTemplate parse_argv_template(const std::string& text) {
  ArgvTemplate out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string::npos) {
      out.parts.push_back({false, text.substr(pos)});
      break;
    }
    if (open > pos) out.parts.push_back({false, text.substr(pos, open - pos)});
    const auto close = text.find("}}", open + 2);
    if (close == std::string::npos) throw std::invalid_argument(fmt::format("unterminated `{{{{` in \"{}\"", text));
    auto name = trim(std::string_view(text).substr(open + 2, close - open - 2));
    if (!valid_placeholder(name)) {
      throw std::invalid_argument(fmt::format(
          "unknown placeholder `{{{{{}}}}}` (use args.NAME, run_id, step, action or idempotency_key)", name));
    }
    out.parts.push_back({true, std::move(name)});
    pos = close + 2;
  }
  return out;
}

ExecConnector::ExecConnector(ExecConnectorConfig config, const RuntimeOptions& options)
    : config_(std::move(config)), options_(options) {}

std::optional<std::string> ExecConnector::refuse(const ConnectorCall& call) const { return render_argv(config_, call).refusal; }

ConnectorResult ExecConnector::call(const ConnectorCall& call) {
  auto rendered = render_argv(config_, call);
  if (rendered.refusal) return ConnectorResult{false, false, "not started", "refused: " + *rendered.refusal};
  ProcessSpec spec;
  spec.argv = std::move(rendered.argv);
  spec.stdin_data = call_body(call).dump() + "\n";
  spec.timeout = std::min(config_.timeout, call.timeout);
  spec.max_output_bytes = options_.max_exec_output_bytes;
  spec.max_memory_bytes = options_.exec_max_memory_bytes;
  spec.max_open_files = options_.exec_max_open_files;
  spec.max_file_bytes = options_.exec_max_file_bytes;
  spec.sweep_rounds = options_.exec_sweep_rounds;
  spec.sweep_time = options_.exec_sweep_time;
  const auto result = run_process(spec);
  ConnectorResult out;
  out.detail = result.summary(spec.timeout);
  // Journaled: an auditor sees that the program left processes behind and that writ ended them.
  if (result.strays > 0) out.detail += fmt::format(" ({} escaped descendant process{} killed)", result.strays, result.strays == 1 ? "" : "es");
  if (result.succeeded()) {
    out.ok = true;
    out.retryable = false;
    if (!result.out_truncated) out.reply = last_line(result.out);
    return out;
  }
  out.retryable = result.started;
  out.error = out.detail;
  if (!result.err.empty()) {
    const auto tail = result.err.size() > 300 ? result.err.substr(result.err.size() - 300) : result.err;
    out.error += ": " + printable_excerpt(tail, 300);
  }
  return out;
}

}  // namespace writ::runtime
