#include "api/model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace stepway::api {
namespace {

json::Value ParseOrDie(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

std::optional<ApiError> Validate(Service service, std::string_view op, std::string_view body) {
  const Operation* operation = FindOperation(service, op);
  EXPECT_NE(operation, nullptr) << op;
  if (operation == nullptr) return std::nullopt;
  return ValidateInput(service, *operation, ParseOrDie(body));
}

void ExpectError(const std::optional<ApiError>& e, std::string_view type, std::string_view message) {
  ASSERT_TRUE(e.has_value()) << "expected " << type << ": " << message;
  EXPECT_EQ(e->type, type);
  EXPECT_EQ(e->message, message);
  EXPECT_EQ(e->status, 400);
}

constexpr const char* kArn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

TEST(Model, FindsEveryOperationOfBothServices) {
  EXPECT_EQ(Operations(Service::kStepFunctions).size(), 37u);
  EXPECT_EQ(Operations(Service::kTransfer).size(), 71u);
  for (Service s : {Service::kStepFunctions, Service::kTransfer}) {
    for (const Operation& op : Operations(s)) {
      EXPECT_EQ(FindOperation(s, op.name), &op);
      EXPECT_GE(op.input, 0) << op.name;
    }
  }
  const Operation* start = FindOperation(Service::kStepFunctions, "StartExecution");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(Shapes(Service::kStepFunctions)[start->input].name, "StartExecutionInput");
  EXPECT_EQ(Shapes(Service::kStepFunctions)[start->output].name, "StartExecutionOutput");
  bool names_does_not_exist = false;
  for (auto e : start->errors) {
    names_does_not_exist |= Shapes(Service::kStepFunctions)[e].name == "StateMachineDoesNotExist";
  }
  EXPECT_TRUE(names_does_not_exist);
  EXPECT_EQ(FindOperation(Service::kStepFunctions, "startExecution"), nullptr);
  EXPECT_EQ(FindOperation(Service::kStepFunctions, "CreateServer"), nullptr);
  EXPECT_NE(FindOperation(Service::kTransfer, "CreateServer"), nullptr);
  EXPECT_EQ(TargetPrefix(Service::kStepFunctions), "AWSStepFunctions");
  EXPECT_EQ(TargetPrefix(Service::kTransfer), "TransferService");
}

TEST(Model, EveryPatternCompiles) {
  for (Service s : {Service::kStepFunctions, Service::kTransfer}) {
    auto shapes = Shapes(s);
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      if (!shapes[i].pattern.empty()) EXPECT_TRUE(PatternCompiles(s, i)) << shapes[i].name;
    }
  }
}

TEST(Model, ShapesCarryTheModelsConstraints) {
  const Shape* name = FindShape(Service::kStepFunctions, "Name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->type, ShapeType::kString);
  EXPECT_TRUE(name->has_min && name->has_max);
  EXPECT_EQ(name->min, 1);
  EXPECT_EQ(name->max, 80);
  const Shape* server_id = FindShape(Service::kTransfer, "ServerId");
  ASSERT_NE(server_id, nullptr);
  EXPECT_EQ(server_id->pattern, "s-([0-9a-f]{17})");
  const Shape* input = FindShape(Service::kStepFunctions, "StartExecutionInput");
  ASSERT_NE(input, nullptr);
  ASSERT_FALSE(input->members.empty());
  EXPECT_EQ(input->members[0].name, "stateMachineArn");
  EXPECT_TRUE(input->members[0].required);
}

TEST(Validate, AcceptsAValidRequestAndIgnoresUnknownMembers) {
  EXPECT_FALSE(Validate(Service::kStepFunctions, "StartExecution",
                        R"({"stateMachineArn": "arn", "name": "n", "input": "{}", "extra": [1]})"));
  EXPECT_FALSE(Validate(Service::kStepFunctions, "ListStateMachines", "{}"));
  EXPECT_FALSE(Validate(Service::kStepFunctions, "ListExecutions",
                        R"({"stateMachineArn": "a", "maxResults": null})"));
}

TEST(Validate, MissingRequiredMember) {
  ExpectError(Validate(Service::kStepFunctions, "StartExecution", R"({"name": "n"})"),
              "ValidationException",
              "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy "
              "constraint: Member must not be null");
}

TEST(Validate, SensitiveValuesAreLeftOut) {
  ExpectError(Validate(Service::kStepFunctions, "SendTaskSuccess", R"({"taskToken": "t"})"),
              "ValidationException",
              "1 validation error detected: Value at 'output' failed to satisfy constraint: "
              "Member must not be null");
  std::string big = "\"" + std::string(262144, 'a') + "\"";  // 262146 bytes with quotes
  json::Object body;
  body["stateMachineArn"] = kArn;
  body["input"] = big;
  const Operation* op = FindOperation(Service::kStepFunctions, "StartExecution");
  ExpectError(ValidateInput(Service::kStepFunctions, *op, body), "ValidationException",
              "1 validation error detected: Value at 'input' failed to satisfy constraint: Member "
              "must have size less than or equal to 262144 bytes in UTF-8 encoding");
}

TEST(Validate, SeveralViolationsInModelOrder) {
  std::string name(81, 'n');
  ExpectError(
      Validate(Service::kStepFunctions, "StartExecution", R"({"name": ")" + name + R"("})"),
      "ValidationException",
      "2 validation errors detected: Value null at 'stateMachineArn' failed to satisfy "
      "constraint: Member must not be null; Value '" + name +
          "' at 'name' failed to satisfy constraint: Member must have length less than or equal "
          "to 80");
}

TEST(Validate, LengthCountsUtf16UnitsLikeJava) {
  // 40 characters outside the BMP are 80 UTF-16 units: allowed; 41 are not.
  std::string forty, forty_one;
  for (int i = 0; i < 40; ++i) forty += "\xF0\x9F\x98\x80";
  forty_one = forty + "\xF0\x9F\x98\x80";
  EXPECT_FALSE(Validate(Service::kStepFunctions, "StartExecution",
                        R"({"stateMachineArn": "a", "name": ")" + forty + R"("})"));
  auto e = Validate(Service::kStepFunctions, "StartExecution",
                    R"({"stateMachineArn": "a", "name": ")" + forty_one + R"("})");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("Member must have length less than or equal to 80"), std::string::npos);
}

TEST(Validate, ValueRangesAndEnums) {
  ExpectError(Validate(Service::kStepFunctions, "ListExecutions",
                       R"({"stateMachineArn": "a", "maxResults": -1})"),
              "ValidationException",
              "1 validation error detected: Value '-1' at 'maxResults' failed to satisfy "
              "constraint: Member must have value greater than or equal to 0");
  // Coral truncates a fractional number for an Integer member.
  ExpectError(Validate(Service::kStepFunctions, "ListExecutions",
                       R"({"stateMachineArn": "a", "maxResults": 1001.9})"),
              "ValidationException",
              "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
              "constraint: Member must have value less than or equal to 1000");
  auto e = Validate(Service::kStepFunctions, "CreateStateMachine",
                    R"({"name": "n", "definition": "{}", "roleArn": "r", "type": "express"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "1 validation error detected: Value 'express' at 'type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [STANDARD, EXPRESS]");
}

TEST(Validate, ListElementPaths) {
  ExpectError(Validate(Service::kStepFunctions, "TagResource",
                       R"({"resourceArn": "a", "tags": [{"key": "k", "value": "v"}, {"key": "", "value": "v"}]})"),
              "ValidationException",
              "1 validation error detected: Value '' at 'tags.2.member.key' failed to satisfy "
              "constraint: Member must have length greater than or equal to 1");
}

TEST(Validate, TransferPathsLowerTheFirstLetter) {
  ExpectError(Validate(Service::kTransfer, "DescribeServer", R"({"ServerId": "bad"})"),
              "ValidationException",
              "2 validation errors detected: Value 'bad' at 'serverId' failed to satisfy "
              "constraint: Member must satisfy regular expression pattern: s-([0-9a-f]{17}); "
              "Value 'bad' at 'serverId' failed to satisfy constraint: Member must have length "
              "greater than or equal to 19");
  EXPECT_FALSE(Validate(Service::kTransfer, "DescribeServer", R"({"ServerId": "s-0123456789abcdef0"})"));
  ExpectError(Validate(Service::kTransfer, "DescribeServer", "{}"), "ValidationException",
              "1 validation error detected: Value null at 'serverId' failed to satisfy "
              "constraint: Member must not be null");
}

TEST(Validate, WrongTypesAreSerializationExceptions) {
  ExpectError(Validate(Service::kStepFunctions, "ListExecutions",
                       R"({"stateMachineArn": "a", "maxResults": "10"})"),
              "SerializationException", "class java.lang.String can not be converted to an Integer");
  ExpectError(Validate(Service::kStepFunctions, "ListExecutions",
                       R"({"stateMachineArn": "a", "maxResults": true})"),
              "SerializationException", "class java.lang.Boolean can not be converted to an Integer");
  ExpectError(Validate(Service::kStepFunctions, "StartExecution", R"({"stateMachineArn": 5})"),
              "SerializationException",
              "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted "
              "to an String");
  ExpectError(Validate(Service::kStepFunctions, "StartExecution", R"({"stateMachineArn": ["a"]})"),
              "SerializationException", "Start of list found where not expected");
  ExpectError(Validate(Service::kStepFunctions, "StartExecution", R"({"input": {"a": 1}})"),
              "SerializationException", "Start of structure or map found where not expected.");
  ExpectError(Validate(Service::kStepFunctions, "TagResource", R"({"resourceArn": "a", "tags": "x"})"),
              "SerializationException", "Expected list or null");
  ExpectError(Validate(Service::kStepFunctions, "TagResource", R"({"resourceArn": "a", "tags": ["x"]})"),
              "SerializationException", "Expected null");
  ExpectError(Validate(Service::kStepFunctions, "GetExecutionHistory",
                       R"({"executionArn": "a", "reverseOrder": "yes"})"),
              "SerializationException", "'YES' can not be converted to an Boolean");
  // A type error wins over a missing required member.
  ExpectError(Validate(Service::kStepFunctions, "ListExecutions", R"({"maxResults": "1"})"),
              "SerializationException", "class java.lang.String can not be converted to an Integer");
  ExpectError(Validate(Service::kStepFunctions, "ListStateMachines", "[]"), "SerializationException",
              "Start of list found where not expected");
}

// --- AWS's recorded answers (tests/api/cases, from /work/shared/conformance/api) ---------------

// A recorded expected string as a regex: "<token>" placeholders match anything.
std::regex ExpectedPattern(const std::string& expected) {
  std::string out;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    char c = expected[i];
    if (c == '<') {
      std::size_t close = expected.find('>', i);
      if (close != std::string::npos && close > i + 1 &&
          expected.find_first_of(" '", i) > close) {
        out += ".*?";
        i = close;
        continue;
      }
    }
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return std::regex(out);
}

// Replaces {"$var": name} with a plausible value of that variable.
json::Value Resolve(const json::Value& v) {
  if (v.is_object()) {
    if (const json::Value* var = json::Find(v, "$var"); var != nullptr && var->is_string()) {
      std::string name(var->get_string());
      if (name.find("Version") != std::string::npos) {
        // stateMachineVersionArn@N is version N + 1 of the state machine.
        int n = std::stoi(name.substr(name.find('@') + 1));
        return json::Value(std::string(kArn) + ":" + std::to_string(n + 1));
      }
      return json::Value(kArn);
    }
    json::Object out;
    for (const auto& kv : v.get_object()) out[kv.key()] = Resolve(kv.value());
    return out;
  }
  if (v.is_array()) {
    json::Array out;
    for (const auto& e : v.get_array()) out.push_back(Resolve(e));
    return out;
  }
  return v;
}

TEST(Validate, ReplaysAwsRecordedValidationErrors) {
  std::filesystem::path dir = std::filesystem::path(STEPWAY_SOURCE_DIR) / "tests/api/cases";
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    json::Value c = ParseOrDie(text.str());
    const json::Value& call = *json::Find(c, "call");
    const json::Value& expect = *json::Find(c, "expect");
    std::string op(json::Find(call, "op")->get_string());
    std::string type(json::Find(expect, "error_code")->get_string());
    std::string message(json::Find(expect, "error_message")->get_string());
    const Operation* operation = FindOperation(Service::kStepFunctions, op);
    ASSERT_NE(operation, nullptr) << op;
    auto e = ValidateInput(Service::kStepFunctions, *operation, Resolve(*json::Find(call, "params")));
    ASSERT_TRUE(e.has_value()) << entry.path().filename();
    EXPECT_EQ(e->type, type) << entry.path().filename();
    EXPECT_TRUE(std::regex_match(e->message, ExpectedPattern(message)))
        << entry.path().filename() << "\n  got:      " << e->message << "\n  recorded: " << message;
    ++replayed;
  }
  EXPECT_EQ(replayed, 12);
}

}  // namespace
}  // namespace stepway::api
