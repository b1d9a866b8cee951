#!/usr/bin/env python3
"""Runs the integration tests: the real `stepway serve`, driven by the aws CLI and boto3.

    python3 tests/integration/run.py --stepway build/release/stepway [-k PATTERN] [-v] [-j N]
                                     [test_module ...]

Discovers tests/integration/test_*.py (or runs the named modules), runs them with the standard
library's unittest, and ends by printing `N passed, M failed` on its own line; the exit code
is non-zero when a test failed (or none ran). `-j N` runs up to N test modules at once, each in
its own process (each test class starts its own servers, on free ports, so they do not meet).
Needs boto3: when this python lacks it, run.py re-executes itself with /usr/bin/python3.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def ensure_boto3():
    try:
        import boto3  # noqa: F401
        return
    except ImportError:
        pass
    fallback = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(fallback) and os.path.exists(fallback):
        probe = subprocess.run([fallback, "-c", "import boto3"], capture_output=True)
        if probe.returncode == 0:
            os.execv(fallback, [fallback] + sys.argv)
    print("run.py: boto3 is not installed (apt-get install python3-boto3)", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def select(suite, pattern):
    out = unittest.TestSuite()
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            out.addTests(select(item, pattern))
        elif pattern is None or pattern in item.id():
            out.addTest(item)
    return out


def load(modules):
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if not modules:
        return loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    return loader.loadTestsFromNames([m[:-3] if m.endswith(".py") else m for m in modules])


def run_here(args):
    suite = select(load(args.modules), args.k)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2 if args.verbose else 1,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if result.skipped:
        print("%d skipped" % len(result.skipped))
    print("%d passed, %d failed" % (result.passed, failed))
    return 0 if failed == 0 and result.passed > 0 else 1


def run_parallel(args):
    modules = args.modules or sorted(f for f in os.listdir(HERE)
                                     if f.startswith("test_") and f.endswith(".py"))

    def one(module):
        argv = [sys.executable, os.path.abspath(__file__), "--stepway", args.stepway, "-j", "1",
                module]
        if args.k:
            argv += ["-k", args.k]
        if args.verbose:
            argv.append("-v")
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True)
        return module, done, time.monotonic() - started

    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for module, done, seconds in pool.map(one, modules):
            output = done.stdout + done.stderr
            counts = SUMMARY.findall(done.stdout)
            p, f = (int(counts[-1][0]), int(counts[-1][1])) if counts else (0, 1)
            passed += p
            failed += f
            print("== %s: %d passed, %d failed (%.1fs)" % (module, p, f, seconds))
            if f or args.verbose or done.returncode != 0:
                print(output)
            sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stepway", required=True, help="the stepway binary")
    parser.add_argument("-k", help="run only tests whose id contains this")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="test modules run at once (default 2)")
    parser.add_argument("modules", nargs="*", help="test modules (default: all test_*.py)")
    args = parser.parse_args()
    ensure_boto3()
    args.stepway = os.path.abspath(args.stepway)
    if not os.access(args.stepway, os.X_OK):
        print("run.py: %s is not an executable" % args.stepway, file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    os.environ["STEPWAY_BIN"] = args.stepway
    if args.jobs > 1:
        return run_parallel(args)
    return run_here(args)


if __name__ == "__main__":
    sys.exit(main())
