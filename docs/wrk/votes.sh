#!/bin/bash
# Votes under wrk, in turn with a bare Fiber handler (docs/performance.md,
# "Votes under wrk"). Usage:
#   BARE=/path/to/bare docs/wrk/votes.sh ROUNDS NAME@BINARY[:ENV ...] ...
# e.g. docs/wrk/votes.sh 4 before@/tmp/m0: after@/tmp/m: "tuned@/tmp/m:GOMAXPROCS=4"
# BARE is the bare Fiber app of docs/performance.md built to a binary; it
# listens on 127.0.0.1:8091. The residents' tokens are kept in
# /tmp/tokens.txt and the database in /tmp/wrkdb between runs.
set -u
ADDR=127.0.0.1:18090; DB=sqlite:///tmp/wrkdb/m.db; LUA=$(dirname "$0")/vote.lua
mkdir -p /tmp/wrkdb
start() { env MITREDEN_RATE_LIMITS=off MITREDEN_EMAIL_VERIFICATION=off $2 "$1" serve --addr $ADDR --db $DB >/tmp/wrkdb/log 2>&1 & PID=$!
  for _ in $(seq 100); do curl -sf http://$ADDR/healthz >/dev/null && break; sleep 0.1; done; }
stop() { kill $PID; wait $PID 2>/dev/null; }
measure() { wrk -t2 -c64 -d10s --latency -s "$LUA" "$1" | awk '/Requests\/sec/{r=$2} / 99%/{p=$2} /Non-2xx/{e=" non-2xx " $4} END{print r "/s p99 " p e}'; }
ROUNDS=$1; shift
if [ ! -s /tmp/tokens.txt ]; then
  first=${1#*@}; start "${first%%:*}" ""
  for i in $(seq 256); do
    curl -s -X POST http://$ADDR/api/v1/auth/register -H 'Content-Type: application/json' \
      -d "{\"email\":\"w$i@example.org\",\"password\":\"correct horse battery $i\",\"display_name\":\"W $i\",\"privacy_consent\":true}" |
      python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])'
  done > /tmp/tokens.txt
  stop
fi
for r in $(seq "$ROUNDS"); do
  "$BARE" & B=$!; sleep 0.5
  echo "round $r bare $(measure http://127.0.0.1:8091)"
  kill $B; wait $B 2>/dev/null
  for cfg in "$@"; do
    name=${cfg%%@*}; rest=${cfg#*@}; bin=${rest%%:*}; env=${rest#*:}
    start "$bin" "$env"
    wrk -t2 -c64 -d2s -s "$LUA" http://$ADDR >/dev/null
    echo "round $r $name $(measure http://$ADDR)"
    stop
  done
done
