#!/usr/bin/env node
// Sums vitest JSON reports (`--reporter=json --outputFile=…`) and JUnit XML reports (a path ending in
// `.xml`: pytest's `--junitxml=…`) and prints the plain total as the last line: `N passed, N failed`
// (`, N skipped` when some were skipped or todo).
// A test file that failed before running any test (import error, failing hook) counts as one
// failed test, so it cannot hide; so does a JUnit `error` (pytest's collection and fixture errors).
// Exits 1 when anything failed, when no test ran at all, or when a report is missing or unreadable.
//
//   node scripts/summarize-vitest.mjs reports/vitest.json [more.json …] [reports/pytest.xml …]
import { readFileSync } from 'node:fs';

/**
 * Counts of a JUnit XML report: sums the `tests`, `failures`, `errors` and `skipped` attributes of its
 * `<testsuite>` elements (not `<testsuites>`, which repeats them). Throws when there is no testsuite.
 */
function junitCounts(xml) {
  const suites = [...xml.matchAll(/<testsuite\b([^>]*)>/g)];
  if (suites.length === 0) throw new Error('no <testsuite> element');
  const attr = (attrs, name) => {
    const match = new RegExp(`\\b${name}="(\\d+)"`).exec(attrs);
    return match ? Number(match[1]) : 0;
  };
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const [, attrs] of suites) {
    tests += attr(attrs, 'tests');
    failures += attr(attrs, 'failures') + attr(attrs, 'errors');
    skipped += attr(attrs, 'skipped');
  }
  return { passed: tests - failures - skipped, failed: failures, skipped };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: summarize-vitest.mjs <vitest-report.json> [...]');
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let unreadable = 0;
let unsuccessful = 0;
for (const file of files) {
  if (file.endsWith('.xml')) {
    try {
      const counts = junitCounts(readFileSync(file, 'utf8'));
      passed += counts.passed;
      failed += counts.failed;
      skipped += counts.skipped;
    } catch (error) {
      console.error(`summarize-vitest: cannot read ${file}: ${error instanceof Error ? error.message : error}`);
      unreadable += 1;
    }
    continue;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`summarize-vitest: cannot read ${file}: ${error instanceof Error ? error.message : error}`);
    unreadable += 1;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // Files that failed with no failing test in them (e.g. a module that does not load).
  for (const result of report.testResults ?? []) {
    const failedInside = (result.assertionResults ?? []).some((a) => a.status === 'failed');
    if (result.status === 'failed' && !failedInside) {
      const reason = (result.message ?? '').split('\n')[0];
      console.error(`summarize-vitest: ${result.name} failed outside any test${reason ? `: ${reason}` : ''}`);
      failed += 1;
    }
  }
  if (report.success === false) unsuccessful += 1;
}

if (passed + failed === 0) console.error('summarize-vitest: no test ran');
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || unreadable > 0 || unsuccessful > 0 || passed + failed === 0 ? 1 : 0);
