// `writ serve` (DESIGN §14): argument parsing, the HTTP transport (cpp-httplib) and signals
// over service::Service. SIGHUP reloads the runbooks (checked first: on errors the old set
// stays), SIGTERM or SIGINT stops intake, lets the workers finish their current step and
// exits 0. Exit 1: the runbooks do not pass `writ check`; 2: usage (auth file, listen address).
#include <httplib.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include <fmt/format.h>

#include "cli/cli_support.h"
#include "cli/run_support.h"
#include "runtime/pg/connection.h"
#include "service/auth.h"
#include "service/service.h"

namespace writ::cli {

namespace {

namespace rt = writ::runtime;
namespace sv = writ::service;

struct ServeArgs {
  std::string runbooks;
  std::string auth;
  std::string listen = "127.0.0.1:8080";
  std::string store = ".writ-state";
  std::string lease = "30s";
  std::string public_url;
  std::vector<std::string> policies;
  rt::EngineConfig engine;
  sv::ServiceOptions service;
};

std::pair<std::string, int> listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon + 1 < text.size() && colon + 6 >= text.size()) {
    try {
      port = std::stoi(text.substr(colon + 1));
    } catch (const std::exception&) {
      port = -1;
    }
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
    throw UsageError(fmt::format("--listen {}: expected HOST:PORT", text));
  }
  return {text.substr(0, colon), port};
}

sv::Request to_request(const httplib::Request& in) {
  sv::Request out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [key, value] : in.params) out.query.emplace(key, value);
  out.authorization = in.get_header_value("Authorization");
  out.signature = in.get_header_value("X-Writ-Signature");
  out.body = in.body;
  return out;
}

// SIGHUP: recompile; a set with errors (printed) leaves the running one in place.
void reload(const ServeArgs& args, const CliContext& ctx, sv::Service& service) {
  try {
    service.reload(load_checked_runbooks(args.runbooks, args.policies, ctx));
    std::cerr << "writ serve: reloaded " << args.runbooks << '\n';
  } catch (const std::exception& e) {
    std::cerr << "writ serve: reload refused, the running runbooks stay: " << e.what() << '\n';
  }
}

