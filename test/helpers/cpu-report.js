// Preloaded (`node -r`) into the global setup's background runs (test/helpers/global-setup.js) when
// `npm run bench -- --tests` measures `npm test` (CMK_CPU_FILE set): at exit, writes the CPU seconds
// (user + system) of the run itself and of every process it waited for (Terraform, the built CLIs:
// /proc/self/stat cutime and cstime), so the bench can report CPU per background run. Nothing else.
const { existsSync, readFileSync, writeFileSync } = require("node:fs");

const file = process.env.CMK_CPU_FILE;
if (file) {
  // The variable is for this process only: Terraform and anything else it starts must not inherit it.
  delete process.env.CMK_CPU_FILE;
  process.on("exit", () => {
    try {
      const own = process.cpuUsage();
      let children;
      if (existsSync("/proc/self/stat")) {
        const stat = readFileSync("/proc/self/stat", "utf8");
        // Fields after the command name (which may hold spaces) start at "state"; cutime and cstime are fields 16 and 17.
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // USER_HZ is 100 on Linux (sysconf(_SC_CLK_TCK)); the bench reads it with getconf for itself.
        children = (Number(rest[13]) + Number(rest[14])) / 100;
      }
      writeFileSync(file, JSON.stringify({ own: (own.user + own.system) / 1e6, children }));
    } catch {
      // the run's directory may be gone (stopped at teardown)
    }
  });
}
