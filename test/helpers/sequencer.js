// jest's default order (failed first, then slowest first, from its cache), except that the test
// files which wait for a background run of the global setup (the emulator run and the teardown's
// deploy against moto, global-setup.js) go last: started first, they would hold both workers idle
// while the background runs work, and the unit suites would wait behind them.
const Sequencer = require("@jest/test-sequencer").default;

const WAITING = ["/test/ops/emulator.test.ts", "/test/ops/teardown-moto.test.ts"];

class BackgroundLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const waits = (t) => WAITING.some((w) => t.path.replaceAll("\\", "/").endsWith(w));
    return [...sorted.filter((t) => !waits(t)), ...sorted.filter(waits)];
  }
}

module.exports = BackgroundLastSequencer;
