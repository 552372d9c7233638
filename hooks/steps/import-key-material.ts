import { constants, createPublicKey, publicEncrypt, randomBytes, timingSafeEqual } from "node:crypto";
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  type DecryptCommandOutput,
  type DescribeKeyCommandOutput,
  type EncryptCommandOutput,
  type GetParametersForImportCommandOutput,
  type ImportKeyMaterialCommandOutput,
  type KeyMetadata,
  type ListKeyRotationsCommandOutput,
  type ListResourceTagsCommandOutput,
  type RotationsListEntry,
} from "@aws-sdk/client-kms";
import { inRange, KMS } from "@cmk-stacks/aws-limits";
import { pollFor } from "../lib/backoff";
import { awsErrorCode, errorMessage, guarded, HookError } from "../lib/errors";
import { ProgressReporter } from "../lib/progress";
import { RateLimiter } from "../lib/rate-limiter";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { checkIds } from "../lib/validate";
import { waitUntil } from "../lib/wait";

/** Where the CLI runner reads the material from (standard input); the Lambda runner has none. */
export type MaterialSource = () => Promise<Uint8Array>;

/** Inputs of `import-key-material`: the key id and the expiry, never the material (it comes from `readMaterial`). */
export interface ImportKeyMaterialInput extends StepRuntime {
  readonly clients: { readonly kms: Sender };
  readonly keyId: string;
  /** Days the material stays valid from the import (KEY_MATERIAL_EXPIRES); 0: it does not expire. */
  readonly validDays: number;
  /** Import the same material again into a key that holds it (a new expiry). */
  readonly reimport?: boolean;
  /** Import new material (NEW_KEY_MATERIAL) and make it current (RotateKeyOnDemand). */
  readonly rotate?: boolean;
  /** The material's source, read only when an import is needed. */
  readonly readMaterial?: MaterialSource;
  /** GetParametersForImport's quota per account and Region ({@link KMS.GET_PARAMETERS_FOR_IMPORT_REQUESTS_PER_SECOND}). Default: a limiter for this step. */
  readonly importLimiter?: RateLimiter;
}

/** GetParametersForImport's request quota: the rulebook's {@link KMS.GET_PARAMETERS_FOR_IMPORT_REQUESTS_PER_SECOND}. */
export const GET_PARAMETERS_FOR_IMPORT_RPS = KMS.GET_PARAMETERS_FOR_IMPORT_REQUESTS_PER_SECOND.value;
/** Fetch a new wrapping key when the token has less than this left (it is valid 24 h). */
const TOKEN_MARGIN_MS = 5 * 60_000;
/** Wrapping keys fetched at most (the second after ExpiredImportTokenException or an old token). */
const MAX_PARAMETER_FETCHES = 2;
const KEY_BYTES = 32;
const DAY_MS = 86_400_000;
const CHECK_CONTEXT = { purpose: "cmk-stacks import-key-material round trip" };
/** The tag ImportedKey (modules/keys/imported-key.ts) sets to the configured validity. */
const VALIDITY_TAG = "KeyMaterialValidityDays";

/**
 * The 256-bit material from what the operator piped in: 32 raw bytes, their base64 (one line), or
 * the JSON of `vault read -format=json transit/export/encryption-key/<name>/<version>` (one
 * version). Errors name the shape and length only, never a byte of the input.
 */
export function parseMaterial(input: Uint8Array): Buffer {
  const raw = Buffer.from(input);
  if (raw.length === KEY_BYTES) return raw;
  const text = raw.toString("utf8").trim();
  const fromBase64 = (s: unknown): Buffer | undefined => {
    if (typeof s !== "string" || !/^[A-Za-z0-9+/]{43}=$/.test(s)) return undefined;
    const b = Buffer.from(s, "base64");
    return b.length === KEY_BYTES ? b : undefined;
  };
  const b64 = fromBase64(text);
  if (b64) return b64;
  if (text.startsWith("{")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
    const keys = (doc as { data?: { keys?: Record<string, unknown> } } | undefined)?.data?.keys;
    const values = keys && typeof keys === "object" ? Object.values(keys) : [];
    if (values.length === 1 && fromBase64(values[0])) return fromBase64(values[0]) as Buffer;
    if (values.length > 1)
      throw new Error(
        `the Vault export on stdin holds ${values.length} key versions; export exactly one (transit/export/encryption-key/<name>/<version>)`,
      );
  }
  throw new Error(
    `stdin is not a 256-bit symmetric key (${raw.length} bytes read; expected 32 raw bytes, their base64 on one line, or the JSON of 'vault read -format=json transit/export/encryption-key/<name>/<version>')`,
  );
}

