#include "runtime/connectors_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/sha256.h"
#include "common/text.h"
#include "runtime/exec_connector.h"
#include "runtime/http_connector.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
constexpr std::int64_t kMaxTimeoutSeconds = 24 * 3600;

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    const auto mark = node.Mark();
    if (mark.is_null()) throw ConfigError(fmt::format("{}: {}", path_, message));
    throw ConfigError(fmt::format("{}:{}:{}: {}", path_, mark.line + 1, mark.column + 1, message));
  }

  // The map's entries, refusing duplicates and keys outside `allowed` (with a did-you-mean).
  std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map, const std::string& what,
                                                          const std::vector<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, fmt::format("{} must be a mapping", what));
    std::vector<std::pair<std::string, YAML::Node>> out;
    std::set<std::string> seen;
    for (const auto& item : map) {
      const auto key = scalar(item.first, fmt::format("a key of {}", what));
      if (!seen.insert(key).second) fail(item.first, fmt::format("duplicate key `{}` in {}", key, what));
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        auto hint = did_you_mean(key, allowed);
        fail(item.first, fmt::format("unknown key `{}` in {}{}", key, what,
                                     hint ? fmt::format(" (did you mean `{}`?)", *hint) : ""));
      }
      out.emplace_back(key, item.second);
    }
    return out;
  }

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, fmt::format("{} must be a string", what));
    auto restored = restore_yaml_cpp_escapes(node.Scalar());  // `\N`, `\_`
    return restored ? *restored : node.Scalar();
  }

  std::int64_t seconds(const YAML::Node& node, const std::string& what) const {
    std::int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<std::int64_t>::decode(node, value) || value < 1 ||
        value > kMaxTimeoutSeconds) {
      fail(node, fmt::format("{} must be an integer from 1 to {}", what, kMaxTimeoutSeconds));
    }
    return value;
  }

  bool boolean(const YAML::Node& node, const std::string& what) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) fail(node, fmt::format("{} must be true or false", what));
    return value;
  }

  std::vector<std::string> strings(const YAML::Node& node, const std::string& what) const {
    if (!node.IsSequence()) fail(node, fmt::format("{} must be a list of strings", what));
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(scalar(item, fmt::format("each element of {}", what)));
    return out;
  }

 private:
  std::string path_;
};

bool valid_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

bool valid_env_name(const std::string& name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool clean_absolute(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const auto next = std::min(path.find('/', pos), path.size());
    if (path.compare(pos, next - pos, "..") == 0) return false;
    pos = next + 1;
  }
  return true;
}

// `signing_key:` / `journal_key:` — the absolute path of a key file (read when a run needs it).
std::string key_file(const Reader& r, const YAML::Node& value, const std::string& key) {
  auto path = r.scalar(value, key);
  if (!clean_absolute(path)) r.fail(value, key + " must be an absolute path without `..`");
  return path;
}

void read_http(const Reader& r, const YAML::Node& node, const std::string& key, const YAML::Node& value,
               ConnectorSpec& spec) {
  if (key == "url") {
    spec.url = r.scalar(value, "url");
    if (!url_origin(spec.url))
      r.fail(value, fmt::format("url \"{}\" is not an absolute http:// or https:// URL", redact_url(spec.url)));
  } else if (key == "token_env") {
    spec.token_env = r.scalar(value, "token_env");
    if (!valid_env_name(*spec.token_env)) r.fail(value, "token_env must name an environment variable");
  } else if (key == "argv" || key == "allow_leading_dash") {
    r.fail(node, fmt::format("connector `{}`: `{}` belongs to type exec, not http", spec.name, key));
  }
}

void read_exec(const Reader& r, const YAML::Node& node, const std::string& key, const YAML::Node& value,
               ConnectorSpec& spec) {
  if (key == "argv") {
    spec.argv = r.strings(value, "argv");
    if (spec.argv.empty()) r.fail(value, "argv must not be empty");
    if (!clean_absolute(spec.argv[0]) || spec.argv[0].find("{{") != std::string::npos) {
      r.fail(value, fmt::format("argv[0] \"{}\" must be an absolute path without placeholders (no shell, no PATH)",
                                spec.argv[0]));
    }
    for (std::size_t i = 0; i < spec.argv.size(); ++i) {
      try {
        parse_argv_template(spec.argv[i]);
      } catch (const std::invalid_argument& e) {
        r.fail(value[i], fmt::format("argv[{}]: {}", i, e.what()));
      }
    }
  } else if (key == "allow_leading_dash") {
    spec.allow_leading_dash = r.boolean(value, "allow_leading_dash");
  } else if (key == "url" || key == "token_env") {
    r.fail(node, fmt::format("connector `{}`: `{}` belongs to type http, not exec", spec.name, key));
  }
}

// Credentials — a bearer token, userinfo in the URL — never travel over plain http except to
// loopback (DESIGN §13); HttpClient::send refuses it again as a backstop.
void check_credentials(const Reader& r, const YAML::Node& node, const ConnectorSpec& spec) {
  if (spec.type != "http" || spec.url.empty() || credentials_allowed(spec.url)) return;
  const YAML::Node url = node["url"];
  if (spec.token_env) {
    r.fail(url, fmt::format("connector `{}` would send the bearer token of ${} over plain http to {}: use https "
                            "(plain http only to loopback)", spec.name, *spec.token_env, redact_url(spec.url)));
  }
  if (has_userinfo(spec.url)) {
    r.fail(url, fmt::format("connector `{}` would send the url's userinfo (a credential) over plain http to {}: use "
                            "https (plain http only to loopback)", spec.name, redact_url(spec.url)));
  }
}

