#!/usr/bin/env bash
# paved vs Conftest (OPA/Rego), side by side, evaluating equivalent policies
# over the same files of the same generated fleet.
#
# Usage, from the repository root:
#
#   bench/conftest/run.sh                       # 2000 repositories
#   REPOS=10000 RUNS=5 bench/conftest/run.sh
#
# Environment:
#   REPOS     repositories in the fleet (default 2000; seed 7, plus the org repository)
#   RUNS      how many runs (default 3); each measures Conftest, the scan and
#             the evaluation once, so that all see the same background load.
#             The table shows the best and the range; the ratios are taken
#             within each run (median and range)
#   CACHE     where generated fleets and Conftest are kept between runs
#             (default ${XDG_CACHE_HOME:-~/.cache}/paved-bench-conftest)
#   CONFTEST  a conftest binary to use instead of installing $CONFTEST_VERSION
#   PAVED     a paved binary to use instead of building ./cmd/paved from the
#             working tree (e.g. one built from a commit with git archive)
#
# Needs go, git and jq. The first run installs Conftest with `go install`
# through the Go module proxy (several minutes of compiling) and generates
# the fleet (seconds for 2000 repositories, about a minute for 10000).
#
# What is measured:
#   conftest        `conftest test` once per file type over the whole fleet:
#                   every Dockerfile, every GitHub workflow and every
#                   package.json (one result per file), and every root
#                   catalog-info.yaml with --combine (presence needs them all
#                   at once). This is parsing the files plus evaluating the
#                   Rego in policy/. Finding the files (find) is not counted.
#   paved evaluate  `paved scorecard evaluate` with standards/ (the same
#                   checks in CEL): its evaluate_seconds is evaluating every
#                   component and comparing with its previous scorecard;
#                   load_seconds is reading components and facts from SQLite.
#   paved scan      `paved scan` into a fresh database: reading every
#                   repository's committed tree, collecting facts, resolving
#                   the catalog and writing it (duration_ns); the process as a
#                   whole also grades everything against standards/ and writes
#                   the scorecards, so its wall time is scan+evaluate from the
#                   files, the number to hold against Conftest's.
# Then the failures per check on both sides, side by side.
set -euo pipefail

CONFTEST_VERSION=v0.71.1 # go list -m -versions github.com/open-policy-agent/conftest
REPOS=${REPOS:-2000}
RUNS=${RUNS:-3}
SEED=7
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paved-bench-conftest}

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
HERE=$ROOT/bench/conftest
POLICY=$HERE/policy
STANDARDS=$HERE/standards

