"""The `stepway serve` process itself: port 0, SIGTERM, the memory store, and SigV4 when
--credentials is given."""

import os
import signal
import threading
import time
import unittest

import botocore.exceptions

from server import (ACCESS_KEY, PASS, ROLE, SECRET_KEY, Server, callback_definition,
                    wait_for_status)


class ServeTest(unittest.TestCase):

    def test_two_servers_on_port_zero_get_different_ports(self):
        with Server() as a, Server() as b:
            self.assertNotEqual(a.port, b.port)
            for s in (a, b):
                self.assertIn("stateMachines", s.client().list_state_machines())

    def test_sigterm_stops_cleanly_and_sigint_too(self):
        server = Server()
        try:
            server.start()
            self.assertEqual(server.stop(), 0)
            self.assertIn("stopping", server.log_text())
            server.start()
            server.process.send_signal(signal.SIGINT)
            self.assertEqual(server.process.wait(20), 0)
            server._closed()
        finally:
            server.close()

    def test_sigterm_does_not_wait_for_long_polls(self):
        server = Server(activity_poll_seconds=60)
        try:
            server.start()
            sfn = server.client(read_timeout=90)
            activity = sfn.create_activity(name="idle")["activityArn"]
            answered = threading.Event()

            def poll():
                try:
                    sfn.get_activity_task(activityArn=activity)
                except botocore.exceptions.BotoCoreError:
                    pass  # the connection closes: the worker polls again elsewhere
                answered.set()

            threading.Thread(target=poll, daemon=True).start()
            time.sleep(0.5)
            started = time.monotonic()
            self.assertEqual(server.stop(), 0)
            self.assertLess(time.monotonic() - started, 5)
            self.assertTrue(answered.wait(5), "the poll was left hanging")
        finally:
            server.close()

    def test_sigterm_with_commits_in_flight_exits_cleanly(self):
        # Regression: the store's writer thread called back into the runtime (posting to a
        # shard) after SIGTERM had destroyed it: a use after free at every busy shutdown
        # (AddressSanitizer reports it; the release build exits 0 or crashes by luck).
        for i in range(4):
            server = Server()
            try:
                server.start()
                sfn = server.client()
                arn = sfn.create_state_machine(name="busy", definition=callback_definition(),
                                               roleArn=ROLE)["stateMachineArn"]
                for n in range(5):
                    sfn.start_execution(stateMachineArn=arn)
                self.assertEqual(server.stop(), 0, server.log_text())
            finally:
                server.close()

    def test_memory_store_forgets_on_restart(self):
        server = Server(store="memory")
        try:
            server.start()
            sfn = server.client()
            arn = sfn.create_state_machine(name="m", definition=PASS,
                                           roleArn=ROLE)["stateMachineArn"]
            e = sfn.start_execution(stateMachineArn=arn)["executionArn"]
            self.assertEqual(wait_for_status(sfn, e)["status"], "SUCCEEDED")
            server.restart()
            sfn = server.client()
            self.assertEqual(sfn.list_state_machines()["stateMachines"], [])
            self.assertFalse(os.path.exists(os.path.join(server.data_dir, "stepway.db")))
        finally:
            server.close()

    def test_bad_flags_exit_2(self):
        server = Server(store="paper")
        try:
            with self.assertRaises(RuntimeError) as e:
                server.start()
            self.assertIn("exited with 2", str(e.exception))
        finally:
            server.close()

    def test_credentials_require_a_valid_signature(self):
        server = Server(extra_args=["--credentials", "%s:%s" % (ACCESS_KEY, SECRET_KEY)])
        try:
            server.start()
            sfn = server.client()
            self.assertEqual(sfn.list_state_machines()["stateMachines"], [])
            self.assertEqual(server.aws("list-activities").json, {"activities": []})
            import boto3
            import botocore.config
            bad = boto3.session.Session(
                aws_access_key_id=ACCESS_KEY, aws_secret_access_key="wrong",
                region_name="us-east-1").client(
                    "stepfunctions", endpoint_url=server.endpoint,
                    config=botocore.config.Config(retries={"total_max_attempts": 1}))
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                bad.list_state_machines()
            self.assertEqual(e.exception.response["Error"]["Code"], "InvalidSignatureException")
            unknown = boto3.session.Session(
                aws_access_key_id="AKIDUNKNOWN", aws_secret_access_key=SECRET_KEY,
                region_name="us-east-1").client(
                    "stepfunctions", endpoint_url=server.endpoint,
                    config=botocore.config.Config(retries={"total_max_attempts": 1}))
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                unknown.list_state_machines()
            self.assertEqual(e.exception.response["Error"]["Code"],
                             "UnrecognizedClientException")
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
