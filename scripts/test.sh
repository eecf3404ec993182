#!/usr/bin/env bash
# The whole test suite: installs what is missing (scripts/setup.sh), then runs every test
# against a real ZooKeeper ensemble that the test harness starts and stops. Ends with one line
# "N passed, N failed" taken from vitest's JSON report; the exit code is the suite's.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

mkdir -p tmp
report=tmp/vitest-report.json
rm -f "$report"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
code=$?
if [ -f "$report" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // Files that failed to load count as failures too.
    const broken = (r.testResults || []).filter(f => f.status === "failed" && (!f.assertionResults || f.assertionResults.length === 0)).length;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`);
  ' "$report"
else
  echo "0 passed, 1 failed"
  [ "$code" = 0 ] && code=1
fi
exit "$code"
