/**
 * Which Secrets Manager secrets hold credentials a key store or a file system cannot do without,
 * decided by their role in the plan, never by words in their names:
 * - key-store credential (block on delete/replace/forget): tagged `cmk:holds = key-store-credential`
 *   (what this project's HSM credential module declares), or read by a custom key store: its
 *   `key_store_password` or `xks_proxy_authentication_credential` references a secret version
 *   (resource or data source) of this secret;
 * - fsxadmin credential (risky): tagged `cmk:holds = fsx-admin-credential`, or a version of it holds
 *   the same value an FSx file system's `fsx_admin_password` is set from.
 * A secret version is judged by its secret (configuration reference or `secret_id`).
 */
import { isObject, type JsonObject, type ResourceChange } from "./plan-json";
import { configAddressOf, valuesOf, type PlanIndex } from "./plan-index";

/** Tag that marks a secret as holding a key-store credential, whatever its name. */
export const CREDENTIAL_TAG = { key: "cmk:holds", value: "key-store-credential" } as const;
/** Tag that marks the fsxadmin password's secret. */
export const FSX_ADMIN_TAG = { key: "cmk:holds", value: "fsx-admin-credential" } as const;

const KEY_STORE_CREDENTIAL_ATTRS = ["key_store_password", "xks_proxy_authentication_credential"];
const VERSION_TYPES = [
  "aws_secretsmanager_secret_version",
  "data.aws_secretsmanager_secret_version",
  "data.aws_secretsmanager_secret",
];

function tagged(v: JsonObject, value: string): boolean {
  for (const t of [v.tags, v.tags_all]) if (isObject(t) && t[CREDENTIAL_TAG.key] === value) return true;
  return false;
}

/** Configuration addresses of the secrets a version-like resource (resource or data source) points at. */
function secretsOfVersion(idx: PlanIndex, versionAddress: string): string[] {
  const out = idx
    .references(versionAddress)
    .filter((r) => r.via === "secret_id" && r.target?.includes("aws_secretsmanager_secret."))
    .map((r) => r.target as string);
  // A constant secret_id (name or ARN), or the one the plan shows, names a secret of the plan by value.
  const expr = idx.config.get(configAddressOf(versionAddress))?.resource.expressions?.secret_id;
  const constant = isObject(expr as never) ? (expr as { constant_value?: unknown }).constant_value : undefined;
  const shown = idx
    .ofTypes("aws_secretsmanager_secret_version")
    .filter((v) => configAddressOf(v.address) === configAddressOf(versionAddress))
    .flatMap((v) => [valuesOf(v.change.before).secret_id, valuesOf(v.change.after).secret_id]);
  const ids = [constant, ...shown].filter((x): x is string => typeof x === "string");
  if (ids.length) {
    for (const s of idx.ofTypes("aws_secretsmanager_secret")) {
      const names = [s.change.before, s.change.after].flatMap((v) => [
        valuesOf(v).arn,
        valuesOf(v).id,
        valuesOf(v).name,
      ]);
      if (ids.some((id) => names.includes(id))) out.push(configAddressOf(s.address));
    }
  }
  return out;
}

interface Roles {
  keyStore: Set<string>;
  /** Secret ids (names or ARNs) that key stores read by a constant `secret_id`, the secret not being in the plan. */
  keyStoreIds: Set<string>;
  fsxAdmin: Set<string>;
}

/** The constant `secret_id` of a configuration resource, if any. */
function constantSecretId(idx: PlanIndex, address: string): string | undefined {
  const expr = idx.config.get(configAddressOf(address))?.resource.expressions?.secret_id;
  const v = isObject(expr as never) ? (expr as { constant_value?: unknown }).constant_value : undefined;
  return typeof v === "string" ? v : undefined;
}

const cache = new WeakMap<PlanIndex, Roles>();

