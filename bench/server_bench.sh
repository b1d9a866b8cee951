#!/usr/bin/env bash
# The server benchmarks: `stepway serve` driven over HTTP by callback_bench (bench/load/).
#
#   bench/server_bench.sh STEPWAY_BINARY [CALLBACK_BENCH_BINARY]
#
# Builds nothing. For each scenario it starts `stepway serve --listen 127.0.0.1:0 --data
# $(mktemp -d)` (the port is read from its "serving Step Functions on http://127.0.0.1:PORT"
# line), runs the scenario, stops the server (SIGTERM, by the pid it started), and at the end
# prints a summary. Scenarios (SCENARIOS, in this order by default):
#   callback   N executions Pass -> Task(activity) -> Pass; tokens collected with
#              GetActivityTask, then completed (timed) with SendTaskSuccess over CONNS connections
#   roundtrip  WORKERS workers GetActivityTask -> SendTaskSuccess while FEEDERS start executions
#   start      10-state Pass machine: StartExecution STANDARD and EXPRESS, StartSyncExecution
#   park       PARK_N executions parked on .waitForTaskToken: server RSS before/after, then
#              kill -9, restart on the same data folder, time until DescribeExecution answers,
#              then SendTaskSuccess for WAKE_N of them (on disk only: each call reloads one)
#   ceiling    bench/http_ceiling.sh (nginx + wrk) for the SendTaskSuccess/ceiling ratio;
#              installs nginx-light and wrk when missing and running as root
# Environment: N (20000) CONNS (64) WORKERS (64) FEEDERS (8) PARK_N (200000) WAKE_N (2000)
#   CLIENT_THREADS (1)
#   CEILING_DUR (5s) SERVE_ARGS (extra `stepway serve` flags) OUT_DIR (bench/results)
#   PERF=SCENARIO  record `perf record $PERF_ARGS` (default -g) on the server during that
#                  scenario (callback, roundtrip, start, park, or restart: the recovery)
#                  (written to $OUT_DIR/perf-SCENARIO.data)
# Output: $OUT_DIR/server_bench.txt (everything) and $OUT_DIR/server_bench.jsonl (JSON lines).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
stepway="${1:?usage: server_bench.sh STEPWAY_BINARY [CALLBACK_BENCH_BINARY]}"
client="${2:-$(dirname "$stepway")/callback_bench}"
[[ -x "$stepway" ]] || { echo "server_bench: $stepway is not executable" >&2; exit 2; }
[[ -x "$client" ]] || { echo "server_bench: $client is not executable (build callback_bench)" >&2; exit 2; }

N="${N:-20000}"
CONNS="${CONNS:-64}"
WORKERS="${WORKERS:-64}"
FEEDERS="${FEEDERS:-8}"
PARK_N="${PARK_N:-200000}"
WAKE_N="${WAKE_N:-2000}"
CLIENT_THREADS="${CLIENT_THREADS:-1}"
CEILING_DUR="${CEILING_DUR:-5s}"
SERVE_ARGS="${SERVE_ARGS:-}"
SCENARIOS="${SCENARIOS:-callback roundtrip start park ceiling}"
PERF="${PERF:-}"
open_results server_bench

perf_pid=""

# start_server DATA_DIR LISTEN: starts stepway serve, waits for its "serving" line.
start_server() {
  local data="$1" listen="$2"
  server_log="$(mktemp)"
  # shellcheck disable=SC2086
  "$stepway" serve --listen "$listen" --data "$data" $SERVE_ARGS 2>"$server_log" &
  server_pid=$!
  wait_serving 60000  # up to 10 minutes (recovery of many executions)
}

start_perf() {
  [[ "$PERF" == "$1" ]] || return 0
  command -v perf >/dev/null || { log "(perf not found)"; return 0; }
  # shellcheck disable=SC2086
  perf record -F 499 ${PERF_ARGS:--g} -p "$server_pid" -o "$out/perf-$1.data" >/dev/null 2>&1 &
  perf_pid=$!
}

