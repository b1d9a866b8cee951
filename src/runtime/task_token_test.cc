#include "runtime/task_token.h"

#include <gtest/gtest.h>

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