ConnectorSpec read_connector(const Reader& r, const std::string& name, const YAML::Node& node) {
  if (!valid_name(name))
    r.fail(node, fmt::format("connector name `{}` may hold only letters, digits, `_` and `-`", name));
  if (name == "dry-run") r.fail(node, "`dry-run` is built in and cannot be redefined");
  ConnectorSpec spec;
  spec.name = name;
  const auto items =
      r.entries(node, fmt::format("connector `{}`", name), {"type", "url", "token_env", "argv", "allow_leading_dash", "timeout_seconds"});
  for (const auto& [key, value] : items) {
    if (key == "type") spec.type = r.scalar(value, "type");
  }
  if (spec.type != "http" && spec.type != "exec" && spec.type != "dry-run") {
    r.fail(node, fmt::format("connector `{}` needs `type: http`, `type: exec` or `type: dry-run`", name));
  }
  for (const auto& [key, value] : items) {
    if (key == "timeout_seconds") spec.timeout = std::chrono::seconds(r.seconds(value, "timeout_seconds"));
    if (spec.type == "http") read_http(r, node, key, value, spec);
    if (spec.type == "exec") read_exec(r, node, key, value, spec);
    if (spec.type == "dry-run" && key != "type" && key != "timeout_seconds") {
      r.fail(value, fmt::format("connector `{}` of type dry-run takes no `{}`", name, key));
    }
  }
  if (spec.type == "http" && spec.url.empty()) r.fail(node, fmt::format("connector `{}` (http) needs a `url`", name));
  check_credentials(r, node, spec);
  if (spec.type == "exec" && spec.argv.empty())
    r.fail(node, fmt::format("connector `{}` (exec) needs an `argv`", name));
  return spec;
}

}  // namespace

ConnectorsConfig parse_connectors(const std::string& text, const std::string& path) {
  Reader r(path);
  if (auto bad = first_invalid_utf8(text)) {
    throw ConfigError(fmt::format("{}:{}: invalid UTF-8 at byte {}", path, position(text, *bad), *bad));
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}:{}: invalid YAML: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  ConnectorsConfig config;
  config.path = path;
  config.sha256 = sha256_hex(text);
  if (!root.IsMap())
    throw ConfigError(
        fmt::format("{}: a connectors file is a mapping with `connectors`, `routes`, `evidence_roots`", path));
  std::optional<YAML::Node> routes;  // a default YAML::Node is a defined null, not "absent"
  for (const auto& [key, value] :
       r.entries(root, "the connectors file", {"connectors", "routes", "evidence_roots", "signing_key", "journal_key"})) {
    if (key == "journal_key") {
      config.journal_key = key_file(r, value, key);
    } else if (key == "connectors") {
      for (const auto& [name, node] : r.entries(value, "connectors", {}))
        config.connectors[name] = read_connector(r, name, node);
    } else if (key == "routes") {
      routes = value;
    } else if (key == "signing_key") {
      config.signing_key = key_file(r, value, key);
    } else {
      config.evidence_roots = r.strings(value, "evidence_roots");
      for (std::size_t i = 0; i < config.evidence_roots.size(); ++i) {
        if (!clean_absolute(config.evidence_roots[i]))
          r.fail(value[i], "an evidence root must be an absolute path without `..`");
      }
    }
  }
  if (routes) {
    for (const auto& [action, node] : r.entries(*routes, "routes", {})) {
      auto target = r.scalar(node, fmt::format("the route of `{}`", action));
      if (target != "dry-run" && !config.connectors.count(target)) {
        std::vector<std::string> names{"dry-run"};
        for (const auto& [name, spec] : config.connectors) names.push_back(name);
        auto hint = did_you_mean(target, names);
        r.fail(node, fmt::format("route `{}` names connector `{}`, which is not defined{}", action, target,
                                 hint ? fmt::format(" (did you mean `{}`?)", *hint) : ""));
      }
      config.routes[action] = target;
    }
  }
  return config;
}

ConnectorsConfig load_connectors_file(const std::string& path) {
  try {
    return parse_connectors(read_text_file(path, kMaxConfigBytes), path);
  } catch (const JsonInputError& e) {
    throw ConfigError(e.what());
  }
}

ConnectorsConfig default_connectors() {
  ConnectorsConfig config;
  config.routes["*"] = "dry-run";
  return config;
}

ConnectorSet build_connectors(const ConnectorsConfig& config, const HttpClient& client, const RuntimeOptions& options,
                              const EnvLookup& getenv, Secrets& secrets) {
  ConnectorSet set;
  for (const auto& [name, spec] : config.connectors) {
    if (spec.type == "http") {
      HttpConnectorConfig http{spec.url, spec.timeout, std::nullopt};
      if (spec.token_env) {
        http.token = getenv(*spec.token_env);
        if (!http.token) {
          throw ConfigError(fmt::format("{}: connector `{}` needs the token in ${}, which is not set", config.path,
                                        name, *spec.token_env));
        }
      }
      set.add(name, std::make_unique<HttpConnector>(std::move(http), client, secrets));
    } else if (spec.type == "exec") {
      ExecConnectorConfig exec;
      for (const auto& arg : spec.argv) exec.argv.push_back(parse_argv_template(arg));
      exec.timeout = spec.timeout;
      exec.allow_leading_dash = spec.allow_leading_dash;
      set.add(name, std::make_unique<ExecConnector>(std::move(exec), options));
    } else {
      set.add(name, std::make_unique<DryRunConnector>());
    }
  }
  for (const auto& [action, target] : config.routes) set.route(action, target);
  return set;
}

}  // namespace writ::runtime
