#!/usr/bin/env python3
"""Writes src/api/model_sfn.inc and src/api/model_transfer.inc from the AWS service models.

The service models that ship with botocore are the specification of both APIs: every operation
(input, output, errors) and every shape (type, length/value range, pattern, enum values,
members, required members). Stepway validates requests from these tables; nothing is copied by
hand into a handler.

    python3 tools/gen_model_tables.py            # uses the installed botocore
    python3 tools/gen_model_tables.py --check    # fails if the checked-in tables are stale

Two facts are not in the models, only in AWS's recorded answers, and are kept here as data:
- ENUM_ORDER: the order AWS lists an enum's values in "Member must satisfy enum value set"
  (a Java hash set's order, not the model's).
- SIZE_IN_BYTES: shapes whose max length AWS checks in UTF-8 bytes, with its own wording.
"""

import argparse
import gzip
import html
import json
import os
import re
import sys

import botocore
from botocore import xform_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SERVICES = [
    # (model directory, output file, the client's documentation and paging table)
    ("stepfunctions/2016-11-23", "src/api/model_sfn.inc", "src/cli/cli_tables_sfn.inc"),
    ("transfer/2018-11-05", "src/api/model_transfer.inc", "src/cli/cli_tables_transfer.inc"),
]

# The client (`stepway stepfunctions ...`) names a member with its kebab-case name, except where
# that would clash with a global option: `--output` is the output format, so SendTaskSuccess's
# `output` member is `--task-output`, as the AWS CLI names it.
ARGUMENT_RENAMES = {
    "stepfunctions/2016-11-23": {("SendTaskSuccess", "output"): "task-output"},
}

# Documentation strings are cut to their first paragraph, and to this many characters.
MAX_DOC_CHARS = 400

# Recorded: ListExecutions statusFilter='succeeded' answers "... enum value set: [SUCCEEDED,
# TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]" (tests/api/cases, a-core).
ENUM_ORDER = {
    "stepfunctions/2016-11-23": {
        "ExecutionStatus": ["SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED",
                            "RUNNING"],
    },
}

# Recorded: StartExecution with a 262145-byte input answers "Value at 'input' failed to satisfy
# constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding".
SIZE_IN_BYTES = {
    "stepfunctions/2016-11-23": {"SensitiveData"},
}

TYPES = {
    "string": "kString", "integer": "kInteger", "long": "kLong", "float": "kFloat",
    "double": "kDouble", "boolean": "kBoolean", "timestamp": "kTimestamp", "blob": "kBlob",
    "list": "kList", "map": "kMap", "structure": "kStructure",
}

# Java regex constructs PCRE2 lacks, rewritten. Everything else in the models' patterns
# (\w \d \s \S, classes, lookahead, \p{L} \p{Z} \p{N} \p{M} \P{M}) means the same in PCRE2.
JAVA_CLASSES = {
    "ASCII": (r"\x00-\x7F", False),
    "Print": (r"\x20-\x7E", False),
    "Graph": (r"\x21-\x7E", False),
    "Alnum": (r"a-zA-Z0-9", False),
    "Alpha": (r"a-zA-Z", False),
}


def translate_pattern(pattern):
    """Java regex -> PCRE2 (UTF mode). Raises on a construct this does not know."""
    out = []
    i = 0
    depth = 0  # inside [...]
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            if n == "u" and re.match(r"[0-9A-Fa-f]{4}", pattern[i + 2:i + 6]):
                out.append("\\x{%s}" % pattern[i + 2:i + 6])
                i += 6
                continue
            m = re.match(r"\\([pP])\{(\w+)\}", pattern[i:])
            if m and m.group(2) in JAVA_CLASSES:
                body, _ = JAVA_CLASSES[m.group(2)]
                if m.group(1) == "P":
                    out.append("[^%s]" % body if depth == 0 else None)
                    if out[-1] is None:
                        raise ValueError("negated Java class inside a class: " + pattern)
                else:
                    out.append(body if depth else "[%s]" % body)
                i += len(m.group(0))
                continue
            out.append(pattern[i:i + 2])
            i += 2
            # Java reads "[\w- ]" as \w, '-', ' '; PCRE2 rejects a range from a class escape.
            if depth and n in "wdsWDS" and pattern[i:i + 1] == "-" and pattern[i + 1:i + 2] != "]":
                out.append("\\-")
                i += 1
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out)


