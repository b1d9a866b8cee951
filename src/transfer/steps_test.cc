#include "transfer/steps.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "engine/resource.h"
#include "integrations/test_support.h"
#include "transfer/file_location.h"

namespace stepway::transfer {
namespace {

namespace fs = std::filesystem;
using integrations::testing::RecordingReporter;

// Records what a CUSTOM step's target was invoked with, and answers as a Lambda function would.
class FakeLambda final : public runtime::Integration {
 public:
  void Invoke(runtime::TaskInvocation invocation,
              std::shared_ptr<runtime::TaskReporter> reporter) override {
    invoked = invocation;
    if (fail) {
      reporter->Failed("Lambda.ResourceNotFoundException", "no function");
    } else {
      reporter->Succeeded(json::Object{{"ok", true}});
    }
  }
  std::optional<runtime::TaskInvocation> invoked;
  bool fail = false;
};

class StepsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("stepway-steps-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    StepsOptions options;
    options.files_root = (root_ / "files").string();
    options.pgp_keys_dir = (root_ / "pgp").string();
    options.store = store_.get();
    options.tokens = &codec_;
    options.lambda = [this](const runtime::TaskInvocation&) -> runtime::Integration* {
      return &lambda_;
    };
    options.log = [this](const std::string& server, json::Object event) {
      logged_.push_back(std::string(event.at("type").as_string()));
    };
    steps_ = NewStepIntegration(options);
  }
  void TearDown() override {
    steps_.reset();
    fs::remove_all(root_);
  }

  FileLocation S3(std::string bucket, std::string key) {
    return FileLocation{Domain::kS3, std::move(bucket), std::move(key)};
  }
  std::string Local(const FileLocation& l) { return l.LocalPath((root_ / "files").string()); }
  void Write(const FileLocation& l, const std::string& content) {
    fs::create_directories(fs::path(Local(l)).parent_path());
    std::ofstream(Local(l)) << content;
  }
  std::string Read(const FileLocation& l) {
    std::ifstream in(Local(l));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Runs one step on `file` (original and previous) and returns the first report.
  RecordingReporter::Report Run(std::string_view type, std::string_view details,
                                const FileLocation& file, std::string token = "",
                                bool resumed = false) {
    json::Object state;
    state["original"] = file.ToJson();
    state["previous"] = file.ToJson();
    state["transferDetails"] =
        json::Object{{"serverId", "s-0123456789abcdef0"}, {"userName", "alice"}, {"sessionId", "abc"}};
    state["workflowId"] = "w-abcdefghijklmnopq";
    state["uploadDate"] = "2026-11-21";
    json::Object parameters;
    parameters["type"] = type;
    parameters["details"] = *json::Parse(details);
    parameters["exception"] = false;
    parameters["state"] = std::move(state);
    runtime::TaskInvocation invocation;
    invocation.execution_arn = kExecution;
    invocation.execution_name = "0b7c1f5e-0000-4000-8000-000000000001";
    invocation.command.task_id = 3;
    invocation.command.resource = std::make_shared<const engine::Resource>(
        engine::ParseResource(type == "CUSTOM" ? "arn:aws:states:::transfer:custom.waitForTaskToken"
                                               : "arn:aws:states:::transfer:step"));
    invocation.command.input = std::move(parameters);
    invocation.command.token = token.empty() ? codec_.Encode({kExecution, 3, 77}) : token;
    invocation.resumed = resumed;
    EXPECT_TRUE(IsTransferStep(invocation));
    auto reporter = std::make_shared<RecordingReporter>();
    steps_->Invoke(invocation, reporter);
    auto report = reporter->Wait();
    EXPECT_TRUE(report.has_value());
    return report.value_or(RecordingReporter::Report{});
  }

  static constexpr const char* kExecution =
      "arn:aws:states:us-east-1:123456789012:execution:~transfer~w-abcdefghijklmnopq:"
      "0b7c1f5e-0000-4000-8000-000000000001";
  fs::path root_;
  std::unique_ptr<store::Store> store_ = store::NewMemoryStore();
  runtime::TaskTokenCodec codec_{runtime::TaskTokenCodec::Key{}};
  FakeLambda lambda_;
  std::vector<std::string> logged_;
  std::unique_ptr<runtime::Integration> steps_;
};

constexpr std::string_view kCopyToUserFolder = R"({"Name":"copy","DestinationFileLocation":
    {"S3FileLocation":{"Bucket":"archive","Key":"${transfer:UserName}/${transfer:UploadDate}/"}}})";

