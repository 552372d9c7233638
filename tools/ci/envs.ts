/**
 * The environments CI plans and deploys: every registered one (environments/index.ts), in
 * registration order, each with the facts a workflow needs before it has synthesized anything.
 */
import type { EnvironmentConfig } from "../../environments/types";
import { localStateProblems } from "../../stacks/remote-state";
import { ConfigError } from "../../environments/errors";

export interface CiEnvironment {
  readonly env: string;
  /**
   * What the workflows append to a secret's name for this environment (`AWS_DEPLOY_ROLE_<suffix>`):
   * see {@link secretSuffix}.
   */
  readonly secretSuffix: string;
  /** `s3` or `cloud` (local state is refused: see stacks/remote-state.ts). */
  readonly backend: "s3" | "cloud";
}

/**
 * The GitHub environment in which the deploy's (ungated) plan jobs and the drift check run:
 * restricted to the default branch, without reviewers, so that pull requests cannot read its
 * secrets and nobody is asked to approve a plan.
 */
export const PLAN_ENVIRONMENT_SUFFIX = "-plan";

/**
 * An environment name as the suffix of a GitHub secret name: `-` becomes `_`, letters become upper
 * case (`prod-eu` -> `PROD_EU`, so `AWS_DEPLOY_ROLE_PROD_EU`). GitHub secret names may contain only
 * `[A-Za-z0-9_]`, are case-insensitive, and must not start with a digit or `GITHUB_`
 * (https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions#naming-your-secrets);
 * the suffix always follows a prefix such as `AWS_PLAN_ROLE_`, so only the characters matter here.
 * Throws for a name that cannot be mapped (any character other than letters, digits and `-`).
 */
export function secretSuffix(name: string): string {
  const suffix = name.replace(/-/g, "_").toUpperCase();
  if (!/^[A-Z0-9_]+$/.test(suffix))
    throw new Error(`"${name}" cannot be part of a GitHub secret name: use letters, digits and - only`);
  return suffix;
}

/** The CI matrix, or ConfigError naming every environment CI could not deploy safely. */
export function ciEnvironments(envs: Readonly<Record<string, EnvironmentConfig>>): CiEnvironment[] {
  const problems = localStateProblems(envs);
  const nameProblems = Object.entries(envs)
    .filter(([key, env]) => env.name !== key)
    .map(
      ([key]) =>
        `environments.${key}.name: must equal its registry key "${key}" (the workflows name stacks and secrets after it)`,
    );
  const suffixProblems: string[] = [];
  const bySuffix = new Map<string, string>();
  for (const key of Object.keys(envs)) {
    let suffix: string;
    try {
      suffix = secretSuffix(key);
    } catch (e) {
      suffixProblems.push(`environments.${key}: ${(e as Error).message}`);
      continue;
    }
    const other = bySuffix.get(suffix);
    if (other !== undefined) {
      suffixProblems.push(
        `environments.${key}: its GitHub secrets would be those of "${other}" (both end in _${suffix}: secret names are case-insensitive and - becomes _): rename one of them`,
      );
    } else bySuffix.set(suffix, key);
  }
  // `<env>-plan` is the GitHub environment of <env>'s plan jobs: no registered environment may have that name.
  for (const key of Object.keys(envs)) {
    const owner = Object.keys(envs).find((k) => `${k}${PLAN_ENVIRONMENT_SUFFIX}`.toLowerCase() === key.toLowerCase());
    if (owner !== undefined)
      suffixProblems.push(
        `environments.${key}: "${key}" is the GitHub environment of ${owner}'s plan jobs (${owner}${PLAN_ENVIRONMENT_SUFFIX}): rename it`,
      );
  }
  if (problems.length || nameProblems.length || suffixProblems.length)
    throw new ConfigError([...nameProblems, ...suffixProblems, ...problems]);
  return Object.entries(envs).map(([env, cfg]) => ({
    env,
    secretSuffix: secretSuffix(env),
    backend: cfg.backend?.type === "cloud" ? "cloud" : "s3",
  }));
}

/** One entry of a workflow matrix: the environment and the suffix of its secrets' names. */
export interface MatrixEntry {
  readonly env: string;
  readonly secretSuffix: string;
}

/** The matrix entries (`npm run -s envs`, `changed-envs`): what a workflow job needs, nothing more. */
export function matrixOf(list: readonly CiEnvironment[]): MatrixEntry[] {
  return list.map(({ env, secretSuffix }) => ({ env, secretSuffix }));
}