for tool in go git jq; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done
[[ $RUNS -ge 1 ]] || { echo "run.sh: RUNS must be at least 1" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/paved-conftest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$CACHE"
export PAVED_DATA_DIR=$TMP/paved-data # keep paved's data directory out of $HOME

say() { printf '%s\n' "$*" >&2; }
# seconds between two $EPOCHREALTIME readings
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# min and max of the arguments, as "min" or "min–max"
best() { printf '%s\n' "$@" | sort -g | head -1; }
range() {
	local lo hi
	lo=$(printf '%s\n' "$@" | sort -g | head -1)
	hi=$(printf '%s\n' "$@" | sort -g | tail -1)
	if [[ $lo == "$hi" ]]; then echo "$lo"; else echo "$lo–$hi"; fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "-"; else if (a / b < 10) printf "%.1f×", a / b; else printf "%.0f×", a / b }'; }

# --- paved -----------------------------------------------------------------
if [[ -z ${PAVED:-} ]]; then
	say "building paved"
	go build -o "$TMP/paved" ./cmd/paved
	PAVED=$TMP/paved
	PAVED_BUILD="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- '*.go' go.mod go.sum 2>/dev/null || echo ' + uncommitted changes')"
else
	PAVED_BUILD="$PAVED"
fi
"$PAVED" scorecard validate "$STANDARDS" >&2

# --- Conftest --------------------------------------------------------------
if [[ -n ${CONFTEST:-} ]]; then
	:
elif [[ -x $CACHE/conftest-$CONFTEST_VERSION/conftest ]]; then
	CONFTEST=$CACHE/conftest-$CONFTEST_VERSION/conftest
else
	say "installing conftest $CONFTEST_VERSION (go install; takes a few minutes)"
	(cd "$TMP" && GOBIN=$CACHE/conftest-$CONFTEST_VERSION.partial go install "github.com/open-policy-agent/conftest@$CONFTEST_VERSION")
	mv "$CACHE/conftest-$CONFTEST_VERSION.partial" "$CACHE/conftest-$CONFTEST_VERSION"
	CONFTEST=$CACHE/conftest-$CONFTEST_VERSION/conftest
fi
OPA_VERSION=$("$CONFTEST" --version | sed -n 's/^OPA: //p')

# --- the fleet -------------------------------------------------------------
FLEET=$CACHE/fleet-$REPOS-seed$SEED
if [[ ! -f $FLEET/fleet.json ]]; then
	say "generating $REPOS repositories into $FLEET"
	rm -rf "$FLEET" "$FLEET.partial"
	"$PAVED" fleet generate --repos "$REPOS" --seed "$SEED" --out "$FLEET.partial" >&2
	mv "$FLEET.partial" "$FLEET"
fi

# The files Conftest is given: those paved's facts are collected from.
t0=$EPOCHREALTIME
repos=()
for d in "$FLEET"/*/; do
	d=${d%/}
	[[ -e $d/.git ]] && repos+=("${d##*/}")
done
find "$FLEET" -mindepth 2 \( -name .git -o -name node_modules \) -prune -o -type f \
	\( -name Dockerfile -o -name package.json -o -regex '.*/\.github/workflows/[^/]*\.ya?ml' \) -print | sort >"$TMP/files.all"
grep '/Dockerfile$' "$TMP/files.all" >"$TMP/files.dockerfile" || true
grep -E '/\.github/workflows/[^/]*\.ya?ml$' "$TMP/files.all" >"$TMP/files.ci" || true
grep '/package\.json$' "$TMP/files.all" >"$TMP/files.node" || true
for r in "${repos[@]}"; do
	for f in catalog-info.yaml catalog-info.yml; do
		if [[ -f $FLEET/$r/$f ]]; then echo "$FLEET/$r/$f"; break; fi
	done
done >"$TMP/files.catalog"
find_seconds=$(elapsed "$t0" "$EPOCHREALTIME")

# One file Conftest cannot parse stops its whole run, so find those first
# (not timed) and leave them out; the catalog policy is told about them.
set_aside_unparsable() { # kind: files.$kind keeps the parsable ones, unparsable.$kind gets the rest
	local list=$TMP/files.$1 chunk out bad files
	: >"$TMP/unparsable.$1"
	rm -f "$TMP"/chunk.*
	split -l 500 "$list" "$TMP/chunk."
	for chunk in "$TMP"/chunk.*; do
		while [[ -s $chunk ]]; do
			mapfile -t files <"$chunk"
			if out=$("$CONFTEST" parse "${files[@]}" 2>&1 >/dev/null); then
				break
			fi
			bad=$(sed -n 's/.*, path: //p' <<<"$out" | head -1)
			if [[ -z $bad ]] || ! grep -qxF -- "$bad" "$chunk"; then
				say "conftest parse failed: $out"
				exit 1
			fi
			echo "$bad" >>"$TMP/unparsable.$1"
			grep -vxF -- "$bad" "$chunk" >"$chunk.rest" || true
			mv "$chunk.rest" "$chunk"
		done
	done
	cat "$TMP"/chunk.* >"$list"
	rm -f "$TMP"/chunk.*
}
for kind in dockerfile ci node catalog; do
	set_aside_unparsable "$kind"
