// evidence-path: an artifact path must be absolute, free of `..` segments and, when the
// policy names evidence roots, below one of them. Checked on the path's literal text; the
// interpolated parts of a template are unknown here (the runtime confines them).
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "compiler/rules/rules.h"

namespace writ::rules {

namespace {

// Stands for an interpolated value: never '/', never part of a literal segment.
constexpr char kHole = '\x01';

struct PathText {
  std::string skeleton;  // literal text, with kHole for each interpolated part
  std::string display;   // as the author wrote it: "/evidence/{{ event.id }}.raw"
};

// The path's text, or nothing for a node that is not a string (already a template-binding
// finding).
std::optional<PathText> path_text(const expr::Node& node) {
  using Kind = expr::Node::Kind;
  auto literal_text = [](const expr::Node& n) -> const std::string* {
    return n.kind == Kind::Literal ? std::get_if<std::string>(&n.literal.v) : nullptr;
  };
  if (const auto* text = literal_text(node)) return PathText{*text, *text};
  if (node.kind == Kind::Error || node.type.is_error()) return std::nullopt;
  PathText out;
  auto add = [&](const expr::Node& part) {
    if (const auto* text = literal_text(part)) {
      out.skeleton += *text;
      out.display += *text;
    } else {
      out.skeleton += kHole;
      out.display += "{{ " + expr::to_source(part) + " }}";
    }
  };
  if (node.kind != Kind::Interpolation) {
    add(node);
    return out;
  }
  for (const auto& child : node.children) {
    if (child) add(*child);
  }
  return out;
}

// Segments without empty and "." ones: "/evidence//a/./b" -> {evidence, a, b}.
std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    auto part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

bool under(const std::vector<std::string>& path, const std::vector<std::string>& root) {
  return path.size() >= root.size() && std::equal(root.begin(), root.end(), path.begin());
}

void check_path(const Context& ctx, const ast::Step& step, const ast::Located<expr::NodePtr>& path) {
  if (!path.value) return;
  auto text = path_text(*path.value);
  if (!text) return;
  const std::string& skeleton = text->skeleton;
  const std::string& display = text->display;
  auto report = [&](std::string message) -> Diagnostic& {
    return ctx.report(Rule::EvidencePath, path.span, std::move(message), step.id.value);
  };
  if (skeleton.empty() || skeleton.front() != '/') {
    auto& d = report(skeleton.empty() || skeleton.front() != kHole
                         ? fmt::format("artifact path `{}` is relative", display)
                         : fmt::format("artifact path `{}` does not start with an absolute directory", display));
    d.help.push_back("write an absolute path, e.g. `/evidence/...`, so the artifact's origin is unambiguous");
    return;
  }
  auto parts = segments(skeleton);
  if (std::find(parts.begin(), parts.end(), "..") != parts.end()) {
    auto& d = report(fmt::format("artifact path `{}` contains a `..` segment", display));
    d.help.push_back("name the artifact by its direct path, without `..`");
    return;
  }
  const auto& roots = ctx.catalog.policy().evidence_roots;
  if (roots.empty()) return;
  bool inside =
      std::any_of(roots.begin(), roots.end(), [&](const std::string& root) { return under(parts, segments(root)); });
  if (inside) return;
  std::vector<std::string> quoted;
  for (const auto& root : roots) quoted.push_back("`" + root + "`");
  auto& d = report(fmt::format("artifact path `{}` lies outside the evidence roots of policy `{}`", display,
                               ctx.catalog.policy().name));
  d.help.push_back(fmt::format("preserve artifacts below {}", fmt::join(quoted, ", ")));
}

}  // namespace

void evidence_path(const Context& ctx) {
  for (const auto& step : ctx.ast.steps) {
    for (const auto& path : step.preserve) check_path(ctx, step, path);
  }
}

}  // namespace writ::rules
