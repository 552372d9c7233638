/** `npm run state-bucket` (tools/state-bucket) against mocked S3 and KMS clients. */
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
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  KMSServiceException,
} from "@aws-sdk/client-kms";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { environments } from "../../../environments";
import { runStateBucket } from "../../../tools/state-bucket/cli";
import { stateKeyPolicy, tlsOnlyStatement } from "../../../tools/state-bucket/setup";

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
beforeEach(() => {
  s3.reset();
  kms.reset();
});

const BUCKET = "northwind-dev-tf-state-111111111111";
const ALIAS = "arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state";
const KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: name });
const kmsError = (name: string) =>
  new KMSServiceException({ name, $fault: "client", $metadata: { httpStatusCode: 400 }, message: name });

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const regions: string[][] = [];
  const code = await runStateBucket(argv, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env,
    clients: (b, k) => {
      regions.push([b, k]);
      return { s3: new S3Client({ region: b }), kms: new KMSClient({ region: k }) };
    },
  });
  return { code, out, err, regions };
}

/** Nothing exists yet: no bucket, no alias. */
function freshAccount() {
  kms.on(DescribeKeyCommand).rejects(kmsError("NotFoundException"));
  kms.on(CreateKeyCommand).resolves({ KeyMetadata: { KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab", Arn: KEY_ARN } });
  s3.on(HeadBucketCommand).rejects(s3Error("NotFound", 404));
  s3.on(GetBucketVersioningCommand).resolves({});
  s3.on(GetBucketEncryptionCommand).rejects(s3Error("ServerSideEncryptionConfigurationNotFoundError", 404));
  s3.on(GetPublicAccessBlockCommand).rejects(s3Error("NoSuchPublicAccessBlockConfiguration", 404));
  s3.on(GetBucketOwnershipControlsCommand).resolves({
    OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
  });
  s3.on(GetBucketPolicyCommand).rejects(s3Error("NoSuchBucketPolicy", 404));
}

/** Everything as it must be. */
function readyAccount(policy = { Version: "2012-10-17", Statement: [tlsOnlyStatement(BUCKET, "eu-west-1")] }) {
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: {
      KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
      Arn: KEY_ARN,
      KeyManager: "CUSTOMER",
      KeySpec: "SYMMETRIC_DEFAULT",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
    },
  });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true });
  s3.on(HeadBucketCommand).resolves({});
  s3.on(GetBucketVersioningCommand).resolves({ Status: "Enabled" });
  s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY_ARN },
          BucketKeyEnabled: true,
        },
      ],
    },
  });
  s3.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
  s3.on(GetBucketOwnershipControlsCommand).resolves({
    OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
  });
  s3.on(GetBucketPolicyCommand).resolves({ Policy: JSON.stringify(policy) });
}

const WRITES_S3 = [
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutBucketEncryptionCommand,
  PutPublicAccessBlockCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
];
const WRITES_KMS = [CreateKeyCommand, EnableKeyRotationCommand, CreateAliasCommand];
const writes = () =>
  [...WRITES_S3.flatMap((c) => s3.commandCalls(c as never)), ...WRITES_KMS.flatMap((c) => kms.commandCalls(c as never))]
    .length;

test("a dry run in a fresh account says what it would create, and changes nothing", async () => {
  freshAccount();
  const r = await run(["dev"]);
  expect(r.code).toBe(0);
  expect(r.regions).toEqual([["eu-west-1", "eu-west-1"]]);
  expect(r.out).toEqual([
    `dry run: state bucket of dev: s3://${BUCKET} (eu-west-1), key ${ALIAS}`,
    "would change KMS key: create a symmetric customer managed key in 111111111111/eu-west-1, automatic rotation on, deletion window at least 30 days (key policy), and alias/northwind-dev-tf-state",
    `would change bucket: create s3://${BUCKET} in eu-west-1 (object ownership BucketOwnerEnforced)`,
    "would change versioning: versioning Enabled",
    `would change default encryption: default encryption aws:kms with ${ALIAS}, S3 Bucket Key on`,
    "would change public access block: Block Public Access: all four settings on",
    "would change object ownership: object ownership BucketOwnerEnforced (ACLs disabled)",
    "would change bucket policy: statement DenyInsecureTransport: deny every request without TLS (aws:SecureTransport false)",
    "dry run: 7 would change; run again with --apply to make them",
  ]);
  expect(writes()).toBe(0);
});

