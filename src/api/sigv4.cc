#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <utility>
#include <vector>

namespace stepway::api {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// SigV4's Trimall: surrounding whitespace removed, runs of whitespace made one space.
std::string TrimAll(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UriDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
        HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3986 remove_dot_segments, with empty segments dropped as botocore does.
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    start = slash + 1;
  }
  std::string result = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result += '/';
    result += out[i];
  }
  if (path.back() == '/' && !out.empty()) result += '/';
  return result;
}

std::string CanonicalQuery(std::string_view query) {
  if (query.empty()) return "";
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    std::size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
    pairs.emplace_back(UriEncode(UriDecode(key), false), UriEncode(UriDecode(value), false));
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

ApiError Incomplete(std::string message) {
  return ApiError{"IncompleteSignatureException", std::move(message), 400};
}
ApiError Invalid(std::string message) {
  return ApiError{"InvalidSignatureException", std::move(message), 400};
}

// "20240102T030405Z" -> seconds since the epoch, or nullopt.
std::optional<std::int64_t> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(9, 2), mi = num(11, 2), se = num(13, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      se < 0 || se > 60) {
    return std::nullopt;
  }
  // Days from civil (Howard Hinnant's algorithm).
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + se;
}

std::string FormatAmzDate(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string CanonicalRequest(const Request& request, std::string_view signed_headers,
                             std::string_view payload_hash) {
  std::string_view target = request.target.empty() ? std::string_view("/") : request.target;
  std::size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

  std::string out = request.method + "\n";
  out += UriEncode(NormalizePath(path), true) + "\n";
  out += CanonicalQuery(query) + "\n";
  std::size_t start = 0;
  while (start <= signed_headers.size()) {
    std::size_t semi = signed_headers.find(';', start);
    if (semi == std::string_view::npos) semi = signed_headers.size();
    std::string_view name = signed_headers.substr(start, semi - start);
    std::string values;
    bool first = true;
    for (const auto& [k, v] : request.headers) {
      if (k.size() != name.size() || strncasecmp(k.data(), name.data(), k.size()) != 0) continue;
      if (!first) values += ',';
      first = false;
      values += TrimAll(v);
    }
    out += Lower(name) + ":" + values + "\n";
    start = semi + 1;
  }
  out += "\n";
  out += std::string(signed_headers) + "\n";
  out += payload_hash;
  return out;
}

std::string SignatureHex(std::string_view secret, std::string_view date, std::string_view region,
                         std::string_view service, std::string_view string_to_sign) {
  std::string key = Hmac("AWS4" + std::string(secret), date);
  key = Hmac(key, region);
  key = Hmac(key, service);
  key = Hmac(key, "aws4_request");
  std::string sig = Hmac(key, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

tl::expected<SigV4Identity, ApiError> VerifySigV4(const Request& request, const SecretLookup& lookup,
                                                  std::chrono::system_clock::time_point now,
                                                  const SigV4Options& options) {
  std::string_view auth = Trim(request.Header("Authorization"));
  if (auth.empty()) {
    return tl::unexpected(ApiError{"MissingAuthenticationTokenException",
                                   "Request is missing Authentication Token", 400});
  }
  // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
  std::size_t sp = auth.find(' ');
  std::string_view algorithm = auth.substr(0, sp);
  std::string_view params = sp == std::string_view::npos ? "" : auth.substr(sp + 1);
  std::string_view credential, signed_headers, signature;
  std::size_t start = 0;
  while (start < params.size()) {
    std::size_t end = params.find_first_of(", ", start);
    if (end == std::string_view::npos) end = params.size();
    std::string_view part = params.substr(start, end - start);
    std::size_t eq = part.find('=');
    if (eq != std::string_view::npos) {
      std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
      if (k == "Credential") credential = v;
      if (k == "SignedHeaders") signed_headers = v;
      if (k == "Signature") signature = v;
    }
    start = end + 1;
  }
  std::string_view amz_date = Trim(request.Header("X-Amz-Date"));
  if (amz_date.empty()) amz_date = Trim(request.Header("Date"));
  std::string missing;
  if (credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
  if (signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
  if (signed_headers.empty()) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (amz_date.empty()) {
    missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) return tl::unexpected(Incomplete(missing + "Authorization=" + std::string(auth)));
  if (algorithm != kAlgorithm) {
    return tl::unexpected(Incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) + "'"));
  }

  // Credential=AKID/20240102/us-east-1/states/aws4_request
  std::vector<std::string_view> scope;
  for (std::size_t s = 0;;) {
    std::size_t slash = credential.find('/', s);
    scope.push_back(credential.substr(s, slash == std::string_view::npos ? slash : slash - s));
    if (slash == std::string_view::npos) break;
    s = slash + 1;
  }
  if (scope.size() != 5) {
    return tl::unexpected(Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" + std::string(credential) + "'"));
  }
  if (scope[4] != "aws4_request") {
    return tl::unexpected(Invalid("Credential should be scoped with a valid terminator: "
                                  "'aws4_request', not '" + std::string(scope[4]) + "'. "));
  }
  SigV4Identity id{std::string(scope[0]), std::string(scope[1]), std::string(scope[2]),
                   std::string(scope[3])};
  if (!options.service.empty() && id.service != options.service) {
    return tl::unexpected(Invalid("Credential should be scoped to correct service: '" +
                                  std::string(options.service) + "'. "));
  }

  auto secret = lookup ? lookup(id.access_key_id) : std::nullopt;
  if (!secret) {
    return tl::unexpected(ApiError{"UnrecognizedClientException",
                                   "The security token included in the request is invalid.", 400});
  }

  auto signed_at = ParseAmzDate(amz_date);
  if (!signed_at) {
    return tl::unexpected(Incomplete("Date must be in ISO-8601 'basic format'. Got '" +
                                     std::string(amz_date) +
                                     "'. See http://en.wikipedia.org/wiki/ISO_8601"));
  }
  if (amz_date.substr(0, 8) != id.date) {
    return tl::unexpected(Invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                                  id.date + "' != '" + std::string(amz_date.substr(0, 8)) +
                                  "', from '" + (request.Header("X-Amz-Date").empty() ? "Date" : "X-Amz-Date") + "'."));
  }
  if (options.max_skew.count() > 0) {
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t skew = options.max_skew.count();
    if (*signed_at < now_s - skew) {
      return tl::unexpected(Invalid("Signature expired: " + std::string(amz_date) +
                                    " is now earlier than " + FormatAmzDate(now_s - skew) + " (" +
                                    FormatAmzDate(now_s) + " - " + std::to_string(skew / 60) +
                                    " min.)"));
    }
    if (*signed_at > now_s + skew) {
      return tl::unexpected(Invalid("Signature not yet current: " + std::string(amz_date) +
                                    " is still later than " + FormatAmzDate(now_s + skew) + " (" +
                                    FormatAmzDate(now_s) + " + " + std::to_string(skew / 60) +
                                    " min.)"));
    }
  }

  std::string body_hash = Sha256Hex(request.body);
  std::string_view declared = Trim(request.Header("X-Amz-Content-Sha256"));
  std::string payload_hash = declared.empty() ? body_hash : std::string(declared);
  if (!declared.empty() && declared != "UNSIGNED-PAYLOAD" && Lower(declared) != body_hash) {
    return tl::unexpected(Invalid("The provided 'x-amz-content-sha256' header does not match what was computed."));
  }

  std::string canonical = CanonicalRequest(request, signed_headers, payload_hash);
  std::string scope_text = id.date + "/" + id.region + "/" + id.service + "/aws4_request";
  std::string string_to_sign = std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" +
                               scope_text + "\n" + Sha256Hex(canonical);
  std::string expected = SignatureHex(*secret, id.date, id.region, id.service, string_to_sign);
  std::string given = Lower(signature);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return tl::unexpected(Invalid(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.\n\nThe Canonical String for this request should have been\n'" +
        canonical + "'\n\nThe String-to-Sign should have been\n'" + string_to_sign + "'\n"));
  }
  return id;
}

}  // namespace stepway::api
