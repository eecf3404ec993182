#!/usr/bin/env bash
# The whole test suite: installs what is missing (scripts/setup.sh), then runs every test
# against a real ZooKeeper ensemble that the test harness starts and stops (and, with a Docker
# engine, the container tests of test/containers/, which build the images of docker/ once per
# run with the layer cache). Ends with one line "N passed, N failed" taken from vitest's JSON
# report, plus ", N skipped" when tests were skipped (the container tests without an engine);
# a run that vitest fails for errors outside any test counts 1 failed; the exit code is the suite's.
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
    // Files that failed with no failed test count as failures too: they failed to load, or a
    // beforeAll/afterAll hook failed (vitest then reports the tests of the file as skipped).
    const broken = (r.testResults || []).filter(f => f.status === "failed" && !(f.assertionResults || []).some(a => a.status === "failed")).length;
    const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
    let failed = r.numFailedTests + broken;
    // vitest also fails a run whose tests all passed when errors escaped them (an unhandled
    // rejection or EPIPE): that is a failure too, never "0 failed" with a failing exit code
    if (failed === 0 && process.argv[2] !== "0") {
      console.log(`vitest exited with code ${process.argv[2]} with no failed test (unhandled errors above): counted as 1 failed`);
      failed = 1;
    }
    console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  ' "$report" "$code"
else
  echo "0 passed, 1 failed"
  [ "$code" = 0 ] && code=1
fi
exit "$code"
