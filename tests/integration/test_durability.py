"""Crash tests: `kill -9` the server while executions wait on timers, activity tasks and task
tokens, restart it on the same data folder, and check that nothing acknowledged is lost.

After the restart: timers fire (the ones due while the server was down, at once), activity
tasks that no worker had are offered again and can be completed, tokens handed out before the
crash still work, every execution ends SUCCEEDED, and no activity task is handed out twice.
"""

import concurrent.futures
import contextlib
import json
import os
import sqlite3
import threading
import time
import unittest

from server import (ROLE, Server, callback_definition, callback_token, definition, history,
                    wait_definition, wait_until)

from test_task_tokens import decode


def poll_all(sfn, activity, count, worker, timeout=30):
    """Polls until `count` tasks came (each poll answers one task, or none after the poll
    time); fails on a token seen twice."""
    tasks = {}
    deadline = time.monotonic() + timeout
    while len(tasks) < count and time.monotonic() < deadline:
        task = sfn.get_activity_task(activityArn=activity, workerName=worker)
        if not task.get("taskToken"):
            continue
        if task["taskToken"] in tasks:
            raise AssertionError("the token %s was handed out twice" % task["taskToken"][:40])
        tasks[task["taskToken"]] = task
    if len(tasks) < count:
        raise AssertionError("got %d of %d tasks of %s" % (len(tasks), count, activity))
    return tasks


class CrashTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(store="sqlite", wait_time_scale=1, activity_poll_seconds=1)
        self.server.start()
        self.sfn = self.server.client()

    def tearDown(self):
        report = self.server.close()
        self.assertIsNone(report)

    def reconnect(self):
        self.sfn = self.server.client()

    def test_kill_9_loses_nothing(self):
        sfn = self.sfn
        short = sfn.create_state_machine(name="wait-2s", definition=wait_definition(2),
                                         roleArn=ROLE)["stateMachineArn"]
        long = sfn.create_state_machine(name="wait-5s", definition=wait_definition(5),
                                        roleArn=ROLE)["stateMachineArn"]
        activity = sfn.create_activity(name="work")["activityArn"]
        work = sfn.create_state_machine(
            name="work", definition=definition({
                "Do": {"Type": "Task", "Resource": activity, "ResultPath": "$.result",
                       "Next": "Rest"},
                "Rest": {"Type": "Wait", "Seconds": 1, "End": True}}),
            roleArn=ROLE)["stateMachineArn"]
        callback = sfn.create_state_machine(name="callback", definition=callback_definition(),
                                            roleArn=ROLE)["stateMachineArn"]

        started = time.monotonic()
        short_runs = [sfn.start_execution(stateMachineArn=short, name="s%02d" % i)[
            "executionArn"] for i in range(20)]
        long_runs = [sfn.start_execution(stateMachineArn=long, name="l%02d" % i)[
            "executionArn"] for i in range(10)]
        work_runs = [sfn.start_execution(stateMachineArn=work, name="w%02d" % i,
                                         input=json.dumps({"n": i}))["executionArn"]
                     for i in range(12)]
        callback_runs = [sfn.start_execution(stateMachineArn=callback, name="c%02d" % i)[
            "executionArn"] for i in range(4)]
        # Tokens known before the crash: four activity tasks handed to a worker, and the
        # callback tokens (in their TaskScheduled events).
        held = poll_all(sfn, activity, 4, "before-crash")
        callback_tokens = {e: callback_token(sfn, e) for e in callback_runs}
        # Meanwhile more starts stream in; the crash cuts them off.
        acknowledged = []
        stop = threading.Event()

        def keep_starting():
            client = self.server.client()
            i = 0
            while not stop.is_set():
                try:
                    r = client.start_execution(stateMachineArn=short, name="late%03d" % i)
                except Exception:  # the server is gone
                    return
                acknowledged.append(r["executionArn"])
                i += 1

        streamer = threading.Thread(target=keep_starting)
        streamer.start()
        wait_until(lambda: len(acknowledged) >= 3, timeout=10, interval=0.01,
                   what="a few streamed starts")
        self.server.kill()
        stop.set()
        streamer.join(30)
        self.assertTrue(acknowledged, "no start was acknowledged while streaming")
        # Down past the 2-second waits: they are late when the server comes back.
        time.sleep(max(0.0, started + 2.5 - time.monotonic()))

        self.server.start()
        self.reconnect()
        sfn = self.sfn
        restarted = time.monotonic()
        every = short_runs + long_runs + work_runs + callback_runs + acknowledged
        for e in every:
            sfn.describe_execution(executionArn=e)  # raises when lost
        # Late timers fire at once.
        for e in short_runs:
            d = wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
                sfn.describe_execution(executionArn=e)), timeout=10, what="%s to end" % e)
            self.assertEqual(d["status"], "SUCCEEDED")
        self.assertLess(time.monotonic() - restarted, 3, "late timers did not fire at once")
        # The 5-second waits are not due yet: still running.
        if time.monotonic() - started < 4.5:
            self.assertEqual(sfn.describe_execution(executionArn=long_runs[0])["status"],
                             "RUNNING")

        # The eight tasks no worker had are offered again, each once; the held four are not.
        offered = poll_all(sfn, activity, 8, "after-crash")
        self.assertFalse(set(offered) & set(held), "a task held before the crash was re-offered")
        arns = [decode(t)[3] for t in list(offered) + list(held)]
        self.assertEqual(sorted(arns), sorted(work_runs))
        self.assertNotIn("taskToken", sfn.get_activity_task(activityArn=activity))
        # Every token works: the ones handed out before the crash and after it.
        for token, task in list(held.items()) + list(offered.items()):
            sfn.send_task_success(taskToken=token, output=json.dumps(json.loads(task["input"])))
        for e, token in callback_tokens.items():
            sfn.send_task_success(taskToken=token, output='"called back"')

        def all_ended():
            for e in every:
                if sfn.describe_execution(executionArn=e)["status"] == "RUNNING":
                    return False
            return True
        wait_until(all_ended, timeout=30, interval=0.2, what="every execution to end")
        for e in every:
            d = sfn.describe_execution(executionArn=e)
            self.assertEqual(d["status"], "SUCCEEDED", d)
        for e in work_runs:
            events = history(sfn, e)
            kinds = [x["type"] for x in events]
            self.assertEqual(kinds.count("ActivityScheduled"), 1, e)
            self.assertEqual(kinds.count("ActivityStarted"), 1, e)
            self.assertEqual(kinds.count("ActivitySucceeded"), 1, e)
            self.assertEqual([x["id"] for x in events], list(range(1, len(events) + 1)))
            n = json.loads(events[0]["executionStartedEventDetails"]["input"])["n"]
            out = json.loads(sfn.describe_execution(executionArn=e)["output"])
            self.assertEqual(out, {"n": n, "result": {"n": n}})
        for e in callback_runs:
            self.assertEqual(sfn.describe_execution(executionArn=e)["output"], '"called back"')
        listed = {x["executionArn"] for p in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=short) for x in p["executions"]}
        self.assertTrue(set(short_runs + acknowledged) <= listed)

    def test_crash_during_recovery_and_repeated_crashes(self):
        sfn = self.sfn
        activity = sfn.create_activity(name="again")["activityArn"]
        machine = sfn.create_state_machine(
            name="two-steps", definition=definition({
                "A": {"Type": "Task", "Resource": activity, "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 1, "Next": "B"},
                "B": {"Type": "Task", "Resource": activity, "End": True}}),
            roleArn=ROLE)["stateMachineArn"]
        runs = [sfn.start_execution(stateMachineArn=machine, name="r%d" % i,
                                    input=json.dumps({"i": i}))["executionArn"]
                for i in range(6)]
        first = poll_all(sfn, activity, 3, "one")
        self.server.restart(crash=True)
        self.server.restart(crash=True)  # killed again right after recovering
        self.reconnect()
        sfn = self.sfn
        for token in first:
            sfn.send_task_success(taskToken=token, output='{"step": "A"}')
        rest = poll_all(sfn, activity, 3, "two")
        self.assertFalse(set(rest) & set(first))
        for token in rest:
            sfn.send_task_success(taskToken=token, output='{"step": "A"}')
        # Six second-step tasks come after the 1-second waits; crash with half of them out.
        second = poll_all(sfn, activity, 3, "three", timeout=20)
        self.server.restart(crash=True)
        self.reconnect()
        sfn = self.sfn
        others = poll_all(sfn, activity, 3, "four", timeout=20)
        self.assertFalse(set(others) & set(second))
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda t: sfn.send_task_success(taskToken=t, output='"B"'),
                          list(second) + list(others)))
        wait_until(lambda: all(sfn.describe_execution(executionArn=e)["status"] != "RUNNING"
                               for e in runs), timeout=20, what="every execution to end")
        for e in runs:
            self.assertEqual(sfn.describe_execution(executionArn=e)["status"], "SUCCEEDED")
            kinds = [x["type"] for x in history(sfn, e)]
            self.assertEqual(kinds.count("ActivityStarted"), 2, e)
            self.assertEqual(kinds.count("ActivitySucceeded"), 2, e)

    def test_acknowledged_answers_survive_kill_9(self):
        # Every acknowledged SendTaskSuccess, SendTaskFailure and StopExecution is on disk when
        # the server dies right after answering.
        sfn = self.sfn
        activity = sfn.create_activity(name="answers")["activityArn"]
        machine = sfn.create_state_machine(
            name="answers", roleArn=ROLE, definition=definition({
                "T": {"Type": "Task", "Resource": activity, "End": True,
                      "Catch": [{"ErrorEquals": ["Worker.Failed"], "Next": "Caught"}]},
                "Caught": {"Type": "Pass", "Result": "caught", "End": True}}))[
            "stateMachineArn"]
        runs = [sfn.start_execution(stateMachineArn=machine, name="a%02d" % i,
                                    input=json.dumps({"i": i}))["executionArn"]
                for i in range(12)]
        tasks = poll_all(sfn, activity, 12, "answerer")
        by_execution = {decode(t)[3]: t for t in tasks}
        succeeded, failed, stopped, open_ = runs[0:4], runs[4:8], runs[8:10], runs[10:12]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(sfn.send_task_success, taskToken=by_execution[e],
                                   output='{"ok": %d}' % n) for n, e in enumerate(succeeded)]
            futures += [pool.submit(sfn.send_task_failure, taskToken=by_execution[e],
                                    error="Worker.Failed", cause="no") for e in failed]
            futures += [pool.submit(sfn.stop_execution, executionArn=e) for e in stopped]
            for f in futures:
                f.result()  # acknowledged
        self.server.kill()
        self.server.start()
        self.reconnect()
        sfn = self.sfn
        for n, e in enumerate(succeeded):
            d = wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
                sfn.describe_execution(executionArn=e)), what="%s to end" % e)
            self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"ok": n}))
        for e in failed:
            d = wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
                sfn.describe_execution(executionArn=e)), what="%s to end" % e)
            self.assertEqual((d["status"], d["output"]), ("SUCCEEDED", '"caught"'))
        for e in stopped:
            self.assertEqual(sfn.describe_execution(executionArn=e)["status"], "ABORTED")
        for e in succeeded + failed + stopped:
            with self.assertRaises(sfn.exceptions.TaskTimedOut):
                sfn.send_task_success(taskToken=by_execution[e], output="{}")
        # Nothing is offered again: all twelve were handed out before the crash.
        self.assertNotIn("taskToken", sfn.get_activity_task(activityArn=activity))
        for e in open_:
            sfn.send_task_success(taskToken=by_execution[e], output='"late"')
            d = wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
                sfn.describe_execution(executionArn=e)), what="%s to end" % e)
            self.assertEqual(d["output"], '"late"')

    def test_restart_resumes_only_executions_with_work_to_do(self):
        # An execution that waits only for its task token is idle: marked so in the store,
        # dropped from memory beyond --resident-idle-executions, and not replayed by a restart.
        # Its callback brings it back, before and after a crash.
        self.server.close()
        self.server = Server(store="sqlite", wait_time_scale=1, activity_poll_seconds=1,
                             extra_args=["--resident-idle-executions", "4"])
        self.server.start()
        self.reconnect()
        sfn = self.sfn
        callback = sfn.create_state_machine(
            name="parked", roleArn=ROLE,
            definition=callback_definition(ResultPath="$.r"))["stateMachineArn"]
        activity = sfn.create_activity(name="parked")["activityArn"]
        work = sfn.create_state_machine(
            name="work", roleArn=ROLE, definition=definition({
                "Do": {"Type": "Task", "Resource": activity, "End": True}}))["stateMachineArn"]
        parked = [sfn.start_execution(stateMachineArn=callback, name="p%02d" % i,
                                      input=json.dumps({"i": i}))["executionArn"]
                  for i in range(20)]
        tokens = {e: callback_token(sfn, e) for e in parked}
        held_runs = [sfn.start_execution(stateMachineArn=work, name="h%d" % i)["executionArn"]
                     for i in range(2)]
        held = poll_all(sfn, activity, 2, "holder")
        queued = [sfn.start_execution(stateMachineArn=work, name="q%d" % i)["executionArn"]
                  for i in range(3)]
        # Two answered before the crash, although dropped from memory.
        for e in parked[:2]:
            sfn.send_task_success(taskToken=tokens[e], output='"early"')
        db = os.path.join(self.server.data_dir, "stepway.db")

        def idle_count():
            with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % db, uri=True)) as c:
                return c.execute("SELECT count(*) FROM executions WHERE status = 'RUNNING' "
                                 "AND idle = 1").fetchone()[0]
        wait_until(lambda: idle_count() == 18 + 2, what="20 idle executions")

        self.server.restart(crash=True)
        self.reconnect()
        sfn = self.sfn
        # Only the three with a task still to hand out were replayed.
        self.assertIn("resumed 3 running executions", self.server.log_text())
        offered = poll_all(sfn, activity, 3, "after")
        for token in list(held) + list(offered):
            sfn.send_task_success(taskToken=token, output='{"done": true}')
        for e in parked[2:12]:
            sfn.send_task_success(taskToken=tokens[e], output=json.dumps({"e": e[-3:]}))
        for e in parked[12:]:
            self.server.aws("send-task-success", "--cli-input-json", json.dumps(
                {"taskToken": tokens[e], "output": json.dumps({"e": e[-3:]})}))
        for e in held_runs + queued + parked:
            d = wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
                sfn.describe_execution(executionArn=e)), what="%s to end" % e)
            self.assertEqual(d["status"], "SUCCEEDED", e)
        for i, e in enumerate(parked):
            out = json.loads(sfn.describe_execution(executionArn=e)["output"])
            self.assertEqual(out, {"i": i, "r": "early" if i < 2 else {"e": e[-3:]}})
            with self.assertRaises(sfn.exceptions.TaskTimedOut):
                sfn.send_task_success(taskToken=tokens[e], output="{}")

    def test_clean_restart_keeps_everything(self):
        sfn = self.sfn
        machine = sfn.create_state_machine(name="m", definition=callback_definition(),
                                           roleArn=ROLE, tags=[{"key": "k", "value": "v"}])[
            "stateMachineArn"]
        activity = sfn.create_activity(name="kept")["activityArn"]
        e = sfn.start_execution(stateMachineArn=machine, name="kept", input='{"a": 1}')[
            "executionArn"]
        token = callback_token(sfn, e)
        self.assertEqual(self.server.stop(), 0, "SIGTERM should stop the server cleanly")
        self.server.start()
        self.reconnect()
        sfn = self.sfn
        # Still running after the restart: the same start is still the same execution.
        again = sfn.start_execution(stateMachineArn=machine, name="kept", input='{"a": 1}')
        self.assertEqual(again["executionArn"], e)
        with self.assertRaises(sfn.exceptions.ExecutionAlreadyExists):
            sfn.start_execution(stateMachineArn=machine, name="kept", input='{"a": 2}')
        self.assertEqual(sfn.describe_state_machine(stateMachineArn=machine)["name"], "m")
        self.assertEqual(sfn.list_tags_for_resource(resourceArn=machine)["tags"],
                         [{"key": "k", "value": "v"}])
        self.assertEqual(sfn.describe_activity(activityArn=activity)["name"], "kept")
        sfn.send_task_success(taskToken=token, output='{"after": "restart"}')
        d = wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
            sfn.describe_execution(executionArn=e)), what="the execution to end")
        self.assertEqual(json.loads(d["output"]), {"after": "restart"})


if __name__ == "__main__":
    unittest.main()
