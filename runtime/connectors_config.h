// The connectors file (DESIGN §9, YAML):
//   connectors:
//     edr:  {type: http, url: "https://edr.example/api/act", timeout_seconds: 10, token_env: EDR_TOKEN}
//     jump: {type: exec, argv: ["/opt/ir/isolate", "--host={{args.target}}"], timeout_seconds: 30}
//   routes:  {isolate_host: edr, restore_host: edr, "*": dry-run}
//   evidence_roots: ["/evidence"]
//   signing_key: /etc/writ/evidence-key.pem     # optional: signs the evidence store's checkpoints
//   journal_key: /etc/writ/journal.key      (optional: the run journal's HMAC key, journal_key.h)
// Every mistake — bad YAML, an unknown key (with a did-you-mean), a wrong type, a route to an
// undefined connector, a relative argv[0] or evidence root, a token or URL userinfo that would
// travel over plain http to a host that is not loopback — is a ConfigError whose message
// starts with "<file>:<line>:<col>: ". Nothing is contacted while loading.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/connector.h"
#include "runtime/http_client.h"
#include "runtime/options.h"
#include "runtime/secrets.h"

namespace writ::runtime {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ConnectorSpec {
  std::string name;
  std::string type;  // "http", "exec", "dry-run"
  std::string url;                           // http
  std::optional<std::string> token_env;      // http: name of the variable holding the token
  std::vector<std::string> argv;             // exec
  bool allow_leading_dash = false;           // exec: see exec_connector.h
  std::chrono::milliseconds timeout{30000};  // timeout_seconds
};

struct ConnectorsConfig {
  std::string path;    // "" when built in code
  std::string sha256;  // of the file's bytes (journaled, so --resume can tell it changed)
  std::map<std::string, ConnectorSpec> connectors;
  std::map<std::string, std::string> routes;  // action (or "*") -> connector name
  std::vector<std::string> evidence_roots;
  std::optional<std::string> signing_key;  // absolute path of an Ed25519 private key (PEM)
  std::optional<std::string> journal_key;  // absolute path of the journal's HMAC key file
};

// Reads and validates a connectors file. Throws ConfigError.
ConnectorsConfig load_connectors_file(const std::string& path);
// The same for text in memory; `path` names it in messages.
ConnectorsConfig parse_connectors(const std::string& text, const std::string& path);

// The configuration used without a connectors file: every action routed to dry-run.
ConnectorsConfig default_connectors();

// Instantiates the connectors. `getenv` resolves token_env (a missing variable is a
// ConfigError: a connector must not silently run unauthenticated). Every token and URL
// password is added to `secrets`, which redacts them from copied response bodies. `client`,
// `options` and `secrets` must outlive the set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
ConnectorSet build_connectors(const ConnectorsConfig& config, const HttpClient& client, const RuntimeOptions& options,
                              const EnvLookup& getenv, Secrets& secrets);

}  // namespace writ::runtime
