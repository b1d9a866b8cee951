#include "api/sigv4.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "json/json.h"

namespace stepway::api {
namespace {

using std::chrono::system_clock;

struct Vectors {
  std::string access_key_id;
  std::string secret;
  system_clock::time_point now;
  std::vector<std::pair<std::string, Request>> requests;  // name, request
  std::vector<std::string> services;
};

// 20240309T123456Z as a time_point.
system_clock::time_point AmzTime(std::string_view s) {
  std::tm tm{};
  tm.tm_year = std::stoi(std::string(s.substr(0, 4))) - 1900;
  tm.tm_mon = std::stoi(std::string(s.substr(4, 2))) - 1;
  tm.tm_mday = std::stoi(std::string(s.substr(6, 2)));
  tm.tm_hour = std::stoi(std::string(s.substr(9, 2)));
  tm.tm_min = std::stoi(std::string(s.substr(11, 2)));
  tm.tm_sec = std::stoi(std::string(s.substr(13, 2)));
  return system_clock::from_time_t(timegm(&tm));
}

const Vectors& LoadVectors() {
  static const Vectors* v = [] {
    auto* out = new Vectors;
    std::ifstream in(std::filesystem::path(STEPWAY_SOURCE_DIR) / "tests/api/sigv4_vectors.json");
    std::stringstream text;
    text << in.rdbuf();
    auto doc = json::Parse(text.str());
    if (!doc) return out;
    out->access_key_id = json::Find(*doc, "access_key_id")->get_string();
    out->secret = json::Find(*doc, "secret_access_key")->get_string();
    out->now = AmzTime(json::Find(*doc, "now")->get_string());
    for (const auto& vec : json::Find(*doc, "vectors")->get_array()) {
      Request r;
      r.method = json::Find(vec, "method")->get_string();
      r.target = json::Find(vec, "target")->get_string();
      r.body = json::Find(vec, "body")->get_string();
      for (const auto& h : json::Find(vec, "headers")->get_array()) {
        r.headers.emplace_back(h.get_array()[0].get_string(), h.get_array()[1].get_string());
      }
      out->requests.emplace_back(json::Find(vec, "name")->get_string(), std::move(r));
      out->services.emplace_back(json::Find(vec, "service")->get_string());
    }
    return out;
  }();
  return *v;
}

SecretLookup Lookup() {
  return [](std::string_view id) -> std::optional<std::string> {
    if (id == LoadVectors().access_key_id) return LoadVectors().secret;
    return std::nullopt;
  };
}

void SetHeader(Request& r, std::string_view name, std::string value) {
  for (auto& [k, v] : r.headers) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  r.headers.emplace_back(std::string(name), std::move(value));
}

TEST(SigV4, AcceptsEveryRequestBotocoreSigned) {
  const Vectors& v = LoadVectors();
  ASSERT_EQ(v.requests.size(), 6u);
  for (std::size_t i = 0; i < v.requests.size(); ++i) {
    SigV4Options options;
    options.service = v.services[i];
    auto r = VerifySigV4(v.requests[i].second, Lookup(), v.now, options);
    ASSERT_TRUE(r.has_value()) << v.requests[i].first << ": " << r.error().type << " "
                               << r.error().message;
    EXPECT_EQ(r->access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(r->date, "20240309");
    EXPECT_EQ(r->service, v.services[i]);
  }
}

TEST(SigV4, RejectsATamperedRequest) {
  const Vectors& v = LoadVectors();
  Request r = v.requests[0].second;
  r.body = R"({"maxResults": 1})";
  auto e = VerifySigV4(r, Lookup(), v.now);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().type, "InvalidSignatureException");
  EXPECT_EQ(e.error().status, 400);
  EXPECT_EQ(e.error().message.rfind(
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.\n\nThe Canonical String for this request should have "
                "been\n'POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:states.us-east-1."
                "amazonaws.com\n",
                0),
            0u)
      << e.error().message;

  Request header = v.requests[0].second;
  SetHeader(header, "X-Amz-Target", "AWSStepFunctions.DeleteStateMachine");
  EXPECT_EQ(VerifySigV4(header, Lookup(), v.now).error().type, "InvalidSignatureException");
}

TEST(SigV4, WrongSecretOrUnknownKey) {
  const Vectors& v = LoadVectors();
  auto wrong = [](std::string_view) -> std::optional<std::string> { return "not-the-secret"; };
  EXPECT_EQ(VerifySigV4(v.requests[0].second, wrong, v.now).error().type,
            "InvalidSignatureException");
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto e = VerifySigV4(v.requests[0].second, none, v.now);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().type, "UnrecognizedClientException");
  EXPECT_EQ(e.error().message, "The security token included in the request is invalid.");
  EXPECT_EQ(e.error().status, 400);
}

TEST(SigV4, MissingOrIncompleteAuthorization) {
  const Vectors& v = LoadVectors();
  Request r = v.requests[0].second;
  std::erase_if(r.headers, [](const auto& h) { return h.first == "Authorization"; });
  auto e = VerifySigV4(r, Lookup(), v.now);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().type, "MissingAuthenticationTokenException");
  EXPECT_EQ(e.error().message, "Request is missing Authentication Token");

