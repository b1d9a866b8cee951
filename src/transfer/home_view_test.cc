#include "transfer/home_view.h"

#include <gtest/gtest.h>

namespace stepway::transfer {
namespace {

using Kind = HomeView::Target::Kind;

SftpUser PathUser(std::string home) {
  SftpUser user;
  user.home_directory = std::move(home);
  return user;
}

SftpUser LogicalUser(std::vector<HomeDirectoryMapping> mappings) {
  SftpUser user;
  user.home_directory_type = std::string("LOGICAL");
  user.mappings = std::move(mappings);
  return user;
}

TEST(NormalizeSftpPath, ResolvesDotsAndSlashesLexically) {
  EXPECT_EQ(NormalizeSftpPath("/", ""), "/");
  EXPECT_EQ(NormalizeSftpPath("/a/b", "."), "/a/b");
  EXPECT_EQ(NormalizeSftpPath("/a/b", "c//d/"), "/a/b/c/d");
  EXPECT_EQ(NormalizeSftpPath("/a/b", ".."), "/a");
  EXPECT_EQ(NormalizeSftpPath("/a/b", "../../../../x"), "/x");
  EXPECT_EQ(NormalizeSftpPath("/a/b", "/x/./y/../z"), "/x/z");
  EXPECT_EQ(NormalizeSftpPath("/a", "/.."), "/");
  EXPECT_EQ(NormalizeSftpPath("/a", "..."), "/a/...");
  using namespace std::string_view_literals;
  EXPECT_EQ(NormalizeSftpPath("/a/b", "..\0x"sv), "/a");
  EXPECT_EQ(NormalizeSftpPath("/a/b", "c\0/../../.."sv), "/a/b/c");
}

TEST(IsSameOrBelow, MatchesWholeComponents) {
  EXPECT_TRUE(IsSameOrBelow("/a/b", "/a"));
  EXPECT_TRUE(IsSameOrBelow("/a", "/a"));
  EXPECT_TRUE(IsSameOrBelow("/a", "/"));
  EXPECT_FALSE(IsSameOrBelow("/ab", "/a"));
  EXPECT_FALSE(IsSameOrBelow("/", "/a"));
}

TEST(HomeView, PathHomeStartsInHomeAndDeniesEverythingOutside) {
  auto view = HomeView::Create(PathUser("/bucket/home/u/"));
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->start_directory(), "/bucket/home/u");

  auto t = view->Resolve(".");
  EXPECT_EQ(t.kind, Kind::kDomain);
  EXPECT_EQ(t.domain_path, "/bucket/home/u");
  EXPECT_TRUE(t.is_root);

  t = view->Resolve("dir/f.txt");
  EXPECT_EQ(t.kind, Kind::kDomain);
  EXPECT_EQ(t.domain_path, "/bucket/home/u/dir/f.txt");
  EXPECT_FALSE(t.is_root);

  EXPECT_EQ(view->Resolve("..").kind, Kind::kDenied);
  EXPECT_EQ(view->Resolve("../u2/x").kind, Kind::kDenied);
  EXPECT_EQ(view->Resolve("/").kind, Kind::kDenied);
  EXPECT_EQ(view->Resolve("/bucket/home/u2").kind, Kind::kDenied);
  EXPECT_EQ(view->Resolve("/bucket/home/u-other").kind, Kind::kDenied);
  EXPECT_EQ(view->Resolve("sub/../../../etc/passwd").kind, Kind::kDenied);
  EXPECT_EQ(view->Resolve(std::string_view("..\0x", 4)).kind, Kind::kDenied);
  EXPECT_EQ(view->Resolve("/bucket/home/u/a/../b").domain_path, "/bucket/home/u/b");
  EXPECT_EQ(view->RootDirectories(), std::vector<std::string>{"/bucket/home/u"});
}

TEST(HomeView, PathHomeWithoutDirectorySeesTheWholeDomain) {
  auto view = HomeView::Create(PathUser(""));
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->start_directory(), "/");
  auto t = view->Resolve("/");
  EXPECT_EQ(t.kind, Kind::kDomain);
  EXPECT_EQ(t.domain_path, "/");
  EXPECT_TRUE(t.is_root);
  EXPECT_EQ(view->Resolve("/b/k").domain_path, "/b/k");
}

