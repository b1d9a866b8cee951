"""The client commands, `stepway stepfunctions ...` and `stepway transfer ...`, against a real
server: each command runs twice, with `stepway` and with the `aws` CLI, and the parsed outputs
(JSON, text, table) and error messages are compared. Skeletons are compared with
`aws ... --generate-cli-skeleton` (the value the AWS CLI picks for an enum is random, so enums
compare as "some value of the enum"; members the AWS CLI's model has and Stepway's lacks are
allowed). Known differences of the installed aws CLI v1 from the v2 behaviour Stepway follows:
service errors exit 255 (v1) instead of 254, usage errors 255/2 instead of 252, and there is no
--cli-input-yaml or yaml output; those are checked against the v2 values on Stepway alone.

Both tools print timestamps as ISO-8601 in UTC here (TZ=UTC and cli_timestamp_format = iso8601
in the aws CLI's config file, the default of v2).
"""

import base64
import json
import os
import subprocess
import tempfile
import unittest

import botocore.session
import yaml
from botocore import xform_name
from botocore.utils import ArgumentGenerator

from server import (ACCESS_KEY, REGION, ROLE, SECRET_KEY, PASS, Server, ServerTestCase,
                    _aws_program, activity_definition, aws_environment, aws_error_exit_code,
                    definition, stepway_binary, wait_for_status)

USAGE_ERROR = 252
SERVICE_ERROR = 254


class Run:
    def __init__(self, argv, done):
        self.argv = argv
        self.code = done.returncode
        self.stdout = done.stdout
        self.stderr = done.stderr

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else {}

    def __repr__(self):
        return "%s -> %s\nstdout: %s\nstderr: %s" % (" ".join(self.argv), self.code,
                                                      self.stdout[:3000], self.stderr[:3000])


