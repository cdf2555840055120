#include "runtime/http_client.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <memory>
#include <stdexcept>

namespace writ::runtime {

namespace {

// curl_global_init is not thread-safe: do it once, before the first handle.
void ensure_curl_initialised() {
  struct Init {
    Init() {
      if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
    }
    ~Init() { curl_global_cleanup(); }
  };
  static const Init init;
}

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlString {
  char* text = nullptr;
  ~CurlString() { curl_free(text); }
};

struct Sink {
  std::string* body;
  std::size_t limit;
  bool too_large = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body->size() + n > sink->limit) {
    sink->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

template <typename T>
void set(CURL* handle, CURLoption option, T value) {
  if (curl_easy_setopt(handle, option, value) != CURLE_OK) {
    throw std::runtime_error(fmt::format("curl_easy_setopt({}) failed", static_cast<int>(option)));
  }
}

std::unique_ptr<curl_slist, ListDeleter> header_list(const HttpRequest& request) {
  curl_slist* list = nullptr;
  auto append = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) {
      curl_slist_free_all(list);
      throw std::bad_alloc();
    }
    list = next;
  };
  append("Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : request.headers) append(name + ": " + value);
  return std::unique_ptr<curl_slist, ListDeleter>(list);
}

// The parts of an http(s) URL curl would use, or nothing when it is not one.
struct UrlParts {
  std::string scheme, host;
  bool userinfo = false;
  std::vector<std::string> passwords;  // as written, and decoded
};

std::optional<std::string> url_part(CURLU* parsed, CURLUPart part, unsigned int flags = 0) {
  CurlString value;
  if (curl_url_get(parsed, part, &value.text, flags) != CURLUE_OK || value.text == nullptr) return std::nullopt;
  return std::string(value.text);
}

std::optional<UrlParts> parse_url(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto scheme = url_part(parsed.get(), CURLUPART_SCHEME);
  auto host = url_part(parsed.get(), CURLUPART_HOST);
  if (!scheme || !host || (*scheme != "http" && *scheme != "https")) return std::nullopt;
  UrlParts parts{*scheme, *host, false, {}};
  parts.userinfo = url_part(parsed.get(), CURLUPART_USER).has_value() || url_part(parsed.get(), CURLUPART_PASSWORD).has_value();
  for (unsigned int flags : {0U, static_cast<unsigned int>(CURLU_URLDECODE)}) {
    if (auto password = url_part(parsed.get(), CURLUPART_PASSWORD, flags); password && !password->empty()) {
      parts.passwords.push_back(*password);
    }
  }
  return parts;
}

// 127.0.0.0/8, ::1 (curl gives IPv6 hosts in brackets) and the name `localhost`, which curl
// itself always resolves to loopback.
bool loopback_host(std::string host) {
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (host.size() < 2 || host.front() != '[' || host.back() != ']') return false;
  return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool has_credentials(const HttpRequest& request) {
  const bool authorization = std::any_of(request.headers.begin(), request.headers.end(), [](const auto& header) {
    return strcasecmp(header.first.c_str(), "Authorization") == 0;
  });
  return authorization || has_userinfo(request.url);
}

std::string describe(CURLcode code, const char* errbuf, const HttpRequest& request, const Sink& sink) {
  if (sink.too_large) return "response body larger than the limit";
  if (code == CURLE_OPERATION_TIMEDOUT) return fmt::format("no answer within {} ms", request.timeout.count());
  if (errbuf[0] != '\0') return errbuf;
  return curl_easy_strerror(code);
}

}  // namespace

HttpClient::HttpClient(std::size_t max_response_bytes, std::chrono::milliseconds connect_timeout)
    : max_response_bytes_(max_response_bytes), connect_timeout_(connect_timeout) {}

HttpResponse HttpClient::send(const HttpRequest& request) const {
  ensure_curl_initialised();
  HttpResponse response;
  for (const auto& [name, value] : request.headers) {
    if (value.find_first_of("\r\n") != std::string::npos || name.find_first_of("\r\n:") != std::string::npos) {
      response.error = fmt::format("header {} holds a line break; not sent", name);  // never the value: it may be a token
      response.not_sent = true;
      return response;
    }
  }
  if (has_credentials(request) && !credentials_allowed(request.url)) {
    response.error = fmt::format("refusing to send credentials over plain http to {}: use https (plain http only to loopback)",
                                 redact_url(request.url));
    response.not_sent = true;
    return response;
  }
  std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  if (!handle) throw std::runtime_error("curl_easy_init failed");
  CURL* h = handle.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  Sink sink{&response.body, max_response_bytes_};
  auto headers = header_list(request);
  const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  set(h, CURLOPT_URL, request.url.c_str());
  set(h, CURLOPT_PROTOCOLS_STR, "http,https");
  set(h, CURLOPT_FOLLOWLOCATION, 0L);
  set(h, CURLOPT_SSL_VERIFYPEER, 1L);
  set(h, CURLOPT_SSL_VERIFYHOST, 2L);
  set(h, CURLOPT_NOSIGNAL, 1L);
  set(h, CURLOPT_NOPROXY, "localhost,127.0.0.0/8,::1");
  set(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  set(h, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(timeout_ms, static_cast<long>(connect_timeout_.count())));
  set(h, CURLOPT_HTTPHEADER, headers.get());
  set(h, CURLOPT_WRITEFUNCTION, write_body);
  set(h, CURLOPT_WRITEDATA, &sink);
  set(h, CURLOPT_ERRORBUFFER, errbuf);
  if (request.method == "POST") {
    set(h, CURLOPT_POST, 1L);
    set(h, CURLOPT_POSTFIELDS, request.body.c_str());
    set(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    set(h, CURLOPT_HTTPGET, 1L);
  }
  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    response.error = describe(code, errbuf, request, sink);
    response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    response.too_large = sink.too_large;
    response.body.clear();
    return response;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::optional<std::string> url_origin(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  CurlString scheme, host, port;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme.text, 0) != CURLUE_OK) return std::nullopt;
  const std::string s = scheme.text;
  if (s != "http" && s != "https") return std::nullopt;
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &host.text, 0) != CURLUE_OK) return std::nullopt;
  if (curl_url_get(parsed.get(), CURLUPART_PORT, &port.text, CURLU_DEFAULT_PORT) != CURLUE_OK) return std::nullopt;
  return fmt::format("{}://{}:{}", s, host.text, port.text);
}

bool credentials_allowed(const std::string& url) {
  const auto parts = parse_url(url);
  return parts && (parts->scheme == "https" || loopback_host(parts->host));
}

bool has_userinfo(const std::string& url) {
  const auto parts = parse_url(url);
  return parts && parts->userinfo;
}

std::vector<std::string> url_passwords(const std::string& url) {
  auto parts = parse_url(url);
  return parts ? parts->passwords : std::vector<std::string>{};
}

std::string redact_url(std::string_view url) {
  // Userinfo first, up to the last `@` before the path, even past a `?` or `#` (which a
  // malformed password may hold): dropping too much is safe, leaking half a password is not.
  std::string out(url);
  const auto scheme_end = out.find("://");
  const std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto path = std::min(out.find('/', authority), out.size());
  const auto at = out.substr(0, path).rfind('@');
  if (at != std::string::npos && at >= authority) out.erase(authority, at + 1 - authority);
  return out.substr(0, out.find_first_of("?#", authority));
}

std::optional<std::string> resolve_url(const std::string& base, const std::string& reference) {
  if (url_origin(reference)) return reference;
  if (reference.empty() || reference[0] != '/' || (reference.size() > 1 && reference[1] == '/')) return std::nullopt;
  auto origin = url_origin(base);
  if (!origin) return std::nullopt;
  return *origin + reference;
}

}  // namespace writ::runtime
