#include "runtime/task_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "base/base64.h"

namespace stepway::runtime {

namespace {

constexpr unsigned char kVersion = 1;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kHeaderBytes = 1 + 8 + 8;

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
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()),
                      Base64Alphabet::kUrl);
}

std::optional<TaskTokenFields> TaskTokenCodec::Decode(std::string_view token) const {
  const std::optional<std::string> bytes = Base64Decode(token, Base64Alphabet::kUrl);
  if (!bytes || bytes->size() < kHeaderBytes + 1 + kMacBytes) return std::nullopt;
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes->data());
  if (raw[0] != kVersion) return std::nullopt;
  const std::size_t signed_bytes = bytes->size() - kMacBytes;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), int(key_.size()), raw, signed_bytes, mac, &mac_len);
  if (CRYPTO_memcmp(mac, raw + signed_bytes, kMacBytes) != 0) return std::nullopt;
  TaskTokenFields fields;
  fields.task_id = std::int64_t(GetU64(raw + 1));
  fields.nonce = GetU64(raw + 9);
  fields.execution_arn.assign(bytes->data() + kHeaderBytes, signed_bytes - kHeaderBytes);
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
