/**
 * The state bucket against moto_server on loopback (started and stopped by pid here): the real
 * S3 and KMS calls, then the bucket and key read back. Skipped when moto_server is not installed.
 */
import {
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from "@aws-sdk/client-kms";
import { ensureStateBucket, tlsOnlyStatement } from "../../../tools/state-bucket/setup";
import { motoSkipReason, startMoto, type Moto } from "../../helpers/moto";

(motoSkipReason() ? describe.skip : describe)("against moto_server", () => {
  let moto: Moto | undefined;
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  const clients = () => ({
    s3: new S3Client({ region: "eu-west-1", endpoint: moto!.endpoint, forcePathStyle: true, credentials }),
    kms: new KMSClient({ region: "eu-west-1", endpoint: moto!.endpoint, credentials }),
  });

  beforeAll(async () => {
    moto = await startMoto({ region: "eu-west-1" });
  }, 60000);

  afterAll(async () => {
    await moto?.stop();
  });

  const target = {
    bucket: "northwind-dev-tf-state-111111111111",
    region: "eu-west-1",
    kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:alias/northwind-dev-tf-state",
    tags: { ManagedBy: "cmk-stacks" },
  };

  test("--apply makes the key and the bucket as documented; a second run finds everything in place", async () => {
    const c = clients();
    const dry = await ensureStateBucket(target, c, { apply: false });
    expect(dry.every((s) => s.status === "would change")).toBe(true);

    const first = await ensureStateBucket(target, c, { apply: true });
    expect(first.map((s) => [s.what, s.status])).toEqual([
      ["KMS key", "changed"],
      ["bucket", "changed"],
      ["versioning", "changed"],
      ["default encryption", "changed"],
      ["public access block", "changed"],
      ["object ownership", "ok"],
      ["bucket policy", "changed"],
    ]);

    const key = (await c.kms.send(new DescribeKeyCommand({ KeyId: target.kmsKeyId }))).KeyMetadata!;
    expect(key).toMatchObject({
      KeyManager: "CUSTOMER",
      KeySpec: "SYMMETRIC_DEFAULT",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
    });
    expect((await c.kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled).toBe(true);
    const keyPolicy = JSON.parse(
      (await c.kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default" }))).Policy!,
    );
    expect(keyPolicy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      "EnableIamPolicies",
      "DeletionWindowAtLeast30Days",
    ]);

    const b = { Bucket: target.bucket };
    expect((await c.s3.send(new GetBucketVersioningCommand(b))).Status).toBe("Enabled");
    const enc = (await c.s3.send(new GetBucketEncryptionCommand(b))).ServerSideEncryptionConfiguration!.Rules![0];
    expect(enc.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: "aws:kms",
      KMSMasterKeyID: target.kmsKeyId,
    });
    expect(enc.BucketKeyEnabled).toBe(true);
    expect((await c.s3.send(new GetPublicAccessBlockCommand(b))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect((await c.s3.send(new GetBucketOwnershipControlsCommand(b))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: "BucketOwnerEnforced" },
    ]);
    expect(JSON.parse((await c.s3.send(new GetBucketPolicyCommand(b))).Policy!).Statement).toEqual([
      tlsOnlyStatement(target.bucket, "eu-west-1"),
    ]);

    const second = await ensureStateBucket(target, c, { apply: true });
    expect(second.filter((s) => s.status !== "ok")).toEqual([]);
  }, 60000);
});
