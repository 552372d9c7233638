/**
 * The state bucket and its KMS key, as an S3 backend needs them (docs/state-backend.md):
 *   - the KMS key of `backend.kmsKeyId`: when it is an alias ARN that does not exist yet, a
 *     symmetric customer managed key with automatic rotation on, a key policy that refuses a
 *     deletion window under the longest KMS allows (KMS.DELETION_WINDOW_DAYS.max), and the alias;
 *   - the bucket: versioned; default encryption aws:kms with that key and the S3 Bucket Key on;
 *     a bucket policy denying every request not sent over TLS (aws:SecureTransport false);
 *     Block Public Access all on; object ownership BucketOwnerEnforced (ACLs off).
 * Describe first, act only where a setting differs (idempotent), and only with `apply`: without
 * it, the same steps are reported as what would be done.
 */
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { KMS } from "@cmk-stacks/aws-limits";

/** The settings `npm run state-bucket` makes and `npm run doctor` can check. */
export const STATE_BUCKET_SETTINGS = {
  versioning: "Enabled",
  sseAlgorithm: "aws:kms",
  bucketKeyEnabled: true,
  publicAccessBlock: {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  },
  objectOwnership: "BucketOwnerEnforced",
  tlsOnlyStatementSid: "DenyInsecureTransport",
  /** The longest window KMS allows: a deletion of the state key can be noticed and cancelled for as long as possible. */
  keyDeletionWindowMinDays: KMS.DELETION_WINDOW_DAYS.max,
} as const;

export interface StateBucketTarget {
  readonly bucket: string;
  /** Region of the bucket. */
  readonly region: string;
  /** `backend.kmsKeyId`: a key ARN or an alias ARN. */
  readonly kmsKeyId: string;
  /** Tags for a key and bucket this creates. */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface StateBucketClients {
  readonly s3: S3Client;
  /** A client in the key's Region (that of the ARN). */
  readonly kms: KMSClient;
}

/** A refusal the command prints as one line. */
export class StateBucketError extends Error {}

/** One step: what was found and, unless it was already right, what was (or would be) done. */
export interface Step {
  readonly what: string;
  readonly status: "ok" | "changed" | "would change";
  readonly detail: string;
}

const partitionOf = (region: string) =>
  region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";

/** The TLS-only statement: https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit */
export function tlsOnlyStatement(bucket: string, region: string): Record<string, unknown> {
  const arn = `arn:${partitionOf(region)}:s3:::${bucket}`;
  return {
    Sid: STATE_BUCKET_SETTINGS.tlsOnlyStatementSid,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [arn, `${arn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * Key policy of a key this creates: the account administers it through IAM (the default key
 * policy, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), and no
 * one may schedule its deletion with a window under `keyDeletionWindowMinDays`
 * (kms:ScheduleKeyDeletionPendingWindowInDays, https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
 */
export function stateKeyPolicy(account: string, region: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EnableIamPolicies",
        Effect: "Allow",
        Principal: { AWS: `arn:${partitionOf(region)}:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: `DeletionWindowAtLeast${STATE_BUCKET_SETTINGS.keyDeletionWindowMinDays}Days`,
        Effect: "Deny",
        Principal: "*",
        Action: "kms:ScheduleKeyDeletion",
        Resource: "*",
        Condition: {
          NumericLessThan: {
            "kms:ScheduleKeyDeletionPendingWindowInDays": String(STATE_BUCKET_SETTINGS.keyDeletionWindowMinDays),
          },
        },
      },
    ],
  });
}

const errName = (e: unknown) => (e as { name?: string }).name ?? "Error";
const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** Runs `call`, turning an AWS error into one line naming the API and the next action. */
async function aws<T>(api: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const name = errName(e);
    const hint =
      name === "AccessDenied" || name === "AccessDeniedException"
        ? ": the credentials in use may not do this (see docs/state-backend.md, Permissions)"
        : "";
    throw new StateBucketError(`${api} failed: ${name}${hint}`);
  }
}

function parseKmsArn(arn: string): { region: string; account: string; alias?: string } {
  const [, , , region, account, resource] = arn.split(":");
  return { region, account, ...(resource.startsWith("alias/") ? { alias: resource } : {}) };
}