stop_perf() {
  [[ -n "$perf_pid" ]] || return 0
  kill -INT "$perf_pid" 2>/dev/null
  wait "$perf_pid" 2>/dev/null
  perf_pid=""
  log "perf data: $out/perf-$PERF.data (perf report -i $out/perf-$PERF.data --no-children)"
}

# run_client ARGS...: runs callback_bench against the server; output to both files.
run_client() {
  run "$client" --port "$server_port" --server-pid "$server_pid" --threads "$CLIENT_THREADS" "$@"
}

cleanup() {
  stop_perf
  stop_server
}
trap cleanup EXIT

log_header server_bench
log "# stepway: $stepway  client: $client (threads $CLIENT_THREADS)"
log "# N=$N CONNS=$CONNS WORKERS=$WORKERS FEEDERS=$FEEDERS PARK_N=$PARK_N SERVE_ARGS='$SERVE_ARGS'"

failed=0
for scenario in $SCENARIOS; do
  case "$scenario" in
  callback | roundtrip | start)
    data="$(mktemp -d)"
    start_server "$data" 127.0.0.1:0 || { log "server did not start"; failed=1; continue; }
    log "## $scenario (server pid $server_pid, port $server_port, data $data)"
    start_perf "$scenario"
    case "$scenario" in
    callback) run_client callback --n "$N" --connections "$CONNS" ;;
    roundtrip) run_client roundtrip --n "$N" --workers "$WORKERS" --feeders "$FEEDERS" ;;
    start) run_client start --n "$N" --connections "$CONNS" ;;
    esac
    [[ $? -eq 0 ]] || failed=1
    stop_perf
    log "$scenario: server VmRSS at the end $(grep VmRSS "/proc/$server_pid/status" | tr -s ' ')"
    stop_server
    rm -rf "$data"
    ;;
  park)
    data="$(mktemp -d)"
    start_server "$data" 127.0.0.1:0 || { log "server did not start"; failed=1; continue; }
    log "## park (server pid $server_pid, port $server_port, data $data)"
    start_perf park
    run_client park --n "$PARK_N" --connections "$CONNS" || failed=1
    stop_perf
    probe="$(grep '"probe_arn"' "$jsonl" | tail -1 | sed 's/.*"probe_arn":"\([^"]*\)".*/\1/')"
    log "park: data folder $(du -sh "$data" | cut -f1); kill -9 $server_pid"
    kill -KILL "$server_pid"
    wait "$server_pid" 2>/dev/null
    port="$server_port"
    t0="$(date +%s%N)"
    "$stepway" serve --listen "127.0.0.1:$port" --data "$data" $SERVE_ARGS 2>"$server_log" &
    server_pid=$!
    [[ "$PERF" == restart ]] && start_perf restart
    server_port="$port"
    run_client ready --execution-arn "$probe" --t0-ns "$t0" --timeout 900 || failed=1
    stop_perf
    # Callbacks for parked executions that are on disk only: each one reloads its execution.
    run_client wake --execution-arn "$probe" --of "$PARK_N" --n "$WAKE_N" \
      --connections "$CONNS" || failed=1
    log "restart: $(grep -o 'serving Step Functions.*' "$server_log"); VmRSS after recovery $(grep VmRSS "/proc/$server_pid/status" | tr -s ' ')"
    stop_server
    rm -rf "$data"
    ;;
  ceiling)
    if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
      if [[ "$(id -u)" == 0 ]]; then
        apt-get install -y nginx-light wrk >/dev/null 2>&1 ||
          { apt-get update >/dev/null 2>&1 && apt-get install -y nginx-light wrk >/dev/null 2>&1; }
      fi
    fi
    if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
      log "ceiling: nginx or wrk missing (apt-get install -y nginx-light wrk); skipped"
      continue
    fi
    log "## ceiling (bench/http_ceiling.sh, DUR=$CEILING_DUR, load $(cut -d' ' -f1 /proc/loadavg))"
    DUR="$CEILING_DUR" bash "$here/http_ceiling.sh" >/dev/null 2>&1
    cat "$here/results/http_ceiling.txt" >>"$txt"
    python3 - "$here/results/http_ceiling.txt" >>"$jsonl" <<'EOF'
import json, re, sys
workers, section, out = None, None, {}
for line in open(sys.argv[1]):
    m = re.match(r"=== nginx worker_processes=(\S+)", line)
    if m: workers = m.group(1); continue
    if line.startswith("--- "): section = line[4:].strip(); continue
    m = re.match(r"Requests/sec:\s+([\d.]+)", line)
    if m and workers and section:
        key = ("get_static" if "static" in section else "get_return" if section.startswith("GET /")
               else "post_serial" if "serial" in section else "post")
        out[f"{key}_workers_{workers}"] = float(m.group(1))
    m = re.match(r"\s+50%\s+(\S+)", line)
    if m and workers == "auto" and section and "serial" in section:
        out["post_serial_p50"] = m.group(1)
out.update(scenario="ceiling", phase="nginx+wrk")
with open("/proc/loadavg") as f: out["load1"] = float(f.read().split()[0])
print(json.dumps(out))
EOF
    grep '"ceiling"' "$jsonl" | tail -1 | tee -a "$txt"
    ;;
  *) log "unknown scenario $scenario"; failed=1 ;;
  esac
