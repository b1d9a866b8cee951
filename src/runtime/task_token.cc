#include "runtime/task_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
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

// HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once, at construction: a MAC
// then costs two context copies and the hashing of the token's own bytes. OpenSSL's one-shot
// HMAC() looks the digest up and keys a new context on every call, ≈ 25,000 instructions, which
// was a tenth of a SendTaskSuccess's CPU.
class TaskTokenCodec::Mac {
 public:
  static constexpr std::size_t kBytes = 32;

  explicit Mac(const Key& key)
      : sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
        inner_(EVP_MD_CTX_new()),
        outer_(EVP_MD_CTX_new()) {
    unsigned char inner_pad[64], outer_pad[64];
    for (std::size_t i = 0; i < sizeof inner_pad; ++i) {
      const unsigned char k = i < key.size() ? key[i] : 0;  // a 32-byte key is shorter than a block
      inner_pad[i] = k ^ 0x36;
      outer_pad[i] = k ^ 0x5c;
    }
    ok_ = sha256_ != nullptr && inner_ != nullptr && outer_ != nullptr &&
          EVP_DigestInit_ex(inner_, sha256_, nullptr) == 1 &&
          EVP_DigestUpdate(inner_, inner_pad, sizeof inner_pad) == 1 &&
          EVP_DigestInit_ex(outer_, sha256_, nullptr) == 1 &&
          EVP_DigestUpdate(outer_, outer_pad, sizeof outer_pad) == 1;
    OPENSSL_cleanse(inner_pad, sizeof inner_pad);
    OPENSSL_cleanse(outer_pad, sizeof outer_pad);
  }
  ~Mac() {
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
    EVP_MD_free(sha256_);
  }
  Mac(const Mac&) = delete;
  Mac& operator=(const Mac&) = delete;

  // False only when OpenSSL failed (no SHA-256): then no token is valid.
  bool Compute(const unsigned char* data, std::size_t n, unsigned char (&out)[kBytes]) const {
    // One working context per thread; the keyed ones are only read, so threads share them.
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> work(
        EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    unsigned char inner_hash[kBytes];
    unsigned int length = 0;
    return ok_ && work != nullptr && EVP_MD_CTX_copy_ex(work.get(), inner_) == 1 &&
           EVP_DigestUpdate(work.get(), data, n) == 1 &&
           EVP_DigestFinal_ex(work.get(), inner_hash, &length) == 1 &&
           EVP_MD_CTX_copy_ex(work.get(), outer_) == 1 &&
           EVP_DigestUpdate(work.get(), inner_hash, sizeof inner_hash) == 1 &&
           EVP_DigestFinal_ex(work.get(), out, &length) == 1;
  }

 private:
  EVP_MD* sha256_;
  EVP_MD_CTX* inner_;  // SHA-256 having hashed key ^ ipad
  EVP_MD_CTX* outer_;  // SHA-256 having hashed key ^ opad
  bool ok_ = false;
};

TaskTokenCodec::TaskTokenCodec(const Key& key) : mac_(std::make_shared<const Mac>(key)) {}
TaskTokenCodec::~TaskTokenCodec() = default;

std::string TaskTokenCodec::Encode(const TaskTokenFields& fields) const {
  std::vector<unsigned char> raw;
  raw.reserve(kHeaderBytes + fields.execution_arn.size() + kMacBytes);
  raw.push_back(kVersion);
  PutU64(raw, std::uint64_t(fields.task_id));
  PutU64(raw, fields.nonce);
  raw.insert(raw.end(), fields.execution_arn.begin(), fields.execution_arn.end());
  unsigned char mac[Mac::kBytes] = {};
  (void)mac_->Compute(raw.data(), raw.size(), mac);  // on failure no Decode accepts it
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
  unsigned char mac[Mac::kBytes];
  if (!mac_->Compute(raw, signed_bytes, mac)) return std::nullopt;
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
