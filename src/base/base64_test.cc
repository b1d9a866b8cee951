#include "base/base64.h"

#include <gtest/gtest.h>

namespace stepway {
namespace {

TEST(Base64Test, StandardIsPadded) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(*Base64Decode("Zm8="), "fo");
  EXPECT_EQ(*Base64Decode("Zm9v"), "foo");
}

TEST(Base64Test, UrlIsUnpaddedWithItsOwnAlphabet) {
  const std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(Base64Encode(bytes), "+//+");
  EXPECT_EQ(Base64Encode(bytes, Base64Alphabet::kUrl), "-__-");
  EXPECT_EQ(Base64Encode("f", Base64Alphabet::kUrl), "Zg");
  EXPECT_EQ(*Base64Decode("-__-", Base64Alphabet::kUrl), bytes);
  EXPECT_EQ(*Base64Decode("Zg", Base64Alphabet::kUrl), "f");
}

TEST(Base64Test, RefusesOtherAlphabetsAndImpossibleLengths) {
  EXPECT_FALSE(Base64Decode("+//+", Base64Alphabet::kUrl));
  EXPECT_FALSE(Base64Decode("Zg==", Base64Alphabet::kUrl));
  EXPECT_FALSE(Base64Decode("-__-"));
  EXPECT_FALSE(Base64Decode("Zm9vY"));
  EXPECT_FALSE(Base64Decode("Zm 9v"));
}

}  // namespace
}  // namespace stepway
