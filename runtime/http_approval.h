// The approval service gate (DESIGN §9 seed protocol, §13): POST <url> with the request body of
// approval.h and `Authorization: Bearer <token>` when a token is given (the CLI reads
// WRIT_APPROVAL_TOKEN; the token never appears in a message, the journal or the output).
//   200 + {"approved": true, "approvals"?: [...]}  -> approved (the list must cover the roles;
//                                                     with identity required it must be there)
//   200 + {"approved": false, "rollback"?: true}     -> refused (optionally: compensate)
//   202 + {"poll": URL}                               -> pending: GET URL with backoff until
//                                                        the time left runs out
//   anything else: refused, with the reason.
// Replies are read strictly (fail closed): a body with a duplicate key, an unknown key or a
// wrongly typed value is a refusal naming it (approval.h decision_shape_error). A 202 body is
// exactly {"poll": string}; while polling, a 202 may also have an empty body or `{}` (still
// pending, same poll URL). The poll URL must be on the service's own origin (scheme, host,
// port): the bearer token is never sent elsewhere. A relative "/path" is resolved against the
// service URL. Text copied from a reply into a reason (an error body, the approver's `reason`)
// is cut to the excerpt size with every secret of the run replaced by `***` (secrets.h).
#pragma once

#include <optional>
#include <string>

#include "runtime/approval.h"
#include "runtime/clock.h"
#include "runtime/http_client.h"
#include "runtime/options.h"
#include "runtime/secrets.h"

namespace writ::runtime {

class HttpApprovalGate final : public ApprovalGate {
 public:
  // `client`, `clock`, `options` and `secrets` must outlive the gate; the token and the URL's
  // password are added to `secrets`.
  HttpApprovalGate(std::string url, std::optional<std::string> token, const HttpClient& client, Clock& clock,
                   const RuntimeOptions& options, Secrets& secrets);
  std::string_view kind() const override { return "http"; }
  ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) override;

 private:
  struct Reply;
  Reply interpret(const HttpResponse& response, const ApprovalRequest& request, const std::string& polling) const;
  Reply pending(const nlohmann::json& body, const std::string& polling) const;
  std::vector<std::pair<std::string, std::string>> headers() const;

  std::string url_;
  std::optional<std::string> token_;
  const HttpClient& client_;
  Clock& clock_;
  const RuntimeOptions& options_;
  const Secrets& secrets_;
};

}  // namespace writ::runtime
