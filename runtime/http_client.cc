#include "runtime/http_client.h"

#include <curl/curl.h>

#include <algorithm>
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
      return response;
    }
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
  set(h, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
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

std::optional<std::string> resolve_url(const std::string& base, const std::string& reference) {
  if (url_origin(reference)) return reference;
  if (reference.empty() || reference[0] != '/' || (reference.size() > 1 && reference[1] == '/')) return std::nullopt;
  auto origin = url_origin(base);
  if (!origin) return std::nullopt;
  return *origin + reference;
}

}  // namespace writ::runtime