done
cat "$TMP"/unparsable.* >"$TMP/unparsable"
jq -n --rawfile repos <(printf '%s\n' "${repos[@]}") --rawfile bad "$TMP/unparsable.catalog" \
	'{fleet: {repositories: ($repos | split("\n") | map(select(. != ""))),
	          unparsable: ($bad | split("\n") | map(select(. != "")))}}' >"$TMP/fleet-data.json"

mapfile -t dockerfiles <"$TMP/files.dockerfile"
mapfile -t workflows <"$TMP/files.ci"
mapfile -t packages <"$TMP/files.node"
mapfile -t catalogs <"$TMP/files.catalog"
nfiles=$((${#dockerfiles[@]} + ${#workflows[@]} + ${#packages[@]} + ${#catalogs[@]}))
say "fleet: ${#repos[@]} repositories; ${#dockerfiles[@]} Dockerfiles, ${#workflows[@]} workflows, ${#packages[@]} package.json, ${#catalogs[@]} catalog-info.yaml ($(wc -l <"$TMP/unparsable") set aside: Conftest cannot parse them)"

# --- (a) Conftest ----------------------------------------------------------
"$CONFTEST" verify --no-color -p "$POLICY" >&2 # the policies' own tests
conftest_run() { # kind, extra flags..., then the files
	local kind=$1
	shift
	"$CONFTEST" test --no-color --no-fail -o json -p "$POLICY" -n "paved.$kind" "$@" >"$TMP/conftest.$kind.json"
}
conftest_kind_run() { # kind
	case $1 in
	dockerfile) conftest_run dockerfile "${dockerfiles[@]}" ;;
	ci) conftest_run ci "${workflows[@]}" ;;
	node) conftest_run node "${packages[@]}" ;;
	catalog) conftest_run catalog --combine -d "$TMP/fleet-data.json" "${catalogs[@]}" ;;
	esac
}
# One after the other (each Conftest process keeps about one core busy),
# then all four at once, so Conftest gets every core as paved does.
# Each run measures everything once, Conftest then paved, so that both see
# the same background load; the ratios are taken within each run.
conftest_seq=() conftest_par=() conftest_best=()
declare -A conftest_kind
scan_wall=() scan_collect=() scan_grade=()
eval_eval=() eval_load=() eval_wall=()
r_eval=() r_load=() r_wall=() r_scan=()
for ((i = 1; i <= RUNS; i++)); do
	# (a) Conftest: the 4 processes one after the other (each keeps about
	# one core busy), then all 4 at once, so Conftest gets every core as
	# paved does; the faster counts.
	say "run $i/$RUNS: conftest"
	total=0
	for kind in dockerfile ci node catalog; do
		t0=$EPOCHREALTIME
		conftest_kind_run "$kind"
		s=$(elapsed "$t0" "$EPOCHREALTIME")
		conftest_kind[$kind]+="$s "
		total=$(awk -v a="$total" -v b="$s" 'BEGIN { printf "%.3f", a + b }')
	done
	conftest_seq+=("$total")
	t0=$EPOCHREALTIME
	pids=()
	for kind in dockerfile ci node catalog; do
		conftest_kind_run "$kind" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid"; done
	conftest_par+=("$(elapsed "$t0" "$EPOCHREALTIME")")
	c=$(best "$total" "${conftest_par[-1]}")
	conftest_best+=("$c")

	# (c) paved scan into a fresh database; it grades every component too.
	say "run $i/$RUNS: paved scan"
	rm -rf "$TMP/db"
	mkdir -p "$TMP/db"
	DB=sqlite://$TMP/db/paved.db
	t0=$EPOCHREALTIME
	"$PAVED" scan --standards "$STANDARDS" --db "$DB" -o json "$FLEET" >"$TMP/scan.json" 2>>"$TMP/paved.log"
	scan_wall+=("$(elapsed "$t0" "$EPOCHREALTIME")")
	jq -e '.failed == 0' "$TMP/scan.json" >/dev/null || say "warning: some repositories failed to scan"
	scan_collect+=("$(jq -r '.duration_ns / 1e9 | . * 1000 | round / 1000' "$TMP/scan.json")")
	scan_grade+=("$(jq -r '.grade | .load_seconds + .evaluate_seconds + .persist_seconds | . * 1000 | round / 1000' "$TMP/scan.json")")

	# (b) paved scorecard evaluate over that database.
	say "run $i/$RUNS: paved scorecard evaluate"
	t0=$EPOCHREALTIME
	"$PAVED" scorecard evaluate --standards "$STANDARDS" --db "$DB" -o json >"$TMP/evaluate.json" 2>>"$TMP/paved.log"
	eval_wall+=("$(elapsed "$t0" "$EPOCHREALTIME")")
	eval_eval+=("$(jq -r '.evaluate_seconds | . * 10000 | round / 10000' "$TMP/evaluate.json")")
	eval_load+=("$(jq -r '.load_seconds + .evaluate_seconds | . * 10000 | round / 10000' "$TMP/evaluate.json")")

	r_eval+=("$(ratio "$c" "${eval_eval[-1]}")")
	r_load+=("$(ratio "$c" "${eval_load[-1]}")")
	r_wall+=("$(ratio "$c" "${eval_wall[-1]}")")
	r_scan+=("$(ratio "$c" "${scan_wall[-1]}")")
