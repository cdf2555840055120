// The approval service gate (DESIGN §9, seed protocol): POST <url> with the request body of
// approval.h and `Authorization: Bearer <token>` when a token is given (the CLI reads
// WRIT_APPROVAL_TOKEN; the token never appears in a message, the journal or the output).
//   200 + {"approved": true, "approvals"?: [...]}  -> approved (the list must cover the roles)
//   200 + {"approved": false, "rollback"?: true}     -> refused (optionally: compensate)
//   202 + {"poll": URL}                               -> pending: GET URL with backoff until
//                                                        the time left runs out (a poll may
//                                                        answer 202 again, with or without a
//                                                        new {"poll": URL})
//   anything else: refused, with the reason.
// The poll URL must be on the service's own origin (scheme, host, port): the bearer token is
// never sent elsewhere. A relative "/path" is resolved against the service URL.
#pragma once

#include <optional>
#include <string>

#include "runtime/approval.h"
#include "runtime/clock.h"
#include "runtime/http_client.h"
#include "runtime/options.h"

namespace writ::runtime {

class HttpApprovalGate final : public ApprovalGate {
 public:
  // `client`, `clock` and `options` must outlive the gate.
  HttpApprovalGate(std::string url, std::optional<std::string> token, const HttpClient& client, Clock& clock,
                   const RuntimeOptions& options);
  std::string_view kind() const override { return "http"; }
  ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) override;

 private:
  struct Reply;
  Reply interpret(const HttpResponse& response, const ApprovalRequest& request, const std::string& polling) const;
  std::vector<std::pair<std::string, std::string>> headers() const;

  std::string url_;
  std::optional<std::string> token_;
  const HttpClient& client_;
  Clock& clock_;
  const RuntimeOptions& options_;
};

}  // namespace writ::runtime