TEST(HomeView, LogicalRootMappingMapsEverything) {
  auto view = HomeView::Create(LogicalUser({{"/", "/bucket/home/u"}}));
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->start_directory(), "/");
  auto t = view->Resolve("/");
  EXPECT_EQ(t.kind, Kind::kDomain);
  EXPECT_EQ(t.domain_path, "/bucket/home/u");
  EXPECT_TRUE(t.is_root);
  EXPECT_EQ(view->Resolve("x/y").domain_path, "/bucket/home/u/x/y");
  // ".." stops at the user's root, so it cannot reach the bucket.
  EXPECT_EQ(view->Resolve("../../other").domain_path, "/bucket/home/u/other");
  EXPECT_EQ(view->RootDirectories(), std::vector<std::string>{"/bucket/home/u"});
}

TEST(HomeView, LogicalLongestEntryWinsAndDirectoriesAboveEntriesAreSynthesized) {
  auto view = HomeView::Create(LogicalUser({{"/", "/b/home/u"},
                                            {"/pics", "/b2/pictures", "DIRECTORY"},
                                            {"/deep/a/b", "/b3/x"},
                                            {"/deep/c", "/b3/c.txt"}}));
  ASSERT_TRUE(view.has_value());
  auto t = view->Resolve("/");
  EXPECT_EQ(t.kind, Kind::kDomain);
  EXPECT_EQ(t.children, (std::vector<std::string>{"deep", "pics"}));

  t = view->Resolve("/pics/2024/cat.jpg");
  EXPECT_EQ(t.domain_path, "/b2/pictures/2024/cat.jpg");
  EXPECT_FALSE(t.is_root);
  EXPECT_TRUE(view->Resolve("/pics").is_root);
  EXPECT_EQ(view->Resolve("/picsx").domain_path, "/b/home/u/picsx");

  // "/deep" is below the "/" entry, so it maps there, and lists the entries below it too.
  t = view->Resolve("/deep");
  EXPECT_EQ(t.kind, Kind::kDomain);
  EXPECT_EQ(t.domain_path, "/b/home/u/deep");
  EXPECT_EQ(t.children, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(view->Resolve("/deep/a/b/f").domain_path, "/b3/x/f");
  EXPECT_EQ(view->Resolve("/deep/c").domain_path, "/b3/c.txt");

  EXPECT_EQ(view->RootDirectories(),
            (std::vector<std::string>{"/b3", "/b2/pictures", "/b/home/u"}));
}

TEST(HomeView, LogicalWithoutRootEntryHidesTheRest) {
  auto view = HomeView::Create(LogicalUser({{"/in/box", "/b/inbox"}}));
  ASSERT_TRUE(view.has_value());
  auto t = view->Resolve("/");
  EXPECT_EQ(t.kind, Kind::kSynthetic);
  EXPECT_EQ(t.children, std::vector<std::string>{"in"});
  t = view->Resolve("/in");
  EXPECT_EQ(t.kind, Kind::kSynthetic);
  EXPECT_EQ(t.children, std::vector<std::string>{"box"});
  EXPECT_EQ(view->Resolve("/in/box/f").domain_path, "/b/inbox/f");
  EXPECT_EQ(view->Resolve("/other").kind, Kind::kMissing);
  EXPECT_EQ(view->Resolve("/in/boxes").kind, Kind::kMissing);
  EXPECT_EQ(view->Resolve("/in/../../b/inbox").kind, Kind::kMissing);
}

TEST(HomeView, RejectsMalformedHomes) {
  SftpUser user = PathUser("relative/home");
  EXPECT_FALSE(HomeView::Create(user).has_value());
  user = PathUser("/b");
  user.home_directory_type = "CHROOT";
  EXPECT_FALSE(HomeView::Create(user).has_value());
  EXPECT_FALSE(HomeView::Create(LogicalUser({})).has_value());
  EXPECT_FALSE(HomeView::Create(LogicalUser({{"pics", "/b/p"}})).has_value());
  EXPECT_FALSE(HomeView::Create(LogicalUser({{"/pics", "b/p"}})).has_value());
}

}  // namespace
}  // namespace stepway::transfer
