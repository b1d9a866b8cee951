"""Executions over the wire: Start (idempotency), StartSync, Describe, List, Stop and
GetExecutionHistory, with boto3 and the aws CLI."""

import json
import unittest

from server import (ACCOUNT, REGION, ServerTestCase, definition, history, wait_definition,
                    wait_for_status)

# Runs until stopped (a day's Wait, 864 s at the suite's wait-time scale of 0.01).
FOREVER = wait_definition(86400)
ADD = definition({"A": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
                        "Next": "B"},
                  "B": {"Type": "Pass", "End": True}})
FAIL = definition({"F": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it failed"}})


class ExecutionTest(ServerTestCase):

    def test_start_describe_succeeded_with_boto3(self):
        arn = self.create_machine(self.name(), ADD)
        start = self.sfn.start_execution(stateMachineArn=arn, name="run-1",
                                         input=json.dumps({"a": 2, "b": 3}))
        self.assertEqual(start["executionArn"],
                         "arn:aws:states:%s:%s:execution:%s:run-1" % (REGION, ACCOUNT,
                                                                      self.name()))
        d = wait_for_status(self.sfn, start["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"sum": 5})
        self.assertEqual(json.loads(d["input"]), {"a": 2, "b": 3})
        self.assertEqual(d["stateMachineArn"], arn)
        self.assertEqual(d["name"], "run-1")
        self.assertGreaterEqual(d["stopDate"], d["startDate"])
        failed = self.sfn.start_execution(
            stateMachineArn=self.create_machine(self.name("-fail"), FAIL))["executionArn"]
        d = wait_for_status(self.sfn, failed)
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("FAILED", "Custom.Error", "it failed"))

    def test_start_describe_with_the_cli(self):
        arn = self.create_machine(self.name(), ADD)
        start = self.aws("start-execution", "--state-machine-arn", arn, "--input",
                         '{"a": 40, "b": 2}').json
        self.assertIn("startDate", start)
        wait_for_status(self.sfn, start["executionArn"])
        d = self.aws("describe-execution", "--execution-arn", start["executionArn"]).json
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"sum": 42})
        missing = self.aws("describe-execution", "--execution-arn",
                           start["executionArn"] + "x", check=False)
        self.assertCliError(missing, "ExecutionDoesNotExist", "DescribeExecution")
        bad_input = self.aws("start-execution", "--state-machine-arn", arn, "--input", "{nope",
                             check=False)
        self.assertCliError(bad_input, "InvalidExecutionInput", "StartExecution")

    def test_start_is_idempotent_while_running(self):
        arn = self.create_machine(self.name(), FOREVER)
        first = self.sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 1}')
        again = self.sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 1}')
        self.assertEqual(first["executionArn"], again["executionArn"])
        self.assertEqual(first["startDate"], again["startDate"])
        with self.assertRaises(self.sfn.exceptions.ExecutionAlreadyExists):
            self.sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 2}')
        cli = self.aws("start-execution", "--state-machine-arn", arn, "--name", "same",
                       "--input", '{"x": 1}').json
        self.assertEqual(cli["executionArn"], first["executionArn"])
        clash = self.aws("start-execution", "--state-machine-arn", arn, "--name", "same",
                         "--input", '{"x": 3}', check=False)
        self.assertCliError(clash, "ExecutionAlreadyExists", "StartExecution")
        # Once it has ended, the same request is a clash too.
        self.sfn.stop_execution(executionArn=first["executionArn"])
        with self.assertRaises(self.sfn.exceptions.ExecutionAlreadyExists):
            self.sfn.start_execution(stateMachineArn=arn, name="same", input='{"x": 1}')
        with self.assertRaises(self.sfn.exceptions.InvalidName):
            self.sfn.start_execution(stateMachineArn=arn, name="bad name")

    def test_stop_execution(self):
        arn = self.create_machine(self.name(), FOREVER)
        e = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        stop = self.sfn.stop_execution(executionArn=e, error="Operator.Stop", cause="enough")
        self.assertIn("stopDate", stop)
        d = self.sfn.describe_execution(executionArn=e)
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("ABORTED", "Operator.Stop", "enough"))
        self.assertEqual(history(self.sfn, e)[-1]["type"], "ExecutionAborted")
        # Stopping a finished execution changes nothing.
        self.sfn.stop_execution(executionArn=e)
        self.assertEqual(self.sfn.describe_execution(executionArn=e)["status"], "ABORTED")
        e2 = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        out = self.aws("stop-execution", "--execution-arn", e2).json
        self.assertIn("stopDate", out)
        self.assertEqual(self.sfn.describe_execution(executionArn=e2)["status"], "ABORTED")
        with self.assertRaises(self.sfn.exceptions.ExecutionDoesNotExist):
            self.sfn.stop_execution(executionArn=e2 + "-missing")
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            self.sfn.stop_execution(executionArn="arn:nope")

    def test_start_sync_execution(self):
        express = self.create_machine(self.name(), ADD, type_="EXPRESS")
        out = self.sfn.start_sync_execution(stateMachineArn=express, name="sync-1",
                                            input='{"a": 1, "b": 2}')
        self.assertEqual(out["status"], "SUCCEEDED")
        self.assertEqual(json.loads(out["output"]), {"sum": 3})
        self.assertIn(":express:", out["executionArn"])
        self.assertIn("billingDetails", out)
        failing = self.create_machine(self.name("-fail"), FAIL, type_="EXPRESS")
        out = self.sfn.start_sync_execution(stateMachineArn=failing)
        self.assertEqual((out["status"], out["error"], out["cause"]),
                         ("FAILED", "Custom.Error", "it failed"))
        standard = self.create_machine(self.name("-std"))
        with self.assertRaises(self.sfn.exceptions.StateMachineTypeNotSupported):
            self.sfn.start_sync_execution(stateMachineArn=standard)
        cli = self.aws("start-sync-execution", "--state-machine-arn", express, "--input",
                       '{"a": 5, "b": 6}').json
        self.assertEqual(cli["status"], "SUCCEEDED")
        self.assertEqual(json.loads(cli["output"]), {"sum": 11})
        # An asynchronous start of an EXPRESS machine lists and describes.
        e = self.sfn.start_execution(stateMachineArn=express, input='{"a": 1, "b": 1}')
        self.assertIn(":express:", e["executionArn"])
        wait_for_status(self.sfn, e["executionArn"])
        listed = self.sfn.list_executions(stateMachineArn=express)["executions"]
        self.assertIn(e["executionArn"], [x["executionArn"] for x in listed])

    def test_list_executions_filter_and_pagination(self):
        arn = self.create_machine(self.name(), FOREVER)
        running = [self.sfn.start_execution(stateMachineArn=arn, name="r%d" % i)["executionArn"]
                   for i in range(5)]
        for e in running[:2]:
            self.sfn.stop_execution(executionArn=e)
        aborted = set(running[:2])
        still = set(running[2:])
        listed = self.sfn.list_executions(stateMachineArn=arn)["executions"]
        self.assertEqual({x["executionArn"] for x in listed}, set(running))
        by = lambda status: {x["executionArn"] for p in self.sfn.get_paginator(
            "list_executions").paginate(stateMachineArn=arn, statusFilter=status)
            for x in p["executions"]}
        self.assertEqual(by("RUNNING"), still)
        self.assertEqual(by("ABORTED"), aborted)
        self.assertEqual(by("SUCCEEDED"), set())
        seen = []
        kwargs = {"stateMachineArn": arn, "maxResults": 2}
        while True:
            page = self.sfn.list_executions(**kwargs)
            self.assertLessEqual(len(page["executions"]), 2)
            seen += [x["executionArn"] for x in page["executions"]]
            if "nextToken" not in page:
                break
            kwargs["nextToken"] = page["nextToken"]
        self.assertEqual(sorted(seen), sorted(running))
        cli = self.aws("list-executions", "--state-machine-arn", arn, "--status-filter",
                       "RUNNING", "--page-size", "1").json
        self.assertEqual({x["executionArn"] for x in cli["executions"]}, still)
        for x in cli["executions"]:
            self.assertEqual(x["status"], "RUNNING")
        bad = self.aws("list-executions", "--state-machine-arn", arn, "--status-filter",
                       "SLEEPING", check=False)
        self.assertCliError(bad, "ValidationException", "ListExecutions")
        with self.assertRaises(self.sfn.exceptions.ValidationException) as e:
            self.sfn.list_executions(stateMachineArn=arn, statusFilter="SLEEPING")
        self.assertIn("1 validation error detected: Value 'SLEEPING' at 'statusFilter' failed "
                      "to satisfy constraint: Member must satisfy enum value set",
                      e.exception.response["Error"]["Message"])
        with self.assertRaises(self.sfn.exceptions.StateMachineDoesNotExist):
            self.sfn.list_executions(stateMachineArn=arn + "-missing")
        for e in running[2:]:
            self.sfn.stop_execution(executionArn=e)

    def test_execution_history(self):
        steps = {"S%d" % i: {"Type": "Pass", "Next": "S%d" % (i + 1)} for i in range(5)}
        steps["S5"] = {"Type": "Pass", "End": True}
        arn = self.create_machine(self.name(), definition(steps, start="S0"))
        e = self.sfn.start_execution(stateMachineArn=arn, input='{"secret": 7}')["executionArn"]
        wait_for_status(self.sfn, e)
        full = self.sfn.get_execution_history(executionArn=e)["events"]
        self.assertEqual(full[0]["type"], "ExecutionStarted")
        self.assertEqual(full[-1]["type"], "ExecutionSucceeded")
        self.assertEqual([x["id"] for x in full], list(range(1, len(full) + 1)))
        self.assertEqual(len(full), 2 + 2 * 6)
        # Pages of 4, forward and backward.
        for reverse in (False, True):
            events, kwargs, pages = [], {"executionArn": e, "maxResults": 4,
                                         "reverseOrder": reverse}, 0
            while True:
                page = self.sfn.get_execution_history(**kwargs)
                self.assertLessEqual(len(page["events"]), 4)
                events += page["events"]
                pages += 1
                if "nextToken" not in page:
                    break
                kwargs["nextToken"] = page["nextToken"]
            self.assertEqual(pages, 4)
            expected = list(reversed(full)) if reverse else full
            self.assertEqual([x["id"] for x in events], [x["id"] for x in expected])
        # Without data: no input or output, only their details.
        bare = self.sfn.get_execution_history(executionArn=e, includeExecutionData=False)[
            "events"]
        started = bare[0]["executionStartedEventDetails"]
        self.assertNotIn("input", started)
        self.assertIn("roleArn", started)
        succeeded = bare[-1]["executionSucceededEventDetails"]
        self.assertNotIn("output", succeeded)
        self.assertIn("secret", full[0]["executionStartedEventDetails"]["input"])
        # The CLI: reverse order, one page of 3 with --no-paginate.
        cli = self.aws("get-execution-history", "--execution-arn", e, "--reverse-order",
                       "--max-results", "3", "--no-paginate").json
        self.assertEqual([x["id"] for x in cli["events"]], [full[-1]["id"], full[-2]["id"],
                                                             full[-3]["id"]])
        self.assertIn("nextToken", cli)
        cli_all = self.aws("get-execution-history", "--execution-arn", e, "--page-size", "5",
                           "--no-include-execution-data").json
        self.assertEqual(len(cli_all["events"]), len(full))
        self.assertNotIn("input", cli_all["events"][0]["executionStartedEventDetails"])
        with self.assertRaises(self.sfn.exceptions.ExecutionDoesNotExist):
            self.sfn.get_execution_history(executionArn=e + "-missing")
        with self.assertRaises(self.sfn.exceptions.InvalidToken):
            self.sfn.get_execution_history(executionArn=e, nextToken="garbage")

    def test_execution_arn_errors(self):
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            self.sfn.describe_execution(executionArn="garbage")
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            self.sfn.describe_execution(
                executionArn="arn:aws:states:%s:%s:stateMachine:m" % (REGION, ACCOUNT))
        missing = "arn:aws:states:%s:%s:execution:m:e" % (REGION, ACCOUNT)
        with self.assertRaises(self.sfn.exceptions.ExecutionDoesNotExist):
            self.sfn.describe_execution(executionArn=missing)
        result = self.aws("get-execution-history", "--execution-arn", missing, check=False)
        self.assertCliError(result, "ExecutionDoesNotExist", "GetExecutionHistory")

    def test_wait_state_runs_to_the_end(self):
        arn = self.create_machine(self.name(), wait_definition(100))  # 1 s scaled
        e = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        self.assertEqual(self.sfn.describe_execution(executionArn=e)["status"], "RUNNING")
        self.assertEqual(wait_for_status(self.sfn, e)["status"], "SUCCEEDED")
        types = [x["type"] for x in history(self.sfn, e)]
        self.assertIn("WaitStateEntered", types)
        self.assertIn("WaitStateExited", types)


if __name__ == "__main__":
    unittest.main()
