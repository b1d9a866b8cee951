"""The TransferService API (AWS JSON 1.1) with boto3 and the aws CLI: servers, users and their SSH
keys, workflows, tags, and the errors AWS answers (ResourceNotFoundException with Resource and
ResourceType, ResourceExistsException, InvalidRequestException, model validation)."""

import json
import re
import subprocess
import unittest
import urllib.request

from server import ROLE, ServerTestCase, client

# A real ed25519 public key (the private half is not needed for API tests).
KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq7lEvRB4ez8bH0JxFJr0Up7k0Mw3qF9tZ7yYbJq6cm "
       "alice@example")
OTHER_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMx5j2HBDq3xv3m4mO8Cz0o3i1vC5yYVb5h8n9a8cJ2F "
             "bob@example")

COPY_STEP = {"Type": "COPY", "CopyStepDetails": {
    "Name": "archive",
    "DestinationFileLocation": {"S3FileLocation": {"Bucket": "archive", "Key": "in/"}},
    "OverwriteExisting": "TRUE"}}
DELETE_STEP = {"Type": "DELETE", "DeleteStepDetails": {"Name": "cleanup"}}


def raw_call(server, operation, body):
    """POSTs a TransferService request as JSON 1.1 and returns (status, parsed body)."""
    request = urllib.request.Request(
        server.endpoint + "/", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "TransferService." + operation})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class TransferApiTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.transfer = client(cls.server, service="transfer")

    def error(self, call, **kwargs):
        with self.assertRaises(self.transfer.exceptions.ClientError) as caught:
            call(**kwargs)
        return caught.exception.response

    # -- workflows --------------------------------------------------------------------------------

    def test_workflow_lifecycle(self):
        created = self.transfer.create_workflow(
            Description="archive then clean", Steps=[COPY_STEP],
            OnExceptionSteps=[DELETE_STEP], Tags=[{"Key": "team", "Value": "ops"}])
        workflow_id = created["WorkflowId"]
        self.assertRegex(workflow_id, r"^w-[a-z0-9]{17}$")
        described = self.transfer.describe_workflow(WorkflowId=workflow_id)["Workflow"]
        self.assertEqual(described["Arn"],
                         "arn:aws:transfer:us-east-1:123456789012:workflow/" + workflow_id)
        self.assertEqual(described["Steps"], [COPY_STEP])
        self.assertEqual(described["OnExceptionSteps"], [DELETE_STEP])
        self.assertEqual(described["Description"], "archive then clean")
        self.assertEqual(described["Tags"], [{"Key": "team", "Value": "ops"}])
        listed = self.transfer.list_workflows()["Workflows"]
        self.assertIn({"WorkflowId": workflow_id, "Description": "archive then clean",
                       "Arn": described["Arn"]}, listed)
        # Not a state machine of the user's.
        sfn_names = [m["name"] for m in self.sfn.list_state_machines()["stateMachines"]]
        self.assertFalse([n for n in sfn_names if workflow_id in n])
        self.assertEqual(self.transfer.list_executions(WorkflowId=workflow_id)["Executions"], [])
        self.transfer.delete_workflow(WorkflowId=workflow_id)
        response = self.error(self.transfer.describe_workflow, WorkflowId=workflow_id)
        self.assertEqual(response["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(response["Error"]["Message"], "Unknown workflow")
        # botocore keeps the members of the error beside Code and Message.
        self.assertEqual(response["Resource"], workflow_id)
        self.assertEqual(response["ResourceType"], "Workflow")

    def test_workflow_steps_must_match_their_type_and_the_model(self):
        response = self.error(self.transfer.create_workflow,
                              Steps=[{"Type": "COPY", "TagStepDetails": {
                                  "Tags": [{"Key": "a", "Value": "b"}]}}])
        self.assertEqual(response["Error"]["Code"], "InvalidRequestException")
        status, body = raw_call(self.server, "CreateWorkflow", {"Steps": [COPY_STEP] * 9})
        self.assertEqual(status, 400)
        self.assertEqual(body["__type"], "ValidationException")
        self.assertIn("Member must have length less than or equal to 8", body["Message"])
        status, body = raw_call(self.server, "CreateWorkflow",
                                {"Steps": [{"Type": "MOVE"}]})
        self.assertEqual(status, 400)
        self.assertIn("Member must satisfy enum value set", body["Message"])

    def test_paging_workflows(self):
        ids = {self.transfer.create_workflow(Steps=[DELETE_STEP])["WorkflowId"] for _ in range(3)}
        seen = []
        token = None
        while True:
            kwargs = {"MaxResults": 2}
            if token:
                kwargs["NextToken"] = token
            page = self.transfer.list_workflows(**kwargs)
            self.assertLessEqual(len(page["Workflows"]), 2)
            seen += [w["WorkflowId"] for w in page["Workflows"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertTrue(ids <= set(seen))
        self.assertEqual(len(seen), len(set(seen)))
        response = self.error(self.transfer.list_workflows, NextToken="garbage")
        self.assertEqual(response["Error"]["Code"], "InvalidNextTokenException")

    # -- servers ----------------------------------------------------------------------------------

    def test_server_lifecycle(self):
        workflow_id = self.transfer.create_workflow(Steps=[DELETE_STEP])["WorkflowId"]
        server_id = self.transfer.create_server(
            Protocols=["SFTP"], Domain="S3", IdentityProviderType="SERVICE_MANAGED",
            WorkflowDetails={"OnUpload": [{"WorkflowId": workflow_id, "ExecutionRole": ROLE}]},
            Tags=[{"Key": "env", "Value": "test"}])["ServerId"]
        self.assertRegex(server_id, r"^s-[0-9a-f]{17}$")
        server = self.transfer.describe_server(ServerId=server_id)["Server"]
        self.assertEqual(server["Arn"],
                         "arn:aws:transfer:us-east-1:123456789012:server/" + server_id)
        self.assertEqual(server["State"], "ONLINE")
        self.assertEqual(server["Domain"], "S3")
        self.assertEqual(server["Protocols"], ["SFTP"])
        self.assertEqual(server["EndpointType"], "PUBLIC")
        self.assertEqual(server["UserCount"], 0)
        self.assertRegex(server["HostKeyFingerprint"], r"^SHA256:")
        self.assertEqual(server["WorkflowDetails"]["OnUpload"][0]["WorkflowId"], workflow_id)
        self.assertEqual(server["Tags"], [{"Key": "env", "Value": "test"}])
        # The SFTP port is shown beyond AWS's shape (SDKs drop it; a raw call sees it).
        _, raw = raw_call(self.server, "DescribeServer", {"ServerId": server_id})
        self.assertGreater(raw["Server"]["Port"], 0)
        listed = [s for s in self.transfer.list_servers()["Servers"] if s["ServerId"] == server_id]
        self.assertEqual(listed[0]["State"], "ONLINE")

        self.transfer.stop_server(ServerId=server_id)
        self.assertEqual(self.transfer.describe_server(ServerId=server_id)["Server"]["State"],
                         "OFFLINE")
        self.transfer.start_server(ServerId=server_id)
        self.assertEqual(self.transfer.describe_server(ServerId=server_id)["Server"]["State"],
                         "ONLINE")
        # A workflow in use cannot be deleted; removing it from the server frees it.
        response = self.error(self.transfer.delete_workflow, WorkflowId=workflow_id)
        self.assertEqual(response["Error"]["Code"], "InvalidRequestException")
        self.transfer.update_server(ServerId=server_id, WorkflowDetails={"OnUpload": []})
        self.assertNotIn("WorkflowDetails",
                         self.transfer.describe_server(ServerId=server_id)["Server"])
        self.transfer.delete_workflow(WorkflowId=workflow_id)
        self.transfer.delete_server(ServerId=server_id)
        response = self.error(self.transfer.describe_server, ServerId=server_id)
        self.assertEqual(response["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(response["ResourceType"], "Server")

    def test_server_settings_stepway_does_not_serve(self):
        response = self.error(self.transfer.create_server, Protocols=["FTP"])
        self.assertEqual(response["Error"]["Code"], "InvalidRequestException")
        response = self.error(self.transfer.create_server, IdentityProviderType="AWS_LAMBDA")
        self.assertEqual(response["Error"]["Code"], "InvalidRequestException")
        response = self.error(
            self.transfer.create_server,
            WorkflowDetails={"OnUpload": [{"WorkflowId": "w-00000000000000000",
                                           "ExecutionRole": ROLE}]})
        self.assertEqual(response["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(response["ResourceType"], "Workflow")

    # -- users ------------------------------------------------------------------------------------

    def test_users_and_their_keys(self):
        server_id = self.transfer.create_server()["ServerId"]
        self.transfer.create_user(ServerId=server_id, UserName="alice", Role=ROLE,
                                  HomeDirectory="/inbox/alice", SshPublicKeyBody=KEY,
                                  Tags=[{"Key": "k", "Value": "v"}])
        response = self.error(self.transfer.create_user, ServerId=server_id, UserName="alice",
                              Role=ROLE)
        self.assertEqual(response["Error"]["Code"], "ResourceExistsException")
        self.assertEqual(response["ResourceType"], "User")
        user = self.transfer.describe_user(ServerId=server_id, UserName="alice")
        self.assertEqual(user["ServerId"], server_id)
        user = user["User"]
        self.assertEqual(user["HomeDirectory"], "/inbox/alice")
        self.assertEqual(user["HomeDirectoryType"], "PATH")
        self.assertEqual(user["Arn"], "arn:aws:transfer:us-east-1:123456789012:user/%s/alice"
                         % server_id)
        self.assertEqual(len(user["SshPublicKeys"]), 1)
        self.assertRegex(user["SshPublicKeys"][0]["SshPublicKeyId"], r"^key-[0-9a-f]{17}$")
        self.assertEqual(user["SshPublicKeys"][0]["SshPublicKeyBody"], KEY)
        self.assertIn("DateImported", user["SshPublicKeys"][0])
        self.assertEqual(user["Tags"], [{"Key": "k", "Value": "v"}])

        imported = self.transfer.import_ssh_public_key(ServerId=server_id, UserName="alice",
                                                       SshPublicKeyBody=OTHER_KEY)
        self.assertRegex(imported["SshPublicKeyId"], r"^key-[0-9a-f]{17}$")
        response = self.error(self.transfer.import_ssh_public_key, ServerId=server_id,
                              UserName="alice", SshPublicKeyBody=OTHER_KEY)
        self.assertEqual(response["Error"]["Code"], "ResourceExistsException")
        response = self.error(self.transfer.import_ssh_public_key, ServerId=server_id,
                              UserName="alice", SshPublicKeyBody="ssh-rsa AAAAnotakey")
        self.assertEqual(response["Error"]["Code"], "InvalidRequestException")
        users = self.transfer.list_users(ServerId=server_id)
        self.assertEqual(users["Users"][0]["SshPublicKeyCount"], 2)
        self.assertEqual(self.transfer.describe_server(ServerId=server_id)["Server"]["UserCount"], 1)

        self.transfer.delete_ssh_public_key(ServerId=server_id, UserName="alice",
                                            SshPublicKeyId=imported["SshPublicKeyId"])
        response = self.error(self.transfer.delete_ssh_public_key, ServerId=server_id,
                              UserName="alice", SshPublicKeyId=imported["SshPublicKeyId"])
        self.assertEqual(response["Error"]["Code"], "ResourceNotFoundException")

        self.transfer.update_user(
            ServerId=server_id, UserName="alice", HomeDirectoryType="LOGICAL",
            HomeDirectoryMappings=[{"Entry": "/", "Target": "/inbox/alice"}])
        user = self.transfer.describe_user(ServerId=server_id, UserName="alice")["User"]
        self.assertEqual(user["HomeDirectoryType"], "LOGICAL")
        self.assertEqual(user["HomeDirectoryMappings"], [{"Entry": "/", "Target": "/inbox/alice"}])
        response = self.error(self.transfer.create_user, ServerId=server_id, UserName="carol",
                              Role=ROLE, HomeDirectoryType="LOGICAL")
        self.assertEqual(response["Error"]["Code"], "InvalidRequestException")

        self.transfer.delete_user(ServerId=server_id, UserName="alice")
        response = self.error(self.transfer.describe_user, ServerId=server_id, UserName="alice")
        self.assertEqual(response["ResourceType"], "User")
        response = self.error(self.transfer.create_user, ServerId="s-00000000000000000",
                              UserName="bob", Role=ROLE)
        self.assertEqual(response["ResourceType"], "Server")
        self.transfer.delete_server(ServerId=server_id)

    def test_user_names_and_keys_follow_the_model(self):
        server_id = self.transfer.create_server()["ServerId"]
        status, body = raw_call(self.server, "CreateUser",
                                {"ServerId": server_id, "UserName": "a", "Role": ROLE})
        self.assertEqual(status, 400)
        self.assertEqual(body["__type"], "ValidationException")
        self.assertIn("userName", body["Message"])
        status, body = raw_call(self.server, "CreateUser",
                                {"ServerId": "s-XYZ", "UserName": "alice", "Role": ROLE})
        self.assertEqual(body["__type"], "ValidationException")
        status, body = raw_call(self.server, "CreateUser", {"ServerId": server_id,
                                                            "UserName": "alice"})
        self.assertIn("role", body["Message"])
        self.transfer.delete_server(ServerId=server_id)

    # -- tags -------------------------------------------------------------------------------------

    def test_tags(self):
        server_id = self.transfer.create_server()["ServerId"]
        arn = self.transfer.describe_server(ServerId=server_id)["Server"]["Arn"]
        self.transfer.tag_resource(Arn=arn, Tags=[{"Key": "a", "Value": "1"},
                                                  {"Key": "b", "Value": "2"}])
        self.transfer.untag_resource(Arn=arn, TagKeys=["a"])
        tags = self.transfer.list_tags_for_resource(Arn=arn)
        self.assertEqual(tags["Arn"], arn)
        self.assertEqual(tags["Tags"], [{"Key": "b", "Value": "2"}])
        response = self.error(self.transfer.tag_resource,
                              Arn=arn.replace(server_id, "s-00000000000000000"),
                              Tags=[{"Key": "a", "Value": "1"}])
        self.assertEqual(response["Error"]["Code"], "ResourceNotFoundException")
        self.transfer.delete_server(ServerId=server_id)

    # -- executions and callbacks -----------------------------------------------------------------

    def test_send_workflow_step_state_errors(self):
        workflow_id = self.transfer.create_workflow(Steps=[DELETE_STEP])["WorkflowId"]
        execution_id = "0b7c1f5e-0000-4000-8000-000000000001"
        response = self.error(self.transfer.send_workflow_step_state,
                              WorkflowId="w-00000000000000000", ExecutionId=execution_id,
                              Token="abc", Status="SUCCESS")
        self.assertEqual(response["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(response["ResourceType"], "Workflow")
        response = self.error(self.transfer.send_workflow_step_state, WorkflowId=workflow_id,
                              ExecutionId=execution_id, Token="abc", Status="SUCCESS")
        self.assertEqual(response["ResourceType"], "Execution")
        response = self.error(self.transfer.describe_execution, WorkflowId=workflow_id,
                              ExecutionId=execution_id)
        self.assertEqual(response["Error"]["Code"], "ResourceNotFoundException")
        # The model's constraints: a UUID, \w{1,64}, SUCCESS or FAILURE.
        status, body = raw_call(self.server, "SendWorkflowStepState",
                                {"WorkflowId": workflow_id, "ExecutionId": "nope",
                                 "Token": "a-b", "Status": "MAYBE"})
        self.assertEqual(status, 400)
        self.assertEqual(body["__type"], "ValidationException")
        self.assertTrue(body["Message"].startswith("4 validation errors detected: "), body)

    def test_the_aws_cli_speaks_to_it(self):
        created = self.aws("create-workflow", "--steps", json.dumps([DELETE_STEP]),
                           service="transfer").json
        described = self.aws("describe-workflow", "--workflow-id", created["WorkflowId"],
                             service="transfer").json
        self.assertEqual(described["Workflow"]["Steps"], [DELETE_STEP])
        result = self.aws("send-workflow-step-state", "--workflow-id", created["WorkflowId"],
                          "--execution-id", "0b7c1f5e-0000-4000-8000-000000000001",
                          "--token", "abc", "--status", "SUCCESS", service="transfer",
                          check=False)
        self.assertCliError(result, "ResourceNotFoundException", "SendWorkflowStepState")
        skeleton = self.aws("send-workflow-step-state", "--generate-cli-skeleton",
                            service="transfer").json
        self.assertEqual(set(skeleton), {"WorkflowId", "ExecutionId", "Token", "Status"})
        # --cli-input-json reaches the same operation.
        result = self.aws("send-workflow-step-state", "--cli-input-json", json.dumps(
            {"WorkflowId": created["WorkflowId"], "ExecutionId": "0b7c1f5e-0000-4000-8000-"
             "000000000001", "Token": "abc", "Status": "FAILURE"}), service="transfer",
            check=False)
        self.assertCliError(result, "ResourceNotFoundException", "SendWorkflowStepState")


if __name__ == "__main__":
    unittest.main()