done

log ""
log "# summary"
python3 - "$jsonl" <<'EOF' | tee -a "$txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def fmt(r):
    return (f"{r['scenario']:<10} {r['phase']:<30} {r['per_s']:>10.0f}/s  p50 {r['latency_ms_p50']:7.2f} ms"
            f"  p99 {r['latency_ms_p99']:7.2f} ms  max {r['latency_ms_max']:8.2f} ms"
            f"  err {r['errors']}  load {r['load1']:.2f}"
            + (f"  server {r['server_cores']:.2f} cores, {r['server_cpu_us_per_op']:.0f} us CPU/op,"
               f" client {r['client_cores']:.2f} cores" if "server_cores" in r else ""))
sts = ceiling = None
for r in rows:
    if "per_s" in r:
        print(fmt(r))
        if r["scenario"] == "callback" and r["phase"] == "SendTaskSuccess": sts = r["per_s"]
    elif r["phase"] == "verify":
        print(f"{r['scenario']:<10} verify: {r['succeeded']} of {r['n']} SUCCEEDED"
              f" ({'ok' if r['ok'] else 'MISSING'})")
    elif r["phase"] == "memory":
        print(f"park       RSS {r['rss_before_bytes']/1e6:.1f} MB -> {r['rss_after_bytes']/1e6:.1f} MB"
              f" for {r['n']} parked tasks: {r['bytes_per_open_task']:.0f} B per open task")
    elif r["phase"] == "restart_to_serving":
        print(f"restart    kill -9 -> DescribeExecution answered: {r['ms']:.0f} ms"
              f" ({'ok' if r['answered'] else 'NOT ANSWERED'}, load {r['load1']:.2f})")
    elif r["scenario"] == "ceiling":
        # The ceiling is the better of nginx's two configurations (both measured, same run).
        ceiling = max(r.get("post_workers_auto", 0), r.get("post_workers_1", 0)) or None
        print(f"ceiling    nginx+wrk POST {r.get('post_workers_auto', 0):.0f}/s (workers=auto),"
              f" {r.get('post_workers_1', 0):.0f}/s (1 worker), load {r['load1']:.2f}")
if sts and ceiling:
    print(f"ratio      SendTaskSuccess / HTTP ceiling = {sts:.0f} / {ceiling:.0f} = {sts/ceiling:.3f}")
EOF
exit "$failed"
