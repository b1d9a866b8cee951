#include "base/time.h"

#include <gtest/gtest.h>

#include "base/random.h"

namespace stepway {
namespace {

TEST(TimeTest, FormatsWithMillisecondsAndZ) {
  auto t = ParseIso8601("2024-02-29T23:59:58.5Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatIso8601(*t), "2024-02-29T23:59:58.500Z");
}

TEST(TimeTest, AppliesZoneOffsets) {
  auto a = ParseIso8601("2016-03-14T01:59:00+01:00");
  auto b = ParseIso8601("2016-03-14T00:59:00Z");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(TimeTest, RejectsWhatStepFunctionsRejects) {
  EXPECT_FALSE(ParseIso8601("2016-03-14T01:59:00"));      // no zone
  EXPECT_FALSE(ParseIso8601("2016-03-14 01:59:00Z"));     // no T
  EXPECT_FALSE(ParseIso8601("2016-02-30T01:59:00Z"));     // no such day
  EXPECT_FALSE(ParseIso8601("2016-03-14T25:59:00Z"));     // no such hour
  EXPECT_FALSE(ParseIso8601("2016-03-14T01:59:00Zjunk"));
  EXPECT_FALSE(ParseIso8601(""));
}

TEST(RandomTest, UuidIsVersion4) {
  SeededRandom r(42);
  std::string u = NewUuid(r);
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  EXPECT_NE(NewUuid(r), u);
}

// The two draws are the UUID's 128 bits, high first, with the version and variant bits set.
TEST(RandomTest, UuidDigitsComeFromTheDraws) {
  class TwoDraws final : public Random {
   public:
    std::uint64_t Next() override {
      return n_++ == 0 ? 0x0123456789abcdefull : 0xfedcba9876543210ull;
    }

   private:
    int n_ = 0;
  } r;
  EXPECT_EQ(NewUuid(r), "01234567-89ab-4def-bedc-ba9876543210");
}

}  // namespace
}  // namespace stepway