test("--apply in a fresh account creates the key (rotation, 30-day floor, alias) and the bucket with every setting", async () => {
  freshAccount();
  const r = await run(["dev", "--apply"]);
  expect(r.code).toBe(0);
  expect(kms.commandCalls(CreateKeyCommand)[0].args[0].input).toEqual({
    Description: `Terraform state in s3://${BUCKET} (cmk-stacks)`,
    KeySpec: "SYMMETRIC_DEFAULT",
    KeyUsage: "ENCRYPT_DECRYPT",
    Policy: stateKeyPolicy("111111111111", "eu-west-1"),
    Tags: [
      { TagKey: "ManagedBy", TagValue: "cmk-stacks" },
      { TagKey: "Environment", TagValue: "dev" },
    ],
  });
  const policy = JSON.parse(stateKeyPolicy("111111111111", "eu-west-1"));
  expect(policy.Statement[1]).toEqual({
    Sid: "DeletionWindowAtLeast30Days",
    Effect: "Deny",
    Principal: "*",
    Action: "kms:ScheduleKeyDeletion",
    Resource: "*",
    Condition: { NumericLessThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": "30" } },
  });
  expect(kms.commandCalls(EnableKeyRotationCommand).map((c) => c.args[0].input)).toEqual([
    { KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" },
  ]);
  expect(kms.commandCalls(CreateAliasCommand).map((c) => c.args[0].input)).toEqual([
    { AliasName: "alias/northwind-dev-tf-state", TargetKeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" },
  ]);
  expect(s3.commandCalls(CreateBucketCommand).map((c) => c.args[0].input)).toEqual([
    {
      Bucket: BUCKET,
      ObjectOwnership: "BucketOwnerEnforced",
      CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
    },
  ]);
  expect(s3.commandCalls(PutBucketVersioningCommand).map((c) => c.args[0].input)).toEqual([
    { Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } },
  ]);
  expect(s3.commandCalls(PutBucketEncryptionCommand).map((c) => c.args[0].input)).toEqual([
    {
      Bucket: BUCKET,
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: ALIAS },
            BucketKeyEnabled: true,
          },
        ],
      },
    },
  ]);
  expect(s3.commandCalls(PutPublicAccessBlockCommand).map((c) => c.args[0].input)).toEqual([
    {
      Bucket: BUCKET,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    },
  ]);
  // Object ownership came with CreateBucket: not set again.
  expect(s3.commandCalls(PutBucketOwnershipControlsCommand)).toHaveLength(0);
  const put = JSON.parse(s3.commandCalls(PutBucketPolicyCommand)[0].args[0].input.Policy as string);
  expect(put).toEqual({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
  expect(r.out.at(-1)).toBe("done: 6 changed");
});

test("run again when everything is in place: describes only, changes nothing (idempotent)", async () => {
  readyAccount();
  const r = await run(["dev", "--apply"]);
  expect(r.code).toBe(0);
  expect(writes()).toBe(0);
  expect(r.out.filter((l) => !l.startsWith("ok"))).toEqual([
    `state bucket of dev: s3://${BUCKET} (eu-west-1), key ${ALIAS}`,
    "done: everything was already as it must be",
  ]);
  expect(r.out).toContain(`ok           KMS key: ${KEY_ARN}: enabled, rotation on`);
});

