#include "transfer/callback_token.h"

#include <gtest/gtest.h>

#include <regex>

namespace stepway::transfer {
namespace {

runtime::TaskTokenCodec Codec(unsigned char fill) {
  runtime::TaskTokenCodec::Key key;
  key.fill(fill);
  return runtime::TaskTokenCodec(key);
}

constexpr char kArn[] = "arn:aws:states:us-east-1:1:execution:~transfer~w-abc:0b7c1f5e-0000-4000-8000-000000000001";

TEST(CallbackToken, IsShortWordCharactersAndRebuildsTheTaskToken) {
  auto codec = Codec(7);
  const std::string full = codec.Encode({kArn, 42, 0x1234567890abcdefull});
  const std::string token = ShortToken(codec, full);
  EXPECT_TRUE(std::regex_match(token, std::regex(R"(\w{1,64})"))) << token;
  auto rebuilt = FullToken(codec, kArn, token);
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(*rebuilt, full);
}

TEST(CallbackToken, RefusesForgeriesOtherExecutionsAndOtherKeys) {
  auto codec = Codec(7);
  const std::string token = ShortToken(codec, codec.Encode({kArn, 42, 99}));
  std::string tampered = token;
  tampered[0] = tampered[0] == '0' ? '1' : '0';  // another task id
  EXPECT_FALSE(FullToken(codec, kArn, tampered));
  tampered = token;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(FullToken(codec, kArn, tampered));
  EXPECT_FALSE(FullToken(codec, std::string(kArn) + "x", token));
  EXPECT_FALSE(FullToken(Codec(8), kArn, token));
  EXPECT_FALSE(FullToken(codec, kArn, "abc"));
  EXPECT_FALSE(FullToken(codec, kArn, std::string(64, 'Z')));
  EXPECT_EQ(ShortToken(codec, "not-a-token"), "");
}

}  // namespace
}  // namespace stepway::transfer
