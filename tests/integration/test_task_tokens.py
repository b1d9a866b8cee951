"""Every answer of SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: success, and each
error (InvalidToken, TaskDoesNotExist, TaskTimedOut, InvalidOutput, ValidationException), with
boto3 and the aws CLI.

A token is base64url(version | task id | nonce | execution ARN | MAC) with a 16-byte
HMAC-SHA256 under the data folder's token.key (src/runtime/task_token.h); the tests take tokens
apart and forge them with that key to reach the errors a real worker can meet.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import unittest

from server import (ACCOUNT, REGION, Server, ServerTestCase, callback_definition,
                    callback_token, definition, history, wait_for_status)

MAC_BYTES = 16
HEADER_BYTES = 1 + 8 + 8


def decode(token):
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    version, task_id, nonce = struct.unpack(">BQQ", raw[:HEADER_BYTES])
    return version, task_id, nonce, raw[HEADER_BYTES:-MAC_BYTES].decode(), raw[-MAC_BYTES:]


def encode(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forge(key, execution_arn, task_id, nonce=12345):
    """A well-formed token, signed with `key` as the server signs its own."""
    body = struct.pack(">BQQ", 1, task_id, nonce) + execution_arn.encode()
    return encode(body + hmac.new(key, body, hashlib.sha256).digest()[:MAC_BYTES])


def read_key(server):
    with open(os.path.join(server.data_dir, "token.key"), "rb") as f:
        return f.read()


class TaskTokenTest(ServerTestCase):

    def start_callback(self, name=None, extra_states=None, **task):
        arn = self.create_machine(name or self.name(), callback_definition(extra_states, **task))
        e = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        return e, callback_token(self.sfn, e)

    def test_success_failure_and_heartbeat_deliver(self):
        e, token = self.start_callback(self.name("-ok"))
        version, task_id, _, arn, _ = decode(token)
        self.assertEqual((version, arn), (1, e))
        self.assertEqual(self.sfn.send_task_heartbeat(taskToken=token)["ResponseMetadata"][
            "HTTPStatusCode"], 200)
        self.sfn.send_task_success(taskToken=token, output='{"done": true}')
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"done": True}))
        # Failure, caught by name and shown to the Catch with its cause.
        e, token = self.start_callback(
            self.name("-fail"), {"Caught": {"Type": "Pass", "End": True}},
            Catch=[{"ErrorEquals": ["Worker.Broke"], "Next": "Caught"}])
        self.sfn.send_task_failure(taskToken=token, error="Worker.Broke", cause="a cause")
        d = wait_for_status(self.sfn, e)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"Error": "Worker.Broke", "Cause": "a cause"})
        # The CLI: heartbeat then success.
        e, token = self.start_callback(self.name("-cli"))
        self.assertEqual(self.aws("send-task-heartbeat", "--task-token", token).code, 0)
        self.aws("send-task-success", "--task-token", token, "--task-output", '[1, 2]')
        self.assertEqual(json.loads(wait_for_status(self.sfn, e)["output"]), [1, 2])

    def test_invalid_token(self):
        for garbage in ("garbage", "AAAA", "!!!not base64!!!", "x" * 400):
            with self.assertRaises(self.sfn.exceptions.InvalidToken, msg=garbage):
                self.sfn.send_task_success(taskToken=garbage, output="{}")
            with self.assertRaises(self.sfn.exceptions.InvalidToken, msg=garbage):
                self.sfn.send_task_failure(taskToken=garbage)
            with self.assertRaises(self.sfn.exceptions.InvalidToken, msg=garbage):
                self.sfn.send_task_heartbeat(taskToken=garbage)
        e, token = self.start_callback()
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        # A flipped MAC bit, a flipped task id, another execution's ARN under the old MAC.
        mac_altered = encode(raw[:-1] + bytes([raw[-1] ^ 1]))
        id_altered = encode(raw[:8] + bytes([raw[8] ^ 1]) + raw[9:])
        arn_altered = encode(raw[:HEADER_BYTES] + (e + "x").encode() + raw[-MAC_BYTES:])
        for forged in (mac_altered, id_altered, arn_altered):
            with self.assertRaises(self.sfn.exceptions.InvalidToken):
                self.sfn.send_task_success(taskToken=forged, output="{}")
            with self.assertRaises(self.sfn.exceptions.InvalidToken):
                self.sfn.send_task_heartbeat(taskToken=forged)
        result = self.aws("send-task-success", "--task-token", mac_altered, "--task-output",
                          "{}", check=False)
        self.assertCliError(result, "InvalidToken", "SendTaskSuccess")
        result = self.aws("send-task-failure", "--task-token", "garbage", check=False)
        self.assertCliError(result, "InvalidToken", "SendTaskFailure")
        # The real token still works after all that.
        self.sfn.send_task_success(taskToken=token, output="{}")
        self.assertEqual(wait_for_status(self.sfn, e)["status"], "SUCCEEDED")

    def test_token_of_another_server_is_invalid(self):
        other = Server()
        try:
            other.start()
            sfn = other.client()
            arn = sfn.create_state_machine(name="m", definition=callback_definition(),
                                           roleArn="arn:aws:iam::1:role/r")["stateMachineArn"]
            e = sfn.start_execution(stateMachineArn=arn)["executionArn"]
            foreign = callback_token(sfn, e)
        finally:
            other.close()
        with self.assertRaises(self.sfn.exceptions.InvalidToken):
            self.sfn.send_task_success(taskToken=foreign, output="{}")

    def test_task_does_not_exist(self):
        key = read_key(self.server)
        never = "arn:aws:states:%s:%s:execution:%s:never-started" % (REGION, ACCOUNT,
                                                                    self.name())
        token = forge(key, never, task_id=3)
        with self.assertRaises(self.sfn.exceptions.TaskDoesNotExist):
            self.sfn.send_task_success(taskToken=token, output="{}")
        with self.assertRaises(self.sfn.exceptions.TaskDoesNotExist):
            self.sfn.send_task_failure(taskToken=token, error="E")
        with self.assertRaises(self.sfn.exceptions.TaskDoesNotExist):
            self.sfn.send_task_heartbeat(taskToken=token)
        result = self.aws("send-task-heartbeat", "--task-token", token, check=False)
        self.assertCliError(result, "TaskDoesNotExist", "SendTaskHeartbeat")

    def test_task_of_a_forgotten_execution_does_not_exist(self):
        # The memory store forgets executions on restart; the token key in the data folder
        # stays, so the old token is well-formed and signed, but names no known task.
        server = Server(store="memory")
        try:
            server.start()
            sfn = server.client()
            arn = sfn.create_state_machine(name="m", definition=callback_definition(),
                                           roleArn="arn:aws:iam::1:role/r")["stateMachineArn"]
            e = sfn.start_execution(stateMachineArn=arn)["executionArn"]
            token = callback_token(sfn, e)
            server.restart()
            sfn = server.client()
            with self.assertRaises(sfn.exceptions.TaskDoesNotExist):
                sfn.send_task_success(taskToken=token, output="{}")
        finally:
            server.close()

    def test_timed_out_after_completion(self):
        e, token = self.start_callback()
        self.sfn.send_task_success(taskToken=token, output="{}")
        wait_for_status(self.sfn, e)
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=token, output="{}")
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_failure(taskToken=token)
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_heartbeat(taskToken=token)
        result = self.aws("send-task-success", "--task-token", token, "--task-output", "{}",
                          check=False)
        self.assertCliError(result, "TaskTimedOut", "SendTaskSuccess")
        # A completed task of a still-running execution: the second answer is late too.
        machine = self.create_machine(self.name("-two"), definition({
            "T1": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                   "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}, "Next": "T2"},
            "T2": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                   "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}))
        e = self.sfn.start_execution(stateMachineArn=machine)["executionArn"]
        first = callback_token(self.sfn, e)
        self.sfn.send_task_success(taskToken=first, output="{}")
        second = callback_token(self.sfn, e)
        while second == first:
            second = callback_token(self.sfn, e)
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_failure(taskToken=first, error="late")
        self.sfn.send_task_success(taskToken=second, output='"fine"')
        self.assertEqual(wait_for_status(self.sfn, e)["output"], '"fine"')

    def test_timed_out_by_timeout_seconds(self):
        # TimeoutSeconds is real time: --wait-time-scale shortens only Waits and retries.
        e, token = self.start_callback(TimeoutSeconds=1)
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.Timeout"))
        self.assertIn("TaskTimedOut", [x["type"] for x in history(self.sfn, e)])
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=token, output="{}")

    def test_timed_out_by_heartbeat_seconds(self):
        e, token = self.start_callback(HeartbeatSeconds=1)
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.HeartbeatTimeout"))
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_heartbeat(taskToken=token)
        result = self.aws("send-task-heartbeat", "--task-token", token, check=False)
        self.assertCliError(result, "TaskTimedOut", "SendTaskHeartbeat")

    def test_timed_out_when_the_execution_was_stopped(self):
        e, token = self.start_callback()
        self.sfn.stop_execution(executionArn=e)
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=token, output="{}")
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_heartbeat(taskToken=token)
        self.assertEqual(self.sfn.describe_execution(executionArn=e)["status"], "ABORTED")

    def test_invalid_output(self):
        e, token = self.start_callback()
        with self.assertRaises(self.sfn.exceptions.InvalidOutput):
            self.sfn.send_task_success(taskToken=token, output="{not json")
        result = self.aws("send-task-success", "--task-token", token, "--task-output", "nope",
                          check=False)
        self.assertCliError(result, "InvalidOutput", "SendTaskSuccess")
        # The task is still open: valid output completes it.
        self.sfn.send_task_success(taskToken=token, output="{}")
        self.assertEqual(wait_for_status(self.sfn, e)["status"], "SUCCEEDED")

    def test_validation_limits(self):
        e, token = self.start_callback()
        too_long_output = json.dumps("x" * 262144)  # 262146 characters with the quotes
        with self.assertRaises(self.sfn.exceptions.ValidationException) as c:
            self.sfn.send_task_success(taskToken=token, output=too_long_output)
        self.assertEqual(c.exception.response["Error"]["Message"],
                         "1 validation error detected: Value at 'output' failed to satisfy "
                         "constraint: Member must have size less than or equal to 262144 bytes "
                         "in UTF-8 encoding")
        # The limit counts UTF-8 bytes, not characters: 131073 two-byte characters are over.
        with self.assertRaises(self.sfn.exceptions.ValidationException):
            self.sfn.send_task_success(taskToken=token, output=json.dumps("\u00fc" * 131072,
                                                                          ensure_ascii=False))
        with self.assertRaises(self.sfn.exceptions.ValidationException) as c:
            self.sfn.send_task_failure(taskToken=token, error="E" * 257)
        self.assertIn("1 validation error detected: Value at 'error' failed to satisfy "
                      "constraint: Member must have length less than or equal to 256",
                      c.exception.response["Error"]["Message"])
        with self.assertRaises(self.sfn.exceptions.ValidationException) as c:
            self.sfn.send_task_failure(taskToken=token, cause="C" * 32769)
        self.assertIn("1 validation error detected: Value at 'cause' failed to satisfy "
                      "constraint: Member must have length less than or equal to 32768",
                      c.exception.response["Error"]["Message"])
        with self.assertRaises(self.sfn.exceptions.ValidationException) as c:
            self.sfn.send_task_failure(taskToken=token, error="E" * 257, cause="C" * 32769)
        self.assertTrue(c.exception.response["Error"]["Message"].startswith(
            "2 validation errors detected: "), c.exception.response["Error"]["Message"])
        result = self.aws("send-task-failure", "--task-token", token, "--error", "E" * 257,
                          check=False)
        self.assertCliError(result, "ValidationException", "SendTaskFailure")
        # At the limits exactly, all is well: the task fails with that error and cause.
        self.sfn.send_task_failure(taskToken=token, error="E" * 256, cause="C" * 32768)
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], d["error"], len(d["cause"])), ("FAILED", "E" * 256, 32768))
        e, token = self.start_callback(self.name("-max"))
        exact = json.dumps("y" * 262142)
        self.assertEqual(len(exact), 262144)
        self.sfn.send_task_success(taskToken=token, output=exact)
        self.assertEqual(wait_for_status(self.sfn, e)["output"], exact)


if __name__ == "__main__":
    unittest.main()
