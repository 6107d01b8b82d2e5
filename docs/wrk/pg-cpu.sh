#!/bin/bash
# pg-cpu.sh BIN [DURATION] [SCENARIO] [BENCH FLAGS…]: runs `BIN bench` against a private
# PostgreSQL cluster and prints the bench row with the CPU (in 1/100 s)
# the cluster's processes spent during the run. Run it with 2s and 10s and
# divide the difference in CPU by the difference in requests: that is the
# database's CPU per request, without the seeding.
#
# The cluster: PGDATA (default /tmp/pg5433/data) on PGPORT (default 5433),
# for example:
#   su postgres -c "/usr/lib/postgresql/15/bin/initdb -D /tmp/pg5433/data -A trust -U postgres"
#   su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D /tmp/pg5433/data -o '-p 5433 -k /tmp/pg5433' start"
#   psql -h 127.0.0.1 -p 5433 -U postgres -c 'create database benchdb'
set -euo pipefail
BIN=$1 D=${2:-6s} SC=${3:-vote-64}
shift $(($# < 3 ? $# : 3))
PGDATA=${PGDATA:-/tmp/pg5433/data} PGPORT=${PGPORT:-5433}
pm=$(head -1 "$PGDATA/postmaster.pid")
ticks() {
	local s=0 p
	for p in $(pgrep -P "$pm"); do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done
	# exited backends are counted in the postmaster's cutime and cstime
	echo $((s + $(awk '{print $14+$15+$16+$17}' /proc/$pm/stat)))
}
before=$(ticks)
row=$("$BIN" bench --db "postgres://postgres@127.0.0.1:$PGPORT/benchdb?sslmode=disable" --scenarios "$SC" --duration "$D" "$@" 2>/dev/null | grep -E "^\| $SC ")
after=$(ticks)
echo "$row cpu_ticks=$((after - before))"
