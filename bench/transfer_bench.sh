#!/usr/bin/env bash
# The Transfer Family benchmark: `stepway serve` driven by transfer_bench (bench/load/) through
# SFTP uploads and a COPY + CUSTOM + DELETE workflow, with SendTaskSuccess measured beside it.
#
#   bench/transfer_bench.sh STEPWAY_BINARY [TRANSFER_BENCH_BINARY [CALLBACK_BENCH_BINARY]]
#
# Builds nothing. Each case gets a fresh `stepway serve --listen 127.0.0.1:0 --data $(mktemp -d)
# --lambda-endpoint http://127.0.0.1:LPORT --lambda-concurrency LAMBDA_CONC`, where LPORT is a
# free port on which transfer_bench itself serves the CUSTOM step's Lambda function; the server
# is stopped (SIGTERM, by the pid started here) after the case. Cases, in this order:
#   upload S   for S in SESSIONS: S SFTP sessions upload FILES_TOTAL/S files of BYTES each;
#              the Lambda answers and sends SendWorkflowStepState at once; timed from the first
#              upload to the last ExecutionCompleted, then checked (ListExecutions, the files)
#   step       STEP_N uploads (STEP_SESSIONS sessions) park on the CUSTOM step; then, timed,
#              STEP_N SendWorkflowStepState over CONNS connections
#   callback   callback_bench callback --n STEP_N --connections CONNS: SendTaskSuccess/s, the
#              Step Functions peer of SendWorkflowStepState, in the same run
# Environment: SESSIONS ("1 4 16") FILES_TOTAL (1600) BYTES (4096) STEP_N (3200) STEP_SESSIONS (8)
#   CONNS (64) LAMBDA_CONC (64) SERVE_ARGS (extra `stepway serve` flags) CASES ("upload step
#   callback") OUT_DIR (bench/results)
# Output: $OUT_DIR/transfer_bench.txt (everything) and $OUT_DIR/transfer_bench.jsonl.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
stepway="${1:?usage: transfer_bench.sh STEPWAY_BINARY [TRANSFER_BENCH_BINARY [CALLBACK_BENCH_BINARY]]}"
client="${2:-$(dirname "$stepway")/transfer_bench}"
callback="${3:-$(dirname "$stepway")/callback_bench}"
[[ -x "$stepway" ]] || { echo "transfer_bench: $stepway is not executable" >&2; exit 2; }
[[ -x "$client" ]] || { echo "transfer_bench: $client is not executable (build transfer_bench)" >&2; exit 2; }

SESSIONS="${SESSIONS:-1 4 16}"
FILES_TOTAL="${FILES_TOTAL:-1600}"
BYTES="${BYTES:-4096}"
STEP_N="${STEP_N:-3200}"
STEP_SESSIONS="${STEP_SESSIONS:-8}"
CONNS="${CONNS:-64}"
LAMBDA_CONC="${LAMBDA_CONC:-64}"
SERVE_ARGS="${SERVE_ARGS:-}"
CASES="${CASES:-upload step callback}"
open_results transfer_bench

data=""

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server LAMBDA_PORT: a fresh data folder, waits for the "serving" line.
start_server() {
  data="$(mktemp -d)"
  server_log="$(mktemp)"
  # shellcheck disable=SC2086
  "$stepway" serve --listen 127.0.0.1:0 --data "$data" \
    --lambda-endpoint "http://127.0.0.1:$1" --lambda-concurrency "$LAMBDA_CONC" \
    $SERVE_ARGS 2>"$server_log" &
  server_pid=$!
  wait_serving 3000
}

# finish_server: stops the server, shows errors from its log, removes its data folder and log.
finish_server() {
  [[ -n "$server_pid" ]] || return 0
  stop_server
  if grep -v 'stepway: stopping' "$server_log" | grep -qiE 'error|fail|terminate'; then
    log "server log (errors):"
    grep -v 'stepway: stopping' "$server_log" | grep -iE 'error|fail|terminate' | head -5 | tee -a "$txt"
  fi
  rm -rf "$data" "$server_log"
}

