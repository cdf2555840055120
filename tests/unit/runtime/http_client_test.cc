#include "runtime/http_client.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "http_test_server.h"

using namespace writ::runtime;
using namespace writ::runtime::testing;
using namespace std::chrono;

TEST_CASE("requests reach the server and answers come back", "[runtime][http]") {
  TestServer server;
  server.server.Post("/act", [&](const httplib::Request& req, httplib::Response& res) {
    server.record(req);
    res.status = 201;
    res.set_content(R"({"ok":true})", "application/json");
  });
  server.server.Get("/redirect", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/act"); });
  server.start();
  HttpClient client(1024, seconds(5));
  auto response = client.send({"POST", server.url("/act"), {{"X-Test", "1"}}, "hello", seconds(5)});
  REQUIRE(response.answered());
  CHECK(response.status == 201);
  CHECK(response.body == R"({"ok":true})");
  CHECK(server.seen().at(0).body == "hello");
  // Redirects are reported, never followed.
  response = client.send({"GET", server.url("/redirect"), {}, "", seconds(5)});
  CHECK(response.status == 302);
}

TEST_CASE("max_response_bytes aborts large bodies", "[runtime][http][limits]") {
  TestServer server;
  server.server.Get("/big", [](const httplib::Request&, httplib::Response& res) { res.set_content(std::string(5000, 'x'), "text/plain"); });
  server.start();
  auto response = HttpClient(1000, seconds(5)).send({"GET", server.url("/big"), {}, "", seconds(5)});
  CHECK_FALSE(response.answered());
  CHECK(response.too_large);
  CHECK(response.error == "response body larger than the limit");
  CHECK(HttpClient(5000, seconds(5)).send({"GET", server.url("/big"), {}, "", seconds(5)}).answered());
}

TEST_CASE("a slow server times out, a closed port is refused", "[runtime][http]") {
  TestServer server;
  server.server.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  server.start();
  HttpClient client(1024, seconds(5));
  const auto start = steady_clock::now();
  auto response = client.send({"GET", server.url("/slow"), {}, "", milliseconds(300)});
  CHECK(steady_clock::now() - start < milliseconds(1200));
  CHECK(response.timed_out);
  CHECK(response.error == "no answer within 300 ms");
  response = client.send({"GET", "http://127.0.0.1:" + std::to_string(closed_port()) + "/", {}, "", seconds(2)});
  CHECK_FALSE(response.answered());
  CHECK_FALSE(response.timed_out);
  CHECK(response.status == 0);
}

TEST_CASE("connect_timeout bounds connecting", "[runtime][http][limits]") {
  // 192.0.2.0/24 (TEST-NET-1) is never routed: connecting either hangs until the connect
  // timeout or fails at once, but never takes longer than the limit.
  HttpClient client(1024, milliseconds(300));
  const auto start = steady_clock::now();
  auto response = client.send({"GET", "http://192.0.2.1:81/", {}, "", seconds(10)});
  CHECK(steady_clock::now() - start < seconds(3));
  CHECK_FALSE(response.answered());
}

TEST_CASE("only http and https are spoken", "[runtime][http]") {
  HttpClient client(1024, seconds(1));
  auto response = client.send({"GET", "file:///etc/passwd", {}, "", seconds(1)});
  CHECK_FALSE(response.answered());
  CHECK(response.body.empty());
}

TEST_CASE("URL origins and poll URL resolution", "[runtime][http]") {
  CHECK(url_origin("http://127.0.0.1:8080/a?b") == std::optional<std::string>("http://127.0.0.1:8080"));
  CHECK(url_origin("https://approvals.example/x") == std::optional<std::string>("https://approvals.example:443"));
  CHECK_FALSE(url_origin("ftp://x/"));
  CHECK_FALSE(url_origin("/relative"));
  CHECK(resolve_url("http://h:1/approve", "/poll/7") == std::optional<std::string>("http://h:1/poll/7"));
  CHECK(resolve_url("http://h:1/approve", "http://h:1/poll/7") == std::optional<std::string>("http://h:1/poll/7"));
  CHECK_FALSE(resolve_url("http://h:1/approve", "//evil/poll"));
  CHECK_FALSE(resolve_url("http://h:1/approve", "poll"));
}

TEST_CASE("a header value with a line break is never sent", "[runtime][http]") {
  TestServer server;
  server.server.Get("/", [&](const httplib::Request& req, httplib::Response&) { server.record(req); });
  server.start();
  HttpClient client(1024, seconds(1));
  auto response = client.send({"GET", server.url("/"), {{"Authorization", "Bearer abc\r\nX-Evil: 1"}}, "", seconds(2)});
  CHECK_FALSE(response.answered());
  CHECK(response.error == "header Authorization holds a line break; not sent");
  CHECK(server.seen().empty());
}

TEST_CASE("credentials travel over plain http only to loopback", "[runtime][http][secrets]") {
  for (const char* url : {"https://edr.example/x", "http://127.0.0.1:8080/x", "http://127.4.5.6/x", "http://localhost/x",
                          "http://LOCALHOST:9/x", "http://[::1]:8080/x", "https://u:p@edr.example/x"}) {
    INFO(url);
    CHECK(credentials_allowed(url));
  }
  for (const char* url : {"http://edr.example/x", "http://198.51.100.7/x", "http://127.0.0.1.evil.example/x",
                          "http://localhost.evil.example/x", "http://[::2]/x", "http://128.0.0.1/x", "ftp://127.0.0.1/x",
                          "not a url"}) {
    INFO(url);
    CHECK_FALSE(credentials_allowed(url));
  }
}

TEST_CASE("a request with credentials to a remote plain-http host is refused, not sent", "[runtime][http][secrets]") {
  HttpClient client(1024, seconds(5));
  // TEST-NET-2: a connect attempt would hang until the timeout; the refusal comes first.
  auto response = client.send({"POST", "http://198.51.100.7/act", {{"Authorization", "Bearer t0k"}}, "{}", seconds(30)});
  CHECK_FALSE(response.answered());
  CHECK(response.not_sent);
  CHECK(response.error == "refusing to send credentials over plain http to http://198.51.100.7/act: use https (plain http only to loopback)");
  response = client.send({"GET", "http://ops:pw-1@198.51.100.7/act?k=v", {}, "", seconds(30)});
  CHECK(response.not_sent);
  CHECK(response.error.find("pw-1") == std::string::npos);
  CHECK(response.error.find("k=v") == std::string::npos);
  // Loopback with a token is sent.
  TestServer server;
  server.server.Get("/ok", [&](const httplib::Request& req, httplib::Response& res) {
    server.record(req);
    res.set_content("ok", "text/plain");
  });
  server.start();
  response = client.send({"GET", server.url("/ok"), {{"authorization", "Bearer t0k"}}, "", seconds(5)});
  CHECK(response.status == 200);
  CHECK(server.seen().at(0).authorization == "Bearer t0k");
}

TEST_CASE("redact_url drops userinfo, query and fragment", "[runtime][http][secrets]") {
  CHECK(redact_url("http://u:pw@127.0.0.1:8080/approve?token=s3cret#frag") == "http://127.0.0.1:8080/approve");
  CHECK(redact_url("https://edr.example/api/act") == "https://edr.example/api/act");
  CHECK(redact_url("https://a@b@edr.example/x") == "https://edr.example/x");
  CHECK(redact_url("https://edr.example/a@b") == "https://edr.example/a@b");  // an @ in the path is no userinfo
  CHECK(redact_url("https://u:p@edr.example?x") == "https://edr.example");
  CHECK(redact_url("u:p@host/x?y") == "host/x");  // not a URL curl reads: cleaned all the same
  CHECK(redact_url("") == "");
  CHECK(redact_url("http://user:p?ss@host/x") == "http://host/x");  // malformed: still no half password
  CHECK(redact_url("http://user:p#ss@host") == "http://host");
  CHECK(has_userinfo("http://u@127.0.0.1/"));
  CHECK(has_userinfo("http://:p@127.0.0.1/"));
  CHECK_FALSE(has_userinfo("http://127.0.0.1/a@b"));
  CHECK(url_passwords("http://u:p%40ss@127.0.0.1/") == std::vector<std::string>{"p%40ss", "p@ss"});
  CHECK(url_passwords("http://u@127.0.0.1/").empty());
}
