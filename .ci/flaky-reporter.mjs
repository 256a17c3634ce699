// A vitest reporter for CI only: CI retries a failed test once (vitest.config.ts), so a test that
// fails and then passes is still counted as passed; this reporter keeps that visible. Each such
// test is appended to the file named by FLAKY_REPORT as one line: "<file> > <full name> (retry xN)",
// followed by the first line of each error it threw before passing. .ci/run prints the file
// before its closing line, so a flaky test is named in every CI log instead of hiding.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';

export default class FlakyReporter {
  onTestCaseResult(testCase) {
    const out = process.env.FLAKY_REPORT;
    const diagnostic = testCase.diagnostic();
    if (!out || !diagnostic?.flaky) return;
    const file = relative(process.cwd(), testCase.module.moduleId);
    const errors = (testCase.result().errors ?? []).map((e) => `    ${String(e.message ?? e).split('\n')[0]}`);
    appendFileSync(out, [`${file} > ${testCase.fullName} (retry x${diagnostic.retryCount})`, ...errors, ''].join('\n'));
  }
}
