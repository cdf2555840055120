// The `exec` connector (DESIGN §9): runs argv without a shell, in an empty environment, with
// resource limits and a timeout (subprocess.h). argv elements may hold placeholders —
// `{{args.NAME}}`, `{{run_id}}`, `{{step}}`, `{{action}}`, `{{idempotency_key}}` — replaced
// in one pass by the call's values (a value containing "{{" is inserted as-is, never expanded
// again; lists join with ","). The call's JSON body (connector.h) is written to stdin.
// Exit 0 is success; anything else (exit status, signal, timeout) is a retryable failure
// whose error carries the tail of stderr.
#pragma once

#include <chrono>
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
};

// Parses one argv element; throws std::invalid_argument naming an unknown placeholder or an
// unterminated "{{".
ArgvTemplate parse_argv_template(const std::string& text);

struct ExecConnectorConfig {
  std::vector<ArgvTemplate> argv;  // argv[0] must render to an absolute path
  std::chrono::milliseconds timeout{30000};
};

class ExecConnector final : public Connector {
 public:
  ExecConnector(ExecConnectorConfig config, const RuntimeOptions& options);
  std::string_view kind() const override { return "exec"; }
  ConnectorResult call(const ConnectorCall& call) override;

 private:
  ExecConnectorConfig config_;
  const RuntimeOptions& options_;
};

}  // namespace writ::runtime
