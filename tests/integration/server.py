"""The shared fixture of the integration tests: a real `stepway serve` process, and clients.

`Server` starts the binary on 127.0.0.1:0 with a fresh temporary data folder, reads the port
it chose from the "serving Step Functions on http://HOST:PORT" line it prints on stderr, and
stops it with SIGTERM (`stop`) or SIGKILL (`kill`). `restart` starts it again on the same data
folder (a new port). The binary comes from $STEPWAY_BIN (run.py sets it from --stepway).

`aws(server, ...)` runs the real `aws` CLI against it (`--endpoint-url`, `--output json`) and
returns a `CliResult`; `client(server)` is a boto3 Step Functions client for it (no retries).
Both use region us-east-1 and dummy keys, and host-prefix injection off (StartSyncExecution's
`sync-` prefix would otherwise point at `sync-127.0.0.1`). A service error makes the CLI print
"An error occurred (Code) when calling the Op operation: message" and exit with 254 (v2) or
255 (v1, Debian's awscli): `aws_error_exit_code()`.
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import boto3
import botocore.config

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::123456789012:role/stepway-test"
ACCESS_KEY = "AKIDSTEPWAYTEST"
SECRET_KEY = "stepway-test-secret"

_READY = re.compile(r"serving Step Functions on http://([0-9.]+):(\d+)")


def stepway_binary():
    path = os.environ.get("STEPWAY_BIN")
    if not path:
        raise unittest.SkipTest("STEPWAY_BIN is not set (run tests/integration/run.py --stepway)")
    return path


class Server:
    """One `stepway serve` process and its data folder (removed by `close`)."""

    def __init__(self, store="sqlite", wait_time_scale=0.01, activity_poll_seconds=2,
                 extra_args=(), data_dir=None):
        self.store = store
        self.wait_time_scale = wait_time_scale
        self.activity_poll_seconds = activity_poll_seconds
        self.extra_args = list(extra_args)
        self._own_dir = data_dir is None
        self.root = tempfile.mkdtemp(prefix="stepway-it-") if data_dir is None else None
        self.data_dir = data_dir or os.path.join(self.root, "data")
        self.process = None
        self.port = None
        self.starts = 0
        self._log = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def log_path(self):
        base = self.root or self.data_dir
        return os.path.join(base, "stepway-%d.log" % self.starts)

    def start(self, timeout=20):
        assert self.process is None, "already running"
        self.starts += 1
        args = [stepway_binary(), "serve", "--listen", "127.0.0.1:0", "--data", self.data_dir,
                "--store", self.store, "--wait-time-scale", str(self.wait_time_scale),
                "--activity-poll-seconds", str(self.activity_poll_seconds)] + self.extra_args
        # Extra flags (--flag value pairs) for every server of a run, e.g. to run the whole suite
        # with STEPWAY_SERVE_ARGS="--resident-idle-executions 0"; a test's own flags win.
        extra = shlex.split(os.environ.get("STEPWAY_SERVE_ARGS", ""))
        for flag, value in zip(extra[::2], extra[1::2]):
            if flag not in self.extra_args:
                args += [flag, value]
        self._log = open(self.log_path, "w+b")
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            match = _READY.search(text)
            if match:
                self.port = int(match.group(2))
                return self
            if self.process.poll() is not None:
                raise RuntimeError("stepway serve exited with %s before serving:\n%s"
                                   % (self.process.returncode, text))
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("stepway serve did not print its address in %ss" % timeout)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, timeout=20):
        """SIGTERM, and waits: the exit code must be 0 (a clean stop)."""
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("stepway serve did not stop within %ss of SIGTERM" % timeout)
        finally:
            self._closed()
        return code

    def kill(self):
        """SIGKILL: a crash, nothing flushed or closed."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        self._closed()

    def restart(self, crash=False):
        """Stops (SIGTERM, or SIGKILL when `crash`) and starts on the same data folder."""
        if crash:
            self.kill()
        else:
            code = self.stop()
            if code != 0:
                raise AssertionError("stepway serve exited with %s on SIGTERM" % code)
        return self.start()

    def _closed(self):
        self.process = None
        self.port = None
        if self._log:
            self._log.close()
            self._log = None

    def close(self):
        """Stops the server (SIGTERM) if it runs and removes the data folder. Returns the log
        when the server did not exit with 0 (a crash at shutdown: sanitizer reports land
        here), else None."""
        problem = None
        if self.process is not None:
            try:
                code = self.stop()
                if code != 0:
                    problem = "exit code %s" % code
            except AssertionError as e:
                problem = str(e)
        report = None
        if problem is not None:
            report = "stepway serve did not stop cleanly (%s):\n%s" % (problem,
                                                                         self.log_text()[-6000:])
        if self._own_dir and self.root:
            shutil.rmtree(self.root, ignore_errors=True)
        return report

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- clients --------------------------------------------------------------------------------

    def client(self, read_timeout=None):
        return client(self, read_timeout=read_timeout)

    def aws(self, *args, **kwargs):
        return aws(self, *args, **kwargs)


