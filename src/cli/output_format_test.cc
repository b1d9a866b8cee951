#include "cli/output_format.h"

#include <gtest/gtest.h>

namespace stepway::cli {
namespace {

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

TEST(OutputFormatTest, JsonIsIndentedByFourAndKeepsUnicode) {
  EXPECT_EQ(FormatJson(J(R"({"a": [1, {"b": "é\n"}], "c": {}, "d": [], "e": 1.0, "f": null})")),
            "{\n"
            "    \"a\": [\n"
            "        1,\n"
            "        {\n"
            "            \"b\": \"é\\n\"\n"
            "        }\n"
            "    ],\n"
            "    \"c\": {},\n"
            "    \"d\": [],\n"
            "    \"e\": 1.0,\n"
            "    \"f\": null\n"
            "}\n");
  EXPECT_EQ(FormatOutput(OutputFormat::kJson, J("{}"), "X"), "");
  EXPECT_EQ(FormatOutput(OutputFormat::kJson, J("\"s\""), "X"), "\"s\"\n");
}

TEST(OutputFormatTest, PythonFloats) {
  EXPECT_EQ(PythonFloat(1.0), "1.0");
  EXPECT_EQ(PythonFloat(1.5), "1.5");
  EXPECT_EQ(PythonFloat(0.0001), "0.0001");
  EXPECT_EQ(PythonFloat(0.00001), "1e-05");
  EXPECT_EQ(PythonFloat(1e16), "1e+16");
  EXPECT_EQ(PythonFloat(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(PythonFloat(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(PythonFloat(1700000000.123), "1700000000.123");
}

TEST(OutputFormatTest, IsoTimestampsInUtc) {
  EXPECT_EQ(IsoTimestamp(0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(IsoTimestamp(1795255200.123), "2026-11-21T10:00:00.123000+00:00");
  EXPECT_EQ(IsoTimestamp(1795255200.9999999), "2026-11-21T10:00:01+00:00");
}

TEST(OutputFormatTest, TimestampMembersOnly) {
  const api::Service sfn = api::Service::kStepFunctions;
  const int out = api::FindOperation(sfn, "StartExecution")->output;
  const json::Value v = TimestampsToIso(sfn, out, J(R"({"executionArn": "a", "startDate": 0})"));
  EXPECT_EQ(json::Serialize(v), R"({"executionArn":"a","startDate":"1970-01-01T00:00:00+00:00"})");
  const int list = api::FindOperation(sfn, "ListExecutions")->output;
  const json::Value l =
      TimestampsToIso(sfn, list, J(R"({"executions": [{"startDate": 1.5, "name": "n"}]})"));
  EXPECT_EQ(json::Serialize(l),
            R"({"executions":[{"startDate":"1970-01-01T00:00:01.500000+00:00","name":"n"}]})");
}

TEST(OutputFormatTest, TextAsTheAwsCliPrintsIt) {
  EXPECT_EQ(FormatText(J(R"({"executionArn": "a", "startDate": "d"})")), "a\td\n");
  EXPECT_EQ(FormatText(J(R"({"executions": [{"name": "x", "status": "S"}, {"name": "y"}]})")),
            "EXECUTIONS\tx\tS\nEXECUTIONS\ty\t\n");
  EXPECT_EQ(FormatText(J(R"(["a", "b"])")), "a\tb\n");
  EXPECT_EQ(FormatText(J(R"({"tagKeys": ["a", "b"]})")), "TAGKEYS\ta\nTAGKEYS\tb\n");
  EXPECT_EQ(FormatText(J(R"({"b": true, "n": null, "x": 1.5})")), "True\tNone\t1.5\n");
  EXPECT_EQ(FormatText(J("\"s\"")), "s\n");
}

TEST(OutputFormatTest, YamlAndTable) {
  EXPECT_EQ(FormatYaml(J(R"({"a": "x", "b": [1, 2], "c": "2026-01-01T00:00:00+00:00"})")),
            "a: x\nb:\n  - 1\n  - 2\nc: '2026-01-01T00:00:00+00:00'\n");
  const std::string table = FormatTable(J(R"({"items": [{"name": "a", "n": 1}]})"), "List");
  EXPECT_NE(table.find("List"), std::string::npos);
  EXPECT_NE(table.find("items"), std::string::npos);
  EXPECT_NE(table.find("name"), std::string::npos);
  EXPECT_EQ(table.front(), '-');
}

TEST(OutputFormatTest, UnknownFormat) {
  EXPECT_FALSE(ParseOutputFormat("xml").has_value());
  EXPECT_TRUE(ParseOutputFormat("yaml-stream").has_value());
}

}  // namespace
}  // namespace stepway::cli
