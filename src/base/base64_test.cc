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

TEST(Base64Test, RoundTripsEveryLengthAndRefusesABadCharacterAnywhere) {
  for (auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrl}) {
    for (std::size_t size = 0; size <= 70; ++size) {
      std::string bytes(size, '\0');
      for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 37 + size * 11);
      const std::string text = Base64Encode(bytes, alphabet);
      const auto back = Base64Decode(text, alphabet);
      ASSERT_TRUE(back) << size;
      EXPECT_EQ(*back, bytes) << size;
      for (std::size_t at = 0; at < text.size() && text[at] != '='; ++at) {
        std::string bad = text;
        bad[at] = '*';
        EXPECT_FALSE(Base64Decode(bad, alphabet)) << size << " at " << at;
      }
    }
  }
}

}  // namespace
}  // namespace stepway
