#include "cli/aws_config.h"

#include <gtest/gtest.h>

namespace stepway::cli {
namespace {

using Env = std::map<std::string, std::string>;

auto Lookup(const Env& env) {
  return [env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

const IniFile kCredentials = ParseIni(
    "# comment\n[default]\naws_access_key_id = AKD\naws_secret_access_key=SKD\n\n"
    "[dev]\naws_access_key_id = AKDEV\naws_secret_access_key = SKDEV\naws_session_token = T\n");
const IniFile kConfig = ParseIni(
    "[default]\nregion = eu-west-1\noutput = text\n[profile dev]\nregion = us-west-2\n"
    "s3 =\n  max_concurrent_requests = 5\n");

TEST(AwsConfigTest, ParseIni) {
  EXPECT_EQ(kCredentials.at("default").at("aws_access_key_id"), "AKD");
  EXPECT_EQ(kConfig.at("profile dev").at("region"), "us-west-2");
  EXPECT_EQ(kConfig.at("profile dev").count("max_concurrent_requests"), 0u);
}

TEST(AwsConfigTest, Defaults) {
  const Settings s = ResolveSettings({}, Lookup({}), {}, {});
  EXPECT_EQ(s.endpoint_url, "http://127.0.0.1:8083");
  EXPECT_EQ(s.region, "us-east-1");
  EXPECT_EQ(s.output, "json");
  EXPECT_EQ(s.access_key_id, "");
}

TEST(AwsConfigTest, FilesThenEnvironmentThenCommandLine) {
  Settings s = ResolveSettings({}, Lookup({}), kCredentials, kConfig);
  EXPECT_EQ(s.access_key_id, "AKD");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.output, "text");
  s = ResolveSettings({}, Lookup({{"AWS_PROFILE", "dev"}}), kCredentials, kConfig);
  EXPECT_EQ(s.access_key_id, "AKDEV");
  EXPECT_EQ(s.session_token, "T");
  EXPECT_EQ(s.region, "us-west-2");
  s = ResolveSettings({}, Lookup({{"AWS_ACCESS_KEY_ID", "AKE"}, {"AWS_SECRET_ACCESS_KEY", "SKE"},
                                  {"AWS_DEFAULT_REGION", "ap-south-1"},
                                  {"STEPWAY_ENDPOINT", "http://h:1"}}),
                      kCredentials, kConfig);
  EXPECT_EQ(s.access_key_id, "AKE");
  EXPECT_EQ(s.region, "ap-south-1");
  EXPECT_EQ(s.endpoint_url, "http://h:1");
  s = ResolveSettings({}, Lookup({{"AWS_ENDPOINT_URL", "http://all:1"},
                                  {"AWS_ENDPOINT_URL_SFN", "http://sfn:1"}}),
                      kCredentials, kConfig, "SFN");
  EXPECT_EQ(s.endpoint_url, "http://sfn:1");
  s = ResolveSettings({}, Lookup({{"AWS_ENDPOINT_URL", "http://all:1"},
                                  {"AWS_ENDPOINT_URL_SFN", "http://sfn:1"}}),
                      kCredentials, kConfig, "TRANSFER");
  EXPECT_EQ(s.endpoint_url, "http://all:1");
  SettingsOverrides o;
  o.profile = "dev";
  o.region = "r";
  o.endpoint_url = "http://x:2";
  s = ResolveSettings(o, Lookup({{"AWS_ACCESS_KEY_ID", "AKE"}, {"AWS_SECRET_ACCESS_KEY", "SKE"}}),
                      kCredentials, kConfig);
  EXPECT_EQ(s.access_key_id, "AKDEV");  // an explicit --profile beats the environment
  EXPECT_EQ(s.region, "r");
  EXPECT_EQ(s.endpoint_url, "http://x:2");
}

}  // namespace
}  // namespace stepway::cli
