/**
 * A moto server (https://docs.getmoto.org/en/latest/docs/server_mode.html) on a loopback port for
 * the emulator-backed tests and the emulator run (tools/emulator/run.ts): started by its caller,
 * stopped by its own process id (its process group, which the harness created), never by name.
 * Tests use it through test/helpers/moto.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Moto {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** moto_server's pid, also its process group id. */
  readonly pid: number;
  /**
   * Environment for SDK clients and CLIs talking to this server: `AWS_ENDPOINT_URL` (every SDK
   * client honours it, see hooks/lib/clients.ts for CloudHSM), dummy credentials, a Region, and no
   * profile or shared files (so nothing of the machine's real AWS setup is read).
   */
  readonly env: Record<string, string>;
  /** Forgets every resource (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /**
   * How a model's status advances (`POST /moto-api/state-manager/set-transition`, e.g.
   * `{ progression: "immediate" }`): https://docs.getmoto.org/en/latest/docs/configuration/state_transition/
   * moto 5 has no server-side clock API: tests needing time to pass shorten the window instead.
   */
  setTransition(modelName: string, transition: Record<string, unknown>): Promise<void>;
  /** Stops the server (SIGTERM to its process group, SIGKILL after 3 s). */
  stop(): Promise<void>;
}

/** The port moto_server reports binding (werkzeug's " * Running on http://127.0.0.1:<port>"), if it has yet. */
function reportedPort(log: string): number | undefined {
  const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
  return m ? Number(m[1]) : undefined;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/** Starts moto_server (in `accountId`, when given) on a free loopback port and waits (up to `timeoutMs`) until it answers. */
export async function startMoto(
  opts: { region?: string; accountId?: string; timeoutMs?: number; logFile?: string } = {},
): Promise<Moto> {
  const region = opts.region ?? "us-east-1";
  const timeoutMs = opts.timeoutMs ?? 30_000;
  // Port 0: the operating system picks a free port as moto binds it, and moto reports which. A port
  // chosen beforehand could be taken by another server in between; this one answering instead of
  // ours (a test resetting another run's emulator) was seen under load.
  // Its output goes to a file (the caller's log, or one beside the run's temporary files): a server
  // that outlives its starter (the background emulator run) must not write into a broken pipe.
  const logFile = opts.logFile ?? join(mkdtempSync(join(tmpdir(), "cmk-moto-")), "moto.log");
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", "0"], {
    // Own process group (detached) so stop() reaches the Python process behind a pyenv shim too.
    detached: true,
    stdio: ["ignore", openSync(logFile, "a"), openSync(logFile, "a")],
    // The account every request is in (moto's default is 123456789012).
    env: { ...process.env, ...(opts.accountId ? { MOTO_ACCOUNT_ID: opts.accountId } : {}) },
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const done = exited(child);
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 3000);
    await done;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    port ??= reportedPort(readFileSync(logFile, "utf8"));
    if (port !== undefined && (await answers(`http://127.0.0.1:${port}/moto-api/`))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const up = port !== undefined && child.exitCode === null && child.signalCode === null && Date.now() < deadline;
  if (!up || port === undefined) {
    await stop();
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-5).join(" | ");
    throw new Error(`moto_server did not answer within ${timeoutMs} ms: ${tail}`);
  }
  return { ...attachMoto(`http://127.0.0.1:${port}`, child.pid ?? 0, region), stop };
}

/** Stops a moto_server process group started by {@link startMoto} (by another process), by its pid. */
export async function stopMotoGroup(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 3000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** The {@link Moto} handle of a server started elsewhere (the background emulator run). */
export function attachMoto(endpoint: string, pid: number, region: string): Moto {
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${endpoint}${path}`, {
      method: "POST",
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`moto ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  };
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    pid,
    env: motoEnv(endpoint, region),
    reset: () => post("/moto-api/reset"),
    setTransition: (modelName: string, transition: Record<string, unknown>) =>
      post("/moto-api/state-manager/set-transition", { model_name: modelName, transition }),
    stop: () => stopMotoGroup(pid),
  };
}

/** Environment for SDK clients and CLIs talking to moto at `endpoint`. */
export function motoEnv(endpoint: string, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
}
