/**
 * Environments deployed by CI must keep their state remotely: a CI runner is thrown away after
 * each job, so local state would be lost and the next run would create every resource again
 * (a second VPC, second keys, then fail on the aliases). Every registered environment is planned
 * and deployed by the workflows (their matrix is `npm run -s envs`), so the workflows synthesize
 * with `CMK_REQUIRE_REMOTE_STATE=1`; local state stays available to laptops through `ENV_CONFIG`.
 */
import { ConfigError } from "../environments/errors";
import type { EnvironmentConfig } from "../environments/types";

/** One line per environment whose backend is local (absent `backend` means local). */
export function localStateProblems(envs: Readonly<Record<string, EnvironmentConfig>>): string[] {
  return (
    Object.entries(envs)
      // A backend of the wrong shape is the validation's to report; only a real local one is refused here.
      .filter(([, env]) => {
        const b = (env as { backend?: unknown }).backend;
        return b === undefined || (typeof b === "object" && b !== null && (b as { type?: unknown }).type === "local");
      })
      .map(
        ([name]) =>
          `environments.${name}.backend: local state is not allowed for an environment deployed by CI (the runner's disk is thrown away after each job): set backend to { type: "s3", ... } or { type: "cloud", ... }`,
      )
  );
}

/** Returns `envs` unchanged, or throws ConfigError naming every environment with local state. */
export function requireRemoteState<T extends Readonly<Record<string, EnvironmentConfig>>>(envs: T): T {
  const problems = localStateProblems(envs);
  if (problems.length) throw new ConfigError(problems);
  return envs;
}

/** True when the caller (a CI workflow) asked for remote state only. */
export function remoteStateRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CMK_REQUIRE_REMOTE_STATE === "1" || env.CMK_REQUIRE_REMOTE_STATE === "true";
}
