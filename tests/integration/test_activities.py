"""Activities over the wire: Create/Describe/List/Delete, GetActivityTask's long poll, several
workers on one activity, heartbeats and their timeout, and Retry's new token."""

import concurrent.futures
import json
import threading
import time
import unittest

from server import (ACCOUNT, REGION, ROLE, Server, ServerTestCase, activity_definition,
                    definition, history, wait_for_event, wait_for_status)

ACTIVITY_PREFIX = "arn:aws:states:%s:%s:activity:" % (REGION, ACCOUNT)
POLL_SECONDS = 2


class ActivityTest(ServerTestCase):
    server_options = {"activity_poll_seconds": POLL_SECONDS}

    def poll(self, activity, worker="worker", sfn=None):
        return (sfn or self.server.client()).get_activity_task(activityArn=activity,
                                                               workerName=worker)

    def poll_until_task(self, activity, worker="worker", timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.poll(activity, worker, sfn=self.sfn)
            if task.get("taskToken"):
                return task
        raise AssertionError("no task for %s in %ss" % (activity, timeout))

    def test_create_describe_list_delete(self):
        arn = self.create_activity(self.name())
        self.assertEqual(arn, ACTIVITY_PREFIX + self.name())
        again = self.sfn.create_activity(name=self.name())
        self.assertEqual(again["activityArn"], arn)
        d = self.sfn.describe_activity(activityArn=arn)
        self.assertEqual(d["name"], self.name())
        self.assertIn("creationDate", d)
        cli = self.aws("create-activity", "--name", self.name("-cli")).json
        self.assertEqual(cli["activityArn"], ACTIVITY_PREFIX + self.name("-cli"))
        cli_d = self.aws("describe-activity", "--activity-arn", cli["activityArn"]).json
        self.assertEqual(cli_d["name"], self.name("-cli"))
        names = [self.name("-%d" % i) for i in range(5)]
        for n in names:
            self.create_activity(n)
        listed, kwargs = [], {"maxResults": 2}
        while True:
            page = self.sfn.list_activities(**kwargs)
            self.assertLessEqual(len(page["activities"]), 2)
            listed += [a["name"] for a in page["activities"]]
            if "nextToken" not in page:
                break
            kwargs["nextToken"] = page["nextToken"]
        self.assertEqual(len(listed), len(set(listed)))
        for n in names + [self.name(), self.name("-cli")]:
            self.assertIn(n, listed)
        cli_list = self.aws("list-activities", "--page-size", "3").json
        self.assertEqual(sorted(a["name"] for a in cli_list["activities"]), sorted(listed))
        self.sfn.delete_activity(activityArn=arn)
        self.aws("delete-activity", "--activity-arn", cli["activityArn"])
        with self.assertRaises(self.sfn.exceptions.ActivityDoesNotExist):
            self.sfn.describe_activity(activityArn=arn)
        result = self.aws("describe-activity", "--activity-arn", cli["activityArn"], check=False)
        self.assertCliError(result, "ActivityDoesNotExist", "DescribeActivity")
        with self.assertRaises(self.sfn.exceptions.ActivityDoesNotExist):
            self.sfn.get_activity_task(activityArn=arn)
        with self.assertRaises(self.sfn.exceptions.InvalidName):
            self.sfn.create_activity(name="no*stars")
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            self.sfn.describe_activity(activityArn=ACTIVITY_PREFIX.replace(":activity:",
                                                                           ":stateMachine:") + "x")

    def test_long_poll_answers_empty_when_nothing_comes(self):
        arn = self.create_activity(self.name())
        started = time.monotonic()
        task = self.poll(arn)
        waited = time.monotonic() - started
        self.assertNotIn("taskToken", task)
        self.assertGreaterEqual(waited, POLL_SECONDS - 0.5)
        self.assertLess(waited, POLL_SECONDS + 5)
        started = time.monotonic()
        cli = self.aws("get-activity-task", "--activity-arn", arn, "--worker-name", "cli")
        self.assertEqual(cli.code, 0, cli)
        self.assertNotIn("taskToken", cli.json)
        self.assertGreaterEqual(time.monotonic() - started, POLL_SECONDS - 0.5)

    def test_waiting_poller_gets_a_task_started_later(self):
        activity = self.create_activity(self.name())
        machine = self.create_machine(self.name(), activity_definition(activity))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            future = pool.submit(self.poll, activity, "late-worker")
            time.sleep(0.5)
            e = self.sfn.start_execution(stateMachineArn=machine,
                                         input='{"job": 7}')["executionArn"]
            task = future.result(timeout=POLL_SECONDS + 10)
        if "taskToken" not in task:  # the poll ran out just before the start: poll again
            task = self.poll_until_task(activity, "late-worker")
        self.assertEqual(json.loads(task["input"]), {"job": 7})
        self.sfn.send_task_success(taskToken=task["taskToken"], output='{"result": "done"}')
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"result": "done"}))
        started = [x for x in history(self.sfn, e) if x["type"] == "ActivityStarted"]
        self.assertEqual(len(started), 1)
        self.assertEqual(started[0]["activityStartedEventDetails"]["workerName"], "late-worker")

    def test_concurrent_pollers_get_different_tasks(self):
        activity = self.create_activity(self.name())
        machine = self.create_machine(self.name(), activity_definition(activity))
        workers = 4
        barrier = threading.Barrier(workers + 1)

        def worker(i):
            sfn = self.server.client()
            barrier.wait()
            return self.poll(activity, "w%d" % i, sfn=sfn)

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(worker, i) for i in range(workers)]
            barrier.wait()
            time.sleep(0.3)
            executions = [self.sfn.start_execution(stateMachineArn=machine,
                                                   input=json.dumps({"n": i}))["executionArn"]
                          for i in range(workers)]
            tasks = [f.result(timeout=POLL_SECONDS + 10) for f in futures]
        tasks = [t for t in tasks if t.get("taskToken")]
        while len(tasks) < workers:  # a poll that ran out before its task came
            tasks.append(self.poll_until_task(activity))
        tokens = [t["taskToken"] for t in tasks]
        self.assertEqual(len(set(tokens)), workers, "a task was handed out twice")
        self.assertEqual(sorted(json.loads(t["input"])["n"] for t in tasks),
                         list(range(workers)))
        for t in tasks:
            self.sfn.send_task_success(taskToken=t["taskToken"], output=t["input"])
        for e in executions:
            self.assertEqual(wait_for_status(self.sfn, e)["status"], "SUCCEEDED")
            events = history(self.sfn, e)
            self.assertEqual(len([x for x in events if x["type"] == "ActivityStarted"]), 1)
        # Nothing left over for a late poller.
        self.assertNotIn("taskToken", self.poll(activity))

    def test_worker_name_with_the_cli(self):
        activity = self.create_activity(self.name())
        machine = self.create_machine(self.name(), activity_definition(activity))
        e = self.sfn.start_execution(stateMachineArn=machine, input='{"cli": true}')[
            "executionArn"]
        task = self.aws("get-activity-task", "--activity-arn", activity, "--worker-name",
                        "cli-worker").json
        self.assertEqual(json.loads(task["input"]), {"cli": True})
        self.aws("send-task-success", "--task-token", task["taskToken"], "--task-output", "{}")
        self.assertEqual(wait_for_status(self.sfn, e)["status"], "SUCCEEDED")
        started = [x for x in history(self.sfn, e) if x["type"] == "ActivityStarted"][0]
        self.assertEqual(started["activityStartedEventDetails"]["workerName"], "cli-worker")

    def test_heartbeat_timeout_is_caught(self):
        activity = self.create_activity(self.name())
        machine = self.create_machine(self.name(), definition({
            "T": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 1, "End": True,
                  "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.err",
                             "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "End": True}}))
        e = self.sfn.start_execution(stateMachineArn=machine, input='{"k": 1}')["executionArn"]
        task = self.poll_until_task(activity)
        d = wait_for_status(self.sfn, e, timeout=10)
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"])["err"]["Error"], "States.HeartbeatTimeout")
        types = [x["type"] for x in history(self.sfn, e)]
        self.assertIn("ActivityTimedOut", types)
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=task["taskToken"], output="{}")

    def test_heartbeats_keep_the_task_alive(self):
        activity = self.create_activity(self.name())
        # Three seconds leave room for the CLI's start-up between two heartbeats.
        machine = self.create_machine(self.name(), activity_definition(activity,
                                                                       HeartbeatSeconds=3))
        e = self.sfn.start_execution(stateMachineArn=machine)["executionArn"]
        task = self.poll_until_task(activity)
        self.aws("send-task-heartbeat", "--task-token", task["taskToken"])
        deadline = time.monotonic() + 4  # past HeartbeatSeconds since the task started
        while time.monotonic() < deadline:
            self.sfn.send_task_heartbeat(taskToken=task["taskToken"])
            time.sleep(0.5)
        self.assertEqual(self.sfn.describe_execution(executionArn=e)["status"], "RUNNING")
        self.sfn.send_task_success(taskToken=task["taskToken"], output='"alive"')
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], d["output"]), ("SUCCEEDED", '"alive"'))

    def test_retry_gives_a_new_token(self):
        activity = self.create_activity(self.name())
        machine = self.create_machine(self.name(), activity_definition(
            activity, Retry=[{"ErrorEquals": ["Worker.Flaky"], "IntervalSeconds": 1,
                              "MaxAttempts": 2}]))
        e = self.sfn.start_execution(stateMachineArn=machine, input='{"try": 1}')[
            "executionArn"]
        first = self.poll_until_task(activity, "w1")
        self.sfn.send_task_failure(taskToken=first["taskToken"], error="Worker.Flaky",
                                   cause="try again")
        second = self.poll_until_task(activity, "w2")
        self.assertNotEqual(first["taskToken"], second["taskToken"])
        self.assertEqual(json.loads(second["input"]), {"try": 1})
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=first["taskToken"], output="{}")
        self.sfn.send_task_success(taskToken=second["taskToken"], output='"second"')
        self.assertEqual(wait_for_status(self.sfn, e)["output"], '"second"')
        events = history(self.sfn, e)
        self.assertEqual([x["activityStartedEventDetails"]["workerName"] for x in events
                          if x["type"] == "ActivityStarted"], ["w1", "w2"])
        self.assertEqual(len([x for x in events if x["type"] == "ActivityScheduled"]), 2)

    def test_activity_timeout_seconds(self):
        # TimeoutSeconds runs out before any worker polls (--wait-time-scale never shortens it).
        activity = self.create_activity(self.name())
        machine = self.create_machine(self.name(), activity_definition(activity,
                                                                       TimeoutSeconds=1))
        e = self.sfn.start_execution(stateMachineArn=machine)["executionArn"]
        wait_for_event(self.sfn, e, "ActivityTimedOut")
        d = wait_for_status(self.sfn, e)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.Timeout"))
        # The timed-out task is not offered any more.
        self.assertNotIn("taskToken", self.poll(activity))


