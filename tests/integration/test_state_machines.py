"""State machines over the wire: Create/Describe/List/Update/Delete, Validate, tags, and the
error shapes boto3 and the aws CLI see."""

import json
import unittest

from server import (ACCOUNT, PASS, REGION, ROLE, ServerTestCase, definition, wait_for_status)

MACHINE_PREFIX = "arn:aws:states:%s:%s:stateMachine:" % (REGION, ACCOUNT)


class StateMachineTest(ServerTestCase):

    def test_create_standard_and_express_with_boto3(self):
        arn = self.create_machine(self.name("-std"))
        self.assertEqual(arn, MACHINE_PREFIX + self.name("-std"))
        express = self.create_machine(self.name("-exp"), type_="EXPRESS")
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=express)["type"],
                         "EXPRESS")
        d = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual(d["type"], "STANDARD")
        self.assertEqual(d["status"], "ACTIVE")
        self.assertEqual(d["definition"], PASS)
        self.assertEqual(d["roleArn"], ROLE)
        self.assertEqual(d["name"], self.name("-std"))
        self.assertEqual(d["loggingConfiguration"]["level"], "OFF")

    def test_create_is_idempotent_for_an_identical_request(self):
        first = self.sfn.create_state_machine(name=self.name(), definition=PASS, roleArn=ROLE)
        again = self.sfn.create_state_machine(name=self.name(), definition=PASS, roleArn=ROLE)
        self.assertEqual(first["stateMachineArn"], again["stateMachineArn"])
        self.assertEqual(first["creationDate"], again["creationDate"])
        other = definition({"Other": {"Type": "Pass", "End": True}})
        with self.assertRaises(self.sfn.exceptions.StateMachineAlreadyExists):
            self.sfn.create_state_machine(name=self.name(), definition=other, roleArn=ROLE)
        with self.assertRaises(self.sfn.exceptions.StateMachineAlreadyExists):
            self.sfn.create_state_machine(name=self.name(), definition=PASS, roleArn=ROLE,
                                          type="EXPRESS")

    def test_create_with_the_cli(self):
        out = self.aws("create-state-machine", "--name", self.name(), "--definition", PASS,
                       "--role-arn", ROLE, "--type", "EXPRESS").json
        self.assertEqual(out["stateMachineArn"], MACHINE_PREFIX + self.name())
        self.assertIsInstance(out["creationDate"], (int, float))
        again = self.aws("create-state-machine", "--name", self.name(), "--definition", PASS,
                         "--role-arn", ROLE, "--type", "EXPRESS").json
        self.assertEqual(again["stateMachineArn"], out["stateMachineArn"])
        clash = self.aws("create-state-machine", "--name", self.name(), "--definition", PASS,
                         "--role-arn", ROLE, check=False)
        self.assertCliError(clash, "StateMachineAlreadyExists", "CreateStateMachine")
        d = self.aws("describe-state-machine", "--state-machine-arn", out["stateMachineArn"]).json
        self.assertEqual(d["type"], "EXPRESS")
        self.assertEqual(json.loads(d["definition"]), json.loads(PASS))

    def test_invalid_definition(self):
        bad = definition({"P": {"Type": "Pass", "Next": "Nowhere"}})
        with self.assertRaises(self.sfn.exceptions.InvalidDefinition) as e:
            self.sfn.create_state_machine(name=self.name(), definition=bad, roleArn=ROLE)
        self.assertIn("Nowhere", str(e.exception))
        result = self.aws("create-state-machine", "--name", self.name(), "--definition", bad,
                          "--role-arn", ROLE, check=False)
        self.assertCliError(result, "InvalidDefinition", "CreateStateMachine")
        with self.assertRaises(self.sfn.exceptions.InvalidDefinition):
            self.sfn.create_state_machine(name=self.name(), definition="{not json", roleArn=ROLE)
        # An EXPRESS machine may not use activities.
        activity = "arn:aws:states:%s:%s:activity:a" % (REGION, ACCOUNT)
        express_bad = definition({"T": {"Type": "Task", "Resource": activity, "End": True}})
        with self.assertRaises(self.sfn.exceptions.InvalidDefinition):
            self.sfn.create_state_machine(name=self.name(), definition=express_bad,
                                          roleArn=ROLE, type="EXPRESS")

    def test_invalid_name_and_arn(self):
        with self.assertRaises(self.sfn.exceptions.InvalidName):
            self.sfn.create_state_machine(name="has space", definition=PASS, roleArn=ROLE)
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            self.sfn.create_state_machine(name=self.name(), definition=PASS, roleArn="role")
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            self.sfn.describe_state_machine(stateMachineArn="not-an-arn")
        with self.assertRaises(self.sfn.exceptions.InvalidArn):
            # An activity ARN where a state machine's is expected.
            self.sfn.describe_state_machine(
                stateMachineArn="arn:aws:states:%s:%s:activity:x" % (REGION, ACCOUNT))
        result = self.aws("describe-state-machine", "--state-machine-arn", "not-an-arn",
                          check=False)
        self.assertCliError(result, "InvalidArn", "DescribeStateMachine")
        result = self.aws("create-state-machine", "--name", "a/b", "--definition", PASS,
                          "--role-arn", ROLE, check=False)
        self.assertCliError(result, "InvalidName", "CreateStateMachine")

    def test_validation_exception_messages(self):
        long_name = "n" * 81
        with self.assertRaises(self.sfn.exceptions.ValidationException) as e:
            self.sfn.create_state_machine(name=long_name, definition=PASS, roleArn=ROLE)
        self.assertEqual(
            e.exception.response["Error"]["Message"],
            "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: "
            "Member must have length less than or equal to 80" % long_name)
        with self.assertRaises(self.sfn.exceptions.ValidationException) as e:
            self.sfn.create_state_machine(name=self.name(), definition=PASS, roleArn=ROLE,
                                          type="SOMETIMES")
        self.assertEqual(
            e.exception.response["Error"]["Message"],
            "1 validation error detected: Value 'SOMETIMES' at 'type' failed to satisfy "
            "constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]")
        with self.assertRaises(self.sfn.exceptions.ValidationException) as e:
            self.sfn.list_state_machines(maxResults=1001)
        self.assertIn("1 validation error detected: Value '1001' at 'maxResults' failed to "
                      "satisfy constraint: Member must have value less than or equal to 1000",
                      e.exception.response["Error"]["Message"])
        result = self.aws("create-state-machine", "--name", long_name, "--definition", PASS,
                          "--role-arn", ROLE, check=False)
        self.assertCliError(result, "ValidationException", "CreateStateMachine")
        self.assertIn("1 validation error detected: Value '%s' at 'name'" % long_name,
                      result.stderr)

    def test_describe_and_delete_missing(self):
        missing = MACHINE_PREFIX + self.name()
        with self.assertRaises(self.sfn.exceptions.StateMachineDoesNotExist):
            self.sfn.describe_state_machine(stateMachineArn=missing)
        result = self.aws("describe-state-machine", "--state-machine-arn", missing, check=False)
        self.assertCliError(result, "StateMachineDoesNotExist", "DescribeStateMachine")
        with self.assertRaises(self.sfn.exceptions.StateMachineDoesNotExist):
            self.sfn.start_execution(stateMachineArn=missing)
        # Deleting what does not exist succeeds, as on AWS.
        self.sfn.delete_state_machine(stateMachineArn=missing)

    def test_update_and_delete(self):
        arn = self.create_machine(self.name())
        new_definition = definition({"Q": {"Type": "Pass", "Result": 1, "End": True}})
        update = self.sfn.update_state_machine(stateMachineArn=arn, definition=new_definition)
        self.assertIn("revisionId", update)
        d = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual(d["definition"], new_definition)
        self.assertEqual(d["revisionId"], update["revisionId"])
        # The update is used by the next execution.
        e = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        self.assertEqual(wait_for_status(self.sfn, e)["output"], "1")
        # An update must change something.
        with self.assertRaises(self.sfn.exceptions.MissingRequiredParameter):
            self.sfn.update_state_machine(stateMachineArn=arn)
        with self.assertRaises(self.sfn.exceptions.InvalidDefinition):
            self.sfn.update_state_machine(stateMachineArn=arn, definition="{}")
        # The CLI: a new role, then delete.
        new_role = ROLE + "-2"
        out = self.aws("update-state-machine", "--state-machine-arn", arn, "--role-arn",
                       new_role).json
        self.assertIn("updateDate", out)
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["roleArn"],
                         new_role)
        self.aws("delete-state-machine", "--state-machine-arn", arn)
        with self.assertRaises(self.sfn.exceptions.StateMachineDoesNotExist):
            self.sfn.describe_state_machine(stateMachineArn=arn)
        with self.assertRaises(self.sfn.exceptions.StateMachineDoesNotExist):
            self.sfn.update_state_machine(stateMachineArn=arn, definition=PASS)

    def test_list_with_pagination(self):
        names = [self.name("-%02d" % i) for i in range(7)]
        for n in names:
            self.create_machine(n)
        seen = []
        kwargs = {"maxResults": 3}
        pages = 0
        while True:
            page = self.sfn.list_state_machines(**kwargs)
            self.assertLessEqual(len(page["stateMachines"]), 3)
            seen += [m["name"] for m in page["stateMachines"]]
            pages += 1
            if "nextToken" not in page:
                break
            kwargs["nextToken"] = page["nextToken"]
        self.assertGreaterEqual(pages, 3)
        self.assertEqual(len(seen), len(set(seen)), "a machine listed twice")
        for n in names:
            self.assertIn(n, seen)
        # boto3's paginator and the CLI's auto-pagination give the same list.
        paginated = [m["name"] for p in
                     self.sfn.get_paginator("list_state_machines").paginate(
                         PaginationConfig={"PageSize": 2}) for m in p["stateMachines"]]
        self.assertEqual(sorted(paginated), sorted(seen))
        cli = self.aws("list-state-machines", "--page-size", "2").json
        self.assertEqual(sorted(m["name"] for m in cli["stateMachines"]), sorted(seen))
        cli_page = self.aws("list-state-machines", "--max-items", "2").json
        self.assertEqual(len(cli_page["stateMachines"]), 2)
        self.assertIn("NextToken", cli_page)
        with self.assertRaises(self.sfn.exceptions.InvalidToken):
            self.sfn.list_state_machines(nextToken="garbage")

    def test_validate_definition(self):
        ok = self.sfn.validate_state_machine_definition(definition=PASS)
        self.assertEqual(ok["result"], "OK")
        self.assertEqual(ok["diagnostics"], [])
        bad = definition({"P": {"Type": "Pass", "Next": "Nowhere"}})
        fail = self.sfn.validate_state_machine_definition(definition=bad)
        self.assertEqual(fail["result"], "FAIL")
        self.assertTrue(fail["diagnostics"])
        self.assertEqual(fail["diagnostics"][0]["severity"], "ERROR")
        self.assertIn("code", fail["diagnostics"][0])
        cli = self.aws("validate-state-machine-definition", "--definition", bad).json
        self.assertEqual(cli["result"], "FAIL")
        cli_ok = self.aws("validate-state-machine-definition", "--definition", PASS,
                          "--type", "EXPRESS").json
        self.assertEqual(cli_ok["result"], "OK")

    def test_describe_state_machine_for_execution(self):
        arn = self.create_machine(self.name())
        e = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        d = self.sfn.describe_state_machine_for_execution(executionArn=e)
        self.assertEqual(d["stateMachineArn"], arn)
        self.assertEqual(d["name"], self.name())
        self.assertEqual(d["definition"], PASS)
        # It describes the definition the execution ran, even after an update.
        self.sfn.update_state_machine(
            stateMachineArn=arn, definition=definition({"New": {"Type": "Pass", "End": True}}))
        cli = self.aws("describe-state-machine-for-execution", "--execution-arn", e).json
        self.assertEqual(cli["definition"], PASS)
        missing = e + "-missing"
        with self.assertRaises(self.sfn.exceptions.ExecutionDoesNotExist):
            self.sfn.describe_state_machine_for_execution(executionArn=missing)

    def test_tags(self):
        arn = self.sfn.create_state_machine(name=self.name(), definition=PASS, roleArn=ROLE,
                                            tags=[{"key": "team", "value": "a"}])[
                                                "stateMachineArn"]
        self.assertEqual(self.sfn.list_tags_for_resource(resourceArn=arn)["tags"],
                         [{"key": "team", "value": "a"}])
        self.sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"},
                                                     {"key": "team", "value": "b"}])
        tags = {t["key"]: t["value"]
                for t in self.sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
        self.assertEqual(tags, {"team": "b", "env": "test"})
        self.sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
        self.assertEqual(self.sfn.list_tags_for_resource(resourceArn=arn)["tags"],
                         [{"key": "env", "value": "test"}])
        # The CLI on an activity.
        activity = self.create_activity(self.name())
        self.aws("tag-resource", "--resource-arn", activity, "--tags", "key=k1,value=v1",
                 "key=k2,value=v2")
        listed = self.aws("list-tags-for-resource", "--resource-arn", activity).json
        self.assertEqual(sorted((t["key"], t["value"]) for t in listed["tags"]),
                         [("k1", "v1"), ("k2", "v2")])
        self.aws("untag-resource", "--resource-arn", activity, "--tag-keys", "k1")
        listed = self.aws("list-tags-for-resource", "--resource-arn", activity).json
        self.assertEqual(listed["tags"], [{"key": "k2", "value": "v2"}])
        with self.assertRaises(self.sfn.exceptions.ResourceNotFound):
            self.sfn.list_tags_for_resource(resourceArn=MACHINE_PREFIX + "nope")
        result = self.aws("tag-resource", "--resource-arn", MACHINE_PREFIX + "nope", "--tags",
                          "key=a,value=b", check=False)
        self.assertCliError(result, "ResourceNotFound", "TagResource")
        with self.assertRaises(self.sfn.exceptions.TooManyTags):
            self.sfn.tag_resource(resourceArn=arn, tags=[{"key": "k%d" % i, "value": "v"}
                                                         for i in range(51)])


if __name__ == "__main__":
    unittest.main()
