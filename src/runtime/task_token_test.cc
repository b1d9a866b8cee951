#include "runtime/task_token.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "base/base64.h"

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace stepway::runtime {
namespace {

TaskTokenCodec::Key KeyOf(unsigned char b) {
  TaskTokenCodec::Key k;
  k.fill(b);
  return k;
}

TEST(TaskTokenTest, RoundTrips) {
  TaskTokenCodec codec(KeyOf(1));
  TaskTokenFields f{"arn:aws:states:us-east-1:123456789012:execution:m:e", 42, 0xDEADBEEFull};
  std::string token = codec.Encode(f);
  EXPECT_LE(token.size(), 2048u);
  EXPECT_EQ(token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  auto back = codec.Decode(token);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->execution_arn, f.execution_arn);
  EXPECT_EQ(back->task_id, 42);
  EXPECT_EQ(back->nonce, 0xDEADBEEFull);
}

// The token's MAC is HMAC-SHA256 as OpenSSL's one-shot HMAC() computes it (the codec keys its
// own contexts once; this pins it to the standard construction).
TEST(TaskTokenTest, MacIsHmacSha256OfTheTokenBytes) {
  TaskTokenCodec::Key key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 7 + 3);
  TaskTokenCodec codec(key);
  for (const std::string& arn : {std::string("arn:x"), std::string(200, 'a')}) {
    const auto bytes = Base64Decode(codec.Encode({arn, 7, 9}), Base64Alphabet::kUrl);
    ASSERT_TRUE(bytes);
    ASSERT_GT(bytes->size(), 16u);
    const std::size_t signed_bytes = bytes->size() - 16;
    unsigned char expected[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), int(key.size()),
         reinterpret_cast<const unsigned char*>(bytes->data()), signed_bytes, expected, &length);
    EXPECT_EQ(bytes->substr(signed_bytes), std::string(reinterpret_cast<char*>(expected), 16));
  }
}

TEST(TaskTokenTest, RejectsForgeries) {
  TaskTokenCodec codec(KeyOf(1));
  std::string token = codec.Encode({"arn:x", 1, 2});
  // Another key, a flipped character, a truncation, garbage.
  EXPECT_FALSE(TaskTokenCodec(KeyOf(2)).Decode(token));
  std::string flipped = token;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(codec.Decode(flipped));
  EXPECT_FALSE(codec.Decode(token.substr(0, token.size() - 1)));
  EXPECT_FALSE(codec.Decode(""));
  EXPECT_FALSE(codec.Decode("not a token at all!"));
}

TEST(TaskTokenTest, KeyIsCreatedOnceAndKept) {
  auto dir = std::filesystem::temp_directory_path() / ("stepway-key-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "token.key").string();
  auto a = TaskTokenCodec::LoadOrCreateKey(path);
  auto b = TaskTokenCodec::LoadOrCreateKey(path);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stepway::runtime