/** Configuration addresses of secrets by role, from the references in the plan's configuration. */
function roles(idx: PlanIndex): Roles {
  let r = cache.get(idx);
  if (r) return r;
  r = { keyStore: new Set(), keyStoreIds: new Set(), fsxAdmin: new Set() };
  const isVersion = (t: string | undefined): boolean =>
    !!t && VERSION_TYPES.some((v) => t.replace(/^(module\.[^.]+\.)+/, "").startsWith(`${v}.`));
  for (const [addr, { resource }] of idx.config) {
    if (resource.type === "aws_kms_custom_key_store") {
      for (const ref of idx.references(addr)) {
        if (!KEY_STORE_CREDENTIAL_ATTRS.includes(ref.via) || !ref.target) continue;
        if (ref.target.includes("aws_secretsmanager_secret.")) r.keyStore.add(ref.target);
        else if (isVersion(ref.target)) {
          for (const s of secretsOfVersion(idx, ref.target)) r.keyStore.add(s);
          const id = constantSecretId(idx, ref.target);
          if (id) r.keyStoreIds.add(id);
        }
      }
    }
  }
  // fsxadmin: the value the file system's password comes from, also written into a secret version.
  const fsxSources = new Set<string>();
  for (const [addr, { resource }] of idx.config) {
    if (!/^aws_fsx_ontap_file_system$/.test(resource.type)) continue;
    for (const ref of idx.references(addr))
      if (ref.via === "fsx_admin_password" && ref.target) fsxSources.add(ref.target);
  }
  if (fsxSources.size) {
    for (const [addr, { resource }] of idx.config) {
      if (resource.type !== "aws_secretsmanager_secret_version") continue;
      const refs = idx.references(addr);
      if (refs.some((x) => x.via === "secret_string" && x.target && fsxSources.has(x.target)))
        for (const s of secretsOfVersion(idx, addr)) r.fsxAdmin.add(s);
    }
  }
  cache.set(idx, r);
  return r;
}

function secretOf(rc: ResourceChange, idx: PlanIndex): string[] {
  if (rc.type === "aws_secretsmanager_secret") return [configAddressOf(rc.address)];
  if (rc.type === "aws_secretsmanager_secret_version") return secretsOfVersion(idx, rc.address);
  return [];
}

function secretChanges(idx: PlanIndex, addresses: string[]): ResourceChange[] {
  return idx.ofTypes("aws_secretsmanager_secret").filter((s) => addresses.includes(configAddressOf(s.address)));
}

/** Whether a secret or secret version (resource change) holds a key-store or HSM credential. */
export function holdsCredential(rc: ResourceChange, idx: PlanIndex): boolean {
  const r = roles(idx);
  // The secret a key store reads by a constant ARN or name, whether or not the secret is in the plan.
  if (r.keyStoreIds.size) {
    const b = valuesOf(rc.change.before),
      a = valuesOf(rc.change.after);
    const ids =
      rc.type === "aws_secretsmanager_secret"
        ? [b.arn, b.id, b.name, a.arn, a.id, a.name]
        : rc.type === "aws_secretsmanager_secret_version"
          ? [b.secret_id, a.secret_id, constantSecretId(idx, rc.address)]
          : [];
    if (ids.some((x) => typeof x === "string" && r.keyStoreIds.has(x))) return true;
  }
  const secrets = secretOf(rc, idx);
  if (secrets.length === 0) return false;
  if (secrets.some((s) => r.keyStore.has(s))) return true;
  const own = rc.type === "aws_secretsmanager_secret" ? [rc] : secretChanges(idx, secrets);
  return own.some(
    (s) =>
      tagged(valuesOf(s.change.before), CREDENTIAL_TAG.value) || tagged(valuesOf(s.change.after), CREDENTIAL_TAG.value),
  );
}

/** Whether a secret or secret version holds the fsxadmin password of an FSx for ONTAP file system. */
export function holdsFsxAdmin(rc: ResourceChange, idx: PlanIndex): boolean {
  const secrets = secretOf(rc, idx);
  if (secrets.length === 0) return false;
  if (secrets.some((s) => roles(idx).fsxAdmin.has(s))) return true;
  const own = rc.type === "aws_secretsmanager_secret" ? [rc] : secretChanges(idx, secrets);
  return own.some(
    (s) =>
      tagged(valuesOf(s.change.before), FSX_ADMIN_TAG.value) || tagged(valuesOf(s.change.after), FSX_ADMIN_TAG.value),
  );
}