class CliTestCase(ServerTestCase):
    """Runs commands with both tools against the class's server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="stepway-cli-")
        cls.aws_config = os.path.join(cls.tmp, "aws-config")
        with open(cls.aws_config, "w") as f:
            f.write("[default]\ncli_timestamp_format = iso8601\n")

    def env(self, **extra):
        env = aws_environment()
        env.update({"TZ": "UTC", "AWS_CONFIG_FILE": self.aws_config,
                    "HOME": self.tmp})
        env.pop("STEPWAY_ENDPOINT", None)
        env.update(extra)
        return env

    def stepway(self, *args, service="stepfunctions", endpoint=True, env=None, input=None):
        argv = [stepway_binary(), service] + [str(a) for a in args]
        if endpoint:
            argv += ["--endpoint-url", self.server.endpoint]
        done = subprocess.run(argv, capture_output=True, text=True, env=env or self.env(),
                              timeout=120, input=input)
        return Run(argv, done)

    def awscli(self, *args, service="stepfunctions", env=None):
        argv = [_aws_program(), service] + [str(a) for a in args]
        argv += ["--endpoint-url", self.server.endpoint]
        done = subprocess.run(argv, capture_output=True, text=True, env=env or self.env(),
                              timeout=120)
        return Run(argv, done)

    def both(self, *args, service="stepfunctions", output="json"):
        """Runs both tools; asserts they agree (parsed output, or the same error line)."""
        ours = self.stepway(*args, "--output", output, service=service)
        theirs = self.awscli(*args, "--output", output, service=service)
        if theirs.code == 0:
            self.assertEqual(ours.code, 0, ours)
            if output == "json":
                self.assertEqual(ours.json, theirs.json, (ours, theirs))
            else:
                self.assertEqual(ours.stdout, theirs.stdout, (ours, theirs))
        else:
            self.assertEqual(theirs.code, aws_error_exit_code(), theirs)
            self.assertEqual(ours.code, SERVICE_ERROR, ours)
            self.assertEqual(ours.stderr.strip(), theirs.stderr.strip(), (ours, theirs))
        return ours

    def ok(self, *args, **kwargs):
        result = self.stepway(*args, **kwargs)
        self.assertEqual(result.code, 0, result)
        return result.json


class StepFunctionsCommandsTest(CliTestCase):

    def machine(self, name, definition_text=PASS, *extra):
        return self.ok("create-state-machine", "--name", name, "--definition", definition_text,
                       "--role-arn", ROLE, *extra)["stateMachineArn"]

    def test_state_machine_commands_match_the_aws_cli(self):
        arn = self.machine("cli-sm", PASS, "--tags", "key=team,value=core", "key=env,value=dev",
                           "--logging-configuration", "level=OFF,includeExecutionData=false")
        self.both("describe-state-machine", "--state-machine-arn", arn)
        self.both("list-state-machines")
        tags = self.both("list-tags-for-resource", "--resource-arn", arn).json["tags"]
        self.assertEqual(sorted(t["key"] for t in tags), ["env", "team"])
        for output in ("text", "table"):
            self.both("describe-state-machine", "--state-machine-arn", arn, output=output)
            self.both("list-tags-for-resource", "--resource-arn", arn, output=output)
        self.ok("untag-resource", "--resource-arn", arn, "--tag-keys", "team", "env")
        self.assertEqual(self.both("list-tags-for-resource", "--resource-arn", arn).json,
                         {"tags": []})
        # Booleans are --flag / --no-flag; the answer of an update is printed as by the CLI.
        self.both("describe-state-machine", "--state-machine-arn", arn, "--query",
                  "{name: name, type: type, logging: loggingConfiguration.level}")

    def test_executions_paging_and_queries_match(self):
        arn = self.machine("cli-paging")
        for i in range(5):
            self.ok("start-execution", "--state-machine-arn", arn, "--name", "e%d" % i,
                    "--input", json.dumps({"i": i}))
        for args in (
                [],
                ["--max-items", "2"],
                ["--max-items", "2", "--page-size", "3"],
                ["--page-size", "2"],
                ["--max-results", "2"],
                ["--no-paginate", "--max-results", "1"],
                ["--query", "executions[].name"],
                ["--query", "sort_by(executions, &name)[-2:].{n: name, s: status}"],
                ["--query", "length(executions[?status=='SUCCEEDED' || status=='RUNNING'])"],
                ["--query", "executions[?starts_with(name, 'e1')] | [0].name"],
        ):
            self.both("list-executions", "--state-machine-arn", arn, *args)
        for output in ("text", "table"):
            self.both("list-executions", "--state-machine-arn", arn, "--max-items", "3",
                      "--page-size", "2", output=output)
            self.both("list-executions", "--state-machine-arn", arn, "--page-size", "2",
                      "--query", "executions[].[name, status]", output=output)
        # A resume token from either tool works with the other.
        first = self.ok("list-executions", "--state-machine-arn", arn, "--max-items", "2",
                        "--page-size", "3")
        token = first["NextToken"]
        rest = self.both("list-executions", "--state-machine-arn", arn, "--starting-token",
                         token, "--page-size", "3").json
        names = [e["name"] for e in first["executions"] + rest["executions"]]
        self.assertEqual(sorted(names), ["e0", "e1", "e2", "e3", "e4"])
        theirs = self.awscli("list-executions", "--state-machine-arn", arn, "--max-items", "1")
        self.assertEqual(theirs.code, 0, theirs)
        self.both("list-executions", "--state-machine-arn", arn, "--starting-token",
                  theirs.json["NextToken"])
        execution = "%s:e1" % arn.replace(":stateMachine:", ":execution:")
        self.both("describe-execution", "--execution-arn", execution)
        self.both("get-execution-history", "--execution-arn", execution)
        self.both("get-execution-history", "--execution-arn", execution, "--reverse-order",
                  "--max-items", "1")
        self.both("get-execution-history", "--execution-arn", execution, output="text")

    def test_service_errors_print_as_the_aws_cli(self):
        missing = "arn:aws:states:%s:123456789012:execution:none:none" % REGION
        ours = self.both("describe-execution", "--execution-arn", missing)
        self.assertIn("An error occurred (ExecutionDoesNotExist) when calling the "
                      "DescribeExecution operation: ", ours.stderr)
        self.both("send-task-success", "--task-token", "not-a-token", "--task-output", "{}")
        self.both("describe-state-machine", "--state-machine-arn", "bad")

    def test_usage_and_parameter_errors(self):
        cases = [
            (["send-task-success"], "the following arguments are required: --task-token, "
                                    "--task-output"),
            (["list-state-machines", "--bogus"], "Unknown options: --bogus"),
            (["no-such-command"], "argument operation: Invalid choice"),
            (["list-state-machines", "--max-items", "x"], "invalid literal for int()"),
            (["start-execution", "--cli-input-json", "{}", "--cli-input-yaml", "a: 1"],
             "Only one --cli-input-json or --cli-input-yaml may be specified"),
            (["start-execution", "--cli-input-json", '{"name": 5}'],
             'Missing required parameter in input: "stateMachineArn"'),
            (["list-state-machines", "--query", "foo["], "Bad value for --query foo["),
            (["list-state-machines", "--output", "xml"], "argument --output: Invalid choice"),
            (["tag-resource", "--resource-arn", "a", "--tags", "key=a,,"],
             "Error parsing parameter '--tags'"),
            (["start-execution", "--state-machine-arn", "a", "--input", "file:///nonexistent"],
             "Unable to load paramfile file:///nonexistent"),
        ]
        for args, message in cases:
            result = self.stepway(*args)
            self.assertEqual(result.code, USAGE_ERROR, result)
            self.assertIn(message, result.stderr, result)
            self.assertEqual(result.stdout, "", result)
        # The aws CLI rejects the same command lines too (v1 exits 2 or 255).
        theirs = self.awscli("send-task-success")
        self.assertNotEqual(theirs.code, 0)
        self.assertIn("the following arguments are required: --task-token, --task-output",
                      theirs.stderr)

    def test_activity_task_round_trip(self):
        activity = self.ok("create-activity", "--name", "cli-worker")["activityArn"]
        self.both("describe-activity", "--activity-arn", activity)
        arn = self.machine("cli-activity", activity_definition(activity))
        execution = self.ok("start-execution", "--state-machine-arn", arn)["executionArn"]
        task = self.ok("get-activity-task", "--activity-arn", activity, "--worker-name", "w1")
        self.assertIn("taskToken", task)
        self.assertEqual(self.stepway("send-task-heartbeat", "--task-token",
                                      task["taskToken"]).code, 0)
        done = self.stepway("send-task-success", "--task-token", task["taskToken"],
                            "--task-output", '{"answer": 42}')
        self.assertEqual((done.code, done.stdout), (0, ""), done)
        wait_for_status(self.sfn, execution)
        described = self.both("describe-execution", "--execution-arn", execution).json
        self.assertEqual(json.loads(described["output"]), {"answer": 42})
        # The token is spent: both tools get the same error.
        self.both("send-task-success", "--task-token", task["taskToken"], "--task-output", "{}")
        self.both("send-task-failure", "--task-token", task["taskToken"], "--error", "E",
                  "--cause", "c")

    def test_start_execution_wait_prints_the_final_description(self):
        arn = self.machine("cli-wait", definition(
            {"W": {"Type": "Wait", "Seconds": 50, "Next": "P"},
             "P": {"Type": "Pass", "Result": {"done": True}, "End": True}}))
        waited = self.ok("start-execution", "--state-machine-arn", arn, "--name", "w1", "--wait")
        self.assertEqual(waited["status"], "SUCCEEDED", waited)
        self.assertEqual(json.loads(waited["output"]), {"done": True})
        theirs = self.awscli("describe-execution", "--execution-arn", waited["executionArn"])
        self.assertEqual(waited, theirs.json)

    def test_cli_input_json_and_yaml(self):
        arn = self.machine("cli-input")
        path = os.path.join(self.tmp, "start.json")
        with open(path, "w") as f:
            json.dump({"stateMachineArn": arn, "name": "from-json", "input": '{"a": 1}'}, f)
        started = self.ok("start-execution", "--cli-input-json", "file://" + path)
        self.assertTrue(started["executionArn"].endswith(":from-json"))
        # Options on the command line win over the file.
        started = self.ok("start-execution", "--cli-input-json", "file://" + path, "--name",
                          "overridden")
        self.assertTrue(started["executionArn"].endswith(":overridden"))
        theirs = self.awscli("start-execution", "--cli-input-json", "file://" + path, "--name",
                             "aws-overridden")
        self.assertEqual(theirs.code, 0, theirs)
        # YAML: a string member stays a string even when it looks like a number.
        yaml_text = "stateMachineArn: %s\nname: '12345'\ninput: '{\"b\": 2}'\n" % arn
        started = self.ok("start-execution", "--cli-input-yaml", yaml_text)
        self.assertTrue(started["executionArn"].endswith(":12345"))
        described = self.both("describe-execution", "--execution-arn",
                              started["executionArn"]).json
        self.assertEqual(json.loads(described["input"]), {"b": 2})
        # file:// for a definition, --generate-cli-skeleton output validates without sending.
        def_path = os.path.join(self.tmp, "def.json")
        with open(def_path, "w") as f:
            f.write(PASS)
        self.ok("create-state-machine", "--name", "cli-file", "--definition", "file://" + def_path,
                "--role-arn", ROLE)
        sample = self.ok("start-execution", "--state-machine-arn", "x", "--generate-cli-skeleton",
                         "output")
        self.assertEqual(sample, self.awscli("start-execution", "--state-machine-arn", "x",
                                             "--generate-cli-skeleton", "output").json)
        result = self.stepway("start-execution", "--generate-cli-skeleton", "output")
        self.assertEqual(result.code, USAGE_ERROR, result)
        self.assertIn('Missing required parameter in input: "stateMachineArn"', result.stderr)

    def test_output_formats(self):
        arn = self.machine("cli-formats")
        as_json = self.ok("describe-state-machine", "--state-machine-arn", arn)
        as_yaml = self.stepway("describe-state-machine", "--state-machine-arn", arn, "--output",
                               "yaml")
        self.assertEqual(yaml.safe_load(as_yaml.stdout), as_json)
        self.assertRegex(as_json["creationDate"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
        # An empty answer prints nothing, as the AWS CLI.
        self.assertEqual(self.stepway("tag-resource", "--resource-arn", arn, "--tags",
                                      "key=a,value=b").stdout, "")

    def test_endpoint_from_the_environment_and_help(self):
        env = self.env(STEPWAY_ENDPOINT=self.server.endpoint)
        result = self.stepway("list-activities", endpoint=False, env=env)
        self.assertEqual(result.code, 0, result)
        self.assertIn("activities", result.json)
        page = self.stepway("help", endpoint=False).stdout
        for command in ("send-task-success", "start-execution", "list-executions"):
            self.assertIn("o %s\n" % command, page)
        page = self.stepway("send-task-success", "help", endpoint=False).stdout
        self.assertIn("--task-token (string)", page)
        self.assertIn("--task-output (string)", page)
        self.assertIn("OUTPUT", page)
        page = self.stepway("list-executions", "help", endpoint=False).stdout
        self.assertIn("--status-filter (string)", page)
        self.assertIn("o SUCCEEDED", page)
        self.assertIn("--max-items", page)
        self.assertIn("--wait", self.stepway("start-execution", "help", endpoint=False).stdout)


class SignedRequestsTest(CliTestCase):
    """A server that wants SigV4: credentials from the environment, a profile, or missing."""

    server_options = {"extra_args": ["--credentials", "%s:%s" % (ACCESS_KEY, SECRET_KEY)]}

    def test_credentials(self):
        self.assertEqual(self.stepway("list-activities").code, 0)
        wrong = self.stepway("list-activities", env=self.env(AWS_SECRET_ACCESS_KEY="wrong"))
        self.assertEqual(wrong.code, SERVICE_ERROR, wrong)
        self.assertIn("(InvalidSignatureException)", wrong.stderr)
        credentials = os.path.join(self.tmp, "credentials")
        with open(credentials, "w") as f:
            f.write("[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (ACCESS_KEY, SECRET_KEY))
        env = self.env(AWS_SHARED_CREDENTIALS_FILE=credentials, AWS_ACCESS_KEY_ID="other",
                       AWS_SECRET_ACCESS_KEY="other")
        # An explicit --profile wins over the environment's keys.
        result = self.stepway("list-activities", "--profile", "dev", env=env)
        self.assertEqual(result.code, 0, result)
        unsigned = self.stepway("list-activities", "--no-sign-request")
        self.assertEqual(unsigned.code, SERVICE_ERROR, unsigned)
        self.assertIn("(MissingAuthenticationTokenException)", unsigned.stderr)


def _norm(value, shape):
    """A skeleton with enum values replaced by a marker (the AWS CLI picks one at random)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _norm(v, shape.members.get(k)) for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_norm(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _norm(v, shape.value) for k, v in value.items()}
    if shape.type_name == "string" and shape.enum and value in shape.enum:
        return "<enum>"
    return value


