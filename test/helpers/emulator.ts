/**
 * Access to the emulator run the jest global setup starts in the background (global-setup.js, 3.):
 * tests decide synchronously whether to skip, then wait for the run.
 */
import { existsSync, readFileSync } from "node:fs";
import type { EmulatorResults } from "../../tools/emulator/run";
import type { TeardownFixture } from "../../tools/emulator/teardown-fixture";
import { findTerraform } from "../../tools/terraform/offline";

interface Paths {
  work: string;
  results: string;
  moto: string;
  stdout: string;
  stderr: string;
  exit: string;
}

/** Why no run against moto can happen here (settings, Terraform), or undefined. */
function motoRunSkipReason(): string | undefined {
  if (process.env.CMK_SKIP_TERRAFORM && !process.env.CMK_RUN_EMULATOR) return "CMK_SKIP_TERRAFORM is set";
  if (process.env.CMK_SKIP_MOTO) return "CMK_SKIP_MOTO is set";
  const tf = findTerraform();
  return tf.ok ? undefined : tf.reason;
}

/** Why the emulator-backed tests are skipped here, or undefined when they run. */
export function emulatorSkipReason(): string | undefined {
  return (
    motoRunSkipReason() ??
    (process.env.CMK_EMULATOR
      ? undefined
      : "the jest global setup did not start the emulator run (moto is not installed: python3 -c 'import moto')")
  );
}

/** Waits (up to `minutes`) for a background run, then reads its results. */
async function waitFor<T>(variable: string, what: string, minutes: number): Promise<T> {
  const paths = JSON.parse(process.env[variable] ?? "{}") as Paths;
  const deadline = Date.now() + minutes * 60_000;
  while (!existsSync(paths.exit)) {
    if (Date.now() > deadline) throw new Error(`${what} did not finish within ${minutes} minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!existsSync(paths.results)) {
    throw new Error(
      `${what} wrote no results (exit ${readFileSync(paths.exit, "utf8")}): ${readFileSync(paths.stderr, "utf8").slice(0, 3000)}`,
    );
  }
  return JSON.parse(readFileSync(paths.results, "utf8")) as T;
}

/** Waits (up to 8 minutes) for the background emulator run, then reads its results. */
export const emulatorRun = (): Promise<EmulatorResults> => waitFor("CMK_EMULATOR", "the emulator run", 8);

/** Why the teardown's emulator test is skipped here, or undefined when it runs. */
export function teardownFixtureSkipReason(): string | undefined {
  // Its own background run: a run of this suite alone starts no emulator run (global-setup.js).
  return (
    motoRunSkipReason() ??
    (process.env.CMK_TEARDOWN_FIXTURE
      ? undefined
      : "the jest global setup did not start the teardown's deploy against moto (moto is not installed: python3 -c 'import moto')")
  );
}

/** Waits (up to 12 minutes: under `npm test` it shares 2 cores with the offline plans and the unit suites) for the background deploy and teardown of dev (tools/emulator/teardown-fixture.ts). */
export const teardownFixture = (): Promise<TeardownFixture> =>
  waitFor("CMK_TEARDOWN_FIXTURE", "the teardown of dev against moto", 12);
