/**
 * `node .build/emulator.js <env> --work <dir>`: the emulator run (tools/emulator/run.ts), started
 * in the background by the jest global setup. Writes `<dir>/moto.json` (endpoint, pid) as soon as
 * moto runs, then `<dir>/emulator.json` (EmulatorResults). moto keeps running after this process
 * exits: the global teardown stops it by that pid.
 *
 * `--teardown`: instead, the deploy the teardown's emulator test tears down
 * (tools/emulator/teardown-fixture.ts), on a moto of its own; writes `<dir>/teardown.json`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { selectEnvironments } from "../../environments";
import { runEmulator } from "./run";
import { prepareTeardownFixture } from "./teardown-fixture";

const program = new Command("emulator")
  .argument("<env>", "environment to apply against moto")
  .requiredOption("--work <dir>", "scratch directory (results, Terraform copies)")
  .option("--teardown", "apply the deploy the teardown's emulator test tears down instead")
  .action(async (name: string, opts: { work: string; teardown?: boolean }) => {
    const envs = selectEnvironments();
    const env = Object.prototype.hasOwnProperty.call(envs, name) ? envs[name] : undefined;
    if (!env) throw new Error(`unknown environment ${name}`);
    const onMoto = (m: { endpoint: string; pid: number }) =>
      writeFileSync(join(opts.work, "moto.json"), JSON.stringify({ endpoint: m.endpoint, pid: m.pid }));
    if (opts.teardown) {
      const fixture = await prepareTeardownFixture(env, opts.work, {
        onMoto,
        log: (l) => process.stdout.write(`${l}\n`),
      });
      writeFileSync(join(opts.work, "teardown.json"), JSON.stringify(fixture, null, 2));
      return;
    }
    const results = await runEmulator(env, opts.work, {
      onMoto,
      log: (l) => process.stdout.write(`${l}\n`),
    });
    writeFileSync(join(opts.work, "emulator.json"), JSON.stringify(results, null, 2));
  });

program.parseAsync().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`emulator: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