int serve(ServeArgs& args, const CliContext& ctx) {
  const bool shared = rt::pg::is_dsn(args.store);
  if (!shared && args.store.find("://") != std::string::npos) {
    throw UsageError(fmt::format("--store {}: expected a directory or postgresql://…", args.store));
  }
  const auto [host, port] = listen_address(args.listen);
  args.engine.state_dir = args.store;
  args.engine.claim_events = true;
  args.service.orphan_grace = parse_lease(args.lease, "--lease") / 2;
  args.service.public_url = args.public_url.empty() ? fmt::format("http://{}", args.listen) : args.public_url;
  auto runbooks = load_checked_runbooks(args.runbooks, args.policies, ctx);
  require_readable(args.auth);
  const auto& roles = runbooks->catalog().enums.count("role") ? runbooks->catalog().enums.at("role") : std::set<std::string>{};
  sv::AuthConfig auth_config;
  try {
    auth_config = sv::load_auth_file(args.auth, roles, [](const std::string& name) -> std::optional<std::string> {
      const char* value = std::getenv(name.c_str());
      return value && *value ? std::optional<std::string>(value) : std::nullopt;
    });
  } catch (const sv::AuthError& e) {
    throw UsageError(e.what());
  }
  if (shared) {
    use_run_store(args.engine, args.lease, true);
  } else {
    std::filesystem::create_directories(args.store);
  }
  sv::Authenticator auth(std::move(auth_config));
  rt::SystemClock clock;
  rt::check_approvals_source(args.engine.approvals, args.engine.dry_run);
  sv::Service service(auth, clock, args.service);
  rt::EngineHooks hooks;
  hooks.note = [](const std::string& m) { std::cerr << "writ serve: note: " << m << '\n'; };
  if (!args.engine.approvals.empty()) hooks.approvals_kind = "http";
  rt::Engine engine(runbooks, args.engine, clock, service.engine_hooks(hooks));
  service.attach(engine);

  httplib::Server server;
  server.set_payload_max_length(args.service.max_body_bytes);
  server.new_task_queue = [] { return new httplib::ThreadPool(8); };
  const auto handler = [&service](const httplib::Request& in, httplib::Response& out) {
    const auto response = service.handle(to_request(in));
    out.status = response.status;
    for (const auto& [key, value] : response.headers) out.set_header(key, value);
    out.set_content(response.body, response.content_type.c_str());
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  // What cpp-httplib refuses before a route sees it is JSON like every other refusal: a body
  // over the limit, or (Debian's cpp-httplib 0.11 parses such bodies itself) a body over 8 KiB
  // sent as application/x-www-form-urlencoded instead of application/json.
  server.set_error_handler([](const httplib::Request& in, httplib::Response& out) {
    if (!out.body.empty()) return;
    std::string why = fmt::format("the HTTP request was refused ({})", out.status);
    if (out.status == 413) {
      why = in.get_header_value("Content-Type") == "application/x-www-form-urlencoded"
                ? "a form-encoded body is limited to 8192 bytes: send the JSON as application/json"
                : "the body is larger than the limit";
    }
    out.set_content(nlohmann::json{{"error", why}}.dump() + "\n", "application/json");
  });
  if (!server.bind_to_port(host, port)) throw UsageError(fmt::format("--listen {}: cannot listen there", args.listen));
  try {
    service.start();  // after the bind: a failed start leaves no worker behind
  } catch (const sv::IntakeError& e) {
    throw Refused(e.what());
  }
  std::cerr << "writ serve: listening on http://" << args.listen << " (" << runbooks->runbooks().size() << " runbooks)\n";

  std::thread signals([&] {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&set, s);
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (signal == SIGHUP) {
        reload(args, ctx, service);
        continue;
      }
      std::cerr << "writ serve: stopping (draining the workers)\n";
      server.stop();
      return;
    }
  });
  server.listen_after_bind();
  signals.join();
  service.drain();
  std::cerr << "writ serve: stopped\n";
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "run incidents as a service: events in over HTTP, role-bound approvals, runs out");
  cmd->add_option("runbooks", args->runbooks, "runbook file or directory (checked at start and on SIGHUP)")->required();
  cmd->add_option("--auth", args->auth, "auth file (YAML): hashed bearer tokens with scopes and roles, HMAC signers")->required();
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on")->capture_default_str();
  cmd->add_option("--store", args->store,
                  "where runs live: a directory (runs/RUN_ID/journal.jsonl, intake.jsonl), or postgresql://… shared by "
                  "several nodes")
      ->capture_default_str();
  cmd->add_option("--lease", args->lease, "with a postgresql:// store: how long a node's hold on a run lasts unless renewed")
      ->capture_default_str();
  cmd->add_option("--public-url", args->public_url, "base URL of status and approval links (default: http://LISTEN)");
  cmd->add_option("--connectors", args->engine.connectors, "connectors file (YAML); default: every action to dry-run");
  cmd->add_option("--approvals", args->engine.approvals, "approval service URL (seed protocol) instead of approvals by POST");
  cmd->add_option("--policy", args->policies, "policy file overriding the default policy")
      ->allow_extra_args(false);
  add_catalog_option(cmd, ctx);
  cmd->add_option("--evidence", args->engine.evidence, "evidence store directory (default: STORE/evidence)");
  cmd->add_option("--key", args->engine.key, "Ed25519 private key (PEM) signing the evidence store's checkpoints");
  cmd->add_option("--journal-key", args->engine.journal_key, "HMAC key file for the run journals");
  cmd->add_flag("--dry-run", args->engine.dry_run, "route every action to the dry-run connector");
  cmd->add_option("--workers", args->service.workers, "runs executed at once")->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--queue", args->service.queue_capacity, "runs waiting for a worker before intake answers 429")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->callback([args, &ctx] {
    // Signals go to the thread that waits for them, never to a worker or the HTTP pool.
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    run_guarded(ctx, [&] { return serve(*args, ctx); });
  });
}

}  // namespace writ::cli