/** The key (created when its alias does not exist yet); returns its ARN. */
async function ensureKey(
  t: StateBucketTarget,
  kms: KMSClient,
  apply: boolean,
  steps: Step[],
): Promise<string | undefined> {
  const { region, account, alias } = parseKmsArn(t.kmsKeyId);
  let meta;
  try {
    meta = (await kms.send(new DescribeKeyCommand({ KeyId: t.kmsKeyId }))).KeyMetadata;
  } catch (e) {
    if (errName(e) !== "NotFoundException") return aws("kms:DescribeKey", () => Promise.reject(e));
  }
  if (!meta) {
    if (!alias)
      throw new StateBucketError(
        `the KMS key ${t.kmsKeyId} does not exist: name an existing key, or an alias ARN (arn:aws:kms:<region>:<account>:alias/<name>) for this command to create the key`,
      );
    const detail = `create a symmetric customer managed key in ${account}/${region}, automatic rotation on, deletion window at least ${STATE_BUCKET_SETTINGS.keyDeletionWindowMinDays} days (key policy), and ${alias}`;
    if (!apply) {
      steps.push({ what: "KMS key", status: "would change", detail });
      return undefined;
    }
    const created = await aws("kms:CreateKey", () =>
      kms.send(
        new CreateKeyCommand({
          Description: `Terraform state in s3://${t.bucket} (cmk-stacks)`,
          KeySpec: KMS.SYMMETRIC_KEY_SPEC,
          KeyUsage: KMS.KEY_USAGE.encryptDecrypt,
          Policy: stateKeyPolicy(account, region),
          Tags: Object.entries(t.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        }),
      ),
    );
    const keyId = created.KeyMetadata?.KeyId;
    if (!keyId) throw new StateBucketError("kms:CreateKey returned no key id");
    await aws("kms:EnableKeyRotation", () => kms.send(new EnableKeyRotationCommand({ KeyId: keyId })));
    await aws("kms:CreateAlias", () => kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId })));
    steps.push({ what: "KMS key", status: "changed", detail: detail.replace(/^create/, "created") });
    return created.KeyMetadata?.Arn;
  }
  const problems: string[] = [];
  if (meta.KeyManager !== "CUSTOMER") problems.push("is AWS managed (its policy is not yours to set)");
  if (meta.KeySpec !== KMS.SYMMETRIC_KEY_SPEC || meta.KeyUsage !== KMS.KEY_USAGE.encryptDecrypt)
    problems.push(`is ${meta.KeySpec}/${meta.KeyUsage}, not a symmetric encryption key`);
  if (meta.KeyState !== "Enabled") problems.push(`is ${meta.KeyState}, not Enabled`);
  if (problems.length)
    throw new StateBucketError(
      `the KMS key ${t.kmsKeyId} ${problems.join(", ")}: S3 default encryption needs an enabled symmetric customer managed key`,
    );
  const rotation = await aws("kms:GetKeyRotationStatus", () =>
    kms.send(new GetKeyRotationStatusCommand({ KeyId: meta.KeyId })),
  );
  if (rotation.KeyRotationEnabled)
    steps.push({ what: "KMS key", status: "ok", detail: `${meta.Arn}: enabled, rotation on` });
  else if (!apply)
    steps.push({ what: "KMS key", status: "would change", detail: `${meta.Arn}: turn automatic rotation on` });
  else {
    await aws("kms:EnableKeyRotation", () => kms.send(new EnableKeyRotationCommand({ KeyId: meta.KeyId })));
    steps.push({ what: "KMS key", status: "changed", detail: `${meta.Arn}: turned automatic rotation on` });
  }
  return meta.Arn;
}

/** Brings one setting to what it must be: `get` says whether it already is (undefined: it is not). */
async function setting(
  steps: Step[],
  apply: boolean,
  what: string,
  want: string,
  isRight: () => Promise<boolean>,
  put: () => Promise<unknown>,
): Promise<void> {
  if (await isRight()) return void steps.push({ what, status: "ok", detail: want });
  if (!apply) return void steps.push({ what, status: "would change", detail: want });
  await put();
  steps.push({ what, status: "changed", detail: want });
}

/** A Get* call whose "not configured" error means the setting is absent. */
async function absentOn<T>(api: string, codes: string[], call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (codes.includes(errName(e))) return undefined;
    return aws(api, () => Promise.reject(e));
  }
}

