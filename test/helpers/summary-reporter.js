// Prints one plain closing line ("jest: N passed, N failed, N skipped") that CI systems read
// whatever the runner. Under CI (the `CI` variable, set by .ci/run's callers and every CI service),
// a skipped test fails the run: the suites that need Terraform or moto skip themselves where those
// are missing or their background run did not start, and a green CI run must not hide that
// (CMK_SKIP_TERRAFORM=1 skips on purpose and is allowed).
class SummaryReporter {
  constructor() {
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    const skipped = numPendingTests + numTodoTests;
    process.stdout.write(`jest: ${numPassedTests} passed, ${numFailedTests} failed, ${skipped} skipped\n`);
    if (skipped > 0 && process.env.CI && !process.env.CMK_SKIP_TERRAFORM) {
      const suites = results.testResults
        .filter((r) => r.numPendingTests + r.numTodoTests > 0)
        .map((r) => r.testFilePath.replace(`${process.cwd()}/`, ""));
      this.error = new Error(
        `${skipped} tests skipped under CI (${suites.join(", ")}): a skipped suite says why above; CI must run them all`,
      );
      process.stdout.write(`jest: FAILED under CI: ${this.error.message}\n`);
    }
  }

  getLastError() {
    return this.error;
  }
}
module.exports = SummaryReporter;
