#!/usr/bin/env bash
# The whole test suite, with its own set-up, on a fresh Debian machine:
# installs what the tests need when missing (git, PostgreSQL), starts a
# throwaway PostgreSQL cluster on a free loopback port, runs go vet and
# go test -race against both stores, and stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v python3 >/dev/null || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "test: installing ${need_apt[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

pgdir=$(mktemp -d /tmp/paved-test-pg.XXXXXX)
cleanup() { scripts/postgres.sh stop "$pgdir" || true; rm -rf "$pgdir"; }
trap cleanup EXIT
PAVED_TEST_POSTGRES_URL=$(scripts/postgres.sh start "$pgdir")
export PAVED_TEST_POSTGRES_URL
echo "test: PostgreSQL at $PAVED_TEST_POSTGRES_URL" >&2

# Tests make commits with the real git; give them an identity that does not
# depend on the machine's configuration.
export GIT_AUTHOR_NAME=paved-test GIT_AUTHOR_EMAIL=test@paved.invalid
export GIT_COMMITTER_NAME=paved-test GIT_COMMITTER_EMAIL=test@paved.invalid

go vet ./...
go test -race -timeout 40m "$@" ./...
