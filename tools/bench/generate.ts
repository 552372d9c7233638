/**
 * Builds an N-environment configuration from the registered ones (renamed, readdressed), for scale
 * benchmarks. It works from whatever the registry holds, however its environments name things:
 * each generated environment gets a name and an account id that no registered environment uses,
 * and every value AWS keeps unique beyond one account (bucket names, XKS private DNS names) is
 * made unique explicitly, so the copies pass the cross-environment checks
 * (environments/validation/across.ts) together and beside the registry.
 */
import { S3 } from "@cmk-stacks/aws-limits";
import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";

/** The registry's own names and 12-digit numbers (accounts, wherever they appear): never reused. */
function taken(registry: Readonly<Record<string, EnvironmentConfig>>): { names: Set<string>; accounts: Set<string> } {
  const text = JSON.stringify(registry);
  return {
    names: new Set([...Object.keys(registry), ...Object.values(registry).map((e) => e.name)]),
    accounts: new Set(text.match(/\d{12}/g) ?? []),
  };
}

/** `bucket` with `-<name>` appended, still a valid bucket name (the rulebook's {@link S3.BUCKET_NAME_LENGTH}, no trailing '-' or '.'). */
function uniqueBucket(bucket: string, name: string): string {
  return `${bucket.slice(0, S3.BUCKET_NAME_LENGTH.max - name.length - 1).replace(/[-.]+$/, "")}-${name}`;
}

/**
 * `count` environments copied round-robin from `registry` (default: the registered environments),
 * named `env01`, `env02`... (skipping registered names), each in an account of its own.
 */
export function generateEnvironments(
  count: number,
  registry: Readonly<Record<string, EnvironmentConfig>> = environments,
): EnvironmentConfig[] {
  const bases = Object.values(registry);
  if (bases.length === 0) throw new Error("generateEnvironments: the registry is empty");
  const used = taken(registry);
  let n = 0;
  const nextName = () => {
    let name: string;
    do name = `env${String(++n).padStart(2, "0")}`;
    while (used.names.has(name));
    used.names.add(name);
    return name;
  };
  let a = 900000000000;
  const nextAccount = () => {
    while (used.accounts.has(String(a))) a++;
    used.accounts.add(String(a));
    return String(a);
  };
  return Array.from({ length: count }, (_, i) => {
    const base = bases[i % bases.length];
    const name = nextName();
    const account = nextAccount();
    // Names that follow the shipped conventions read well (alias/env01/..., env01-cloudhsm); the
    // account id is replaced everywhere (ARNs of administrators, users, buckets' names).
    const text = JSON.stringify(base)
      .replaceAll(base.account, account)
      .replaceAll(`alias/${base.name}/`, `alias/${name}/`)
      .replaceAll(`"${base.name}-`, `"${name}-`);
    const env = JSON.parse(text) as EnvironmentConfig & Record<string, unknown>;
    const out = env as unknown as {
      name: string;
      tags?: Record<string, string>;
      data?: { buckets?: Record<string, { bucketName?: string }> };
      xks?: { privateDnsName?: string };
    };
    out.name = name;
    if (out.tags?.Environment !== undefined) out.tags.Environment = name;
    // Globally unique, whatever the registry's naming: explicit.
    for (const b of Object.values(out.data?.buckets ?? {}))
      if (typeof b.bucketName === "string") b.bucketName = uniqueBucket(b.bucketName, name);
    const dns = out.xks?.privateDnsName;
    if (typeof dns === "string")
      return JSON.parse(
        JSON.stringify(env).replaceAll(`"${dns}`, `"${name}.${dns}`).replaceAll(`//${dns}`, `//${name}.${dns}`),
      ) as EnvironmentConfig;
    return env;
  });
}
