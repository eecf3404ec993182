#!/usr/bin/env bash
# A/B runs of one benchmark command: the working tree against a commit, taking turns.
#
#   scripts/bench-ab.sh [--base REV] [--rounds N] [--grep REGEX] -- COMMAND [ARG...]
#
# On this VM the same build measures 1.2-1.7 M records/s in replication runs minutes apart (page
# cache, disk and steal come and go), so a change is judged by runs that alternate with the
# code it changes, never against figures from earlier in the day. The commit (--base, default
# HEAD) is checked out in a temporary git worktree that shares this tree's node_modules and is
# built there; then for each of --rounds rounds (default 3) COMMAND runs from the commit's tree,
# then from this one (its own build: run `npm run build` first). Each output line is printed
# with "[base]" or "[work]" and the round; --grep keeps only the lines that match REGEX (grep -E).
# The worktree is removed at exit. COMMAND runs with the tree as its working directory, e.g.
#
#   scripts/bench-ab.sh --rounds 2 --grep '^(run|median)' -- \
#     node dist/bench/replication-bench.js --records 1000000 --runs 2 --e2e-runs 0
#
# Exit codes: 0 when every run exited 0; 1 when one did not; 2 on a usage error.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
base=HEAD rounds=3 pattern=''
while [ $# -gt 0 ]; do
  case $1 in
    --base) base=${2:?--base needs a commit}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --grep) pattern=${2:?--grep needs a regex}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) echo "bench-ab: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "bench-ab: no command after -- (see --help)" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench-ab: --rounds must be a positive integer, not '$rounds'" >&2; exit 2; }
rev=$(git rev-parse --verify --quiet "$base^{commit}") || { echo "bench-ab: no such commit: $base" >&2; exit 2; }
[ -d "$root/dist" ] || { echo "bench-ab: this tree is not built (npm run build)" >&2; exit 2; }

tree=$(mktemp -d)
cleanup() { git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "bench-ab: building ${rev:0:7} ($base) in $tree" >&2
git worktree add --detach --quiet "$tree" "$rev" || exit 1
ln -s "$root/node_modules" "$tree/node_modules"
(cd "$tree" && npm run build >"$tree/.build.log" 2>&1) || { echo "bench-ab: the build of $base failed:" >&2; tail -20 "$tree/.build.log" >&2; exit 1; }

status=0
for r in $(seq 1 "$rounds"); do
  for side in base work; do
    dir=$root
    [ "$side" = base ] && dir=$tree
    echo "bench-ab: round $r/$rounds, $side" >&2
    (cd "$dir" && "$@") 2>&1 | { if [ -n "$pattern" ]; then grep -E -- "$pattern"; else cat; fi; } | sed "s/^/[$side $r] /"
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "bench-ab: the $side run of round $r failed" >&2; status=1; }
  done
done
exit $status