/** The material encrypted under the wrapping public key ({@link KMS.IMPORT_WRAPPING_ALGORITHM}), in memory. */
export function wrapMaterial(material: Buffer, publicKeyDer: Uint8Array): Buffer {
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: "der", type: "spki" });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, material);
}

/**
 * Imports key material into a KMS key created without it (origin EXTERNAL), so the plaintext is
 * never in Terraform state, a plan, an argument or a log:
 * 1. DescribeKey: a key already holding material is left alone (no other call) unless `reimport`
 *    (same material, a new expiry) or `rotate` (new material) is asked for.
 * 2. The material is read from the operator's source (stdin) and kept in one Buffer, zeroed after use.
 * 3. GetParametersForImport: a {@link KMS.IMPORT_WRAPPING_KEY_SPEC} public key and an import token valid 24 hours, wrapping
 *    algorithm {@link KMS.IMPORT_WRAPPING_ALGORITHM} (a 256-bit symmetric key fits; RSA_AES_KEY_WRAP_SHA_256 is only
 *    required for RSA private key material, which this step does not import)
 *    (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-get-public-key-and-token.html).
 *    Within its request quota (a limiter, {@link KMS.GET_PARAMETERS_FOR_IMPORT_REQUESTS_PER_SECOND}) with backoff on throttling.
 * 4. ImportKeyMaterial with KEY_MATERIAL_EXPIRES + ValidTo or KEY_MATERIAL_DOES_NOT_EXPIRE. An
 *    expired token (ExpiredImportTokenException, or one within minutes of its end) means one new
 *    wrapping key and one more try (https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html).
 * 5. `rotate`: RotateKeyOnDemand, then wait until the new material is current
 *    (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-on-demand.html).
 *    A re-run (RotateKeyOnDemand failed, or the wait ran out) first lists the key's materials
 *    (ListKeyRotations, IncludeKeyMaterial ALL_KEY_MATERIAL): material already imported and
 *    PENDING_ROTATION is not imported again; the step goes on with its rotation (see {@link pendingMaterial}).
 * 6. Encrypt then Decrypt 32 random bytes with an encryption context: the key works.
 */
export function importKeyMaterial(input: ImportKeyMaterialInput): Promise<StepResult> {
  return guarded(input.log, () => importBody(input));
}

