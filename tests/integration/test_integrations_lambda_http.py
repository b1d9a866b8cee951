"""Lambda and the HTTP Task end to end: `stepway serve --functions DIR` runs shell-script
functions, two of which call back with the aws CLI (`send-task-success`, `send-task-failure`)
for `lambda:invoke.waitForTaskToken`; request-response Lambdas in both resource forms, with a
function error caught by its errorType; and `http:invoke` against a local Python http.server,
authenticated through a `--connections` API key.
"""

import http.server
import json
import os
import shutil
import stat
import tempfile
import threading
import unittest

from server import (ACCOUNT, REGION, Server, ServerTestCase, _aws_program, definition, history,
                    wait_for_status)

CONNECTION = "arn:aws:events:%s:%s:connection/local-api/1d3c4a52-0000-4000-8000-000000000001" % (
    REGION, ACCOUNT)


def function_arn(name):
    return "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, name)


# The event's field, read with python3 (the functions are shell scripts).
FIELD = "python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])'"

# Calls the server back with the aws CLI: $STEPWAY_ENDPOINT is this server (set by stepway).
CALLBACK_PRELUDE = """#!/bin/sh
set -e
event=$(mktemp); cat > "$event"
token=$(%(field)s "$event" token)
rm -f "$event"
export AWS_ACCESS_KEY_ID=AKIDLAMBDA AWS_SECRET_ACCESS_KEY=lambda-secret AWS_DEFAULT_REGION=%(region)s
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=
echo "calling back $STEPWAY_EXECUTION_ARN" >&2
"""

FUNCTIONS = {
    "succeed_callback": CALLBACK_PRELUDE + """\
"%(aws)s" --endpoint-url "$STEPWAY_ENDPOINT" stepfunctions send-task-success \\
    --task-token "$token" --task-output '{"fromLambda": true, "by": "succeed_callback"}' >&2
echo '{"sent": true}'
""",
    "fail_callback": CALLBACK_PRELUDE + """\
"%(aws)s" --endpoint-url "$STEPWAY_ENDPOINT" stepfunctions send-task-failure \\
    --task-token "$token" --error Worker.Broke --cause "the lambda said no" >&2
echo '{"sent": true}'
""",
    "hello": """#!/bin/sh
event=$(mktemp); cat > "$event"
name=$(%(field)s "$event" name)
rm -f "$event"
echo "greeting $name" >&2
printf '{"greeting": "hello %%s", "function": "%%s"}\\n' "$name" "$AWS_LAMBDA_FUNCTION_NAME"
""",
    "fails": """#!/bin/sh
cat > /dev/null
echo '{"errorType": "OrderRejected", "errorMessage": "out of stock"}'
exit 1
""",
}