/** Makes (or, without `apply`, reports) the state bucket and its key as they must be. */
export async function ensureStateBucket(
  t: StateBucketTarget,
  c: StateBucketClients,
  opts: { apply: boolean },
): Promise<Step[]> {
  const steps: Step[] = [];
  const { apply } = opts;
  const keyRegion = parseKmsArn(t.kmsKeyId).region;
  if (keyRegion !== t.region)
    throw new StateBucketError(
      `the KMS key ${t.kmsKeyId} is in ${keyRegion} and the bucket in ${t.region}: S3 default encryption needs a key in the bucket's Region`,
    );
  const keyArn = await ensureKey(t, c.kms, apply, steps);

  let exists = true;
  try {
    await c.s3.send(new HeadBucketCommand({ Bucket: t.bucket }));
  } catch (e) {
    const code = status(e);
    if (code === 404 || errName(e) === "NotFound" || errName(e) === "NoSuchBucket") exists = false;
    else if (code === 403)
      throw new StateBucketError(
        `s3://${t.bucket} exists but these credentials may not use it (403): S3 bucket names are global; if another account owns it, choose another backend.bucket`,
      );
    else if (code === 301)
      throw new StateBucketError(
        `s3://${t.bucket} exists in another Region than ${t.region}: set backend.region to the bucket's Region`,
      );
    else throw new StateBucketError(`s3:HeadBucket failed: ${errName(e)}`);
  }
  if (!exists) {
    const detail = `create s3://${t.bucket} in ${t.region} (object ownership ${STATE_BUCKET_SETTINGS.objectOwnership})`;
    if (!apply) {
      steps.push({ what: "bucket", status: "would change", detail });
      // The rest follows the creation: report it as to be done.
      for (const w of ["versioning", "default encryption", "public access block", "object ownership", "bucket policy"])
        steps.push({ what: w, status: "would change", detail: describeSetting(w, t) });
      return steps;
    }
    await aws("s3:CreateBucket", () =>
      c.s3.send(
        new CreateBucketCommand({
          Bucket: t.bucket,
          ObjectOwnership: STATE_BUCKET_SETTINGS.objectOwnership,
          // us-east-1 takes no location constraint.
          ...(t.region === "us-east-1"
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: t.region as BucketLocationConstraint } }),
        }),
      ),
    );
    steps.push({ what: "bucket", status: "changed", detail: detail.replace(/^create/, "created") });
  } else steps.push({ what: "bucket", status: "ok", detail: `s3://${t.bucket} exists in ${t.region}` });

  await setting(
    steps,
    apply,
    "versioning",
    describeSetting("versioning", t),
    async () =>
      (await aws("s3:GetBucketVersioning", () => c.s3.send(new GetBucketVersioningCommand({ Bucket: t.bucket }))))
        .Status === STATE_BUCKET_SETTINGS.versioning,
    () =>
      aws("s3:PutBucketVersioning", () =>
        c.s3.send(
          new PutBucketVersioningCommand({
            Bucket: t.bucket,
            VersioningConfiguration: { Status: STATE_BUCKET_SETTINGS.versioning },
          }),
        ),
      ),
  );
  // The configured id (alias or key ARN) or the key it names both count as "the configured key".
  const keyIds = new Set([t.kmsKeyId, ...(keyArn ? [keyArn] : [])]);
  await setting(
    steps,
    apply,
    "default encryption",
    describeSetting("default encryption", t),
    async () => {
      const enc = await absentOn("s3:GetBucketEncryption", ["ServerSideEncryptionConfigurationNotFoundError"], () =>
        c.s3.send(new GetBucketEncryptionCommand({ Bucket: t.bucket })),
      );
      const rules = enc?.ServerSideEncryptionConfiguration?.Rules ?? [];
      return (
        rules.length === 1 &&
        rules[0].ApplyServerSideEncryptionByDefault?.SSEAlgorithm === STATE_BUCKET_SETTINGS.sseAlgorithm &&
        keyIds.has(rules[0].ApplyServerSideEncryptionByDefault?.KMSMasterKeyID ?? "") &&
        rules[0].BucketKeyEnabled === true
      );
    },
    () =>
      aws("s3:PutBucketEncryption", () =>
        c.s3.send(
          new PutBucketEncryptionCommand({
            Bucket: t.bucket,
            ServerSideEncryptionConfiguration: {
              Rules: [
                {
                  ApplyServerSideEncryptionByDefault: {
                    SSEAlgorithm: STATE_BUCKET_SETTINGS.sseAlgorithm,
                    KMSMasterKeyID: t.kmsKeyId,
                  },
                  BucketKeyEnabled: true,
                },
              ],
            },
          }),
        ),
      ),
  );
  await setting(
    steps,
    apply,
    "public access block",
    describeSetting("public access block", t),
    async () => {
      const pab = await absentOn("s3:GetPublicAccessBlock", ["NoSuchPublicAccessBlockConfiguration"], () =>
        c.s3.send(new GetPublicAccessBlockCommand({ Bucket: t.bucket })),
      );
      const cfg = pab?.PublicAccessBlockConfiguration;
      return Boolean(
        cfg?.BlockPublicAcls && cfg.IgnorePublicAcls && cfg.BlockPublicPolicy && cfg.RestrictPublicBuckets,
      );
    },
    () =>
      aws("s3:PutPublicAccessBlock", () =>
        c.s3.send(
          new PutPublicAccessBlockCommand({
            Bucket: t.bucket,
            PublicAccessBlockConfiguration: { ...STATE_BUCKET_SETTINGS.publicAccessBlock },
          }),
        ),
      ),
  );
  await setting(
    steps,
    apply,
    "object ownership",
    describeSetting("object ownership", t),
    async () => {
      const oc = await absentOn("s3:GetBucketOwnershipControls", ["OwnershipControlsNotFoundError"], () =>
        c.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: t.bucket })),
      );
      return oc?.OwnershipControls?.Rules?.[0]?.ObjectOwnership === STATE_BUCKET_SETTINGS.objectOwnership;
    },
    () =>
      aws("s3:PutBucketOwnershipControls", () =>
        c.s3.send(
          new PutBucketOwnershipControlsCommand({
            Bucket: t.bucket,
            OwnershipControls: { Rules: [{ ObjectOwnership: STATE_BUCKET_SETTINGS.objectOwnership }] },
          }),
        ),
      ),
  );
  const want = tlsOnlyStatement(t.bucket, t.region);
  let current: { Version?: string; Statement?: Record<string, unknown>[] } | undefined;
  await setting(
    steps,
    apply,
    "bucket policy",
    describeSetting("bucket policy", t),
    async () => {
      const pol = await absentOn("s3:GetBucketPolicy", ["NoSuchBucketPolicy"], () =>
        c.s3.send(new GetBucketPolicyCommand({ Bucket: t.bucket })),
      );
      current = pol?.Policy ? (JSON.parse(pol.Policy) as typeof current) : undefined;
      const statements = current?.Statement ? [current.Statement].flat() : [];
      return statements.some((s) => JSON.stringify(normalised(s)) === JSON.stringify(normalised(want)));
    },
    () => {
      // Other statements in an existing policy are kept; a statement with our Sid is replaced.
      const others = (current?.Statement ? [current.Statement].flat() : []).filter((s) => s.Sid !== want.Sid);
      const policy = { Version: current?.Version ?? "2012-10-17", Statement: [...others, want] };
      return aws("s3:PutBucketPolicy", () =>
        c.s3.send(new PutBucketPolicyCommand({ Bucket: t.bucket, Policy: JSON.stringify(policy) })),
      );
    },
  );
  return steps;
}

/** A statement with its lists sorted, for comparison. */
function normalised(s: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(s).sort())
    out[k] = Array.isArray(s[k]) ? [...(s[k] as unknown[])].map(String).sort() : s[k];
  return out;
}

function describeSetting(what: string, t: StateBucketTarget): string {
  switch (what) {
    case "versioning":
      return "versioning Enabled";
    case "default encryption":
      return `default encryption aws:kms with ${t.kmsKeyId}, S3 Bucket Key on`;
    case "public access block":
      return "Block Public Access: all four settings on";
    case "object ownership":
      return `object ownership ${STATE_BUCKET_SETTINGS.objectOwnership} (ACLs disabled)`;
    default:
      return `statement ${STATE_BUCKET_SETTINGS.tlsOnlyStatementSid}: deny every request without TLS (aws:SecureTransport false)`;
  }
}
