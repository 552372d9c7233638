/** Runs a command repeatedly and reports median wall time and peak memory (max RSS of the process tree's largest member). */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface Measurement {
  readonly label: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Peak resident memory in MB (GNU time's %M), undefined when /usr/bin/time is missing. */
  readonly peakMb?: number;
}

const GNU_TIME = "/usr/bin/time";

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `cmd args` `runs` times (after one warm-up run) in `cwd` with `env`; throws if a run fails. */
export function measure(
  label: string,
  cmd: string,
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; runs?: number },
): Measurement {
  const runs = opts.runs ?? 5;
  const times: number[] = [];
  const peaks: number[] = [];
  const useTime = existsSync(GNU_TIME);
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    const r = useTime
      ? spawnSync(GNU_TIME, ["-f", "__PEAK_KB__ %M", cmd, ...args], { cwd: opts.cwd, env: opts.env, encoding: "utf8" })
      : spawnSync(cmd, [...args], { cwd: opts.cwd, env: opts.env, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) {
      throw new Error(
        `${label}: "${cmd} ${args.join(" ")}" exited ${r.status}: ${(r.stderr ?? "").split("\n").slice(-5).join(" | ")}`,
      );
    }
    if (i === 0) continue; // warm-up: file system cache, lazy compilation caches
    times.push(ms);
    const peak = /__PEAK_KB__ (\d+)/.exec(r.stderr ?? "");
    if (peak) peaks.push(Number(peak[1]) / 1024);
  }
  return {
    label,
    runs,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    ...(peaks.length ? { peakMb: Math.max(...peaks) } : {}),
  };
}
