#!/usr/bin/env python3
"""Runs every workload of bench/workloads/ on Stepway's engine (engine_bench) and on the npm peer
aws-local-stepfunctions (peer_npm.mjs), in one run, and prints transitions/s side by side.

  bash bench/setup_peers.sh                      # once: installs the peer into /tmp/peers
  python3 bench/compare_engine.py build/release/engine_bench [--runs 5]

Both run on one core, back to back, in-process, with no history kept.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_N = {"map-1000": 10, "choice-loop": 20, "choice-loop-task": 20, "payload-heavy": 10,
          "parallel-fanout": 100}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine_bench")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--peer", default="aws-local-stepfunctions")
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(HERE, "workloads", "manifest.json")))
    rows = []
    for name in manifest:
        ours = subprocess.run([args.engine_bench, "--workload", name, "--runs", str(args.runs), "--json"],
                              capture_output=True, text=True, check=True)
        ours = json.loads(ours.stdout.strip().splitlines()[-1])
        peer = subprocess.run(["node", os.path.join(HERE, "peer_npm.mjs"), "--peer", args.peer,
                               "--workload", name, "--n", str(PEER_N.get(name, 200)),
                               "--runs", str(args.runs), "--json"],
                              capture_output=True, text=True)
        peer_tps = None
        if peer.returncode == 0 and peer.stdout.strip():
            peer_tps = json.loads(peer.stdout.strip().splitlines()[-1]).get("transitions_per_s_median")
        rows.append((name, ours["transitions_per_s_median"], peer_tps, ours["latency_ms_p50"],
                     ours["latency_ms_p99"]))
        ratio = f"{ours['transitions_per_s_median'] / peer_tps:8.1f}x" if peer_tps else "     n/a"
        print(f"{name:18} stepway {ours['transitions_per_s_median']:12,.0f}/s   "
              f"{args.peer} {peer_tps or 0:10,.0f}/s   {ratio}", flush=True)
    worst = min((r[1] / r[2] for r in rows if r[2]), default=0)
    print(f"lowest ratio: {worst:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