def client(server, read_timeout=None, service="stepfunctions"):
    """A boto3 Step Functions (or `service`) client for `server`: no retries, no host prefix."""
    if read_timeout is None:
        read_timeout = server.activity_poll_seconds + 30
    config = botocore.config.Config(
        region_name=REGION,
        retries={"total_max_attempts": 1, "mode": "standard"},
        inject_host_prefix=False,
        read_timeout=read_timeout,
        connect_timeout=5,
        max_pool_connections=20,
    )
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY,
                                    aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return session.client(service, endpoint_url=server.endpoint, config=config)


class CliResult:
    def __init__(self, args, code, stdout, stderr):
        self.args = args
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else {}

    def __repr__(self):
        return "aws %s -> %s\nstdout: %s\nstderr: %s" % (" ".join(self.args), self.code,
                                                          self.stdout[:2000], self.stderr[:2000])


def _aws_program():
    path = shutil.which("aws")
    if path is None:
        raise unittest.SkipTest("the aws CLI is not installed")
    # A pyenv shim costs a bash and a `pyenv exec` per call; run the real script.
    if "/.pyenv/shims/" in path:
        try:
            real = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
            if real and os.path.exists(real):
                return real
        except (OSError, subprocess.SubprocessError):
            pass
    return path


_AWS = None


def aws_environment():
    env = dict(os.environ)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_SFN", "AWS_ENDPOINT_URL_TRANSFER"):
        env.pop(key, None)
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_PAGER": "",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    return env


def aws_error_exit_code():
    """The exit code of a service error: 254 for the aws CLI v2, 255 for v1 (Debian's awscli)."""
    global _AWS_ERROR_CODE
    if _AWS_ERROR_CODE is None:
        global _AWS
        if _AWS is None:
            _AWS = _aws_program()
        out = subprocess.run([_AWS, "--version"], capture_output=True, text=True,
                             env=aws_environment(), timeout=60)
        version = re.search(r"aws-cli/(\d+)\.", out.stdout + out.stderr)
        _AWS_ERROR_CODE = 255 if version and version.group(1) == "1" else 254
    return _AWS_ERROR_CODE


_AWS_ERROR_CODE = None


