/**
 * moto for tests: the harness (tools/emulator/moto.ts) plus the skip decision and an environment
 * switch for in-process SDK clients.
 *
 *   const skip = motoSkipReason();
 *   (skip ? describe.skip : describe)("...", () => {
 *     let moto: Moto;
 *     beforeAll(async () => { moto = await startMoto(); });
 *     afterAll(() => moto?.stop());
 *   });
 */
import { execFileSync } from "node:child_process";

export { attachMoto, motoEnv, startMoto, stopMotoGroup, type Moto } from "../../tools/emulator/moto";

let probed: string | null | undefined;

/** Why moto-backed tests are skipped here, or undefined when they can run. */
export function motoSkipReason(): string | undefined {
  if (process.env.CMK_SKIP_MOTO) return "CMK_SKIP_MOTO is set";
  if (probed === undefined) {
    try {
      execFileSync("python3", ["-c", "import moto, flask, flask_cors"], { stdio: "ignore", timeout: 20_000 });
      execFileSync("moto_server", ["--help"], { stdio: "ignore", timeout: 20_000 });
      probed = null;
    } catch {
      probed =
        "moto is not installed (python3 -c 'import moto' and moto_server with its server extras: pip install 'moto[server]')";
    }
  }
  return probed ?? undefined;
}

/**
 * Runs `fn` with `vars` set in process.env, restoring every variable afterwards (also those that
 * were unset), for code that reads the environment (SDK clients) in-process.
 */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const profile = process.env.AWS_PROFILE;
  delete process.env.AWS_PROFILE;
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (profile !== undefined) process.env.AWS_PROFILE = profile;
  }
}
