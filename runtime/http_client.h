// A small blocking HTTP client over libcurl, shared by the approval gate and the http
// connector. TLS peer and host verification are always on; redirects are never followed;
// only http and https are spoken; loopback (127.0.0.0/8, ::1, localhost) never goes through a
// proxy. Credentials — an Authorization header, userinfo in the URL — are never sent over
// plain http:// except to loopback: such a request is refused, not sent (a backstop: the
// connectors file and `--approvals` are checked when they are read). Bodies larger than
// the limit abort the transfer. Every fault is returned in HttpResponse::error (never thrown),
// and no message ever contains a header value (bearer tokens stay out of logs). A header
// value holding CR or LF is refused, not sent (no header injection through a token).
// An HttpClient holds no connection state: send() may be called from several threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace writ::runtime {

struct HttpRequest {
  std::string method = "POST";  // "POST" or "GET"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};
};

struct HttpResponse {
  long status = 0;  // 0 when no HTTP answer arrived
  std::string body;
  std::string error;  // transport failure: "connection refused", "timed out after 500 ms", ...
  bool timed_out = false;
  bool too_large = false;
  bool not_sent = false;  // refused before sending: credentials over plain http, a line break in a header
  bool answered() const { return error.empty(); }
};

class HttpClient {
 public:
  HttpClient(std::size_t max_response_bytes, std::chrono::milliseconds connect_timeout);
  HttpResponse send(const HttpRequest& request) const;

 private:
  std::size_t max_response_bytes_;
  std::chrono::milliseconds connect_timeout_;
};

// "scheme://host:port" of an absolute http(s) URL (default ports filled in), or nothing when
// `url` is not one.
std::optional<std::string> url_origin(const std::string& url);

// Whether credentials may travel to `url`: over https to any host, over plain http only to a
// loopback host (127.0.0.0/8, ::1, `localhost`). False when `url` is not an http(s) URL.
bool credentials_allowed(const std::string& url);

// Whether `url` holds userinfo (`user[:password]@`), which curl sends as Basic credentials.
bool has_userinfo(const std::string& url);

// The password of `url`'s userinfo as written (percent-encoded) and decoded; empty when none.
// Both go into the run's Secrets.
std::vector<std::string> url_passwords(const std::string& url);

// `url` as it may be journaled, printed or put in an error: without userinfo, query string and
// fragment ("http://u:pw@h:8/a?token=x#f" -> "http://h:8/a"). Purely textual, so it also
// cleans a string that is not a valid URL.
std::string redact_url(std::string_view url);

// Resolves `reference` (absolute URL, or a path starting with "/") against `base`; nothing
// when it is neither.
std::optional<std::string> resolve_url(const std::string& base, const std::string& reference);

}  // namespace writ::runtime
