/**
 * The target file: the key store to check, as JSON, for a project that keeps its key store's
 * settings elsewhere (the cmk-stacks repository's environments, another repository, a script).
 * The preflight knows nothing of how a project describes its environments: the project turns its
 * own description into this small object (`npm run -s xks:check -- --env <name> --print-target` in
 * the cmk-stacks repository) and the preflight validates it here, every problem at once, each
 * naming its field. Each field is the command-line flag of the same name; a flag given on the
 * command line wins over the file (README.md, "The target file").
 */
import { readFileSync } from "node:fs";
import { XksInputError, type XksKeyRef } from "./model";
import { parseEndpoint, parseKeyId, parseRegion, parseUriPath } from "./options";
import { secretRegion } from "./credentials";

/** One external key to look up. */
export interface XksTargetKey {
  /** Id of the key in the external key manager, as `--key`. */
  readonly xksKeyId: string;
  /** Name shown next to the id in the report (the project's name for the key). @default - the id alone */
  readonly name?: string;
}

/**
 * The target file's JSON: what one preflight run checks, without the credential itself (never
 * in a file this tool reads: only where it lives). Unknown fields are refused.
 */
export interface XksTarget {
  /** The key store's proxy URI endpoint, `https://<private DNS name>` (no port, no path), as `--endpoint`. */
  readonly endpoint: string;
  /** The proxy URI path, `/<prefix>/kms/xks/v1`, as `--uri-path`. */
  readonly uriPath: string;
  /** The key store's Region, the one KMS signs for, as `--region`. */
  readonly region: string;
  /** External keys to look up, as `--key`. @default [] (health only) */
  readonly keys?: readonly XksTargetKey[];
  /** Secrets Manager secret ARN holding the credential, as `--credential-secret`. @default - XKS_ACCESS_KEY_ID / XKS_SECRET_ACCESS_KEY */
  readonly credentialSecret?: string;
  /** `awsPrincipalArn` sent with GetKeyMetadata, as `--principal-arn`. @default "AWS Internal" */
  readonly principalArn?: string;
}

/** The fields of {@link XksTarget}, in the order messages list them. */
export const TARGET_FIELDS = ["endpoint", "uriPath", "region", "keys", "credentialSecret", "principalArn"] as const;
const KEY_FIELDS = ["xksKeyId", "name"] as const;

/** A key's display name: printable, so that nothing in a file can write control characters to the terminal. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** An IAM principal ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html), or KMS's own "AWS Internal". */
const PRINCIPAL_ARN = /^(arn:aws[a-z-]*:(iam|sts)::\d{12}:[\x21-\x7e]{1,1900}|AWS Internal)$/;

/** The target of a run before credentials: what the target file, an environment or the flags say. */
export interface TargetSpec {
  readonly privateDnsName: string;
  readonly uriPath: string;
  readonly region: string;
  readonly keys: readonly XksKeyRef[];
  /** Where the credential lives, when in Secrets Manager. */
  readonly secretArn?: string;
  /** What the user calls that field, for messages. */
  readonly secretLabel?: string;
  /** `awsPrincipalArn` for GetKeyMetadata. */
  readonly principalArn?: string;
}

/**
 * Validates a target (parsed JSON of unknown shape) and returns it as the run's target. `label`
 * starts every message (`--target staging.json`); `fields` may rename a field path for messages
 * (`{ uriPath: "environments.staging.xks.uriPath" }`) when the target was made from something
 * the user wrote under other names. Throws one XksInputError listing every problem, one a line.
 */