class PollRaceTest(unittest.TestCase):
    """Regression: a poller handed a task that went away in the meantime (its execution was
    stopped as the poll came in) waited again without its long-poll timer, so it never
    answered; the next task of the activity then went to that dead poller and was lost."""

    def test_poll_racing_a_stop_still_answers_in_time(self):
        with Server(activity_poll_seconds=1) as server:
            sfn = server.client()
            pool = concurrent.futures.ThreadPoolExecutor(2)
            for i in range(8):
                activity = sfn.create_activity(name="race%d" % i)["activityArn"]
                machine = sfn.create_state_machine(name="race%d" % i, roleArn=ROLE,
                                                   definition=activity_definition(activity))[
                    "stateMachineArn"]
                e = sfn.start_execution(stateMachineArn=machine)["executionArn"]
                worker = server.client(read_timeout=5)
                stop = pool.submit(sfn.stop_execution, executionArn=e)
                started = time.monotonic()
                task = pool.submit(worker.get_activity_task, activityArn=activity,
                                   workerName="racer").result()  # ReadTimeoutError: hung
                stop.result()
                self.assertLess(time.monotonic() - started, 3.5)
                if task.get("taskToken"):
                    with self.assertRaises(sfn.exceptions.TaskTimedOut):
                        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
                # The next task of the activity reaches a live worker.
                e = sfn.start_execution(stateMachineArn=machine,
                                        input='{"next": %d}' % i)["executionArn"]
                task = sfn.get_activity_task(activityArn=activity, workerName="next")
                self.assertEqual(json.loads(task["input"]), {"next": i})
                sfn.send_task_success(taskToken=task["taskToken"], output="{}")
                self.assertEqual(wait_for_status(sfn, e)["status"], "SUCCEEDED")
            pool.shutdown()


if __name__ == "__main__":
    unittest.main()
