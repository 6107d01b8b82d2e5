#!/bin/bash
# in-turn.sh BIN... : runs `BIN bench` for each binary in turn, ROUNDS
# rounds (default 2), and prints the rows, so that binaries built before
# and after a change are compared on the same machine at the same time.
#   DB        the database (default: a scratch database on 127.0.0.1:5432)
#   SC        the scenarios (default: issue 22's)
#   D         the duration of each scenario (default 4s)
#   FLAGS     more bench flags, e.g. "--instances 3"
# e.g. git stash; go build -o /tmp/before ./cmd/mitreden; git stash pop
#      go build -o /tmp/after ./cmd/mitreden; docs/wrk/in-turn.sh /tmp/before /tmp/after
set -u
DB=${DB:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
SC=${SC:-baseline-http,comments,baseline-write,comment,vote-64}
for round in $(seq "${ROUNDS:-2}"); do
	for bin in "$@"; do
		echo "== $bin, round $round"
		# shellcheck disable=SC2086
		"$bin" bench --db "$DB" --scenarios "$SC" --duration "${D:-4s}" ${FLAGS:-} 2>/dev/null | grep '^| [a-z]' | grep -v '^| scenario'
	done
done
