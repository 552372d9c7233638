/**
 * Where the proxy credential comes from: the environment (`XKS_ACCESS_KEY_ID`,
 * `XKS_SECRET_ACCESS_KEY`) or a Secrets Manager secret, never a command-line argument (shell
 * history, process list). Every message names the variable or field, never the value.
 */
import type { GetSecretValueCommand, GetSecretValueCommandOutput } from "@aws-sdk/client-secrets-manager";
import { SECRETS_MANAGER, XKS } from "@cmk-stacks/aws-limits";
import { XksInputError, type XksCredential } from "./model";

/** Environment variable holding the access key id. */
export const ACCESS_KEY_ID_VAR = "XKS_ACCESS_KEY_ID";
/** Environment variable holding the secret access key. */
export const SECRET_ACCESS_KEY_VAR = "XKS_SECRET_ACCESS_KEY";

/** The part of a Secrets Manager client this tool uses (inject a fake in tests). */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

/** Makes a Secrets Manager client for a Region. */
export type SecretsClientFactory = (region: string) => SecretsClient;

/**
 * Checks both values against the formats KMS accepts (XksProxyAuthenticationCredential: the
 * rulebook's {@link XKS.ACCESS_KEY_ID} and {@link XKS.SECRET_ACCESS_KEY}). `labels` name where each came from
 * (a variable or a secret field) for the message; the values never appear in it.
 */
export function validateCredential(
  values: { readonly accessKeyId: unknown; readonly secretAccessKey: unknown },
  labels: { readonly accessKeyId: string; readonly secretAccessKey: string },
): XksCredential {
  const problems: string[] = [];
  const [id, secret] = [XKS.ACCESS_KEY_ID_LENGTH, XKS.SECRET_ACCESS_KEY_LENGTH];
  if (typeof values.accessKeyId !== "string" || !XKS.ACCESS_KEY_ID.regex.test(values.accessKeyId)) {
    problems.push(
      `${labels.accessKeyId} is not a valid XKS access key id (${id.min}-${id.max} characters, A-Z and 2-7 only)`,
    );
  }
  if (typeof values.secretAccessKey !== "string" || !XKS.SECRET_ACCESS_KEY.regex.test(values.secretAccessKey)) {
    problems.push(
      `${labels.secretAccessKey} is not a valid XKS secret access key (${secret.min}-${secret.max} characters: letters, digits, /, + and =)`,
    );
  }
  if (problems.length > 0) throw new XksInputError(problems.join("; "));
  return { accessKeyId: values.accessKeyId as string, secretAccessKey: values.secretAccessKey as string };
}

/** Region of a Secrets Manager secret ARN, or an input error naming the flag. */
export function secretRegion(arn: string, label = "--credential-secret"): string {
  const parsed = SECRETS_MANAGER.parseSecretArn(arn);
  if (!parsed) throw new XksInputError(`${label}: "${arn}" is not ${SECRETS_MANAGER.SECRET_ARN.allowed}`);
  return parsed.region;
}

/** Where to read the credential from. */
export interface CredentialSource {
  /** Process environment (only the two XKS_ variables are read). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Secret ARN whose JSON holds `accessKeyId` and `secretAccessKey`. */
  readonly secretArn?: string;
  /** Label of the secret ARN's origin for messages. @default "--credential-secret" */
  readonly secretLabel?: string;
  /** @default - a real SecretsManagerClient for the secret's Region */
  readonly secretsClient?: SecretsClientFactory;
}

/**
 * Resolves and validates the credential: from the secret when one is named (and then the
 * environment variables must be unset, so it is never ambiguous which one was tested), otherwise
 * from the environment.
 */
export async function resolveCredential(source: CredentialSource): Promise<XksCredential> {
  const envId = source.env[ACCESS_KEY_ID_VAR];
  const envSecret = source.env[SECRET_ACCESS_KEY_VAR];
  const label = source.secretLabel ?? "--credential-secret";
  if (source.secretArn !== undefined) {
    if (envId !== undefined || envSecret !== undefined) {
      throw new XksInputError(
        `${ACCESS_KEY_ID_VAR}/${SECRET_ACCESS_KEY_VAR} are set and ${label} names a secret: unset the variables or drop the secret, so one credential is tested`,
      );
    }
    return readSecretCredential(source.secretArn, label, source.secretsClient);
  }
  if (envId === undefined && envSecret === undefined) {
    throw new XksInputError(
      `no XKS proxy credential: set ${ACCESS_KEY_ID_VAR} and ${SECRET_ACCESS_KEY_VAR} in the environment, or pass --credential-secret <secret ARN>`,
    );
  }
  if (envId === undefined || envSecret === undefined) {
    throw new XksInputError(
      `${envId === undefined ? ACCESS_KEY_ID_VAR : SECRET_ACCESS_KEY_VAR} is not set: set both ${ACCESS_KEY_ID_VAR} and ${SECRET_ACCESS_KEY_VAR}`,
    );
  }
  return validateCredential(
    { accessKeyId: envId, secretAccessKey: envSecret },
    { accessKeyId: ACCESS_KEY_ID_VAR, secretAccessKey: SECRET_ACCESS_KEY_VAR },
  );
}

async function readSecretCredential(
  arn: string,
  label: string,
  factory?: SecretsClientFactory,
): Promise<XksCredential> {
  const region = secretRegion(arn, label);
  // Loaded only when a secret is used: the SDK is the slowest module this tool can load.
  const sdk = await import("@aws-sdk/client-secrets-manager");
  const client: SecretsClient = factory ? factory(region) : new sdk.SecretsManagerClient({ region, maxAttempts: 3 });
  let out: GetSecretValueCommandOutput;
  try {
    out = await client.send(new sdk.GetSecretValueCommand({ SecretId: arn }));
  } catch (e) {
    // Only the error's name: SDK messages can be long, and nothing here should echo payloads.
    const name = e instanceof Error ? e.name : "unknown error";
    throw new XksInputError(
      `${label} ${arn}: cannot read the secret (${name}): check it exists in ${region} and this identity may call secretsmanager:GetSecretValue and kms:Decrypt on its key`,
    );
  }
  if (typeof out.SecretString !== "string") {
    throw new XksInputError(
      `${label} ${arn}: the secret has no string value: store JSON {"accessKeyId": "...", "secretAccessKey": "..."}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString);
  } catch {
    // JSON.parse's message quotes the text it choked on, i.e. the secret: never pass it on.
    throw new XksInputError(
      `${label} ${arn}: the secret is not JSON: store {"accessKeyId": "...", "secretAccessKey": "..."}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new XksInputError(
      `${label} ${arn}: the secret is not a JSON object: store {"accessKeyId": "...", "secretAccessKey": "..."}`,
    );
  }
  const obj = parsed as Record<string, unknown>;
  return validateCredential(
    { accessKeyId: obj.accessKeyId, secretAccessKey: obj.secretAccessKey },
    { accessKeyId: `secret field accessKeyId`, secretAccessKey: `secret field secretAccessKey` },
  );
}
