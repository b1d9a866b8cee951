// AWS Signature Version 4 verification of a Request (the Authorization header form), as the
// AWS SDKs sign JSON-protocol calls: https://docs.aws.amazon.com/IAM/latest/UserGuide/
// reference_sigv-create-signed-request.html. HMAC-SHA256 and SHA-256 via OpenSSL.
//
// Pure apart from OpenSSL: the time is an argument and secrets come from a lookup, so it is
// thread-safe when the lookup is.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "api/protocol.h"

namespace stepway::api {

// The secret access key of an access key id, or nullopt for a key Stepway does not know.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct SigV4Options {
  // The signing name the credential scope must carry ("states", "transfer"); "" accepts any.
  std::string_view service;
  // How far X-Amz-Date may be from `now`, either way (AWS allows 5 minutes); 0 disables it.
  std::chrono::seconds max_skew = std::chrono::minutes(5);
};

// Who signed a request that verified.
struct SigV4Identity {
  std::string access_key_id;
  std::string date;     // YYYYMMDD of the credential scope
  std::string region;   // of the credential scope
  std::string service;  // of the credential scope
};

// Verifies the Authorization header of `request` signed at X-Amz-Date (or Date) with the
// secret `lookup` returns. On failure, AWS's error (all status 400):
// - no Authorization header: `MissingAuthenticationTokenException`, "Request is missing
//   Authentication Token";
// - an Authorization header without Credential, SignedHeaders or Signature, or no date header:
//   `IncompleteSignatureException` naming what is missing, as AWS words it;
// - another algorithm than AWS4-HMAC-SHA256, a malformed credential scope, or a scope for
//   another service: `IncompleteSignatureException` / `InvalidSignatureException`;
// - an access key id `lookup` does not know: `UnrecognizedClientException`, "The security token
//   included in the request is invalid.";
// - a signature that does not match: `InvalidSignatureException`, "The request signature we
//   calculated does not match the signature you provided. ..." with the canonical request and
//   string to sign, as AWS's message carries them;
// - X-Amz-Date further than max_skew from `now`: `InvalidSignatureException`, "Signature
//   expired: ..." or "Signature not yet current: ...".
tl::expected<SigV4Identity, ApiError> VerifySigV4(const Request& request, const SecretLookup& lookup,
                                                  std::chrono::system_clock::time_point now,
                                                  const SigV4Options& options = {});

// The pieces, exposed for tests and for signing responses in tests.
std::string Sha256Hex(std::string_view data);
// The canonical request for `request` with the given signed header names (lowercase, in the
// order the Authorization header lists them) and payload hash.
std::string CanonicalRequest(const Request& request, std::string_view signed_headers,
                             std::string_view payload_hash);
// The hex signature of `string_to_sign` with the key derived from secret/date/region/service.
std::string SignatureHex(std::string_view secret, std::string_view date, std::string_view region,
                         std::string_view service, std::string_view string_to_sign);

}  // namespace stepway::api