class Api(http.server.BaseHTTPRequestHandler):
    """A small JSON API: GET /items/ID, POST /orders (echoes), anything else 404."""

    def _answer(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/items/"):
            self._answer(200, json.dumps({"id": self.path.split("?")[0][len("/items/"):],
                                          "path": self.path,
                                          "apiKey": self.headers.get("X-Api-Key")}))
        else:
            self._answer(404, json.dumps({"message": "no route for " + self.path}))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self._answer(201, json.dumps({"received": body,
                                      "contentType": self.headers.get("Content-Type")}))

    def log_message(self, *args):
        pass


class LambdaAndHttpTaskTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="stepway-functions-")
        functions = os.path.join(cls.dir, "functions")
        os.mkdir(functions)
        values = {"aws": _aws_program(), "field": FIELD, "region": REGION}
        for name, text in FUNCTIONS.items():
            path = os.path.join(functions, name)
            with open(path, "w") as f:
                f.write(text % values)
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        connections = os.path.join(cls.dir, "connections.json")
        with open(connections, "w") as f:
            json.dump({CONNECTION: {"ApiKey": {"Key": "X-Api-Key", "Value": "local-key"}}}, f)
        cls.api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
        cls.api_thread = threading.Thread(target=cls.api.serve_forever, daemon=True)
        cls.api_thread.start()
        cls.api_url = "http://127.0.0.1:%d" % cls.api.server_address[1]
        cls.server_options = {"extra_args": ["--functions", functions, "--connections",
                                             connections, "--lambda-timeout", "60"]}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.api.shutdown()
        cls.api.server_close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_machine(self, states, execution_input=None, timeout=60):
        arn = self.create_machine(self.name(), definition(states))
        e = self.sfn.start_execution(stateMachineArn=arn,
                                     input=json.dumps(execution_input or {}))["executionArn"]
        return e, wait_for_status(self.sfn, e, timeout=timeout)

    def test_wait_for_task_token_lambda_sends_task_success(self):
        e, d = self.run_machine({"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "succeed_callback",
                           "Payload": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
            "End": True}}, {"order": 7})
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"fromLambda": True, "by": "succeed_callback"})
        # (The function called back before it returned, so the token closed the task before
        # the invocation's response could be recorded as TaskSubmitted.)
        types = [ev["type"] for ev in history(self.sfn, e)]
        self.assertIn("TaskSucceeded", types)
        # The function's stderr is in the server's log, under the execution's ARN.
        self.assertIn("%s lambda succeed_callback: calling back %s" % (e, e),
                      self.server.log_text())

    def test_wait_for_task_token_lambda_sends_task_failure_caught(self):
        e, d = self.run_machine({
            "Call": {"Type": "Task",
                     "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                     "Parameters": {"FunctionName": function_arn("fail_callback"),
                                    "Payload": {"token.$": "$$.Task.Token"}},
                     "Catch": [{"ErrorEquals": ["Worker.Broke"], "ResultPath": "$.failure",
                                "Next": "Handled"}],
                     "End": True},
            "Handled": {"Type": "Pass", "End": True}}, {"order": 8})
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]),
                         {"order": 8, "failure": {"Error": "Worker.Broke",
                                                  "Cause": "the lambda said no"}})

    def test_request_response_lambda_in_both_forms(self):
        e, d = self.run_machine({
            "Legacy": {"Type": "Task", "Resource": function_arn("hello"),
                       "ResultPath": "$.legacy", "Next": "Invoke"},
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "hello:$LATEST", "Payload.$": "$"},
                       "ResultSelector": {"payload.$": "$.Payload", "status.$": "$.StatusCode",
                                          "version.$": "$.ExecutedVersion",
                                          "requestId.$": "$.SdkResponseMetadata.RequestId"},
                       "ResultPath": "$.invoke", "End": True}}, {"name": "ada"})
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["legacy"], {"greeting": "hello ada", "function": "hello"})
        self.assertEqual(out["invoke"]["payload"], {"greeting": "hello ada", "function": "hello"})
        self.assertEqual(out["invoke"]["status"], 200)
        self.assertEqual(out["invoke"]["version"], "$LATEST")
        self.assertEqual(len(out["invoke"]["requestId"]), 36)
        types = [ev["type"] for ev in history(self.sfn, e)]
        for t in ("LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
                  "TaskScheduled", "TaskStarted", "TaskSucceeded"):
            self.assertIn(t, types)

    def test_function_error_is_caught_by_its_error_type(self):
        e, d = self.run_machine({
            "Call": {"Type": "Task", "Resource": function_arn("fails"),
                     "Catch": [{"ErrorEquals": ["OrderRejected"], "Next": "Rejected"}],
                     "End": True},
            "Rejected": {"Type": "Pass", "End": True}})
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["Error"], "OrderRejected")
        self.assertEqual(json.loads(out["Cause"]),
                         {"errorType": "OrderRejected", "errorMessage": "out of stock"})
        failed = [ev for ev in history(self.sfn, e) if ev["type"] == "LambdaFunctionFailed"]
        self.assertEqual(failed[0]["lambdaFunctionFailedEventDetails"]["error"], "OrderRejected")

    def test_missing_function_fails_the_execution(self):
        e, d = self.run_machine({"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "nobody"}, "End": True}})
        self.assertEqual(d["status"], "FAILED", d)
        self.assertEqual(d["error"], "Lambda.ResourceNotFoundException")
        self.assertIn("Function not found: " + function_arn("nobody"), d["cause"])

    def test_http_task_against_a_local_api(self):
        e, d = self.run_machine({
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                    "Parameters": {"ApiEndpoint.$": "States.Format('{}/items/{}', $.api, $.id)",
                                   "Method": "GET",
                                   "QueryParameters": {"expand": "all"},
                                   "Authentication": {"ConnectionArn": CONNECTION}},
                    "ResultSelector": {"body.$": "$.ResponseBody", "status.$": "$.StatusCode",
                                       "text.$": "$.StatusText",
                                       "type.$": "$.Headers.content-type"},
                    "ResultPath": "$.get", "Next": "Post"},
            "Post": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                     "Parameters": {"ApiEndpoint.$": "States.Format('{}/orders', $.api)",
                                    "Method": "POST",
                                    "RequestBody": {"item.$": "$.id", "tags": ["a", "b"]},
                                    "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                                                  "RequestEncodingOptions": {
                                                      "ArrayFormat": "BRACKETS"}}},
                     "ResultSelector": {"body.$": "$.ResponseBody", "status.$": "$.StatusCode"},
                     "ResultPath": "$.post", "Next": "Missing"},
            "Missing": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                        "Parameters": {"ApiEndpoint.$": "States.Format('{}/nowhere', $.api)",
                                       "Method": "GET"},
                        "Catch": [{"ErrorEquals": ["States.Http.StatusCode.404"],
                                   "ResultPath": "$.missing", "Next": "Done"}],
                        "End": True},
            "Done": {"Type": "Pass", "End": True}}, {"api": self.api_url, "id": "42"})
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["get"], {"body": {"id": "42", "path": "/items/42?expand=all",
                                               "apiKey": "local-key"},
                                      "status": 200, "text": "OK",
                                      "type": ["application/json"]})
        self.assertEqual(out["post"], {"body": {
            "received": "item=42&tags%5B%5D=a&tags%5B%5D=b",
            "contentType": "application/x-www-form-urlencoded"}, "status": 201})
        self.assertEqual(out["missing"]["Error"], "States.Http.StatusCode.404")
        cause = json.loads(out["missing"]["Cause"])
        self.assertEqual(cause["StatusCode"], 404)
        self.assertEqual(cause["ResponseBody"], {"message": "no route for /nowhere"})


class LambdaNotConfiguredTest(unittest.TestCase):
    """Without --functions or --lambda-endpoint, a Lambda task fails saying what to configure."""

    def test_lambda_without_configuration(self):
        with Server() as server:
            sfn = server.client()
            arn = sfn.create_state_machine(
                name="no-lambda", roleArn="arn:aws:iam::%s:role/r" % ACCOUNT,
                definition=definition({"Call": {"Type": "Task", "Resource": function_arn("f"),
                                                "End": True}}))["stateMachineArn"]
            e = sfn.start_execution(stateMachineArn=arn)["executionArn"]
            d = wait_for_status(sfn, e)
            self.assertEqual(d["status"], "FAILED", d)
            self.assertIn("--functions", d["cause"])


if __name__ == "__main__":
    unittest.main()
