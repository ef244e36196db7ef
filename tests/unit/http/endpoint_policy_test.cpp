// The endpoint policy on literal URLs, and form encoding (RFC 6749 appendix B).
#include <catch2/catch.hpp>
#include <memory>

#include "tessera/core/http.hpp"

using namespace tessera;
using namespace tessera::core;

TEST_CASE("public https endpoints pass") {
  for (const char* url : {"https://login.microsoftonline.com/common/oauth2/v2.0/token",
                          "https://github.com/login/oauth/access_token", "https://93.184.216.34/token",
                          "https://[2606:2800:220:1:248:1893:25c8:1946]/token", "https://example.com:8443/t?x=1"}) {
    CAPTURE(url);
    CHECK_NOTHROW(check_endpoint_url(url, false));
  }
}

TEST_CASE("the endpoint policy refuses what could reach inside") {
  for (const char* url : {"http://example.com/token",
                          "ftp://example.com/token",
                          "https://user:pw@example.com/token",
                          "https://127.0.0.1/token",
                          "https://127.9.9.9/token",
                          "https://10.0.0.5/token",
                          "https://172.16.3.4/token",
                          "https://192.168.1.1/token",
                          "https://169.254.169.254/latest/meta-data",
                          "https://100.64.0.1/t",
                          "https://0.0.0.0/t",
                          "https://[::1]/token",
                          "https://[fe80::1]/token",
                          "https://[fd00:ec2::254]/token",
                          "https://[::ffff:127.0.0.1]/token",
                          "https://[::ffff:169.254.169.254]/t",
                          "https://localhost/token",
                          "https://foo.localhost/token",
                          "https://metadata.google.internal/computeMetadata/v1",
                          "not a url",
                          "https:///path"}) {
    CAPTURE(url);
    try {
      check_endpoint_url(url, false);
      FAIL("accepted " << url);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::blocked_endpoint);
    }
  }
}

TEST_CASE("the development option allows http and loopback, never user info") {
  CHECK_NOTHROW(check_endpoint_url("http://127.0.0.1:8080/token", true));
  CHECK_NOTHROW(check_endpoint_url("https://localhost/token", true));
  CHECK_THROWS_AS(check_endpoint_url("http://user:pw@127.0.0.1/token", true), Error);
  CHECK_THROWS_AS(check_endpoint_url("ftp://127.0.0.1/token", true), Error);
}

TEST_CASE("form encoding per RFC 6749 appendix B") {
  CHECK(form_escape("a b+c/d&e=f%g~h.i_j-k") == "a+b%2Bc%2Fd%26e%3Df%25g~h.i_j-k");
  CHECK(form_escape("é") == "%C3%A9");
  CHECK(form_encode({{"grant_type", "client_credentials"}, {"scope", "a b"}}) ==
        "grant_type=client_credentials&scope=a+b");
  auto decoded = form_decode("a=1&b=x+y%2Bz&c=&d");
  REQUIRE(decoded);
  CHECK(*decoded == std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "x y+z"}, {"c", ""}, {"d", ""}});
  CHECK_FALSE(form_decode("a=%zz"));
}

TEST_CASE("form decoding reads nothing past the end of the text it is given") {
  const std::string buffer = "a=1&b=2";
  auto decoded = form_decode(std::string_view(buffer).substr(0, 3));
  REQUIRE(decoded);
  CHECK(*decoded == std::vector<std::pair<std::string, std::string>>{{"a", "1"}});
  const std::string longer = "state=abc123";
  auto cut = form_decode(std::string_view(longer).substr(0, 9));
  REQUIRE(cut);
  CHECK(*cut == std::vector<std::pair<std::string, std::string>>{{"state", "abc"}});
  const std::unique_ptr<char[]> unterminated(new char[1]{'x'});
  CHECK(form_decode(std::string_view(unterminated.get(), 1))->size() == 1);
}