def aws(server, *args, check=True, timeout=120, service="stepfunctions"):
    """Runs `aws --endpoint-url ... --output json stepfunctions ARGS` (or another `service`).

    With `check`, a non-zero exit fails with the CLI's output; otherwise the caller inspects the
    returned CliResult (code 254 and "An error occurred (...)" on stderr for a service error).
    """
    global _AWS
    if _AWS is None:
        _AWS = _aws_program()
    argv = [_AWS, "--endpoint-url", server.endpoint, "--output", "json", service]
    argv += [str(a) for a in args]
    done = subprocess.run(argv, capture_output=True, text=True, env=aws_environment(),
                          timeout=timeout)
    result = CliResult([str(a) for a in args], done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        raise AssertionError("the aws CLI failed: %r" % result)
    return result


# -- definitions and small helpers --------------------------------------------------------------

def definition(states, start=None, **top):
    d = {"StartAt": start or next(iter(states)), "States": states}
    d.update(top)
    return json.dumps(d)


PASS = definition({"P": {"Type": "Pass", "End": True}})


def wait_definition(seconds):
    return definition({"W": {"Type": "Wait", "Seconds": seconds, "Next": "P"},
                       "P": {"Type": "Pass", "End": True}})


def activity_definition(activity_arn, **task):
    state = {"Type": "Task", "Resource": activity_arn, "End": True}
    state.update(task)
    return definition({"T": state})


# A task that waits for its token; the token is in the TaskScheduled event's parameters.
def callback_definition(extra_states=None, **task):
    state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
             "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                            "MessageBody": {"token.$": "$$.Task.Token"}},
             "End": True}
    state.update(task)
    states = {"T": state}
    states.update(extra_states or {})
    return definition(states)


def wait_until(predicate, timeout=20, interval=0.05, what="a condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def history(sfn, execution_arn):
    events = []
    kwargs = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def wait_for_status(sfn, execution_arn, statuses=("SUCCEEDED", "FAILED", "TIMED_OUT",
                                                  "ABORTED"), timeout=20):
    def done():
        d = sfn.describe_execution(executionArn=execution_arn)
        return d if d["status"] in statuses else None
    return wait_until(done, timeout=timeout, what="%s to reach %s" % (execution_arn, statuses))


def callback_token(sfn, execution_arn, timeout=10):
    """The task token of the execution's latest waitForTaskToken task, from its history."""
    def token():
        for e in reversed(history(sfn, execution_arn)):
            if e["type"] == "TaskScheduled":
                params = json.loads(e["taskScheduledEventDetails"]["parameters"])
                return params["MessageBody"]["token"]
        return None
    return wait_until(token, timeout=timeout, what="a TaskScheduled event")


def wait_for_event(sfn, execution_arn, event_type, count=1, timeout=10):
    return wait_until(
        lambda: len([e for e in history(sfn, execution_arn) if e["type"] == event_type]) >= count,
        timeout=timeout, what="%d %s event(s) in %s" % (count, event_type, execution_arn))


class ServerTestCase(unittest.TestCase):
    """A test class sharing one server (started in setUpClass) and one boto3 client."""

    server_options = {}

    @classmethod
    def setUpClass(cls):
        cls.server = Server(**cls.server_options)
        cls.server.start()
        cls.sfn = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        report = cls.server.close()
        if report:
            raise AssertionError(report)

    def tearDown(self):
        # A crashed server fails the test that crashed it, with its last words.
        process = self.server.process
        if process is not None and process.poll() is not None:
            log = self.server.log_text()
            self.server.close()
            type(self).server = Server(**self.server_options)  # later tests get a new one
            self.server.start()
            type(self).sfn = self.server.client()
            self.fail("stepway serve exited with %s during this test:\n%s"
                      % (process.returncode, log[-4000:]))

    def aws(self, *args, **kwargs):
        return self.server.aws(*args, **kwargs)

    def assertCliError(self, result, code, operation):
        """The aws CLI's shape of a service error: AWS's one-line message, and exit code 254
        (CLI v2; v1 exits 255)."""
        self.assertEqual(result.code, aws_error_exit_code(), result)
        self.assertIn("An error occurred (%s) when calling the %s operation: " % (code, operation),
                      result.stderr, result)

    def create_machine(self, name, definition_text=PASS, type_="STANDARD", **kwargs):
        return self.sfn.create_state_machine(name=name, definition=definition_text, roleArn=ROLE,
                                             type=type_, **kwargs)["stateMachineArn"]

    def create_activity(self, name):
        return self.sfn.create_activity(name=name)["activityArn"]

    def name(self, suffix=""):
        """A resource name unique to this test."""
        base = self.id().rsplit(".", 1)[-1].replace("test_", "")[:60]
        return (base + suffix).replace(".", "-")
