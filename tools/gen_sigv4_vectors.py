#!/usr/bin/env python3
"""Writes tests/api/sigv4_vectors.json: requests signed by botocore itself (SigV4Auth).

src/api/sigv4_test.cc replays each request through VerifySigV4 with the same credentials and
clock, so Stepway's verifier is checked against the signer every AWS SDK for Python uses.

    python3 tools/gen_sigv4_vectors.py
"""

import datetime
import json
import os
from unittest import mock

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "api", "sigv4_vectors.json")

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime.datetime(2024, 3, 9, 12, 34, 56)

CASES = [
    # name, service, region, target header, content type, path, body, extra headers
    ("sfn_list_state_machines", "states", "us-east-1", "AWSStepFunctions.ListStateMachines",
     "application/x-amz-json-1.0", "/", "{}", {}),
    ("sfn_start_execution_unicode", "states", "eu-west-1", "AWSStepFunctions.StartExecution",
     "application/x-amz-json-1.0", "/",
     json.dumps({"stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:m",
                 "input": json.dumps({"greeting": "h\u00e9llo \u4e16\u754c"})}), {}),
    ("sfn_empty_body", "states", "us-east-1", "AWSStepFunctions.ListActivities",
     "application/x-amz-json-1.0", "/", "", {}),
    ("sfn_session_token", "states", "us-west-2", "AWSStepFunctions.DescribeExecution",
     "application/x-amz-json-1.0", "/",
     '{"executionArn": "arn:aws:states:us-west-2:123456789012:execution:m:e"}',
     {"X-Amz-Security-Token": "FQoGZXIvYXdzEBYaDExampleSessionToken"}),
    ("transfer_list_servers", "transfer", "us-east-1", "TransferService.ListServers",
     "application/x-amz-json-1.1", "/", '{"MaxResults": 10}', {}),
    ("transfer_path_and_query", "transfer", "ap-southeast-2", "TransferService.DescribeServer",
     "application/x-amz-json-1.1", "/a/./b/../c%20d/?b=2&a=1&a=0&sp=x%20y",
     '{"ServerId": "s-01234567890abcdef"}', {"X-Extra": "  spaced   value  "}),
]


def sign(service, region, target, content_type, path, body, extra):
    creds = Credentials(ACCESS_KEY, SECRET_KEY,
                        extra.get("X-Amz-Security-Token"))
    url = "https://%s.%s.amazonaws.com%s" % (service, region, path)
    headers = {"X-Amz-Target": target, "Content-Type": content_type}
    headers.update({k: v for k, v in extra.items() if k != "X-Amz-Security-Token"})
    request = AWSRequest(method="POST", url=url, data=body.encode("utf-8"), headers=headers)
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        SigV4Auth(creds, service, region).add_auth(request)
    # What the server receives: every header botocore set, plus Host.
    out = [["Host", "%s.%s.amazonaws.com" % (service, region)]]
    out += [[k, v] for k, v in request.headers.items()]
    return out


def main():
    vectors = []
    for name, service, region, target, ctype, path, body, extra in CASES:
        headers = sign(service, region, target, ctype, path, body, extra)
        vectors.append({"name": name, "service": service, "region": region, "method": "POST",
                        "target": path, "headers": headers, "body": body})
    doc = {
        "generator": "tools/gen_sigv4_vectors.py with botocore %s" % botocore.__version__,
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "now": NOW.strftime("%Y%m%dT%H%M%SZ"),
        "vectors": vectors,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote %s (%d vectors)" % (os.path.relpath(OUT, ROOT), len(vectors)))


if __name__ == "__main__":
    main()