def cstr(s):
    """A C++ string literal for s (UTF-8, escapes for quotes, backslashes and controls)."""
    out = ['"']
    for b in s.encode("utf-8"):
        ch = chr(b)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append('\\%03o' % b)
    out.append('"')
    return "".join(out)


def generate(model_dir, model, botocore_version):
    shapes = model["shapes"]
    names = sorted(shapes)
    index = {n: i for i, n in enumerate(names)}
    enum_order = ENUM_ORDER.get(model_dir, {})
    size_in_bytes = SIZE_IN_BYTES.get(model_dir, set())
    lines = []
    lines.append("// Generated by tools/gen_model_tables.py from botocore %s's" % botocore_version)
    lines.append("// data/%s/service-2.json.gz. Do not edit: regenerate with" % model_dir)
    lines.append("//   python3 tools/gen_model_tables.py")
    lines.append("// Included by src/api/model.cc inside its own namespace; needs model.h's types.")
    lines.append("")
    meta = model["metadata"]
    lines.append("inline constexpr std::string_view kTargetPrefix = %s;" % cstr(meta["targetPrefix"]))
    lines.append("inline constexpr std::string_view kJsonVersion = %s;" % cstr(meta["jsonVersion"]))
    lines.append("")

    body = []
    for i, name in enumerate(names):
        s = shapes[name]
        fields = [".name = %s" % cstr(name), ".type = ShapeType::%s" % TYPES[s["type"]]]
        if "min" in s:
            fields.append(".has_min = true, .min = %d" % int(s["min"]))
        if "max" in s:
            fields.append(".has_max = true, .max = %d" % int(s["max"]))
        if "pattern" in s:
            fields.append(".pattern = %s" % cstr(s["pattern"]))
            fields.append(".regex = %s" % cstr(translate_pattern(s["pattern"])))
        if "enum" in s:
            values = enum_order.get(name, s["enum"])
            if sorted(values) != sorted(s["enum"]):
                raise SystemExit("ENUM_ORDER for %s no longer matches the model" % name)
            lines.append("inline constexpr std::string_view kEnum%d[] = {%s};" %
                         (i, ", ".join(cstr(v) for v in values)))
            fields.append(".enum_values = kEnum%d" % i)
        if s["type"] == "structure":
            required = set(s.get("required", []))
            members = s.get("members", {})
            if members:
                lines.append("inline constexpr Member kMembers%d[] = {" % i)
                for mname, m in members.items():
                    lines.append("    {%s, %d, %s}," % (cstr(mname), index[m["shape"]],
                                                       "true" if mname in required else "false"))
                lines.append("};")
                fields.append(".members = kMembers%d" % i)
            if s.get("union"):
                fields.append(".is_union = true")
        if s["type"] == "list":
            fields.append(".value = %d" % index[s["member"]["shape"]])
        if s["type"] == "map":
            fields.append(".key = %d" % index[s["key"]["shape"]])
            fields.append(".value = %d" % index[s["value"]["shape"]])
        if s.get("sensitive"):
            fields.append(".sensitive = true")
        if name in size_in_bytes:
            fields.append(".size_in_bytes = true")
        if s.get("exception"):
            status = s.get("error", {}).get("httpStatusCode", 500 if s.get("fault") else 400)
            fields.append(".is_error = true, .status = %d" % status)
        body.append("    {%s}," % ", ".join(fields))
    lines.append("")
    lines.append("// Sorted by name; shapes refer to each other by index into this table.")
    lines.append("inline constexpr Shape kShapes[] = {")
    lines.extend(body)
    lines.append("};")
    lines.append("")

    ops = model["operations"]
    op_lines = []
    for oname in sorted(ops):
        o = ops[oname]
        errs = [index[e["shape"]] for e in o.get("errors", [])]
        ename = "nullptr, 0"
        if errs:
            lines.append("inline constexpr std::uint16_t kErrors%s[] = {%s};" %
                         (oname, ", ".join(str(e) for e in errs)))
        inp = index[o["input"]["shape"]] if "input" in o else -1
        outp = index[o["output"]["shape"]] if "output" in o else -1
        fields = [".name = %s" % cstr(oname), ".input = %d" % inp, ".output = %d" % outp]
        if errs:
            fields.append(".errors = kErrors%s" % oname)
        op_lines.append("    {%s}," % ", ".join(fields))
    lines.append("")
    lines.append("// Sorted by name.")
    lines.append("inline constexpr Operation kOperations[] = {")
    lines.extend(op_lines)
    lines.append("};")
    return "\n".join(lines) + "\n"


