#include "runtime/task_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace stepway::runtime {

namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kHeaderBytes = 1 + 8 + 8;

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    std::uint32_t v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool FromBase64Url(std::string_view s, std::vector<unsigned char>& out) {
  int table[256];
  std::fill(std::begin(table), std::end(table), -1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  if (s.size() % 4 == 1) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

void PutU64(std::vector<unsigned char>& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<unsigned char>(v >> (i * 8)));
}

std::uint64_t GetU64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string TaskTokenCodec::Encode(const TaskTokenFields& fields) const {
  std::vector<unsigned char> raw;
  raw.reserve(kHeaderBytes + fields.execution_arn.size() + kMacBytes);
  raw.push_back(kVersion);
  PutU64(raw, std::uint64_t(fields.task_id));
  PutU64(raw, fields.nonce);
  raw.insert(raw.end(), fields.execution_arn.begin(), fields.execution_arn.end());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), int(key_.size()), raw.data(), raw.size(), mac, &mac_len);
  raw.insert(raw.end(), mac, mac + kMacBytes);
  return Base64Url(raw.data(), raw.size());
}

std::optional<TaskTokenFields> TaskTokenCodec::Decode(std::string_view token) const {
  std::vector<unsigned char> raw;
  raw.reserve(token.size() * 3 / 4);
  if (!FromBase64Url(token, raw) || raw.size() < kHeaderBytes + 1 + kMacBytes ||
      raw[0] != kVersion) {
    return std::nullopt;
  }
  const std::size_t signed_bytes = raw.size() - kMacBytes;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), int(key_.size()), raw.data(), signed_bytes, mac, &mac_len);
  if (CRYPTO_memcmp(mac, raw.data() + signed_bytes, kMacBytes) != 0) return std::nullopt;
  TaskTokenFields fields;
  fields.task_id = std::int64_t(GetU64(raw.data() + 1));
  fields.nonce = GetU64(raw.data() + 9);
  fields.execution_arn.assign(reinterpret_cast<const char*>(raw.data()) + kHeaderBytes,
                              signed_bytes - kHeaderBytes);
  return fields;
}

Result<TaskTokenCodec::Key> TaskTokenCodec::LoadOrCreateKey(const std::string& path) {
  Key key{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != ssize_t(key.size())) {
      return Fail(ErrorCode::kUnavailable, "the task token key " + path + " is damaged");
    }
    return key;
  }
  if (RAND_bytes(key.data(), int(key.size())) != 1) {
    return Fail(ErrorCode::kInternal, "cannot draw a random task token key");
  }
  const std::string tmp = path + ".tmp";
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(ErrorCode::kUnavailable, "cannot create " + tmp);
  bool ok = ::write(fd, key.data(), key.size()) == ssize_t(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Fail(ErrorCode::kUnavailable, "cannot write " + path);
  }
  return key;
}

}  // namespace stepway::runtime
