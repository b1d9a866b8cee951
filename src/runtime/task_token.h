// Task tokens: opaque to clients, unforgeable and self-routing.
//
// A token is base64url(version | task id | nonce | execution ARN | MAC), where the MAC is the
// first 16 bytes of HMAC-SHA256 over everything before it, keyed with a secret kept in the data
// folder. A token whose shape or MAC is wrong is rejected (InvalidToken) without touching the
// store; a valid one names its execution and task, so any node can route it.
// TaskTokenCodec is immutable after construction and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace stepway::runtime {

struct TaskTokenFields {
  std::string execution_arn;
  std::int64_t task_id = 0;
  std::uint64_t nonce = 0;
};

class TaskTokenCodec {
 public:
  using Key = std::array<unsigned char, 32>;
  explicit TaskTokenCodec(const Key& key);
  ~TaskTokenCodec();

  std::string Encode(const TaskTokenFields& fields) const;
  // nullopt when the token is malformed or its MAC does not match.
  std::optional<TaskTokenFields> Decode(std::string_view token) const;

  // Reads the key from `path`, or creates it (32 random bytes, mode 0600) when missing.
  static Result<Key> LoadOrCreateKey(const std::string& path);

 private:
  // HMAC-SHA256 keyed once (see task_token.cc).
  class Mac;
  std::shared_ptr<const Mac> mac_;
};

}  // namespace stepway::runtime
