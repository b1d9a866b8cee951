#include "transfer/callback_token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstdint>

namespace stepway::transfer {

namespace {

constexpr std::size_t kDigestBytes = 16;
constexpr char kHex[] = "0123456789abcdef";

void AppendHex(std::string& out, const unsigned char* bytes, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
}

void AppendHex64(std::string& out, std::uint64_t v) {
  unsigned char bytes[8];
  for (int i = 7; i >= 0; --i, v >>= 8) bytes[i] = static_cast<unsigned char>(v & 0xff);
  AppendHex(out, bytes, 8);
}

std::optional<std::uint64_t> ParseHex64(std::string_view hex) {
  std::uint64_t v = 0;
  for (char c : hex) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  return v;
}

std::string DigestHex(std::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  std::string out;
  AppendHex(out, digest, kDigestBytes);
  return out;
}

}  // namespace

std::string ShortToken(const runtime::TaskTokenCodec& codec, std::string_view task_token) {
  auto fields = codec.Decode(task_token);
  if (!fields) return "";
  std::string out;
  out.reserve(64);
  AppendHex64(out, static_cast<std::uint64_t>(fields->task_id));
  AppendHex64(out, fields->nonce);
  out += DigestHex(task_token);
  return out;
}

std::optional<std::string> FullToken(const runtime::TaskTokenCodec& codec,
                                     std::string_view execution_arn, std::string_view short_token) {
  if (short_token.size() != 64) return std::nullopt;
  auto task_id = ParseHex64(short_token.substr(0, 16));
  auto nonce = ParseHex64(short_token.substr(16, 16));
  if (!task_id || !nonce) return std::nullopt;
  runtime::TaskTokenFields fields;
  fields.execution_arn = std::string(execution_arn);
  fields.task_id = static_cast<std::int64_t>(*task_id);
  fields.nonce = *nonce;
  std::string full = codec.Encode(fields);
  const std::string digest = DigestHex(full);
  if (CRYPTO_memcmp(digest.data(), short_token.data() + 32, digest.size()) != 0) {
    return std::nullopt;
  }
  return full;
}

}  // namespace stepway::transfer