  SetHeader(r, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240309/us-east-1/states/aws4_request");
  e = VerifySigV4(r, Lookup(), v.now);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().type, "IncompleteSignatureException");
  EXPECT_EQ(e.error().message,
            "Authorization header requires 'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 "
            "Credential=AKIDEXAMPLE/20240309/us-east-1/states/aws4_request");

  SetHeader(r, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240309, SignedHeaders=host, Signature=00");
  e = VerifySigV4(r, Lookup(), v.now);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().type, "IncompleteSignatureException");
  EXPECT_EQ(e.error().message,
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got 'AKIDEXAMPLE/20240309'");
}

TEST(SigV4, ScopeAndClock) {
  const Vectors& v = LoadVectors();
  SigV4Options transfer;
  transfer.service = "transfer";
  auto e = VerifySigV4(v.requests[0].second, Lookup(), v.now, transfer);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().type, "InvalidSignatureException");
  EXPECT_EQ(e.error().message, "Credential should be scoped to correct service: 'transfer'. ");

  e = VerifySigV4(v.requests[0].second, Lookup(), v.now + std::chrono::minutes(6));
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().message,
            "Signature expired: 20240309T123456Z is now earlier than 20240309T123556Z "
            "(20240309T124056Z - 5 min.)");
  e = VerifySigV4(v.requests[0].second, Lookup(), v.now - std::chrono::minutes(6));
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().message,
            "Signature not yet current: 20240309T123456Z is still later than 20240309T123356Z "
            "(20240309T122856Z + 5 min.)");
  SigV4Options no_clock;
  no_clock.max_skew = std::chrono::seconds(0);
  EXPECT_TRUE(VerifySigV4(v.requests[0].second, Lookup(), v.now + std::chrono::hours(48), no_clock));
}

TEST(SigV4, PayloadHashHeader) {
  const Vectors& v = LoadVectors();
  Request r = v.requests[0].second;
  SetHeader(r, "X-Amz-Content-Sha256", Sha256Hex("something else"));
  auto e = VerifySigV4(r, Lookup(), v.now);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().message,
            "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

TEST(SigV4, KnownAnswer) {
  // Fixed points: the empty-body hash, and a canonical request with dot segments, doubled
  // slashes, an unsorted encoded query and a repeated header.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Request r;
  r.method = "GET";
  r.target = "/a//b/./c/../d?z=1&a=%7e&b";
  r.headers = {{"Host", "example.com"}, {"X-Multi", " a  b "}, {"x-multi", "c"}};
  EXPECT_EQ(CanonicalRequest(r, "host;x-multi", "UNSIGNED-PAYLOAD"),
            "GET\n/a/b/d\na=~&b=&z=1\nhost:example.com\nx-multi:a b,c\n\nhost;x-multi\n"
            "UNSIGNED-PAYLOAD");
}

}  // namespace
}  // namespace stepway::api
