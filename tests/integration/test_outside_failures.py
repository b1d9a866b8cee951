"""Failures of the outside world end as task errors that Retry and Catch see: a Lambda that runs
past its timeout, a Lambda that answers with something that is not JSON, an HTTP endpoint that
is down, an AWS service endpoint that is down. Each task is retried once and then caught; the
execution succeeds through its Catch, never stuck or crashed.
"""

import json
import os
import shutil
import socket
import stat
import tempfile
import unittest

from server import REGION, ACCOUNT, ServerTestCase, definition, history, wait_for_status

FUNCTIONS = {
    "slow": "#!/bin/sh\ncat > /dev/null\nsleep 30\necho '{}'\n",
    "garbage": "#!/bin/sh\ncat > /dev/null\necho 'this is not JSON'\n",
}


def closed_port():
    """A loopback port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def retried_then_caught(resource, parameters=None):
    task = {"Type": "Task", "Resource": resource, "TimeoutSeconds": 20,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": True}
    if parameters is not None:
        task["Parameters"] = parameters
    return {"Call": task, "Caught": {"Type": "Pass", "End": True}}


class OutsideFailuresTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="stepway-outside-")
        functions = os.path.join(cls.dir, "functions")
        os.mkdir(functions)
        for name, text in FUNCTIONS.items():
            path = os.path.join(functions, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        cls.down = "http://127.0.0.1:%d" % closed_port()
        cls.server_options = {"extra_args": ["--functions", functions, "--lambda-timeout", "1",
                                             "--endpoint", "sqs=" + cls.down]}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_caught(self, states):
        arn = self.create_machine(self.name(), definition(states))
        e = self.sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        d = wait_for_status(self.sfn, e, timeout=60)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        caught = json.loads(d["output"])["error"]
        events = [ev["type"] for ev in history(self.sfn, e)]
        return caught, events

    def assertTriedTwice(self, events, failed_type):
        self.assertEqual(events.count(failed_type) + events.count(failed_type.replace(
            "Failed", "TimedOut")), 2, events)

    def test_lambda_past_its_timeout(self):
        fn = "arn:aws:lambda:%s:%s:function:slow" % (REGION, ACCOUNT)
        caught, events = self.run_caught(retried_then_caught(fn))
        self.assertEqual(caught["Error"], "Lambda.Unknown", caught)
        self.assertTriedTwice(events, "LambdaFunctionFailed")

    def test_lambda_answering_something_not_json(self):
        caught, events = self.run_caught(retried_then_caught(
            "arn:aws:states:::lambda:invoke", {"FunctionName": "garbage", "Payload": {}}))
        self.assertEqual(caught["Error"], "Lambda.Unknown", caught)
        self.assertIn("not valid JSON", caught["Cause"])
        self.assertTriedTwice(events, "TaskFailed")

    def test_http_endpoint_down(self):
        caught, events = self.run_caught(retried_then_caught(
            "arn:aws:states:::http:invoke",
            {"ApiEndpoint": self.down + "/x", "Method": "GET"}))
        self.assertEqual(caught["Error"], "States.Http.Socket", caught)
        self.assertTriedTwice(events, "TaskFailed")

    def test_aws_service_endpoint_down(self):
        caught, events = self.run_caught(retried_then_caught(
            "arn:aws:states:::sqs:sendMessage",
            {"QueueUrl": self.down + "/000000000000/q", "MessageBody": "hi"}))
        self.assertEqual(caught["Error"], "SQS.SdkClientException", caught)
        self.assertTriedTwice(events, "TaskFailed")


if __name__ == "__main__":
    unittest.main()