done
services=$(jq -r .services "$TMP/evaluate.json")
checks=$(jq -r .checks "$TMP/evaluate.json")

# --- report ----------------------------------------------------------------
cs=$(best "${conftest_seq[@]}")
cp=$(best "${conftest_par[@]}")
pe=$(best "${eval_eval[@]}")
pl=$(best "${eval_load[@]}")
pw=$(best "${eval_wall[@]}")
ps=$(best "${scan_wall[@]}")
echo
echo "paved vs Conftest — $REPOS repositories (+ org), seed $SEED; $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "conftest $CONFTEST_VERSION (OPA $OPA_VERSION); paved $PAVED_BUILD; best of $RUNS runs, [range of all runs]"
echo "Conftest: $nfiles files (${#dockerfiles[@]} Dockerfiles, ${#workflows[@]} workflows, ${#packages[@]} package.json, ${#catalogs[@]} catalog-info.yaml); paved: $services components × $checks checks"
echo
W='%-30s  %-68s  %s\n'
# shellcheck disable=SC2059
{
printf "$W" "tool" "what it does" "seconds"
printf "$W" "conftest, one after the other" "parse every file + evaluate the Rego; 4 processes, one per file type" "$cs [$(range "${conftest_seq[@]}")]"
for kind in dockerfile ci node catalog; do
	# shellcheck disable=SC2086
	printf "$W" "  conftest -n paved.$kind" "" "$(best ${conftest_kind[$kind]}) [$(range ${conftest_kind[$kind]})]"
done
printf "$W" "conftest, 4 in parallel" "the same 4 processes at once" "$cp [$(range "${conftest_par[@]}")]"
printf "$W" "paved evaluate" "CEL over facts in memory, compare with last grades (evaluate_seconds)" "$pe [$(range "${eval_eval[@]}")]"
printf "$W" "paved load+evaluate" "+ reading components and facts from SQLite (load_seconds)" "$pl [$(range "${eval_load[@]}")]"
printf "$W" "paved scorecard evaluate" "the whole process: start, open DB, compile, load, evaluate, persist" "$pw [$(range "${eval_wall[@]}")]"
printf "$W" "paved scan: collect" "read git trees, collect facts, resolve, write DB (duration_ns)" "$(best "${scan_collect[@]}") [$(range "${scan_collect[@]}")]"
printf "$W" "paved scan: grade" "the grading pass inside the scan (load+evaluate+persist)" "$(best "${scan_grade[@]}") [$(range "${scan_grade[@]}")]"
printf "$W" "paved scan+evaluate" "the whole scan process: collect + grade everything + persist" "$ps [$(range "${scan_wall[@]}")]"
}
echo
# shellcheck disable=SC2059
{
echo "ratios, conftest's faster way / paved, within each run: median [range]"
R='  %-36s  %s\n'
printf "$R" "conftest / paved evaluate" "$(median "${r_eval[@]}") [$(range "${r_eval[@]}")]"
printf "$R" "conftest / paved load+evaluate" "$(median "${r_load[@]}") [$(range "${r_load[@]}")]"
printf "$R" "conftest / paved scorecard evaluate" "$(median "${r_wall[@]}") [$(range "${r_wall[@]}")]"
printf "$R" "conftest / paved scan+evaluate" "$(median "${r_scan[@]}") [$(range "${r_scan[@]}")]"
}
echo "(finding the files for Conftest took ${find_seconds}s, not counted)"