async function importBody(input: ImportKeyMaterialInput): Promise<StepResult> {
  const label = `import-key-material ${input.keyId}`;
  const fail = (code: string, detail: string, action: string) => new HookError(label, code, detail, action);
  const bad = checkIds({ kmsKeyId: input.keyId });
  if (bad.length)
    throw fail("InvalidInput", bad.join("; "), "pass the key id from the stack output key_<name>_import_command");
  const validity = KMS.KEY_MATERIAL_VALIDITY_DAYS;
  if (!(input.validDays === 0 || inRange(validity, input.validDays)))
    throw fail(
      "InvalidInput",
      `--valid-days ${input.validDays} is not allowed`,
      `pass 0 (no expiry) or ${validity.min}-${validity.max} days (KMS ImportKeyMaterial ValidTo)`,
    );
  if (input.reimport && input.rotate)
    throw fail(
      "InvalidInput",
      "--reimport and --rotate were both given",
      "pass --reimport to import the same material again, or --rotate to import new material",
    );

  const { clock, log } = input;
  const kms = input.clients.kms;
  const progress = new ProgressReporter(label, clock, log);
  const retry = { clock, log, label, random: input.random };
  const limiter = input.importLimiter ?? new RateLimiter(clock, GET_PARAMETERS_FOR_IMPORT_RPS);
  const describe = async (): Promise<KeyMetadata> => {
    const out = (await withRetry(
      "DescribeKey",
      () => kms.send(new DescribeKeyCommand({ KeyId: input.keyId })),
      retry,
    )) as DescribeKeyCommandOutput;
    if (!out.KeyMetadata) throw fail("KeyNotFound", "DescribeKey returned no key", "check the key id and the Region");
    return out.KeyMetadata;
  };

  const key = await describe().catch((err: unknown) => {
    if (err instanceof HookError) throw err;
    throw mapKmsError(label, "DescribeKey", err);
  });
  progress.observe(String(key.KeyState));
  if (key.Origin !== "EXTERNAL")
    throw fail(
      "NotAnImportedKey",
      `the key's origin is ${String(key.Origin)}, not EXTERNAL: KMS imports material only into keys created without it`,
      'use the key of an origin "external" key (stack output key_<name>_import_command)',
    );
  if (key.KeySpec !== KMS.SYMMETRIC_KEY_SPEC)
    throw fail(
      "UnsupportedKeySpec",
      `the key is ${String(key.KeySpec)}; this step imports 256-bit symmetric material only`,
      "import asymmetric or HMAC material with the AWS CLI as the KMS developer guide describes",
    );
  if (key.KeyState === "PendingDeletion" || key.KeyState === "PendingReplicaDeletion")
    throw fail(
      "KeyPendingDeletion",
      `the key is ${key.KeyState}`,
      "cancel the deletion first (CancelKeyDeletion), then enable the key and import again",
    );
  if (key.KeyState === "Disabled")
    throw fail(
      "KeyDisabled",
      "the key is Disabled",
      "enable it (EnableKey, a key administrator) and run the step again",
    );
  const holdsMaterial = key.KeyState !== "PendingImport";
  if (holdsMaterial && !input.reimport && !input.rotate) {
    progress.note(
      `already holds key material (${describeExpiry(key)}); left alone (--reimport: same material, new expiry; --rotate: new material)`,
    );
    return { status: "ALREADY_DONE", state: String(key.KeyState), elapsedMs: progress.elapsed() };
  }
  if (!holdsMaterial && input.rotate)
    throw fail("NoMaterialYet", "the key has no material to rotate from", "import its first material without --rotate");
  const pending = input.rotate ? await pendingMaterial(input, retry, label) : undefined;
  if (pending)
    progress.note(
      `key material ${pending} is already imported and PENDING_ROTATION (an earlier run's import): not imported again; rotating to it (if it is not the material meant, delete it first: aws kms delete-imported-key-material --key-id ${input.keyId} --key-material-id ${pending})`,
    );
  const previousMaterial = key.CurrentKeyMaterialId;
  let newMaterial = pending;
  if (!pending) {
    // The configured expiry (ImportedKey tags the key with it): an import with another one would
    // either expire without an alarm or never expire against the configuration.
    const tags = (await withRetry(
      "ListResourceTags",
      () => kms.send(new ListResourceTagsCommand({ KeyId: input.keyId })),
      retry,
    ).catch((err: unknown) => {
      throw mapKmsError(label, "ListResourceTags", err);
    })) as ListResourceTagsCommandOutput | undefined;
    const configured = tags?.Tags?.find((t) => t.TagKey === VALIDITY_TAG)?.TagValue;
    if (configured !== undefined && configured !== String(input.validDays)) {
      throw fail(
        "ValidityMismatch",
        `--valid-days ${input.validDays} differs from the key's configured validity (tag ${VALIDITY_TAG} = ${configured}; 0: does not expire)`,
        `pass --valid-days ${configured} (stack output key_<name>_import_command), or change keys.<name>.keyMaterialValidityDays and apply first`,
      );
    }

    if (!input.readMaterial)
      throw fail(
        "NoMaterialSource",
        "this step reads the key material from standard input, which this runner does not have",
        "run it on an importer's machine: <export of the key> | npm run -s hook -- import-key-material --region <region> --key-id <id> (stack output key_<name>_import_command)",
      );
    let material: Buffer;
    const piped = await input.readMaterial();
    try {
      material = parseMaterial(piped);
    } catch (err) {
      throw fail(
        "InvalidKeyMaterial",
        errorMessage(err),
        "pipe exactly one 256-bit key: 32 raw bytes, their base64, or a Vault transit export of one version",
      );
    } finally {
      // The bytes read (raw, base64 or JSON) are a copy of the key too.
      piped.fill(0);
    }
    // Any form of the material that could end up in a line is masked from here on (the unpadded
    // base64 masks the padded form as well).
    log.registerSecret(material.toString("base64").replace(/=+$/, ""));
    log.registerSecret(material.toString("hex"));

    const importType = input.rotate ? "NEW_KEY_MATERIAL" : input.reimport ? "EXISTING_KEY_MATERIAL" : undefined;
    const expiry =
      input.validDays > 0
        ? {
            ExpirationModel: "KEY_MATERIAL_EXPIRES" as const,
            ValidTo: new Date(clock.now() + input.validDays * DAY_MS),
          }
        : { ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" as const };
    try {
      for (let fetches = 1; ; fetches++) {
        const params = await getParameters(input, limiter, retry, label);
        const validTo = params.ParametersValidTo?.getTime() ?? clock.now() + DAY_MS;
        if (validTo - clock.now() < TOKEN_MARGIN_MS) {
          if (fetches >= MAX_PARAMETER_FETCHES)
            throw fail(
              "ExpiredImportTokenException",
              `the import token is valid until ${new Date(validTo).toISOString()}, too close to now`,
              "check this machine's clock and run the step again",
            );
          progress.note("import token too close to its end: fetching a new wrapping key");
          continue;
        }
        progress.note(
          `wrapping key ${KMS.IMPORT_WRAPPING_KEY_SPEC}, ${KMS.IMPORT_WRAPPING_ALGORITHM}; import token valid until ${new Date(validTo).toISOString()}`,
        );
        const wrapped = wrapMaterial(material, params.PublicKey as Uint8Array);
        try {
          const imported = (await withRetry(
            "ImportKeyMaterial",
            () =>
              kms.send(
                new ImportKeyMaterialCommand({
                  KeyId: input.keyId,
                  ImportToken: params.ImportToken,
                  EncryptedKeyMaterial: wrapped,
                  ...expiry,
                  ...(importType ? { ImportType: importType } : {}),
                }),
              ),
            retry,
          )) as ImportKeyMaterialCommandOutput | undefined;
          // KMS names the material it imported: the rotation waits for that one to be current.
          if (importType === "NEW_KEY_MATERIAL") newMaterial = imported?.KeyMaterialId;
          break;
        } catch (err) {
          if (awsErrorCode(err) === "ExpiredImportTokenException" && fetches < MAX_PARAMETER_FETCHES) {
            progress.note("the import token expired before the import: fetching a new wrapping key");
            continue;
          }
          // With NEW_KEY_MATERIAL, KMS refuses material the key already holds with IncorrectKeyMaterialException
          // (https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html#API_ImportKeyMaterial_Errors).
          if (importType === "NEW_KEY_MATERIAL" && awsErrorCode(err) === "IncorrectKeyMaterialException")
            throw new HookError(
              label,
              "IncorrectKeyMaterialException",
              `ImportKeyMaterial failed: ${errorMessage(err)}`,
              "--rotate needs material the key has never held: export the new version from the key manager (not one already imported), or drop --rotate",
            );
          throw mapKmsError(label, "ImportKeyMaterial", err);
        }
      }
    } finally {
      material.fill(0);
    }
    progress.note(
      `imported (${importType ?? "first or same material"}; ${expiry.ExpirationModel}${"ValidTo" in expiry && expiry.ValidTo ? ` until ${expiry.ValidTo.toISOString()}` : ""})`,
    );
  }

  if (input.rotate) {
    // The new material is current: the one KMS named (imported now or pending), else any but the old.
    const rotated = (k: KeyMetadata) =>
      !!k.CurrentKeyMaterialId &&
      (newMaterial ? k.CurrentKeyMaterialId === newMaterial : k.CurrentKeyMaterialId !== previousMaterial);
    await withRetry(
      "RotateKeyOnDemand",
      () => kms.send(new RotateKeyOnDemandCommand({ KeyId: input.keyId })),
      retry,
    ).catch((err: unknown) => {
      throw mapKmsError(label, "RotateKeyOnDemand", err);
    });
    await waitUntil({
      runtime: input,
      progress,
      target: "the new material to be current",
      describe,
      stateOf: (k) => (rotated(k) ? `${String(k.KeyState)}, rotated` : `${String(k.KeyState)}, rotating`),
      done: rotated,
      policy: pollFor(60_000, { initialMs: 5_000, maxMs: 30_000, factor: 1.5, jitter: 0.1 }),
      timeoutAction:
        "run the step again without --rotate to check the key; ListKeyRotations shows the rotation's progress",
    });
  }

  await roundTrip(input, label, retry);
  progress.note("Encrypt/Decrypt round trip: ok");
  const after = await describe();
  progress.observe(String(after.KeyState));
  return { status: "DONE", state: String(after.KeyState), elapsedMs: progress.elapsed() };
}

/** ListKeyRotations pages read at most (a key holds the initial material and at most 25 on-demand rotations' materials). */
const MAX_ROTATION_PAGES = 10;

/**
 * The key's imported material waiting for its rotation (KeyMaterialState PENDING_ROTATION), if
 * any: RotateKeyOnDemand rotates an imported key to exactly that material, and ListKeyRotations
 * with IncludeKeyMaterial ALL_KEY_MATERIAL lists it
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_RotateKeyOnDemand.html,
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyRotations.html,
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_RotationsListEntry.html). Importing
 * NEW_KEY_MATERIAL again while one is pending is not something AWS documents an outcome for, so
 * the step never does it. Material of a multi-Region primary still missing from a replica
 * (PENDING_MULTI_REGION_IMPORT_AND_ROTATION), or listed as not imported, stops the step.
 */
async function pendingMaterial(
  input: ImportKeyMaterialInput,
  retry: Parameters<typeof withRetry>[2],
  label: string,
): Promise<string | undefined> {
  const entries: RotationsListEntry[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_ROTATION_PAGES; page++) {
    const out = (await withRetry(
      "ListKeyRotations",
      () =>
        input.clients.kms.send(
          new ListKeyRotationsCommand({
            KeyId: input.keyId,
            IncludeKeyMaterial: "ALL_KEY_MATERIAL",
            ...(marker ? { Marker: marker } : {}),
          }),
        ),
      retry,
    ).catch((err: unknown) => {
      throw mapKmsError(label, "ListKeyRotations", err);
    })) as ListKeyRotationsCommandOutput | undefined;
    entries.push(...(out?.Rotations ?? []));
    marker = out?.Truncated ? out.NextMarker : undefined;
    if (!marker) break;
  }
  const fail = (code: string, detail: string, action: string) => new HookError(label, code, detail, action);
  const waiting = entries.filter(
    (e) =>
      e.KeyMaterialState === "PENDING_ROTATION" || e.KeyMaterialState === "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
  );
  if (waiting.length === 0) return undefined;
  const id = waiting.map((e) => e.KeyMaterialId ?? "(no id)").join(", ");
  if (waiting.length > 1)
    throw fail(
      "SeveralPendingMaterials",
      `key materials ${id} are all waiting for a rotation`,
      "check them with aws kms list-key-rotations --include-key-material ALL_KEY_MATERIAL and delete those not meant (aws kms delete-imported-key-material --key-material-id), then run again",
    );
  const [entry] = waiting;
  if (entry.KeyMaterialState === "PENDING_MULTI_REGION_IMPORT_AND_ROTATION")
    throw fail(
      "ReplicasMissingMaterial",
      `key material ${id} is imported into this primary key but not into every replica key (PENDING_MULTI_REGION_IMPORT_AND_ROTATION)`,
      "import the same material into each replica key (ImportType EXISTING_KEY_MATERIAL), then run this step again with --rotate: it rotates without importing again",
    );
  if (entry.ImportState === "PENDING_IMPORT" || !entry.KeyMaterialId)
    throw fail(
      "PendingMaterialNotImported",
      `key material ${id} waits for a rotation but is not imported (ImportState ${String(entry.ImportState)})`,
      "delete it (aws kms delete-imported-key-material --key-material-id) and run the step again with --rotate",
    );
  return entry.KeyMaterialId;
}

async function getParameters(
  input: ImportKeyMaterialInput,
  limiter: RateLimiter,
  retry: Parameters<typeof withRetry>[2],
  label: string,
): Promise<GetParametersForImportCommandOutput> {
  try {
    const out = (await withRetry(
      "GetParametersForImport",
      () =>
        limiter.run(() =>
          input.clients.kms.send(
            new GetParametersForImportCommand({
              KeyId: input.keyId,
              WrappingAlgorithm: KMS.IMPORT_WRAPPING_ALGORITHM,
              WrappingKeySpec: KMS.IMPORT_WRAPPING_KEY_SPEC,
            }),
          ),
        ),
      retry,
    )) as GetParametersForImportCommandOutput;
    if (!out.PublicKey || !out.ImportToken)
      throw new HookError(
        label,
        "InvalidResponse",
        "GetParametersForImport returned no public key or token",
        "run the step again",
      );
    return out;
  } catch (err) {
    if (err instanceof HookError) throw err;
    throw mapKmsError(label, "GetParametersForImport", err);
  }
}

async function roundTrip(
  input: ImportKeyMaterialInput,
  label: string,
  retry: Parameters<typeof withRetry>[2],
): Promise<void> {
  const probe = randomBytes(KEY_BYTES);
  try {
    const enc = (await withRetry(
      "Encrypt",
      () =>
        input.clients.kms.send(
          new EncryptCommand({ KeyId: input.keyId, Plaintext: probe, EncryptionContext: CHECK_CONTEXT }),
        ),
      retry,
    )) as EncryptCommandOutput;
    const dec = (await withRetry(
      "Decrypt",
      () =>
        input.clients.kms.send(
          new DecryptCommand({
            KeyId: input.keyId,
            CiphertextBlob: enc.CiphertextBlob,
            EncryptionContext: CHECK_CONTEXT,
          }),
        ),
      retry,
    )) as DecryptCommandOutput;
    const back = dec.Plaintext ? Buffer.from(dec.Plaintext) : Buffer.alloc(0);
    if (back.length !== probe.length || !timingSafeEqual(back, probe)) {
      throw new HookError(
        label,
        "RoundTripFailed",
        "Decrypt did not return what Encrypt was given",
        "do not use the key: check it with DescribeKey and ListKeyRotations, and report it to AWS Support",
      );
    }
  } catch (err) {
    if (err instanceof HookError) throw err;
    throw mapKmsError(label, "the Encrypt/Decrypt round trip", err);
  }
}

function describeExpiry(k: KeyMetadata): string {
  if (k.ExpirationModel === "KEY_MATERIAL_EXPIRES")
    return `expires ${k.ValidTo ? k.ValidTo.toISOString() : "(date unknown)"}`;
  return k.ExpirationModel === "KEY_MATERIAL_DOES_NOT_EXPIRE" ? "does not expire" : `${String(k.KeyState)}`;
}

/** What the operator does next for each KMS error of this step. */
const ACTIONS: Record<string, string> = {
  AccessDeniedException:
    "run the step as one of the key's importers (keys.<name>.importers) with kms:GetParametersForImport, kms:ImportKeyMaterial, kms:Encrypt and kms:Decrypt on the key (with --rotate also kms:ListKeyRotations and kms:RotateKeyOnDemand)",
  NotFoundException: "check the key id and the Region (--region)",
  IncorrectKeyMaterialException:
    "this is not the material the key holds: re-import the same material, or pass --rotate to import new material",
  InvalidImportTokenException: "run the step again (a fresh wrapping key and token)",
  InvalidCiphertextException: "run the step again; if it persists, the material is not a 256-bit key",
  ExpiredImportTokenException: "run the step again (a fresh wrapping key and token)",
  KMSInvalidStateException:
    "check the key's state with DescribeKey (it must be Enabled or PendingImport, not pending deletion)",
  UnsupportedOperationException: "the key cannot take this import (new material needs a single-Region symmetric key)",
  LimitExceededException: "the key holds the most materials KMS allows: see ListKeyRotations",
  DisabledException: "enable the key (EnableKey) and run the step again",
};

function mapKmsError(label: string, call: string, err: unknown): HookError {
  const code = awsErrorCode(err);
  return new HookError(
    label,
    code,
    `${call} failed: ${errorMessage(err)}`,
    ACTIONS[code] ?? "fix the cause above and run the step again (it is idempotent)",
  );
}
