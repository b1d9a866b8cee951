# shellcheck shell=bash
# Shared by bench/server_bench.sh and bench/transfer_bench.sh; sourced, not run.
#
# The result files, the `stepway serve` under test (started by the caller, which sets
# server_pid and server_log) and the load generator runs whose output goes to both result
# files. Uses the caller's $here (the bench/ folder); sets out, txt, jsonl, server_pid,
# server_port and server_log.

server_pid=""
server_port=""
server_log=""

# open_results NAME: $OUT_DIR (default bench/results)/NAME.txt gets everything and NAME.jsonl
# the JSON lines; both start empty.
open_results() {
  out="${OUT_DIR:-$here/results}"
  mkdir -p "$out"
  txt="$out/$1.txt"
  jsonl="$out/$1.jsonl"
  : >"$txt"
  : >"$jsonl"
}

log() { echo "$*" | tee -a "$txt"; }

# log_header NAME: the run's first line: when, on how many cores, at what load.
log_header() {
  log "# $1 $(date -u +%FT%TZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# wait_serving TRIES: waits up to TRIES x 10 ms for the "serving Step Functions on
# http://127.0.0.1:PORT" line in $server_log and sets server_port. Fails when the server
# exits first (its log goes to stderr, server_pid is cleared) or the line never comes.
wait_serving() {
  local line=""
  for _ in $(seq "$1"); do
    line="$(grep -m1 -o 'serving Step Functions on http://[^ ]*' "$server_log" 2>/dev/null)"
    [[ -n "$line" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$server_log" >&2; server_pid=""; return 1; }
    sleep 0.01
  done
  server_port="${line##*:}"
  [[ -n "$server_port" ]]
}

# stop_server: SIGTERM to the server this script started (by its pid), and waits for it.
stop_server() {
  [[ -n "$server_pid" ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}

# run COMMAND ARGS...: runs a load generator; everything to $txt and stdout, its JSON lines
# (starting with '{') also to $jsonl. Returns the generator's exit status.
run() {
  "$@" | tee -a "$txt" | grep --line-buffered '^{' >>"$jsonl"
  return "${PIPESTATUS[0]}"
}
