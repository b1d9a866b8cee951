"""Task integrations end to end: nested executions (`states:startExecution.sync`) with the aws
CLI, Step Functions Local's mock config (`--mock-config`, `stateMachineArn#TestCase`) with
boto3, and `sqs:sendMessage.waitForTaskToken` against a tiny fake SQS (SigV4-signed, JSON 1.0)
whose recorded message carries the token the test then sends back.
"""

import http.server
import json
import os
import shutil
import tempfile
import threading
import unittest

import botocore.exceptions

from server import (ACCOUNT, REGION, ROLE, ServerTestCase, definition, history,
                    wait_for_status, wait_until)


def machine_arn(name):
    return "arn:aws:states:%s:%s:stateMachine:%s" % (REGION, ACCOUNT, name)


class NestedExecutionTest(ServerTestCase):

    def test_sync_parent_waits_for_child_with_the_cli(self):
        child = self.name("-child")
        parent = self.name("-parent")
        self.aws("create-state-machine", "--name", child, "--role-arn", ROLE, "--definition",
                 definition({"P": {"Type": "Pass", "Parameters": {"doubled.$":
                                                                  "States.MathAdd($.n, $.n)"},
                                   "End": True}}))
        self.aws("create-state-machine", "--name", parent, "--role-arn", ROLE, "--definition",
                 definition({"Call": {
                     "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                     "Parameters": {"StateMachineArn": machine_arn(child),
                                    "Input": {"n.$": "$.n",
                                              "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":
                                                  "$$.Execution.Id"}},
                     "End": True}}))
        started = self.aws("start-execution", "--state-machine-arn", machine_arn(parent),
                           "--input", '{"n": 21}').json
        d = wait_for_status(self.sfn, started["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        described = self.aws("describe-execution", "--execution-arn",
                             started["executionArn"]).json
        out = json.loads(described["output"])
        self.assertEqual(out["Status"], "SUCCEEDED")
        self.assertEqual(json.loads(out["Output"]), {"doubled": 42})
        self.assertEqual(out["StateMachineArn"], machine_arn(child))
        # The child saw its parent's id, as the definition passed it.
        child_input = json.loads(out["Input"])
        self.assertEqual(child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"],
                         started["executionArn"])
        children = self.aws("list-executions", "--state-machine-arn",
                            machine_arn(child)).json["executions"]
        self.assertEqual([c["executionArn"] for c in children], [out["ExecutionArn"]])

    def test_failed_child_fails_the_task_with_its_description(self):
        child = self.name("-child")
        parent = self.name("-parent")
        self.create_machine(child, definition({"F": {"Type": "Fail", "Error": "Child.Err",
                                                     "Cause": "bad"}}))
        self.create_machine(parent, definition({"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": machine_arn(child)}, "End": True}}))
        e = self.sfn.start_execution(stateMachineArn=machine_arn(parent))["executionArn"]
        d = wait_for_status(self.sfn, e)
        self.assertEqual(d["status"], "FAILED")
        self.assertEqual(d["error"], "States.TaskFailed")
        cause = json.loads(d["cause"])
        self.assertEqual((cause["Status"], cause["Error"], cause["Cause"]),
                         ("FAILED", "Child.Err", "bad"))


MOCK_MACHINE = "MockedMachine"
MOCK_CONFIG = {
    "StateMachines": {
        MOCK_MACHINE: {"TestCases": {
            "HappyPath": {"Invoke": "FlakyLambda", "Notify": "SentMessage"},
            "Broken": {"Invoke": "BrokenLambda"},
        }},
        MOCK_MACHINE + "Later": {"TestCases": {"Later": {"Invoke": "BrokenLambda"}}},
    },
    "MockedResponses": {
        "FlakyLambda": {
            "0-1": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "try again"}},
            "2": {"Return": {"StatusCode": 200, "Payload": {"greeting": "hello"}}},
        },
        "BrokenLambda": {"0": {"Throw": {"Error": "Lambda.Unknown", "Cause": "broken"}}},
        "SentMessage": {"0": {"Return": {"MessageId": "m-1"}}},
    },
}


class MockConfigTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.mock_dir = tempfile.mkdtemp(prefix="stepway-mock-")
        path = os.path.join(cls.mock_dir, "MockConfigFile.json")
        with open(path, "w") as f:
            json.dump(MOCK_CONFIG, f)
        cls.server_options = {"extra_args": ["--mock-config", path]}
        super().setUpClass()
        cls.arn = cls.sfn.create_state_machine(name=MOCK_MACHINE, roleArn=ROLE, definition=definition({
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "greeter", "Payload.$": "$"},
                       "Retry": [{"ErrorEquals": ["Lambda.ServiceException"],
                                  "IntervalSeconds": 1, "MaxAttempts": 3}],
                       "ResultSelector": {"greeting.$": "$.Payload.greeting"},
                       "ResultPath": "$.invoked", "Next": "Notify"},
            "Notify": {"Type": "Task",
                       "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                       "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                                      "MessageBody": {"token.$": "$$.Task.Token"}},
                       "ResultPath": "$.notified", "End": True}}))["stateMachineArn"]

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.mock_dir, ignore_errors=True)

    def test_happy_path_retries_through_throws_then_returns(self):
        e = self.sfn.start_execution(stateMachineArn=self.arn + "#HappyPath", name="happy",
                                     input='{"who": "world"}')["executionArn"]
        self.assertEqual(e, "arn:aws:states:%s:%s:execution:%s:happy" % (REGION, ACCOUNT,
                                                                        MOCK_MACHINE))
        d = wait_for_status(self.sfn, e)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"who": "world",
                                                   "invoked": {"greeting": "hello"},
                                                   "notified": {"MessageId": "m-1"}})
        types = [ev["type"] for ev in history(self.sfn, e)]
        self.assertEqual(types.count("TaskFailed"), 2, types)
        self.assertEqual(types.count("TaskSucceeded"), 2, types)

    def test_throw_without_retry_fails_the_execution(self):
        e = self.sfn.start_execution(stateMachineArn=self.arn + "#Broken")["executionArn"]
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("FAILED", "Lambda.Unknown", "broken"))

    def test_unknown_test_case_is_invalid_name(self):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            self.sfn.start_execution(stateMachineArn=self.arn + "#NoSuchCase")
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidName")

    def test_test_case_survives_a_restart(self):
        # The Wait (3 s at --wait-time-scale 0.01) spans the restart; the mock answers after it.
        arn = self.sfn.create_state_machine(name=MOCK_MACHINE + "Later", roleArn=ROLE,
                                            definition=definition({
            "W": {"Type": "Wait", "Seconds": 300, "Next": "Invoke"},
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "f"}, "End": True}}))["stateMachineArn"]
        e = self.sfn.start_execution(stateMachineArn=arn + "#Later")["executionArn"]
        self.server.restart()
        type(self).sfn = self.server.client()
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("FAILED", "Lambda.Unknown", "broken"))


class FakeSqs:
    """An SQS that speaks the JSON protocol on 127.0.0.1 and records what it was sent."""

    def __init__(self):
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fake.requests.append({"headers": dict(self.headers), "body": body.decode()})
                reply = json.dumps({"MD5OfMessageBody": "d41d8cd98f00b204e9800998ecf8427e",
                                    "MessageId": "msg-%d" % len(fake.requests)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("x-amzn-RequestId", "fake-request")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SqsCallbackTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.sqs = FakeSqs()
        cls.server_options = {"extra_args": [
            "--endpoint", "sqs=" + cls.sqs.url,
            "--aws-access-key-id", "AKIDSQSTEST", "--aws-secret-access-key", "sqs-secret"]}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.sqs.close()

    def test_send_message_wait_for_task_token(self):
        queue = "http://127.0.0.1/123456789012/jobs"
        arn = self.create_machine(self.name(), definition({"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue,
                           "MessageBody": {"job.$": "$.job", "token.$": "$$.Task.Token"}},
            "End": True}}))
        e = self.sfn.start_execution(stateMachineArn=arn, input='{"job": 7}')["executionArn"]
        request = wait_until(lambda: self.sqs.requests and self.sqs.requests[-1],
                             what="a SendMessage at the fake SQS")
        self.assertEqual(request["headers"]["X-Amz-Target"], "AmazonSQS.SendMessage")
        self.assertEqual(request["headers"]["Content-Type"], "application/x-amz-json-1.0")
        self.assertRegex(request["headers"]["Authorization"],
                         r"^AWS4-HMAC-SHA256 Credential=AKIDSQSTEST/\d{8}/us-east-1/sqs/"
                         r"aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$")
        sent = json.loads(request["body"])
        self.assertEqual(sent["QueueUrl"], queue)
        message = json.loads(sent["MessageBody"])
        self.assertEqual(message["job"], 7)

        wait_until(lambda: "TaskSubmitted" in [ev["type"] for ev in history(self.sfn, e)],
                   what="TaskSubmitted")
        self.assertEqual(self.sfn.describe_execution(executionArn=e)["status"], "RUNNING")
        self.aws("send-task-success", "--task-token", message["token"], "--task-output",
                 '{"processed": 7}')
        d = wait_for_status(self.sfn, e)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"processed": 7})
        submitted = [ev for ev in history(self.sfn, e) if ev["type"] == "TaskSubmitted"][0]
        output = json.loads(submitted["taskSubmittedEventDetails"]["output"])
        self.assertEqual(output["MessageId"], "msg-%d" % len(self.sqs.requests))

    def test_unconfigured_service_names_the_flag(self):
        arn = self.create_machine(self.name(), definition({"Put": {
            "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "t", "Item": {"id": {"S": "1"}}}, "End": True}}))
        e = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        d = wait_for_status(self.sfn, e)
        self.assertEqual(d["status"], "FAILED")
        self.assertEqual(d["error"], "States.TaskFailed")
        self.assertIn("--endpoint dynamodb=URL", d["cause"])


if __name__ == "__main__":
    unittest.main()
