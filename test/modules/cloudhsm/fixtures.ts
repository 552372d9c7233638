/**
 * Environments for the CloudHSM tests: `prod` as shipped, minus its external key store (the XKS
 * part has its own tests), so these tests exercise the CloudHSM path alone.
 */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import type { StackJson } from "../../helpers/synth";

/** A deep copy to change before composing. */
export type Draft = { -readonly [K in keyof EnvironmentConfig]: EnvironmentConfig[K] };

export function prodCloudHsmOnly(changes: (env: Draft) => void = () => undefined): EnvironmentConfig {
  const env = JSON.parse(JSON.stringify(environments.prod)) as Draft;
  delete env.xks;
  delete (env.keys as Record<string, unknown>).records;
  (env.data as { buckets?: unknown }).buckets = {};
  changes(env);
  return env;
}

/** Resources whose construct path starts with `prefix`, by path (type and attributes). */
export function byPath(
  stack: StackJson,
  prefix: string,
): Record<string, { type: string; name: string; body: Record<string, unknown> }> {
  const out: Record<string, { type: string; name: string; body: Record<string, unknown> }> = {};
  for (const [type, all] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(all)) {
      const path = (body["//"] as { metadata?: { path?: string } } | undefined)?.metadata?.path ?? "";
      if (path.startsWith(prefix)) out[path] = { type, name, body };
    }
  }
  return out;
}

/** `${type.name.attribute}` for the resource at `path`. */
export function ref(stack: StackJson, path: string, attribute: string): string {
  const hit = byPath(stack, path)[path];
  if (!hit) throw new Error(`no resource at ${path}`);
  return `\${${hit.type}.${hit.name}.${attribute}}`;
}