# Failures per check. Conftest says at most one thing per file (per
# repository for the catalog) and check, each message starting with the id,
# so each failure is "<check> <repository>".
echo
jq -r --arg fleet "$FLEET/" '.[] | .filename as $file | .failures[]?.msg |
	capture("^(?<id>[a-z0-9.-]+)( (?<repo>[^:]+))?:") |
	"\(.id) \(.repo // ($file | ltrimstr($fleet) | split("/")[0]))"' "$TMP"/conftest.*.json | sort -u >"$TMP/fail.conftest"
# paved grades components: a repository whose only Component lost a
# duplicate-name conflict to another repository's is not graded itself.
: >"$TMP/graded"
for ((offset = 0; ; offset += 1000)); do
	"$PAVED" catalog list --db "$DB" -o json --kind Component --limit 1000 --offset "$offset" 2>>"$TMP/paved.log" >"$TMP/page.json"
	jq -r '.items[].repository' "$TMP/page.json" >>"$TMP/graded"
	[[ $(jq '.items | length' "$TMP/page.json") -eq 1000 ]] || break
done
printf '%s\n' "${repos[@]}" | sort -u >"$TMP/repos"
sort -u "$TMP/graded" | comm -23 "$TMP/repos" - >"$TMP/ungraded"
"$PAVED" scorecard list --db "$DB" -o json 2>>"$TMP/paved.log" |
	jq -r '.checks[] | "\(.id) \(.fail + .unknown + .error) \(.pass + .fail + .unknown + .error)"' | sort >"$TMP/fail.paved"
nungraded=$(wc -l <"$TMP/ungraded")
printf '%-24s  %9s  %22s  %9s  %16s\n' "check" "conftest" "conftest, graded repos" "paved" "paved applies to"
mismatch=0
while read -r id pfail papplies; do
	call=$(awk -v id="$id" '$1 == id' "$TMP/fail.conftest" | wc -l)
	cgraded=$(awk -v id="$id" '$1 == id { print $2 }' "$TMP/fail.conftest" | grep -cvxFf "$TMP/ungraded" || true)
	mark=""
	if [[ $cgraded != "$pfail" ]]; then mark="  ≠"; mismatch=$((mismatch + 1)); fi
	printf '%-24s  %9s  %22s  %9s  %16s%s\n' "$id" "$call" "$cgraded" "$pfail" "$papplies" "$mark"
done <"$TMP/fail.paved"
echo "conftest, graded repos: less the $nungraded repositories paved grades no component of (a duplicate Component name):" $(cat "$TMP/ungraded")
if [[ -s $TMP/unparsable ]]; then
	echo "set aside, Conftest cannot parse them (a catalog-info.yaml counts as a descriptor-valid failure):" $(sed "s|^$FLEET/||" "$TMP/unparsable")
fi
if [[ $mismatch -gt 0 ]]; then
	echo "$mismatch check(s) differ: the policies are not equivalent on this fleet" >&2
	exit 1
fi
