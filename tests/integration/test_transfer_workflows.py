"""Transfer Family managed workflows end to end, with real clients: OpenSSH's `sftp` uploads a
file to a Stepway Transfer server; the server's workflow copies and tags it and calls a CUSTOM
step, a Lambda function (a script run by `stepway serve --functions`) that answers with
`stepway transfer send-workflow-step-state` (SUCCESS) or `aws transfer ...` (FAILURE). Also FAILURE, a timeout, a failing COPY (each running
OnExceptionSteps), a partial upload, a zero-byte upload, and a restart while a CUSTOM step
waits."""

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import time
import unittest

from server import ROLE, Server, client, wait_until

FUNCTION = r"""#!/bin/sh
# A CUSTOM step's target: keeps the event, then answers as its name says.
event="$(cat)"
dir="$(dirname "$0")/events"
mkdir -p "$dir"
token="$(printf '%s' "$event" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
printf '%s' "$event" > "$dir/$token.json"
case "$(basename "$0")" in
  approve) status=SUCCESS ;;
  reject) status=FAILURE ;;
  *) echo '{}'; exit 0 ;;
esac
ids="$(printf '%s' "$event" | python3 -c 'import json,sys; d=json.load(sys.stdin)["serviceMetadata"]["executionDetails"]; print(d["workflowId"], d["executionId"])')"
set -- $ids
# SUCCESS through Stepway's own client, FAILURE through the aws CLI.
client=aws
[ "$status" = SUCCESS ] && client="$STEPWAY_BIN"
AWS_ACCESS_KEY_ID=AKIDSTEPWAYTEST AWS_SECRET_ACCESS_KEY=secret AWS_CONFIG_FILE=/dev/null \
  "$client" transfer send-workflow-step-state --endpoint-url "$STEPWAY_ENDPOINT" \
  --workflow-id "$1" --execution-id "$2" --token "$token" --status "$status" >/dev/null
echo '{}'
"""

TARGET = "arn:aws:lambda:us-east-1:123456789012:function:%s"


def custom(name, timeout=60):
    return {"Type": "CUSTOM", "CustomStepDetails": {
        "Name": name, "Target": TARGET % name, "TimeoutSeconds": timeout}}


def copy(bucket, key, overwrite="TRUE", source=None):
    details = {"Name": "copy", "DestinationFileLocation": {
        "S3FileLocation": {"Bucket": bucket, "Key": key}}, "OverwriteExisting": overwrite}
    if source:
        details["SourceFileLocation"] = source
    return {"Type": "COPY", "CopyStepDetails": details}


def tag(**tags):
    return {"Type": "TAG", "TagStepDetails": {
        "Name": "tag", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}}


def delete(source="${original.file}"):
    return {"Type": "DELETE", "DeleteStepDetails": {"Name": "delete",
                                                   "SourceFileLocation": source}}


@unittest.skipUnless(shutil.which("sftp") and shutil.which("ssh-keygen"),
                     "OpenSSH's sftp client is not installed")
class TransferWorkflowTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="stepway-transfer-")
        cls.functions = os.path.join(cls.tmp, "functions")
        os.makedirs(cls.functions)
        for name in ("approve", "reject", "hold"):
            path = os.path.join(cls.functions, name)
            with open(path, "w") as f:
                f.write(FUNCTION)
            os.chmod(path, stat.S_IRWXU)
        cls.key = os.path.join(cls.tmp, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", cls.key],
                       check=True)
        with open(cls.key + ".pub") as f:
            cls.public_key = f.read().strip()
        cls.server = Server(extra_args=["--functions", cls.functions])
        cls.server.start()
        cls.connect()

    @classmethod
    def connect(cls):
        cls.transfer = client(cls.server, service="transfer")

    @classmethod
    def tearDownClass(cls):
        report = cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if report:
            raise AssertionError(report)

    # -- helpers ------------------------------------------------------------------------------

    def make_server(self, steps, on_exception=(), partial_steps=None, domain="S3",
                    home="/inbox/alice"):
        workflow_id = self.transfer.create_workflow(
            Steps=steps, OnExceptionSteps=list(on_exception))["WorkflowId"]
        details = {"OnUpload": [{"WorkflowId": workflow_id, "ExecutionRole": ROLE}]}
        if partial_steps is not None:
            partial_id = self.transfer.create_workflow(Steps=partial_steps)["WorkflowId"]
            details["OnPartialUpload"] = [{"WorkflowId": partial_id, "ExecutionRole": ROLE}]
        server_id = self.transfer.create_server(WorkflowDetails=details,
                                                Domain=domain)["ServerId"]
        self.transfer.create_user(ServerId=server_id, UserName="alice", Role=ROLE,
                                  HomeDirectory=home, SshPublicKeyBody=self.public_key)
        return server_id, details

    def sftp_port(self, server_id):
        import urllib.request
        request = urllib.request.Request(
            self.server.endpoint + "/", data=json.dumps({"ServerId": server_id}).encode(),
            headers={"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "TransferService.DescribeServer"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["Server"]["Port"]

    def sftp_command(self, server_id, extra=()):
        return ["sftp", "-b", "-", "-i", self.key, "-P", str(self.sftp_port(server_id)),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"] + list(extra) + \
               ["alice@127.0.0.1"]

    def upload(self, server_id, name, content):
        local = os.path.join(self.tmp, "upload-" + name)
        with open(local, "wb") as f:
            f.write(content)
        done = subprocess.run(self.sftp_command(server_id), input="put %s %s\n" % (local, name),
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)

    def files(self, *path):
        return os.path.join(self.server.data_dir, "files", "s3", *path)

    def executions(self, workflow_id):
        return self.transfer.list_executions(WorkflowId=workflow_id)["Executions"]

    def finished(self, workflow_id, count=1, timeout=60):
        def done():
            listed = self.executions(workflow_id)
            return len(listed) >= count and all(
                e["Status"] in ("COMPLETED", "EXCEPTION") for e in listed)
        wait_until(done, timeout=timeout, what="the workflow's executions to finish")
        return [self.transfer.describe_execution(WorkflowId=workflow_id,
                                                 ExecutionId=e["ExecutionId"])["Execution"]
                for e in self.executions(workflow_id)]

    def event_of(self, execution_id, timeout=30):
        events = os.path.join(self.functions, "events")

        def find():
            if not os.path.isdir(events):
                return None
            for name in os.listdir(events):
                with open(os.path.join(events, name)) as f:
                    text = f.read()
                if not text:
                    continue
                event = json.loads(text)
                if event["serviceMetadata"]["executionDetails"]["executionId"] == execution_id:
                    return event
            return None
        wait_until(lambda: find() is not None, timeout=timeout, what="the CUSTOM step's event")
        return find()

    def log_events(self, server_id):
        path = os.path.join(self.server.data_dir, "logs", "transfer", server_id + ".log")
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def object_tags(self, bucket, key):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.data_dir, "stepway.db"),
                             uri=True)
        try:
            row = db.execute("SELECT body FROM documents WHERE kind = 'transfer-object-tags' "
                             "AND id = ?", (bucket + "/" + key,)).fetchone()
        finally:
            db.close()
        return json.loads(row[0]) if row else None

    # -- tests --------------------------------------------------------------------------------

    def test_upload_copies_tags_and_calls_back(self):
        server_id, details = self.make_server(
            [copy("archive", "${transfer:UserName}/"), tag(stage="archived"), custom("approve")])
        workflow_id = details["OnUpload"][0]["WorkflowId"]
        self.upload(server_id, "report.csv", b"a,b\n1,2\n")
        with open(self.files("inbox", "alice", "report.csv"), "rb") as f:
            self.assertEqual(f.read(), b"a,b\n1,2\n")
        [execution] = self.finished(workflow_id)
        self.assertEqual(execution["Status"], "COMPLETED", execution)
        with open(self.files("archive", "alice", "report.csv"), "rb") as f:
            self.assertEqual(f.read(), b"a,b\n1,2\n")
        self.assertEqual(self.object_tags("archive", "alice/report.csv"), {"stage": "archived"})
        self.assertEqual(execution["InitialFileLocation"],
                         {"S3FileLocation": {"Bucket": "inbox", "Key": "alice/report.csv"}})
        user = execution["ServiceMetadata"]["UserDetails"]
        self.assertEqual((user["UserName"], user["ServerId"]), ("alice", server_id))
        self.assertEqual(execution["ExecutionRole"], ROLE)
        steps = execution["Results"]["Steps"]
        self.assertEqual([s["StepType"] for s in steps], ["COPY", "TAG", "CUSTOM"])
        self.assertEqual(json.loads(steps[0]["Outputs"])["fileLocation"]["key"],
                         "alice/report.csv")
        self.assertNotIn("Error", steps[2])
        self.assertEqual(execution["Results"]["OnExceptionSteps"], [])
        # The CUSTOM step's target got Transfer's event.
        event = self.event_of(execution["ExecutionId"])
        self.assertRegex(event["token"], r"^\w{1,64}$")
        self.assertEqual(event["serviceMetadata"]["executionDetails"]["workflowId"], workflow_id)
        self.assertEqual(event["serviceMetadata"]["transferDetails"]["serverId"], server_id)
        self.assertEqual(event["serviceMetadata"]["transferDetails"]["userName"], "alice")
        self.assertEqual(event["fileLocation"],
                         {"domain": "S3", "bucket": "archive", "key": "alice/report.csv"})
        # The step is no longer waiting: a second answer is refused.
        with self.assertRaises(self.transfer.exceptions.InvalidRequestException):
            self.transfer.send_workflow_step_state(
                WorkflowId=workflow_id, ExecutionId=execution["ExecutionId"],
                Token=event["token"], Status="SUCCESS")
        with self.assertRaises(self.transfer.exceptions.ResourceNotFoundException):
            self.transfer.send_workflow_step_state(
                WorkflowId=workflow_id, ExecutionId=execution["ExecutionId"],
                Token="0" * 64, Status="SUCCESS")
        # AWS's log events, in order.
        types = [e["type"] for e in self.log_events(server_id)
                 if e["executionId"] == execution["ExecutionId"]]
        self.assertEqual(types, ["ExecutionStarted", "StepStarted", "StepCompleted", "StepStarted",
                                 "StepCompleted", "StepStarted", "ExecutionCompleted"])

    def test_failure_callback_runs_the_exception_steps(self):
        server_id, details = self.make_server([custom("reject")], on_exception=[delete()])
        workflow_id = details["OnUpload"][0]["WorkflowId"]
        self.upload(server_id, "bad.txt", b"bad")
        [execution] = self.finished(workflow_id)
        self.assertEqual(execution["Status"], "EXCEPTION")
        [step] = execution["Results"]["Steps"]
        self.assertEqual(step["Error"]["Type"], "CUSTOM_STEP_FAILED")
        [cleanup] = execution["Results"]["OnExceptionSteps"]
        self.assertEqual(cleanup["StepType"], "DELETE")
        self.assertNotIn("Error", cleanup)
        self.assertFalse(os.path.exists(self.files("inbox", "alice", "bad.txt")))
        types = [e["type"] for e in self.log_events(server_id)]
        self.assertEqual(types[-1], "ExecutionErrored")

    def test_timeout_runs_the_exception_steps(self):
        server_id, details = self.make_server([custom("hold", timeout=1)],
                                              on_exception=[delete()])
        workflow_id = details["OnUpload"][0]["WorkflowId"]
        self.upload(server_id, "slow.txt", b"slow")
        [execution] = self.finished(workflow_id)
        self.assertEqual(execution["Status"], "EXCEPTION")
        self.assertEqual(execution["Results"]["Steps"][0]["Error"]["Type"], "TIMEOUT")
        self.assertEqual(len(execution["Results"]["OnExceptionSteps"]), 1)
        self.assertFalse(os.path.exists(self.files("inbox", "alice", "slow.txt")))
        # The late answer finds no step waiting.
        event = self.event_of(execution["ExecutionId"])
        with self.assertRaises(self.transfer.exceptions.InvalidRequestException):
            self.transfer.send_workflow_step_state(
                WorkflowId=workflow_id, ExecutionId=execution["ExecutionId"],
                Token=event["token"], Status="SUCCESS")

    def test_failing_copy_runs_the_exception_steps(self):
        os.makedirs(self.files("vault"), exist_ok=True)
        with open(self.files("vault", "taken.txt"), "wb") as f:
            f.write(b"old")
        server_id, details = self.make_server(
            [copy("vault", "taken.txt", overwrite="FALSE"), custom("approve")],
            on_exception=[copy("quarantine", "", source="${original.file}")])
        workflow_id = details["OnUpload"][0]["WorkflowId"]
        self.upload(server_id, "taken.txt", b"new")
        [execution] = self.finished(workflow_id)
        self.assertEqual(execution["Status"], "EXCEPTION")
        [failed] = execution["Results"]["Steps"]  # the CUSTOM step never ran
        self.assertEqual(failed["StepType"], "COPY")
        self.assertEqual(failed["Error"]["Type"], "ALREADY_EXISTS")
        with open(self.files("vault", "taken.txt"), "rb") as f:
            self.assertEqual(f.read(), b"old")
        with open(self.files("quarantine", "taken.txt"), "rb") as f:
            self.assertEqual(f.read(), b"new")

    @unittest.skipUnless(shutil.which("gpg"), "GnuPG is not installed")
    def test_decrypt_with_the_servers_pgp_key(self):
        home = tempfile.mkdtemp(prefix="gpg-", dir=self.tmp)

        def gpg(*args):
            subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", "--quiet",
                            "--pinentry-mode", "loopback", "--passphrase", "s3cret"] + list(args),
                           check=True, capture_output=True, timeout=60)
        try:
            gpg("--quick-gen-key", "partner <partner@example.com>", "future-default", "default",
                "never")
            secret = os.path.join(home, "secret.asc")
            gpg("--armor", "--output", secret, "--export-secret-keys", "partner@example.com")
            plain = os.path.join(self.tmp, "payroll.csv")
            with open(plain, "wb") as f:
                f.write(b"name,amount\nalice,1\n")
            encrypted = plain + ".gpg"
            gpg("--output", encrypted, "--recipient", "partner@example.com", "--encrypt", plain)
        finally:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"],
                           capture_output=True)
        server_id, details = self.make_server([{"Type": "DECRYPT", "DecryptStepDetails": {
            "Name": "decrypt", "Type": "PGP", "OverwriteExisting": "TRUE",
            "DestinationFileLocation": {"S3FileLocation": {"Bucket": "clear", "Key": "in/"}}}}])
        # The server's key, where AWS keeps it in Secrets Manager: aws/transfer/SERVER/@pgp-default.
        keys = os.path.join(self.server.data_dir, "pgp", server_id)
        os.makedirs(keys)
        with open(secret) as f, open(os.path.join(keys, "@pgp-default.json"), "w") as out:
            json.dump({"PGPPrivateKey": f.read(), "PGPPassphrase": "s3cret"}, out)
        with open(encrypted, "rb") as f:
            self.upload(server_id, "payroll.csv.gpg", f.read())
        [execution] = self.finished(details["OnUpload"][0]["WorkflowId"])
        self.assertEqual(execution["Status"], "COMPLETED", execution)
        with open(self.files("clear", "in", "payroll.csv"), "rb") as f:
            self.assertEqual(f.read(), b"name,amount\nalice,1\n")

    def test_efs_files_copy_but_do_not_tag(self):
        fs_id = "fs-0123456789abcdef0"
        server_id, details = self.make_server(
            [{"Type": "COPY", "CopyStepDetails": {"Name": "keep", "DestinationFileLocation": {
                "EfsFileLocation": {"FileSystemId": fs_id, "Path": "/kept/"}}}},
             tag(stage="x")],
            on_exception=[delete()], domain="EFS", home="/%s/alice" % fs_id)
        self.upload(server_id, "data.bin", b"efs")
        [execution] = self.finished(details["OnUpload"][0]["WorkflowId"])
        self.assertEqual(execution["InitialFileLocation"],
                         {"EfsFileLocation": {"FileSystemId": fs_id, "Path": "/alice/data.bin"}})
        efs = os.path.join(self.server.data_dir, "files", "efs", fs_id)
        with open(os.path.join(efs, "kept", "data.bin"), "rb") as f:
            self.assertEqual(f.read(), b"efs")
        self.assertEqual(execution["Status"], "EXCEPTION")
        self.assertEqual(execution["Results"]["Steps"][1]["Error"]["Type"], "BAD_REQUEST")
        self.assertFalse(os.path.exists(os.path.join(efs, "alice", "data.bin")))

    def test_zero_byte_uploads_start_nothing(self):
        server_id, details = self.make_server([delete()])
        self.upload(server_id, "empty.txt", b"")
        self.upload(server_id, "full.txt", b"x")
        workflow_id = details["OnUpload"][0]["WorkflowId"]
        [execution] = self.finished(workflow_id)
        self.assertEqual(execution["InitialFileLocation"]["S3FileLocation"]["Key"],
                         "alice/full.txt")
        self.assertTrue(os.path.exists(self.files("inbox", "alice", "empty.txt")))

    def test_partial_upload_starts_the_partial_workflow(self):
        server_id, details = self.make_server(
            [delete()], partial_steps=[copy("partial", "", source="${original.file}")])
        local = os.path.join(self.tmp, "big.bin")
        with open(local, "wb") as f:
            f.write(os.urandom(4 << 20))
        # 400 Kbit/s: the upload takes long enough to be cut off mid-way.
        process = subprocess.Popen(self.sftp_command(server_id, extra=["-l", "400"]),
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, text=True)
        process.stdin.write("put %s big.bin\n" % local)
        process.stdin.flush()
        target = self.files("inbox", "alice", "big.bin")
        wait_until(lambda: os.path.exists(target) and os.path.getsize(target) > 0,
                   what="the upload to begin")
        process.kill()
        process.wait()
        partial_id = details["OnPartialUpload"][0]["WorkflowId"]
        [execution] = self.finished(partial_id)
        self.assertEqual(execution["Status"], "COMPLETED")
        self.assertEqual(self.executions(details["OnUpload"][0]["WorkflowId"]), [])
        size = os.path.getsize(self.files("partial", "big.bin"))
        self.assertGreater(size, 0)
        self.assertLess(size, 4 << 20)

    def test_a_waiting_custom_step_survives_a_restart(self):
        server_id, details = self.make_server([custom("hold", timeout=600), delete()])
        workflow_id = details["OnUpload"][0]["WorkflowId"]
        self.upload(server_id, "wait.txt", b"wait")
        wait_until(lambda: len(self.executions(workflow_id)) == 1, what="the execution")
        execution_id = self.executions(workflow_id)[0]["ExecutionId"]
        event = self.event_of(execution_id)
        wait_until(lambda: self.transfer.describe_execution(
            WorkflowId=workflow_id, ExecutionId=execution_id)["Execution"]["Results"]["Steps"],
            what="the CUSTOM step to start")
        self.server.restart(crash=True)
        type(self).connect()
        self.assertEqual(self.executions(workflow_id)[0]["Status"], "IN_PROGRESS")
        self.transfer.send_workflow_step_state(WorkflowId=workflow_id, ExecutionId=execution_id,
                                               Token=event["token"], Status="SUCCESS")
        [execution] = self.finished(workflow_id)
        self.assertEqual(execution["Status"], "COMPLETED")
        self.assertFalse(os.path.exists(self.files("inbox", "alice", "wait.txt")))
        # The server is back online, serving its users.
        self.assertEqual(self.transfer.describe_server(ServerId=server_id)["Server"]["State"],
                         "ONLINE")
        self.upload(server_id, "again.txt", b"again")


if __name__ == "__main__":
    unittest.main()
