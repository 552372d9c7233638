/**
 * This repository's side of the XKS preflight's environment interface: `npm run xks:check -- --env
 * <name>` loads the environments (the shipped ones, or `--environment-file`), validates them as a
 * synth does (every problem, one a line), and hands xks-check the chosen environment as a target,
 * the small JSON object of packages/xks-check/target.ts. The preflight validates that object itself
 * and never reads an environment, so its published bundle carries no configuration code.
 */
import {
  XksInputError,
  type EnvironmentTarget,
  type EnvironmentTargets,
  type XksTarget,
  type XksTargetKey,
} from "@cmk-stacks/xks-check";
import type { EnvironmentConfig } from "../../environments/types";
import { partitionOfRegion } from "../../environments/validation/checks";

/** Environments by name, from the shipped ones or a JSON file (`--environment-file`). */
export type LoadEnvironments = (file?: string) => Promise<Readonly<Record<string, EnvironmentConfig>>>;

async function shippedOrFile(file?: string): Promise<Readonly<Record<string, EnvironmentConfig>>> {
  // Loaded only with --env/--environment-file so explicit flags need no environment code at all.
  const mod = await import("../../environments");
  const { validationMessages } = await import("../../environments/validation");
  // The same entry points as ENV_CONFIG for `npm run synth`: read, then every check at once.
  const envs = file ? mod.selectEnvironments(file) : mod.environments;
  const problems = validationMessages(envs);
  if (problems.length) throw new mod.ConfigError(problems);
  return envs;
}

/**
 * An environment's target: its XKS endpoint and path, Region, every `store: "xks"` key, the
 * credential's secret (when in Secrets Manager) and its account's root as the principal; with the
 * environment's own field names for messages.
 */
export function xksTargetOf(env: EnvironmentConfig): EnvironmentTarget & { readonly target: XksTarget } {
  const where = `environments.${env.name}`;
  if (!env.xks)
    throw new XksInputError(`${where} has no xks section: pass --endpoint, --uri-path, --region and --key instead`);
  const fields: Record<string, string> = {
    endpoint: `${where}.xks.privateDnsName`,
    uriPath: `${where}.xks.uriPath`,
    region: `${where}.region`,
    credentialSecret: `${where}.xks.credential.secretArn`,
    principalArn: `${where}.account`,
  };
  const keys: XksTargetKey[] = Object.entries(env.keys ?? {})
    .filter(([, k]) => k.store === "xks")
    .map(([name, k], i) => {
      if (k.xksKeyId === undefined)
        throw new XksInputError(`${where}.keys.${name}.xksKeyId is missing (store "xks" needs it)`);
      fields[`keys[${i}].xksKeyId`] = `${where}.keys.${name}.xksKeyId`;
      fields[`keys[${i}].name`] = `${where}.keys.${name}`;
      return { name, xksKeyId: k.xksKeyId };
    });
  const cred = env.xks.credential;
  const target: XksTarget = {
    endpoint: `https://${env.xks.privateDnsName}`,
    uriPath: env.xks.uriPath,
    region: env.region,
    keys,
    ...(cred.source === "secretsManager" ? { credentialSecret: cred.secretArn } : {}),
    principalArn: `arn:${partitionOfRegion(env.region)}:iam::${env.account}:root`,
  };
  return { target, label: where, fields };
}

/** `--env`/`--environment-file` for the preflight, from `load` (default: the shipped environments, or the file). */
export function environmentTargets(load: LoadEnvironments = shippedOrFile): EnvironmentTargets {
  return {
    load: async (name, file) => {
      const label = file !== undefined ? `--environment-file ${file}` : "--env";
      let envs: Readonly<Record<string, EnvironmentConfig>>;
      try {
        envs = await load(file);
      } catch (e) {
        if (e instanceof XksInputError) throw e;
        // A configuration error lists every problem, one line each; anything else is one line.
        const lines = Array.isArray((e as { lines?: unknown }).lines)
          ? (e as { lines: unknown[] }).lines.map(String)
          : [(e instanceof Error ? e.message : String(e)).split("\n")[0]];
        throw new XksInputError(lines.map((l) => `${label}: ${l.replace(/^ENV_CONFIG: /, "")}`).join("\nxks-check: "));
      }
      const names = Object.keys(envs);
      const chosen = name ?? (names.length === 1 ? names[0] : undefined);
      if (chosen === undefined)
        throw new XksInputError(
          `--environment-file ${file} holds ${names.length} environments (${names.join(", ")}): pick one with --env`,
        );
      const env = Object.prototype.hasOwnProperty.call(envs, chosen) ? envs[chosen] : undefined;
      if (!env) throw new XksInputError(`--env: no environment "${chosen}" (known: ${names.join(", ") || "none"})`);
      return xksTargetOf(env);
    },
  };
}
