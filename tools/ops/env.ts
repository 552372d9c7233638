/**
 * What the operator commands know about an environment: its resolved configuration (the shipped
 * environment of that name, or the one in the `ENV_CONFIG` file, validated exactly as synth does)
 * and where its deployed resources are.
 *
 * Decision: deployed resources are found by the names the configuration fixes (key aliases, key
 * store names, bucket names, the `<env>-kms-` alarm prefix, the `Environment` tag the tool puts
 * on every resource), with read-only AWS calls, not from Terraform state. Reading state needs
 * `terraform init` with the backend's credentials (or a Terraform Cloud token) and returns every
 * secret the state holds (a generated CA key, sensitive variables): a health check must not need
 * either. Terraform is run only for `status --drift` (`terraform plan -detailed-exitcode` in
 * `cdktf.out/stacks/<stack>`), which needs the same access a plan does.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { selectEnvironments } from "../../environments";
import { ConfigError } from "../../environments/errors";
import { resolveEnvironment, type ResolvedEnvironment } from "../../environments/resolve";
import { validationMessages } from "../../environments/validation";

/** Stacks of an environment, in deploy order. */
export const stackNames = (env: { readonly name: string }): { keys: string; data: string } => ({
  keys: `${env.name}-keys`,
  data: `${env.name}-data`,
});

/** The prefix of every alarm the environment's alarm topic receives (modules/alarms/alarm-topic.ts). */
export const alarmNamePrefix = (env: { readonly name: string }): string => `${env.name}-kms-`;

/**
 * The resolved configuration of environment `name`: from `ENV_CONFIG` when set, else the shipped
 * environments. Throws ConfigError (every problem, one per line) for an unknown name or a
 * configuration that does not validate.
 */
export function loadEnvironment(
  name: string,
  envVar: string | undefined = process.env.ENV_CONFIG,
): ResolvedEnvironment {
  const all = selectEnvironments(envVar);
  const known = Object.keys(all);
  if (!Object.prototype.hasOwnProperty.call(all, name)) {
    throw new ConfigError([
      `unknown environment "${name}" (known: ${known.join(", ") || "none"}${envVar ? `, from ENV_CONFIG=${envVar}` : ""})`,
    ]);
  }
  const problems = validationMessages({ [name]: all[name] });
  if (problems.length) throw new ConfigError(problems);
  return resolveEnvironment(all[name]);
}

/** The synthesized Terraform working directory of a stack, or undefined before `npm run synth`. */
export function stackDir(stack: string, root: string = process.cwd()): string | undefined {
  const dir = join(root, "cdktf.out", "stacks", stack);
  return existsSync(join(dir, "cdk.tf.json")) ? dir : undefined;
}
