#!/usr/bin/env bash
# The whole test suite, with its own set-up, on a fresh Debian machine:
# installs what the tests need when missing (git, PostgreSQL, Chromium for
# the browser tests), starts a throwaway PostgreSQL cluster on a free
# loopback port, runs go vet and go test -race against both stores and in
# a real browser, and stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v python3 >/dev/null || need_apt+=(python3)
# wrk, for the test of bench gate --load wrk.
command -v wrk >/dev/null || need_apt+=(wrk)
# The web pages are tested in a real headless Chromium (cmd/paved/browser_test.go);
# Debian's package installs /usr/bin/chromium (about 2.5 minutes the first time).
chromium=${PAVED_TEST_CHROMIUM:-}
if [ -z "$chromium" ]; then
	for name in chromium chromium-browser google-chrome-stable google-chrome; do
		if command -v "$name" >/dev/null; then chromium=$(command -v "$name"); break; fi
	done
fi
[ -n "$chromium" ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "test: installing ${need_apt[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

# Here the browser tests must run: without Chromium they fail instead of
# skipping. Their screenshots go to testdata-artifacts/browser/.
export PAVED_TEST_CHROMIUM=${chromium:-/usr/bin/chromium}
export PAVED_TEST_REQUIRE_BROWSER=1 PAVED_TEST_REQUIRE_WRK=1
export PAVED_TEST_ARTIFACTS=${PAVED_TEST_ARTIFACTS:-$PWD/testdata-artifacts}
echo "test: Chromium at $PAVED_TEST_CHROMIUM; artifacts in $PAVED_TEST_ARTIFACTS" >&2

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
