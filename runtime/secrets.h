// Secret values writ holds — bearer tokens, URL passwords — and the redaction of foreign text
// that may echo them (DESIGN §13 "Secrets"). Whoever is handed a secret registers it in the
// run's Secrets (HttpConnector its token and URL password, HttpApprovalGate likewise); whoever
// copies a response body, a reason or a transport error into a message, the journal or the
// output passes it through excerpt(). The set is passed by reference, never global; it is
// complete once the connectors and the gate are built, before the first call.
// Not thread-safe for add(); excerpt() may run concurrently with other excerpt() calls.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace writ::runtime {

class Secrets {
 public:
  // `excerpt_bytes`: at most this many bytes of foreign text are kept (RuntimeOptions::
  // max_error_excerpt_bytes).
  explicit Secrets(std::size_t excerpt_bytes) : excerpt_bytes_(excerpt_bytes) {}

  // Registers `value`; an empty value is ignored.
  void add(std::string value);

  // `text` with every occurrence of every secret replaced by `***` (longest secret first),
  // *then* cut to the excerpt size, so a secret straddling the cut cannot leak in part.
  std::string excerpt(std::string_view text) const;

  std::string redact(std::string_view text) const;  // the replacement alone, uncut
  std::size_t size() const { return values_.size(); }

 private:
  std::size_t excerpt_bytes_;
  std::vector<std::string> values_;  // distinct, longest first
};

// Up to `limit` bytes of `text`, cut before a UTF-8 sequence rather than inside it, with
// control characters replaced by spaces and invalid UTF-8 by `?` (so the excerpt is safe in a
// terminal and in JSON); "..." marks a cut.
std::string printable_excerpt(std::string_view text, std::size_t limit = 200);

}  // namespace writ::runtime