TEST_F(StepsTest, CopyFillsVariablesAndFolderKeysAndBecomesThePreviousFile) {
  const FileLocation upload = S3("inbox", "in/report.csv");
  Write(upload, "a,b\n");
  auto report = Run("COPY", kCopyToUserFolder, upload);
  ASSERT_EQ(report.kind, "Succeeded") << report.error << ": " << report.cause;
  const FileLocation copied = S3("archive", "alice/2026-11-21/report.csv");
  EXPECT_EQ(Read(copied), "a,b\n");
  EXPECT_EQ(Read(upload), "a,b\n");
  EXPECT_EQ(report.value.at("previous"), copied.ToJson());
  EXPECT_EQ(report.value.at("original"), upload.ToJson());
  EXPECT_EQ(report.value.at("outputs").at("fileLocation"), copied.ToJson());
  EXPECT_EQ(logged_, (std::vector<std::string>{"StepStarted", "StepCompleted"}));
}

TEST_F(StepsTest, CopyOverAnExistingFileNeedsOverwriteExisting) {
  const FileLocation upload = S3("inbox", "a.txt");
  Write(upload, "new");
  Write(S3("archive", "a.txt"), "old");
  auto report = Run("COPY", R"({"DestinationFileLocation":{"S3FileLocation":{"Bucket":"archive","Key":"a.txt"}}})", upload);
  EXPECT_EQ(report.kind, "Failed");
  EXPECT_EQ(report.error, "ALREADY_EXISTS");
  EXPECT_EQ(Read(S3("archive", "a.txt")), "old");
  report = Run("COPY", R"({"OverwriteExisting":"TRUE","DestinationFileLocation":{"S3FileLocation":{"Bucket":"archive","Key":"a.txt"}}})", upload);
  EXPECT_EQ(report.kind, "Succeeded");
  EXPECT_EQ(Read(S3("archive", "a.txt")), "new");
}