trap finish_server EXIT

log_header transfer_bench
log "# stepway: $stepway  client: $client"
log "# SESSIONS='$SESSIONS' FILES_TOTAL=$FILES_TOTAL BYTES=$BYTES STEP_N=$STEP_N STEP_SESSIONS=$STEP_SESSIONS CONNS=$CONNS LAMBDA_CONC=$LAMBDA_CONC SERVE_ARGS='$SERVE_ARGS'"

failed=0
for case_name in $CASES; do
  case "$case_name" in
  upload)
    for s in $SESSIONS; do
      lport="$(free_port)"
      start_server "$lport" || { log "server did not start"; failed=1; continue; }
      log "## upload, $s sessions (server pid $server_pid, port $server_port, lambda port $lport)"
      run "$client" --port "$server_port" --lambda-port "$lport" --data "$data" \
        --server-pid "$server_pid" upload --sessions "$s" --files $((FILES_TOTAL / s)) \
        --bytes "$BYTES" || failed=1
      finish_server
    done
    ;;
  step)
    lport="$(free_port)"
    start_server "$lport" || { log "server did not start"; failed=1; continue; }
    log "## step (server pid $server_pid, port $server_port, lambda port $lport)"
    run "$client" --port "$server_port" --lambda-port "$lport" --data "$data" \
      --server-pid "$server_pid" step --sessions "$STEP_SESSIONS" \
      --files $((STEP_N / STEP_SESSIONS)) --bytes "$BYTES" --connections "$CONNS" || failed=1
    finish_server
    ;;
  callback)
    [[ -x "$callback" ]] || { log "callback: $callback missing (build callback_bench); skipped"; continue; }
    lport="$(free_port)"
    start_server "$lport" || { log "server did not start"; failed=1; continue; }
    log "## callback (SendTaskSuccess peer; server pid $server_pid, port $server_port)"
    run "$callback" --port "$server_port" --server-pid "$server_pid" callback --n "$STEP_N" \
      --connections "$CONNS" || failed=1
    finish_server
    ;;
  *) log "unknown case $case_name"; failed=1 ;;
  esac
done

log ""
log "# summary (load at the end $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$jsonl" <<'EOF' | tee -a "$txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
step = sts = None
for r in rows:
    if r.get("phase") == "verify":
        extra = (f"{r['completed']} of {r['n']} COMPLETED, {r['copied']} copied, "
                 f"{r['originals_left']} originals left" if "completed" in r
                 else f"{r['succeeded']} of {r['n']} SUCCEEDED")
        print(f"{r['scenario']:<10} verify: {extra} ({'ok' if r['ok'] else 'FAILED'})")
        continue
    if "per_s" not in r:
        continue
    shape = f" S={r['sessions']}" if "sessions" in r else ""
    cpu = (f"  server {r['server_cores']:.2f} cores, {r['server_cpu_us_per_op']:.0f} us CPU/op"
           if "server_cores" in r else "")
    print(f"{r['scenario']:<10} {r['phase']:<30}{shape:<6} {r['per_s']:>9.1f}/s"
          f"  p50 {r['latency_ms_p50']:8.2f} ms  p99 {r['latency_ms_p99']:8.2f} ms"
          f"  err {r['errors']}  load {r['load1']:.2f}{cpu}")
    if r["scenario"] == "step" and r["phase"] == "SendWorkflowStepState": step = r["per_s"]
    if r["scenario"] == "callback" and r["phase"] == "SendTaskSuccess": sts = r["per_s"]
if step and sts:
    print(f"ratio      SendWorkflowStepState / SendTaskSuccess = {step:.0f} / {sts:.0f} = {step/sts:.2f}")
EOF
exit "$failed"
