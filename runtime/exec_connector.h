// The `exec` connector (DESIGN §9): runs argv without a shell, in an empty environment, with
// resource limits and a timeout (subprocess.h). argv elements may hold placeholders —
// `{{args.NAME}}`, `{{run_id}}`, `{{step}}`, `{{action}}`, `{{idempotency_key}}` — replaced
// in one pass by the call's values (a value containing "{{" is inserted as-is, never expanded
// again; lists join with ","). The call's JSON body (connector.h) is written to stdin.
// Exit 0 is success; anything else (exit status, signal, timeout) is a retryable failure
// whose error carries the tail of stderr. Escaped descendants killed after the call
// (subprocess.h) are counted in the result's detail.
//
// Event values are data, never options (DESIGN §13): an element that *begins with* a
// placeholder and renders to text starting with `-` is refused (the program would read it as
// an option: `sort -o/some/path`), unless the connector sets `allow_leading_dash`; literal
// text the author wrote (`--target={{args.target}}`) is theirs. An element holding NUL, or
// needing an argument the action does not have, is refused too. refuse() says so before the
// run's first effect (preflight); call() checks again and then starts nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "runtime/connector.h"
#include "runtime/options.h"

namespace writ::runtime {

// One argv element, split into literal text and placeholders.
struct ArgvTemplate {
  struct Part {
    bool placeholder = false;
    std::string text;  // literal text, or the placeholder name ("args.target", "run_id")
  };
  std::vector<Part> parts;

  std::string source() const;  // the element as written ("--target={{args.target}}")
};

// Parses one argv element; throws std::invalid_argument naming an unknown placeholder or an
// unterminated "{{".
ArgvTemplate parse_argv_template(const std::string& text);

struct ExecConnectorConfig {
  std::vector<ArgvTemplate> argv;  // argv[0] must render to an absolute path
  std::chrono::milliseconds timeout{30000};
  bool allow_leading_dash = false;  // the program expects option-like values where placeholders start
};

// argv rendered for `call`, or why it must not be: "argv[1] `{{args.target}}` renders to
// \"-o/x\", which starts with `-` ...".
struct RenderedArgv {
  std::vector<std::string> argv;
  std::optional<std::string> refusal;
};
RenderedArgv render_argv(const ExecConnectorConfig& config, const ConnectorCall& call);

class ExecConnector final : public Connector {
 public:
  ExecConnector(ExecConnectorConfig config, const RuntimeOptions& options);
  std::string_view kind() const override { return "exec"; }
  ConnectorResult call(const ConnectorCall& call) override;
  std::optional<std::string> refuse(const ConnectorCall& call) const override;

 private:
  ExecConnectorConfig config_;
  const RuntimeOptions& options_;
};

}  // namespace writ::runtime