export function parseTarget(value: unknown, label: string, fields: Readonly<Record<string, string>> = {}): TargetSpec {
  const problems: string[] = [];
  const name = (path: string): string => fields[path] ?? `${label}: ${path}`;
  /** Runs one of the flag parsers with the field's name, collecting its problem instead of stopping. */
  const check = <T>(path: string, v: unknown, parse: (v: string, label: string) => T): T | undefined => {
    if (typeof v !== "string") {
      problems.push(`${name(path)}: must be a string (got ${kind(v)})`);
      return undefined;
    }
    // Never echoed to a terminal: a file can hold escape sequences that a flag typed by hand would not.
    if ([...v].some(isControl)) {
      problems.push(`${name(path)}: contains control characters (not shown)`);
      return undefined;
    }
    try {
      return parse(v, name(path));
    } catch (e) {
      if (!(e instanceof XksInputError)) throw e;
      problems.push(e.message);
      return undefined;
    }
  };
  if (!isPlainObject(value))
    throw new XksInputError(`${label}: must be a JSON object with ${TARGET_FIELDS.join(", ")} (got ${kind(value)})`);

  for (const k of Object.keys(value)) {
    if (!(TARGET_FIELDS as readonly string[]).includes(k))
      problems.push(`${name(shown(k))}: not a field of the target (allowed: ${TARGET_FIELDS.join(", ")})`);
  }
  for (const k of ["endpoint", "uriPath", "region"] as const)
    if (value[k] === undefined) problems.push(`${name(k)}: missing (required)`);
  const privateDnsName = value.endpoint === undefined ? undefined : check("endpoint", value.endpoint, parseEndpoint);
  const uriPath = value.uriPath === undefined ? undefined : check("uriPath", value.uriPath, parseUriPath);
  const region = value.region === undefined ? undefined : check("region", value.region, parseRegion);

  const keys: XksKeyRef[] = [];
  if (value.keys !== undefined && !Array.isArray(value.keys))
    problems.push(`${name("keys")}: must be an array of {"xksKeyId": "...", "name": "..."} (got ${kind(value.keys)})`);
  if (Array.isArray(value.keys)) {
    value.keys.forEach((key: unknown, i) => {
      const at = `keys[${i}]`;
      if (!isPlainObject(key)) {
        problems.push(`${name(at)}: must be an object {"xksKeyId": "...", "name": "..."} (got ${kind(key)})`);
        return;
      }
      for (const k of Object.keys(key))
        if (!(KEY_FIELDS as readonly string[]).includes(k))
          problems.push(`${name(`${at}.${shown(k)}`)}: not a field of a key (allowed: ${KEY_FIELDS.join(", ")})`);
      let id: string | undefined;
      if (key.xksKeyId === undefined) problems.push(`${name(`${at}.xksKeyId`)}: missing (required)`);
      else id = check(`${at}.xksKeyId`, key.xksKeyId, parseKeyId);
      const keyName = key.name === undefined ? undefined : check(`${at}.name`, key.name, parseKeyName);
      if (id !== undefined) keys.push(keyName === undefined ? { xksKeyId: id } : { name: keyName, xksKeyId: id });
    });
  }

  let secretArn: string | undefined;
  if (value.credentialSecret !== undefined) {
    // Never echoed: a field meant for an ARN is where a pasted credential would land.
    if (typeof value.credentialSecret !== "string" || !isSecretArn(value.credentialSecret)) {
      problems.push(
        `${name("credentialSecret")}: must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>); the value is not shown`,
      );
    } else secretArn = value.credentialSecret;
  }
  const principalArn =
    value.principalArn === undefined ? undefined : check("principalArn", value.principalArn, parsePrincipalArn);

  if (problems.length > 0 || privateDnsName === undefined || uriPath === undefined || region === undefined) {
    // One problem a line, each prefixed as the command prints its first (run-cli.ts).
    throw new XksInputError(problems.join("\nxks-check: "));
  }
  return {
    privateDnsName,
    uriPath,
    region,
    keys,
    ...(secretArn !== undefined ? { secretArn, secretLabel: name("credentialSecret") } : {}),
    ...(principalArn !== undefined ? { principalArn } : {}),
  };
}

/** Reads and validates a target file (`-` reads standard input). */
export function readTargetFile(
  path: string,
  read: (path: string | 0) => string = (p) => readFileSync(p, "utf8"),
): TargetSpec {
  const label = `--target ${path}`;
  let text: string;
  try {
    text = read(path === "-" ? 0 : path);
  } catch (e) {
    throw new XksInputError(`${label}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: newer Node versions quote the text around the error.
    throw new XksInputError(`${label}: not valid JSON: write one object with ${TARGET_FIELDS.join(", ")}`);
  }
  return parseTarget(json, label);
}

/** The target as the JSON a target file holds (what `--print-target` prints). */
export function targetJson(t: TargetSpec): XksTarget {
  return {
    endpoint: `https://${t.privateDnsName}`,
    uriPath: t.uriPath,
    region: t.region,
    keys: t.keys.map((k) => (k.name === undefined ? { xksKeyId: k.xksKeyId } : { xksKeyId: k.xksKeyId, name: k.name })),
    ...(t.secretArn !== undefined ? { credentialSecret: t.secretArn } : {}),
    ...(t.principalArn !== undefined ? { principalArn: t.principalArn } : {}),
  };
}

function parseKeyName(value: string, label: string): string {
  if (!KEY_NAME.test(value))
    throw new XksInputError(
      `${label}: ${JSON.stringify(value)} must be 1-64 letters, digits, _, . or -, starting with a letter or digit`,
    );
  return value;
}

function parsePrincipalArn(value: string, label: string): string {
  if (!PRINCIPAL_ARN.test(value))
    throw new XksInputError(
      `${label}: ${JSON.stringify(value)} must be an IAM principal ARN (arn:aws:iam::<account>:root, a role or user ARN) or "AWS Internal"`,
    );
  return value;
}

function isSecretArn(value: string): boolean {
  try {
    secretRegion(value);
    return true;
  } catch {
    return false;
  }
}

/** An unknown field's name as messages show it: quoted and escaped when it is not plain. */
function shown(field: string): string {
  return /^[\w$-]{1,64}$/.test(field) ? field : JSON.stringify(field.slice(0, 64));
}

/** C0 and C1 control characters (and DEL): ESC starts terminal escape sequences. */
function isControl(c: string): boolean {
  const x = c.codePointAt(0) ?? 0;
  return x < 0x20 || (x >= 0x7f && x <= 0x9f);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What a JSON value is, for messages (never the value itself). */
function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
