/**
 * The environments CI plans and deploys: every registered one (environments/index.ts), in
 * registration order, each with the facts a workflow needs before it has synthesized anything.
 */
import type { EnvironmentConfig } from "../../environments/types";
import { localStateProblems } from "../../stacks/remote-state";
import { ConfigError } from "../../environments/errors";

export interface CiEnvironment {
  readonly env: string;
  /** `s3` or `cloud` (local state is refused: see stacks/remote-state.ts). */
  readonly backend: "s3" | "cloud";
}

/** The CI matrix, or ConfigError naming every environment CI could not deploy safely. */
export function ciEnvironments(envs: Readonly<Record<string, EnvironmentConfig>>): CiEnvironment[] {
  const problems = localStateProblems(envs);
  const nameProblems = Object.entries(envs)
    .filter(([key, env]) => env.name !== key)
    .map(([key]) => `environments.${key}.name: must equal its registry key "${key}" (the workflows name stacks and secrets after it)`);
  if (problems.length || nameProblems.length) throw new ConfigError([...nameProblems, ...problems]);
  return Object.entries(envs).map(([env, cfg]) => ({ env, backend: cfg.backend?.type === "cloud" ? "cloud" : "s3" }));
}
