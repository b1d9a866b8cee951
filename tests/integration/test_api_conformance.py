"""The API calls recorded against AWS (tests/conformance/api, run by
tests/conformance/tools/run_api_cases.py) against a real server: error codes and response shapes
of the operations Stepway serves. Versions/aliases and TestState are not served yet, so their
categories are left out; every other case must pass but the ones listed in KNOWN with a reason.
"""

import os
import re
import subprocess
import sys
import unittest

from server import ServerTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "conformance", "api")
RUNNER = os.path.join(HERE, "..", "conformance", "tools", "run_api_cases.py")

# Case id fragment -> why it does not pass yet.
KNOWN = {
    "test_list_executions_versions_pagination":
        "needs PublishStateMachineVersion (versions are not served yet)",
    "test_tag_state_machine_version": "needs PublishStateMachineVersion",
}


class ApiConformanceTest(ServerTestCase):

    def test_recorded_api_calls(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1")
        failures = []
        for category in ("a", "b", "c", "e"):
            p = subprocess.run([sys.executable, RUNNER, CASES, "--endpoint-url",
                                self.server.endpoint, "--category", category, "--jobs", "4"],
                               capture_output=True, text=True, env=env, timeout=300)
            last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr[-2000:]
            self.assertRegex(last, r"api conformance: \d+ passed", p.stderr[-2000:])
            failures += [line for line in p.stdout.splitlines() if line.startswith("FAIL ")]
        unexpected = [f for f in failures if not any(k in f for k in KNOWN)]
        self.assertEqual(unexpected, [], "\n".join(unexpected))


if __name__ == "__main__":
    unittest.main()
