/**
 * The two successful answers of the XKS proxy API v1 the preflight reads, checked field by field
 * as the spec requires them (a malformed answer is XKS_PROXY_INVALID_RESPONSE at KMS).
 */

/** Health of one external key manager instance. */
export type EkmHealth = "ACTIVE" | "DEGRADED" | "UNAVAILABLE";

/** GetHealthStatus response. */
export interface HealthStatus {
  readonly xksProxyFleetSize: number;
  readonly xksProxyVendor: string;
  readonly xksProxyModel: string;
  readonly ekmVendor: string;
  readonly ekmFleetDetails: readonly {
    readonly id: string;
    readonly model: string;
    readonly healthStatus: EkmHealth;
  }[];
}

/** GetKeyMetadata response. */
export interface KeyMetadata {
  readonly keySpec: string;
  readonly keyUsage: readonly string[];
  readonly keyStatus: string;
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

function parseObject(body: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return "not JSON";
  }
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : "not a JSON object";
}

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const HEALTH: readonly string[] = ["ACTIVE", "DEGRADED", "UNAVAILABLE"];

/** Checks a GetHealthStatus body: every field is required; 1-10 key manager entries. */
export function parseHealth(body: string): Parsed<HealthStatus> {
  const o = parseObject(body);
  if (typeof o === "string") return { ok: false, why: o };
  const missing: string[] = [];
  if (!(Number.isInteger(o.xksProxyFleetSize) && (o.xksProxyFleetSize as number) > 0))
    missing.push("xksProxyFleetSize (integer > 0)");
  for (const f of ["xksProxyVendor", "xksProxyModel", "ekmVendor"] as const) if (!isText(o[f])) missing.push(f);
  const fleet = o.ekmFleetDetails;
  if (!Array.isArray(fleet) || fleet.length < 1 || fleet.length > 10) {
    missing.push("ekmFleetDetails (1-10 entries)");
  } else {
    fleet.forEach((e: unknown, i) => {
      const x = (e ?? {}) as Record<string, unknown>;
      if (!isText(x.id) || !isText(x.model) || !HEALTH.includes(x.healthStatus as string)) {
        missing.push(`ekmFleetDetails[${i}] (id, model, healthStatus ACTIVE|DEGRADED|UNAVAILABLE)`);
      }
    });
  }
  if (missing.length > 0) return { ok: false, why: `missing or invalid: ${missing.join(", ")}` };
  return { ok: true, value: o as unknown as HealthStatus };
}

/** Checks a GetKeyMetadata body: keySpec, keyUsage (array, at most 10) and keyStatus are required. */
export function parseKeyMetadata(body: string): Parsed<KeyMetadata> {
  const o = parseObject(body);
  if (typeof o === "string") return { ok: false, why: o };
  const missing: string[] = [];
  if (!isText(o.keySpec)) missing.push("keySpec");
  if (!Array.isArray(o.keyUsage) || o.keyUsage.length > 10 || !o.keyUsage.every((u) => typeof u === "string"))
    missing.push("keyUsage (array of at most 10 strings)");
  if (!isText(o.keyStatus)) missing.push("keyStatus");
  if (missing.length > 0) return { ok: false, why: `missing or invalid: ${missing.join(", ")}` };
  return { ok: true, value: o as unknown as KeyMetadata };
}

/**
 * What KMS's CreateKey requires of the external key (XKS spec, GetKeyMetadata "KMS
 * considerations"): each entry is one unmet requirement with its fix.
 */
export function keyProblems(m: KeyMetadata): { problem: string; action: string }[] {
  const out: { problem: string; action: string }[] = [];
  if (m.keySpec !== "AES_256") out.push({ problem: `is ${m.keySpec}, not AES_256`, action: "use a 256-bit AES key" });
  const missingUses = ["ENCRYPT", "DECRYPT"].filter((u) => !m.keyUsage.includes(u));
  if (missingUses.length > 0)
    out.push({ problem: `does not allow ${missingUses.join(" and ")}`, action: "allow ENCRYPT and DECRYPT on it" });
  if (m.keyStatus !== "ENABLED") out.push({ problem: `is ${m.keyStatus}`, action: "enable it" });
  return out;
}
