#include "runtime/nominal_types.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace writ::runtime;

namespace {

bool ok(std::string_view type, std::string_view value) { return !nominal_violation(type, value); }

}  // namespace

TEST_CASE("host: an RFC 1123 hostname or an IP literal", "[runtime][nominal]") {
  for (auto v : {"ws-042", "db-007.corp.example", "WS042", "1host", "host.example.", "203.0.113.7", "2001:db8::1", "a"}) {
    CHECK(ok("host", v));
  }
  for (auto v : {"-o/some/path", "--output=x", "ws_042", "ws 042", "host-", "a..b", ".host", "x/y", "ws-1;id", "[::1]"}) {
    CAPTURE(v);
    CHECK(nominal_violation("host", v) == "is not a hostname or IP address");
  }
  CHECK(ok("host", std::string(63, 'a') + "." + std::string(63, 'b')));
  CHECK_FALSE(ok("host", std::string(64, 'a')));  // a label is at most 63 bytes
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  CHECK_FALSE(ok("host", long_name + "abcd"));  // more than 253 bytes
}

TEST_CASE("ip, domain, segment, email_address", "[runtime][nominal]") {
  CHECK(ok("ip", "192.0.2.44"));
  CHECK(ok("ip", "::ffff:192.0.2.1"));
  CHECK(nominal_violation("ip", "192.0.2.256") == "is not an IPv4 or IPv6 address");
  CHECK_FALSE(ok("ip", "ws-1"));
  CHECK(ok("domain", "evil.example.com"));
  CHECK(ok("domain", "xn--bcher-kva.example"));
  CHECK(ok("domain", "192.0.2.1."));  // digit-only labels are legal RFC 1123 hostnames
  CHECK_FALSE(ok("domain", "-x.example"));
  CHECK_FALSE(ok("domain", "http://evil.example"));
  CHECK(ok("segment", "seg-finance"));
  CHECK(ok("segment", "vlan 12"));
  CHECK(nominal_violation("segment", "seg/../../etc") == "is not a segment id (it holds `/`)");
  CHECK(ok("email_address", "jdoe@corp.example"));
  CHECK(ok("email_address", "first.last+tag@corp.example"));
  for (auto v : {"jdoe", "@corp.example", "a@b@corp.example", "j doe@corp.example", "jdoe@-bad", "jdoe@"}) {
    CAPTURE(v);
    CHECK_FALSE(ok("email_address", v));
  }
}

TEST_CASE("file_hash, path, url", "[runtime][nominal]") {
  CHECK(ok("file_hash", std::string(32, 'a')));
  CHECK(ok("file_hash", std::string(40, 'F')));
  CHECK(ok("file_hash", std::string(64, '0')));
  CHECK(ok("file_hash", std::string(128, 'c')));
  CHECK_FALSE(ok("file_hash", std::string(63, 'a')));
  CHECK_FALSE(ok("file_hash", std::string(63, 'a') + "g"));
  for (auto v : {"/tmp/pcap_capture.pcap", "C:\\Windows\\Temp\\x.exe", "c:/users/x", "\\\\fileserver\\share\\a.doc", "/a/..b/c"}) {
    CAPTURE(v);
    CHECK(ok("path", v));
  }
  for (auto v : {"tmp/x", "../etc/passwd", "/evidence/../etc/shadow", "C:\\a\\..\\b", "1:\\x", "-o", "/x/.."}) {
    CAPTURE(v);
    CHECK(nominal_violation("path", v) == "is not an absolute path without `..`");
  }
  CHECK(ok("url", "https://evil.example/x?y=1"));
  CHECK(ok("url", "mailto:a@b.example"));
  for (auto v : {"evil.example", "://x", "https://a b", "1http://x", "https:"}) {
    CAPTURE(v);
    CHECK_FALSE(ok("url", v));
  }
}

TEST_CASE("every nominal type refuses empty values and control characters", "[runtime][nominal]") {
  std::set<std::string> types{"user", "process", "ticket", "vendor", "vm", "account", "incident", "bucket", "acme_asset"};
  for (const auto& rule : nominal_rules()) types.insert(std::string(rule.type));
  for (const auto& type : types) {
    CAPTURE(type);
    CHECK(nominal_violation(type, "") == "is empty");
    CHECK(nominal_violation(type, "ab\x1b[2Jc") == "holds a control character (U+001B at byte 2)");
    CHECK(nominal_violation(type, "ab\ncd") == "holds a control character (U+000A at byte 2)");
    CHECK(nominal_violation(type, "x\x7f") == "holds a control character (U+007F at byte 1)");
    CHECK(nominal_violation(type, "x\xc2\x9b") == "holds a control character (U+009B at byte 1)");  // C1 CSI
  }
  CHECK(ok("user", "jdoe"));
  CHECK(ok("user", "-o/some/path"));  // a user name has no shape; argv rules guard exec (exec_connector.h)
  CHECK(ok("user", "Jürgen Müller"));
  CHECK(ok("user", "DOMAIN\\jdoe"));
  CHECK(ok("process", "C:\\Windows\\System32\\svchost.exe -k netsvcs"));
  CHECK(ok("user", "x\xc2\xa0y"));  // U+00A0 is not a control character
}