def plain_doc(doc):
    """The first paragraph of a model documentation string (HTML) as plain text."""
    if not doc:
        return ""
    m = re.search(r"<p>(.*?)</p>", doc, re.S)
    text = m.group(1) if m else doc
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_DOC_CHARS:
        cut = text.rfind(". ", 0, MAX_DOC_CHARS)
        text = text[:cut + 1] if cut > 0 else text[:MAX_DOC_CHARS - 3] + "..."
    return text


def generate_cli(model_dir, model, paginators, botocore_version):
    """The client's table: command names, documentation, pagination, one service."""
    shapes = model["shapes"]
    meta = model["metadata"]
    renames = ARGUMENT_RENAMES.get(model_dir, {})
    lines = []
    lines.append("// Generated by tools/gen_model_tables.py from botocore %s's" % botocore_version)
    lines.append("// data/%s/service-2.json.gz and paginators-1.json. Do not edit: regenerate with" %
                 model_dir)
    lines.append("//   python3 tools/gen_model_tables.py")
    lines.append("// Included by src/cli/service_tables.cc inside its own namespace.")
    lines.append("")
    lines.append("inline constexpr std::string_view kCliName = %s;" % cstr(model_dir.split("/")[0]))
    lines.append("inline constexpr std::string_view kSigningName = %s;" %
                 cstr(meta.get("signingName", meta["endpointPrefix"])))
    lines.append("inline constexpr std::string_view kServiceDoc = %s;" %
                 cstr(plain_doc(model.get("documentation", ""))))
    lines.append("")
    lines.append("// Sorted by name, as api::Operations(service).")
    lines.append("inline constexpr OperationDoc kOperationDocs[] = {")
    ops = model["operations"]
    for oname in sorted(ops):
        lines.append("    {%s, %s, %s}," % (cstr(oname), cstr(xform_name(oname, "-")),
                                         cstr(plain_doc(ops[oname].get("documentation")))))
    lines.append("};")
    lines.append("")
    # Members of input shapes get their option names; every structure member its documentation.
    input_of = {}
    for oname, o in ops.items():
        if "input" in o:
            input_of[o["input"]["shape"]] = oname
    lines.append("// Sorted by (shape, member).")
    lines.append("inline constexpr MemberDoc kMemberDocs[] = {")
    for sname in sorted(shapes):
        sh = shapes[sname]
        if sh["type"] != "structure" or sh.get("exception"):
            continue
        for mname in sorted(sh.get("members", {})):
            m = sh["members"][mname]
            cli = xform_name(mname, "-")
            if sname in input_of:
                cli = renames.get((input_of[sname], mname), cli)
            lines.append("    {%s, %s, %s, %s}," % (cstr(sname), cstr(mname), cstr(cli),
                                                   cstr(plain_doc(m.get("documentation")))))
    lines.append("};")
    lines.append("")
    lines.append("// Sorted by operation.")
    lines.append("inline constexpr Paginator kPaginators[] = {")
    for oname in sorted(paginators):
        p = paginators[oname]
        lines.append("    {%s, %s, %s, %s, %s}," % (cstr(oname), cstr(p["input_token"]),
                                                    cstr(p["output_token"]),
                                                    cstr(p.get("limit_key", "")),
                                                    cstr(p["result_key"])))
    lines.append("};")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if an output is stale")
    args = parser.parse_args()
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    stale = False
    for model_dir, out, cli_out in SERVICES:
        with gzip.open(os.path.join(data, model_dir, "service-2.json.gz")) as f:
            model = json.load(f)
        with open(os.path.join(data, model_dir, "paginators-1.json")) as f:
            paginators = json.load(f)["pagination"]
        outputs = [(out, generate(model_dir, model, botocore.__version__)),
                   (cli_out, generate_cli(model_dir, model, paginators, botocore.__version__))]
        for name, text in outputs:
            path = os.path.join(ROOT, name)
            if args.check:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        print("stale: " + name, file=sys.stderr)
                        stale = True
                continue
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote %s (%d operations, %d shapes)" % (name, len(model["operations"]),
                                                           len(model["shapes"])))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
