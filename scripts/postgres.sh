#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster on 127.0.0.1 for tests.
#   scripts/postgres.sh start DIR   → prints the connection URL on stdout
#   scripts/postgres.sh stop DIR
# Installs the server with apt when its binaries are missing (fresh Debian).
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?data directory}

find_bin() {
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
	done
	return 1
}

case "$cmd" in
start)
	if ! bin=$(find_bin); then
		echo "postgres: server binaries missing, installing with apt-get" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq postgresql >&2
		bin=$(find_bin)
	fi
	mkdir -p "$dir"
	chmod 755 "$dir"
	chown postgres:postgres "$dir" 2>/dev/null || true
	as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 54329)
	as_pg "'$bin/initdb' -D '$dir/data' -U postgres -A trust --no-sync >/dev/null"
	as_pg "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start >/dev/null"
	echo "$port" > "$dir/port"
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	bin=$(find_bin) || exit 0
	if [ -d "$dir/data" ]; then
		if [ "$(id -u)" = 0 ]; then
			su postgres -s /bin/bash -c "'$bin/pg_ctl' -D '$dir/data' -m immediate stop" >/dev/null 2>&1 || true
		else
			"$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
		fi
	fi
	;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
