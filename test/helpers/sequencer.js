// jest's default order (failed first, then slowest first, from its cache) over both projects,
// except that the suites which wait for a background run of the integration project's global
// setup (the offline plans, the emulator run and the teardown's deploy against moto:
// global-setup.js; marked `waits` in test/helpers/projects.js) go last: started first, they would
// hold workers idle while the background runs work, and the other suites would wait behind them.
const Sequencer = require("@jest/test-sequencer").default;
const { waiting } = require("./projects");

const WAITING = waiting.map((p) => `/${p}`);

class BackgroundLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const waits = (t) => WAITING.some((w) => t.path.replaceAll("\\", "/").endsWith(w));
    return [...sorted.filter((t) => !waits(t)), ...sorted.filter(waits)];
  }
}

module.exports = BackgroundLastSequencer;
