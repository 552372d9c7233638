/**
 * Rules across the environments of one synth: names AWS keeps unique beyond one environment.
 * Each finding is reported on every use after the first, naming the first.
 */
import type { EnvironmentConfig } from "../types";
import type { Violation } from "./engine";
import { isObject, isString } from "./checks";

interface Use {
  readonly path: string;
  readonly value: string;
  /** What must be unique (the value, scoped by account and Region where AWS scopes it). */
  readonly scope: string;
}

interface Uniqueness {
  readonly what: string;
  readonly source: string;
  readonly uses: (name: string, env: EnvironmentConfig) => Use[];
}

const entries = <T>(v: unknown): [string, T][] => (isObject(v) ? (Object.entries(v) as [string, T][]) : []);

const RULES: readonly Uniqueness[] = [
  {
    what: "a bucket name no other environment uses",
    source: "S3 bucket names are globally unique",
    uses: (name, env) =>
      entries<{ bucketName?: unknown }>(env.data?.buckets)
        .filter(([, b]) => isObject(b) && isString(b.bucketName))
        .map(([b, v]) => ({ path: `environments.${name}.data.buckets.${b}.bucketName`, value: v.bucketName as string, scope: v.bucketName as string })),
  },
  {
    what: "an alias no other environment in the same account and Region uses",
    source: "KMS CreateAlias: alias names are unique per account and Region",
    uses: (name, env) =>
      entries<{ alias?: unknown }>(env.keys)
        .filter(([, k]) => isObject(k) && isString(k.alias))
        .map(([k, v]) => ({ path: `environments.${name}.keys.${k}.alias`, value: v.alias as string, scope: `${String(env.account)}/${String(env.region)}/${String(v.alias)}` })),
  },
  {
    what: "a private DNS name no other environment uses",
    source: "VPC endpoint service private DNS names are unique",
    uses: (name, env) => (isObject(env.xks) && isString(env.xks.privateDnsName) ? [{ path: `environments.${name}.xks.privateDnsName`, value: env.xks.privateDnsName, scope: env.xks.privateDnsName }] : []),
  },
  {
    what: "a key store name no other environment in the same account and Region uses",
    source: "KMS CreateCustomKeyStore: names are unique per account and Region",
    uses: (name, env) =>
      (["cloudHsm", "xks"] as const)
        .map((s) => [s, (env as Record<string, unknown>)[s]] as const)
        .filter(([, v]) => isObject(v) && isString(v.keyStoreName))
        .map(([s, v]) => {
          const store = (v as { keyStoreName: string }).keyStoreName;
          return { path: `environments.${name}.${s}.keyStoreName`, value: store, scope: `${String(env.account)}/${String(env.region)}/${store}` };
        }),
  },
];

/** Violations of the cross-environment uniqueness rules. */
export function acrossEnvironments(envs: Readonly<Record<string, EnvironmentConfig>>): Violation[] {
  const out: Violation[] = [];
  for (const rule of RULES) {
    const first = new Map<string, { env: string; path: string }>();
    for (const [name, env] of Object.entries(envs)) {
      const here = new Map<string, string>();
      for (const use of rule.uses(name, env)) {
        const seen = first.get(use.scope);
        if (seen && seen.env !== name) out.push({ path: use.path, value: use.value, rule: `${rule.what} (${seen.path} has it)`, source: rule.source });
        if (!here.has(use.scope)) here.set(use.scope, use.path);
      }
      for (const [scope, path] of here) if (!first.has(scope)) first.set(scope, { env: name, path });
    }
  }
  return out;
}