test("fixes only what differs: versioning suspended, rotation off, an existing policy kept and the TLS statement added", async () => {
  const other = {
    Sid: "AllowCiRole",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:role/TerraformState" },
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::${BUCKET}/*`,
  };
  readyAccount({ Version: "2012-10-17", Statement: [other] });
  s3.on(GetBucketVersioningCommand).resolves({ Status: "Suspended" });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: false });
  const r = await run(["dev", "--apply"]);
  expect(r.code).toBe(0);
  expect(s3.commandCalls(PutBucketVersioningCommand)).toHaveLength(1);
  expect(kms.commandCalls(EnableKeyRotationCommand).map((c) => c.args[0].input)).toEqual([
    { KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" },
  ]);
  expect(JSON.parse(s3.commandCalls(PutBucketPolicyCommand)[0].args[0].input.Policy as string).Statement).toEqual([
    other,
    tlsOnlyStatement(BUCKET, "eu-west-1"),
  ]);
  expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);
  expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
  expect(r.out.at(-1)).toBe("done: 3 changed");
});

test("default encryption with another key, or without the bucket key, is set to the configured key", async () => {
  readyAccount();
  s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: {
            SSEAlgorithm: "aws:kms",
            KMSMasterKeyID: "arn:aws:kms:eu-west-1:111111111111:key/other",
          },
          BucketKeyEnabled: true,
        },
      ],
    },
  });
  expect((await run(["dev"])).out).toContain(
    `would change default encryption: default encryption aws:kms with ${ALIAS}, S3 Bucket Key on`,
  );
  s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY_ARN },
          BucketKeyEnabled: false,
        },
      ],
    },
  });
  expect((await run(["dev"])).out).toContain(
    `would change default encryption: default encryption aws:kms with ${ALIAS}, S3 Bucket Key on`,
  );
  expect(writes()).toBe(0);
});

describe("fails when", () => {
  test("the environment keeps local or Terraform Cloud state: nothing to make", async () => {
    const local = await run(["prod"], {});
    expect(local.err).toEqual([
      "state-bucket: environments.prod.backend is Terraform Cloud (northwind-health): TFC keeps and encrypts the state, there is no bucket to make",
    ]);
    const dir = mkdtempSync(join(tmpdir(), "state-bucket-"));
    try {
      const file = join(dir, "env.json");
      writeFileSync(file, JSON.stringify({ ...environments.dev, backend: { type: "local" } }));
      const r = await run(["dev"], { ENV_CONFIG: file });
      expect(r.code).toBe(1);
      expect(r.err).toEqual([
        "state-bucket: environments.dev.backend is local: its state files stay on this disk, there is no bucket to make (CI refuses local state)",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(s3.calls()).toHaveLength(0);
  });

  test("the environment is unknown", async () => {
    const r = await run(["no-such-env"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `state-bucket: no environment "no-such-env" (environments: ${Object.keys(environments).join(", ")})`,
    ]);
  });

  test("the key is a key ARN that does not exist (only an alias can be created)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "state-bucket-"));
    try {
      const file = join(dir, "env.json");
      writeFileSync(
        file,
        JSON.stringify({ ...environments.dev, backend: { ...environments.dev.backend, kmsKeyId: KEY_ARN } }),
      );
      kms.on(DescribeKeyCommand).rejects(kmsError("NotFoundException"));
      const r = await run(["dev", "--apply"], { ENV_CONFIG: file });
      expect(r.code).toBe(1);
      expect(r.err).toEqual([
        `state-bucket: the KMS key ${KEY_ARN} does not exist: name an existing key, or an alias ARN (arn:aws:kms:<region>:<account>:alias/<name>) for this command to create the key`,
      ]);
      expect(writes()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the key is disabled", async () => {
    readyAccount();
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: "k",
        Arn: KEY_ARN,
        KeyManager: "CUSTOMER",
        KeySpec: "SYMMETRIC_DEFAULT",
        KeyUsage: "ENCRYPT_DECRYPT",
        KeyState: "Disabled",
      },
    });
    const r = await run(["dev", "--apply"]);
    expect(r.err).toEqual([
      `state-bucket: the KMS key ${ALIAS} is Disabled, not Enabled: S3 default encryption needs an enabled symmetric customer managed key`,
    ]);
    expect(writes()).toBe(0);
  });

  test("the bucket name belongs to someone else (403)", async () => {
    readyAccount();
    s3.on(HeadBucketCommand).rejects(s3Error("Forbidden", 403));
    const r = await run(["dev", "--apply"]);
    expect(r.err).toEqual([
      `state-bucket: s3://${BUCKET} exists but these credentials may not use it (403): S3 bucket names are global; if another account owns it, choose another backend.bucket`,
    ]);
    expect(writes()).toBe(0);
  });

  test("AWS refuses a call: the API and the error code, never more", async () => {
    freshAccount();
    kms.on(CreateKeyCommand).rejects(kmsError("AccessDeniedException"));
    const r = await run(["dev", "--apply"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      "state-bucket: kms:CreateKey failed: AccessDeniedException: the credentials in use may not do this (see docs/state-backend.md, Permissions)",
    ]);
    expect(s3.commandCalls(CreateBucketCommand)).toHaveLength(0);
  });

  test("the environment does not validate (an s3 backend without a KMS key)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "state-bucket-"));
    try {
      const file = join(dir, "env.json");
      const backend: Record<string, unknown> = { ...environments.dev.backend };
      delete backend.kmsKeyId;
      writeFileSync(file, JSON.stringify({ ...environments.dev, backend }));
      const r = await run(["dev"], { ENV_CONFIG: file });
      expect(r.code).toBe(1);
      expect(r.err[0]).toMatch(/^environments\.dev\.backend\.kmsKeyId: \(missing\) is not allowed \(/);
      expect(r.err.at(-1)).toBe("state-bucket: dev does not validate (above): fix it first");
      expect(s3.calls()).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
