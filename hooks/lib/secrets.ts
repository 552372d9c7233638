import { createHash, randomInt } from "node:crypto";
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type GetSecretValueCommandOutput,
} from "@aws-sdk/client-secrets-manager";
import { awsErrorCode, errorMessage, HookError } from "./errors";
import { withRetry } from "./retry";
import type { Sender, StepRuntime } from "./runtime";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** CloudHSM admin and `kmsuser` passwords: 7-32 characters; alphanumeric keeps shells and KMS happy. */
export const HSM_PASSWORD_PATTERN = /^[A-Za-z0-9]{7,32}$/;

/** Crypto-random alphanumeric password (`randomInt` is uniform: no modulo bias). */
export function generatePassword(length = 32): string {
  if (length < 7 || length > 32) throw new Error(`password length must be 7-32. Received: ${length}`);
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

export interface EnsureSecretInput {
  readonly secrets: Sender;
  readonly secretArn: string;
  /** What the secret holds, for messages (`admin password`). */
  readonly purpose: string;
  readonly label: string;
  readonly runtime: StepRuntime;
  /** Called when the secret has no value yet. */
  readonly generate: () => string;
}

/**
 * Returns the secret's current value, or generates one and stores it (PutSecretValue into the
 * secret Terraform created) when it has none. The value is registered with the logger before
 * anything else happens. Re-runs reuse the stored value, so the step stays idempotent even when
 * it failed after storing. A concurrent writer (ResourceExistsException on the shared request
 * token) is resolved by reading back what won.
 */
export async function ensureSecretValue(input: EnsureSecretInput): Promise<{ value: string; created: boolean }> {
  const existing = await readSecretValue(input, true);
  if (existing !== undefined) return { value: existing, created: false };

  const value = input.generate();
  input.runtime.log.registerSecret(value);
  // Same token for the same secret: a retried PutSecretValue cannot create a second version.
  const token = createHash("sha256").update(`cmk-hooks:${input.secretArn}`).digest("hex");
  try {
    await withRetry(
      "PutSecretValue",
      () =>
        input.secrets.send(
          new PutSecretValueCommand({ SecretId: input.secretArn, SecretString: value, ClientRequestToken: token }),
        ),
      {
        ...input.runtime,
        label: input.label,
      },
    );
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === "ResourceExistsException") {
      const winner = await readSecretValue(input, false);
      if (winner !== undefined) return { value: winner, created: false };
    }
    throw secretError(input, code, `PutSecretValue failed: ${errorMessage(err)}`);
  }
  return { value, created: true };
}

/** The secret's value, or undefined if it has none (`allowEmpty`), else a HookError. */
export async function readSecretValue(
  input: Omit<EnsureSecretInput, "generate">,
  allowEmpty: boolean,
): Promise<string | undefined> {
  let out: GetSecretValueCommandOutput;
  try {
    out = (await withRetry(
      "GetSecretValue",
      () => input.secrets.send(new GetSecretValueCommand({ SecretId: input.secretArn })),
      {
        ...input.runtime,
        label: input.label,
      },
    )) as GetSecretValueCommandOutput;
  } catch (err) {
    const code = awsErrorCode(err);
    // A secret created without a value answers ResourceNotFoundException for AWSCURRENT.
    if (code === "ResourceNotFoundException" && allowEmpty) return undefined;
    throw secretError(input, code, `GetSecretValue failed: ${errorMessage(err)}`);
  }
  const value = out.SecretString;
  if (value === undefined || value === "") {
    if (allowEmpty) return undefined;
    throw secretError(input, "SecretEmpty", "the secret has no value");
  }
  input.runtime.log.registerSecret(value);
  if (!HSM_PASSWORD_PATTERN.test(value)) {
    throw new HookError(
      input.label,
      "InvalidSecretValue",
      `the ${input.purpose} stored in ${input.secretArn} is not 7-32 alphanumeric characters`,
      `put a 7-32 character alphanumeric value in the secret (or, before first use only, delete its versions so the hook generates one), then re-run`,
    );
  }
  return value;
}

function secretError(input: Omit<EnsureSecretInput, "generate">, code: string, detail: string): HookError {
  const actions: Record<string, string> = {
    ResourceNotFoundException: `check that the secret ${input.secretArn} exists (Terraform creates it) and the ARN passed to the hook is right`,
    AccessDeniedException: `grant the hook role secretsmanager:GetSecretValue and secretsmanager:PutSecretValue on ${input.secretArn} (and kms:Decrypt/GenerateDataKey on its KMS key)`,
    SecretEmpty: `run the step that stores the ${input.purpose} first (activate-cluster stores the admin password)`,
    DecryptionFailure: `grant the hook role kms:Decrypt on the secret's KMS key`,
  };
  return new HookError(
    input.label,
    code,
    `${input.purpose}: ${detail}`,
    actions[code] ?? `fix the cause above and re-run (the step is idempotent)`,
  );
}
