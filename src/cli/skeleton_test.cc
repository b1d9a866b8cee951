#include "cli/skeleton.h"

#include <gtest/gtest.h>

#include "cli/service_tables.h"

namespace stepway::cli {
namespace {

using api::Service;

TEST(SkeletonTest, InputHasEveryMemberEmpty) {
  const Service t = Service::kTransfer;
  const json::Value s = InputSkeleton(t, api::FindOperation(t, "SendWorkflowStepState")->input);
  EXPECT_EQ(json::Serialize(s),
            R"({"WorkflowId":"","ExecutionId":"","Token":"","Status":"SUCCESS"})");
  const Service sfn = Service::kStepFunctions;
  const json::Value alias =
      InputSkeleton(sfn, api::FindOperation(sfn, "CreateStateMachineAlias")->input);
  EXPECT_EQ(json::Serialize(alias),
            R"({"description":"","name":"","routingConfiguration":[{"stateMachineVersionArn":"","weight":0}]})");
  EXPECT_EQ(json::Serialize(InputSkeleton(sfn, -1)), "{}");
}

TEST(SkeletonTest, OutputUsesMemberNames) {
  const Service sfn = Service::kStepFunctions;
  const json::Value s = OutputSkeleton(sfn, api::FindOperation(sfn, "ListTagsForResource")->output);
  EXPECT_EQ(json::Serialize(s), R"({"tags":[{"key":"key","value":"value"}]})");
}

TEST(SkeletonTest, YamlHasComments) {
  const Service t = Service::kTransfer;
  const std::string y =
      YamlInputSkeleton(t, api::FindOperation(t, "SendWorkflowStepState")->input);
  EXPECT_NE(y.find("WorkflowId: ''  # [REQUIRED] A unique identifier for the workflow."),
            std::string::npos)
      << y;
  EXPECT_NE(y.find("Status: SUCCESS  # [REQUIRED]"), std::string::npos) << y;
  EXPECT_NE(y.find("Valid values are: SUCCESS, FAILURE."), std::string::npos) << y;
}

TEST(ServiceTablesTest, NamesAndPaging) {
  const Service sfn = Service::kStepFunctions;
  EXPECT_EQ(FindOperationByCliName(sfn, "send-task-success"),
            api::FindOperation(sfn, "SendTaskSuccess"));
  EXPECT_EQ(FindOperationByCliName(sfn, "nope"), nullptr);
  EXPECT_EQ(CliNameOf(sfn, "SendTaskSuccessInput", "output"), "task-output");
  EXPECT_EQ(CliNameOf(sfn, "SendTaskSuccessInput", "taskToken"), "task-token");
  EXPECT_EQ(CliNameOf(Service::kTransfer, "SendWorkflowStepStateRequest", "WorkflowId"),
            "workflow-id");
  const Paginator* p = FindPaginator(sfn, "ListExecutions");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->result_key, "executions");
  EXPECT_EQ(FindPaginator(sfn, "StartExecution"), nullptr);
  // Every operation of both services has a command.
  for (Service s : {sfn, Service::kTransfer}) {
    for (const api::Operation& op : api::Operations(s)) {
      EXPECT_EQ(DocOf(s, op).name, op.name);
    }
  }
  EXPECT_EQ(FirstSentence("One. Two."), "One.");
}

}  // namespace
}  // namespace stepway::cli