TEST_F(StepsTest, DestinationsStayInsideTheirBucket) {
  const FileLocation upload = S3("inbox", "..notes.txt");  // a name, not a segment
  Write(upload, "n");
  EXPECT_EQ(Run("COPY", R"({"DestinationFileLocation":{"S3FileLocation":{"Bucket":"archive","Key":"a/"}}})", upload).kind,
            "Succeeded");
  EXPECT_EQ(Read(S3("archive", "a/..notes.txt")), "n");
  for (const char* key : {"../inbox/x", "a/../../x", "a/./b"}) {
    auto report = Run("COPY", std::string(R"({"DestinationFileLocation":{"S3FileLocation":{"Bucket":"archive","Key":")") + key + R"("}}})", upload);
    EXPECT_EQ(report.error, "BAD_REQUEST") << key;
  }
}

TEST_F(StepsTest, AStepRunAgainAfterARestartFindsItsOwnWorkDone) {
  const FileLocation upload = S3("inbox", "r.txt");
  Write(upload, "r");
  constexpr const char* kCopy =
      R"({"DestinationFileLocation":{"S3FileLocation":{"Bucket":"archive","Key":"r.txt"}}})";
  ASSERT_EQ(Run("COPY", kCopy, upload).kind, "Succeeded");
  // The restart came before the result was committed: the same copy is there, done.
  EXPECT_EQ(Run("COPY", kCopy, upload, "", /*resumed=*/true).kind, "Succeeded");
  EXPECT_EQ(Run("COPY", kCopy, upload).error, "ALREADY_EXISTS");
  Write(S3("archive", "r.txt"), "someone else's");
  EXPECT_EQ(Run("COPY", kCopy, upload, "", /*resumed=*/true).error, "ALREADY_EXISTS");
  ASSERT_EQ(Run("DELETE", "{}", upload).kind, "Succeeded");
  EXPECT_EQ(Run("DELETE", "{}", upload, "", /*resumed=*/true).kind, "Succeeded");
  EXPECT_EQ(Run("DELETE", "{}", upload).error, "NOT_FOUND");
}

TEST_F(StepsTest, AMissingSourceIsNotFound) {
  auto report = Run("COPY", kCopyToUserFolder, S3("inbox", "gone.txt"));
  EXPECT_EQ(report.error, "NOT_FOUND");
  report = Run("DELETE", "{}", S3("inbox", "gone.txt"));
  EXPECT_EQ(report.error, "NOT_FOUND");
  EXPECT_EQ(logged_.back(), "StepErrored");
}

TEST_F(StepsTest, TagKeepsS3ObjectTagsAsDocuments) {
  const FileLocation upload = S3("inbox", "x.bin");
  Write(upload, "x");
  auto report = Run("TAG", R"({"Tags":[{"Key":"stage","Value":"raw"},{"Key":"team","Value":"ops"}]})", upload);
  ASSERT_EQ(report.kind, "Succeeded") << report.cause;
  report = Run("TAG", R"({"Tags":[{"Key":"stage","Value":"checked"}]})", upload);
  ASSERT_EQ(report.kind, "Succeeded");
  auto tags = store_->GetDocument(kObjectTagsKind, "inbox/x.bin");
  ASSERT_TRUE(tags);
  EXPECT_EQ(*json::Parse(tags->body), *json::Parse(R"({"stage":"checked","team":"ops"})"));
  EXPECT_EQ(report.value.at("previous"), upload.ToJson());  // tagging keeps the file
}

TEST_F(StepsTest, TagOnEfsIsABadRequestAndElevenTagsAreTooMany) {
  const FileLocation efs{Domain::kEfs, "fs-0123456789abcdef0", "home/alice/x"};
  Write(efs, "x");
  EXPECT_EQ(Run("TAG", R"({"Tags":[{"Key":"a","Value":"b"}]})", efs).error, "BAD_REQUEST");
  const FileLocation upload = S3("inbox", "y");
  Write(upload, "y");
  json::Array tags;
  for (int i = 0; i < 11; ++i) tags.push_back(json::Object{{"Key", "k" + std::to_string(i)}, {"Value", ""}});
  EXPECT_EQ(Run("TAG", json::Serialize(json::Object{{"Tags", tags}}), upload).error, "BAD_REQUEST");
}

TEST_F(StepsTest, DeleteRemovesTheFileAndItsTags) {
  const FileLocation upload = S3("inbox", "d.txt");
  Write(upload, "d");
  ASSERT_EQ(Run("TAG", R"({"Tags":[{"Key":"a","Value":"b"}]})", upload).kind, "Succeeded");
  auto report = Run("DELETE", R"({"Name":"cleanup"})", upload);
  ASSERT_EQ(report.kind, "Succeeded");
  EXPECT_FALSE(fs::exists(Local(upload)));
  EXPECT_FALSE(store_->GetDocument(kObjectTagsKind, "inbox/d.txt"));
}

TEST_F(StepsTest, OriginalFileIsSelectable) {
  const FileLocation upload = S3("inbox", "o.txt");
  Write(upload, "o");
  auto report = Run("DELETE", R"({"SourceFileLocation":"${original.file}"})", upload);
  EXPECT_EQ(report.kind, "Succeeded");
  report = Run("DELETE", R"({"SourceFileLocation":"${nope.file}"})", upload);
  EXPECT_EQ(report.error, "BAD_REQUEST");
}

TEST_F(StepsTest, CustomInvokesItsTargetWithTransfersEventThenWaits) {
  const FileLocation upload = S3("inbox", "c.txt");
  Write(upload, "c");
  auto report = Run("CUSTOM", R"({"Target":"arn:aws:lambda:us-east-1:123456789012:function:check"})", upload);
  EXPECT_EQ(report.kind, "Submitted");
  ASSERT_TRUE(lambda_.invoked);
  EXPECT_EQ(lambda_.invoked->command.resource->kind, engine::ResourceKind::kLambdaFunction);
  const json::Value& event = lambda_.invoked->command.input;
  const std::string token(event.at("token").as_string());
  EXPECT_TRUE(std::regex_match(token, std::regex(R"(\w{1,64})")));
  EXPECT_EQ(event.at("serviceMetadata").at("executionDetails").at("workflowId"), "w-abcdefghijklmnopq");
  EXPECT_EQ(event.at("serviceMetadata").at("executionDetails").at("executionId"),
            "0b7c1f5e-0000-4000-8000-000000000001");
  EXPECT_EQ(event.at("serviceMetadata").at("transferDetails").at("userName"), "alice");
  EXPECT_EQ(event.at("fileLocation"), upload.ToJson());
}

TEST_F(StepsTest, CustomFailsWhenItsTargetCannotBeInvoked) {
  lambda_.fail = true;
  const FileLocation upload = S3("inbox", "c.txt");
  Write(upload, "c");
  auto report = Run("CUSTOM", R"({"Target":"arn:aws:lambda:us-east-1:123456789012:function:check"})", upload);
  EXPECT_EQ(report.kind, "Failed");
  EXPECT_EQ(report.error, "CUSTOM_STEP_FAILED");
}

TEST_F(StepsTest, DecryptWithoutKeysIsPermissionDenied) {
  const FileLocation upload = S3("inbox", "secret.txt.gpg");
  Write(upload, "not really pgp");
  auto report = Run("DECRYPT", R"({"Type":"PGP","DestinationFileLocation":{"S3FileLocation":{"Bucket":"clear","Key":"out/"}}})", upload);
  EXPECT_EQ(report.error, "PERMISSION_DENIED");
}

}  // namespace
}  // namespace stepway::transfer