def _subset(ours, theirs):
    """Whether `ours` is `theirs` less members the AWS CLI's model has and Stepway's lacks."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return all(k in theirs and _subset(v, theirs[k]) for k, v in ours.items())
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(_subset(a, b) for a, b in zip(ours, theirs))
    return ours == theirs


class SkeletonTest(unittest.TestCase):
    """--generate-cli-skeleton against the aws CLI's, for every operation of both services.

    The aws CLI runs for a sample of commands (it takes a second a call); for all the others
    its skeleton is botocore's ArgumentGenerator, which is what the CLI prints."""

    SAMPLE = {
        "stepfunctions": ["send-task-success", "start-execution", "create-state-machine",
                          "create-state-machine-alias", "list-executions", "test-state",
                          "update-map-run"],
        "transfer": ["send-workflow-step-state", "create-workflow", "create-user",
                     "list-executions", "describe-execution", "create-server"],
    }

    def stepway(self, *args):
        done = subprocess.run([stepway_binary()] + list(args), capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_input_skeletons(self):
        session = botocore.session.get_session()
        for service in ("stepfunctions", "transfer"):
            model = session.get_service_model(service)
            for name in model.operation_names:
                command = xform_name(name, "-")
                shape = model.operation_model(name).input_shape
                ours = _norm(json.loads(self.stepway(service, command,
                                                     "--generate-cli-skeleton")), shape)
                if command in self.SAMPLE[service]:
                    done = subprocess.run([_aws_program(), service, command,
                                           "--generate-cli-skeleton", "input"],
                                          capture_output=True, text=True, timeout=60,
                                          env=aws_environment())
                    self.assertEqual(done.returncode, 0, done.stderr)
                    theirs = json.loads(done.stdout)
                else:
                    theirs = ArgumentGenerator().generate_skeleton(shape) if shape else {}
                    theirs = json.loads(json.dumps(theirs, default=lambda d: d.isoformat()))
                theirs = _norm(theirs, shape)
                self.assertTrue(_subset(ours, theirs),
                                "%s %s:\nours   %s\ntheirs %s" % (service, command, ours, theirs))

    def test_yaml_input_skeleton_is_the_json_one(self):
        for service, command in (("transfer", "send-workflow-step-state"),
                                 ("stepfunctions", "create-state-machine"),
                                 ("transfer", "create-workflow")):
            as_json = json.loads(self.stepway(service, command, "--generate-cli-skeleton"))
            text = self.stepway(service, command, "--generate-cli-skeleton", "yaml-input")
            as_yaml = yaml.safe_load(text)
            self.assertEqual(as_yaml, as_json, text)
        text = self.stepway("transfer", "send-workflow-step-state", "--generate-cli-skeleton",
                            "yaml-input")
        self.assertIn("WorkflowId: ''  # [REQUIRED] A unique identifier for the workflow.", text)
        self.assertIn("Valid values are: SUCCESS, FAILURE.", text)

    def test_output_skeletons(self):
        # The aws CLI (v1) prints output skeletons only for commands given their required
        # options, and fails on some of its own Transfer samples; botocore's generator with
        # member names is what it prints.
        for service, command in (("stepfunctions", "list-state-machines"),
                                 ("stepfunctions", "list-activities")):
            ours = json.loads(self.stepway(service, command, "--generate-cli-skeleton", "output"))
            done = subprocess.run([_aws_program(), service, command, "--generate-cli-skeleton",
                                   "output"], capture_output=True, text=True, timeout=60,
                                  env=aws_environment())
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(ours, json.loads(done.stdout), command)
        session = botocore.session.get_session()
        for service in ("stepfunctions", "transfer"):
            model = session.get_service_model(service)
            for name in model.operation_names:
                operation = model.operation_model(name)
                required = operation.input_shape.required_members if operation.input_shape else []
                if any(operation.input_shape.members[m].type_name != "string" for m in required):
                    continue  # sampled with string options only
                args = []
                for member in required:
                    args += ["--" + xform_name(member, "-"), "x" * 40]
                done = subprocess.run([stepway_binary(), service, xform_name(name, "-")] + args +
                                      ["--generate-cli-skeleton", "output"],
                                      capture_output=True, text=True, timeout=60)
                if done.returncode != 0:
                    continue  # an input the client validates (a minimum length, say)
                ours = json.loads(done.stdout) if done.stdout.strip() else {}
                shape = operation.output_shape
                theirs = (ArgumentGenerator(use_member_names=True).generate_skeleton(shape)
                          if shape else {})
                theirs = json.loads(json.dumps(theirs, default=lambda d: d.isoformat()))
                self.assertTrue(_subset(ours, theirs), "%s %s" % (service, name))


class TransferCommandsTest(CliTestCase):
    """Transfer commands: option names, typing and validation from the model; against the server
    both tools get the same answers."""

    def test_send_workflow_step_state(self):
        args = ["send-workflow-step-state", "--workflow-id", "w-0123456789abcdef0",
                "--execution-id", "11111111-2222-3333-4444-555555555555", "--token", "tok",
                "--status", "SUCCESS"]
        self.both(*args, service="transfer")
        missing = self.stepway("send-workflow-step-state", "--workflow-id", "w-0123456789abcdef0",
                               service="transfer")
        self.assertEqual(missing.code, USAGE_ERROR, missing)
        self.assertIn("the following arguments are required: --execution-id, --token, --status",
                      missing.stderr)

    def test_list_and_create_commands(self):
        self.both("list-servers", service="transfer")
        self.both("list-workflows", "--max-items", "1", service="transfer")
        steps = json.dumps([{"Type": "DELETE", "DeleteStepDetails": {"Name": "d",
                                                                   "SourceFileLocation": "${previous.file}"}}])
        created = self.stepway("create-workflow", "--steps", steps, "--description", "x",
                               "--tags", "Key=k,Value=v", service="transfer")
        self.assertEqual(created.code, 0, created)
        workflow_id = created.json["WorkflowId"]
        self.assertRegex(workflow_id, r"^w-[a-z0-9]{17}$")
        self.both("describe-workflow", "--workflow-id", workflow_id, service="transfer")
        self.both("list-workflows", service="transfer")
        self.both("list-executions", "--workflow-id", workflow_id, service="transfer")
        server = self.stepway("create-server", "--domain", "S3", "--protocols", "SFTP",
                              service="transfer")
        self.assertEqual(server.code, 0, server)
        server_id = server.json["ServerId"]
        # DescribeServer also answers Port, which the model lacks: both clients leave it out.
        described = self.both("describe-server", "--server-id", server_id, service="transfer")
        self.assertNotIn("Port", described.json["Server"])
        user = self.stepway("create-user", "--server-id", server_id, "--user-name", "alice",
                            "--role", "arn:aws:iam::123456789012:role/x",
                            "--home-directory-type", "LOGICAL",
                            "--home-directory-mappings", "Entry=/,Target=/bucket/alice",
                            service="transfer")
        self.assertEqual(user.json, {"ServerId": server_id, "UserName": "alice"})
        self.both("describe-user", "--server-id", server_id, "--user-name", "alice",
                  service="transfer")
        self.both("describe-server", "--server-id", server_id, "--query", "Server.State",
                  service="transfer", output="text")
        deleted = self.stepway("delete-server", "--server-id", server_id, service="transfer")
        self.assertEqual((deleted.code, deleted.stdout), (0, ""), deleted)
        self.both("describe-server", "--server-id", server_id, service="transfer")
        bad = self.stepway("create-workflow", "--steps", '[{"Type": 5}]', service="transfer")
        self.assertEqual(bad.code, USAGE_ERROR, bad)
        self.assertIn("Invalid type for parameter Steps[0].Type", bad.stderr)


if __name__ == "__main__":
    unittest.main()
