/**
 * dev against moto (docs/emulator.md): the background emulator run (global-setup.js) applied dev's
 * stacks with the real Terraform; here its results are checked, then status and doctor run against
 * what it created, through the same SDK clients an operator's session uses (AWS_ENDPOINT_URL).
 */
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import {
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { EmulatorResults } from "../../tools/emulator/run";
import { MOTO_UNSUPPORTED, MOTO_UNSUPPORTED_ATTRIBUTES } from "../../tools/emulator/run";
import { terraformDriftRunner } from "../../tools/ops/drift";
import { doctorCli } from "../../tools/ops/doctor-cli";
import type { Finding } from "../../tools/ops/findings";
import { statusCli } from "../../tools/ops/status-cli";
import { findTerraform } from "../../tools/terraform/offline";
import { emulatorRun, emulatorSkipReason } from "../helpers/emulator";
import { attachMoto, withEnv, type Moto } from "../helpers/moto";

const skip = emulatorSkipReason();
if (skip) console.warn(`emulator tests skipped: ${skip}`);

const REPO = "northwind/cmk";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t: string) => out.push(t),
    stderr: (t: string) => err.push(t),
    json: () => JSON.parse(out.join("")) as { overall: string; exitCode: number; findings: Finding[] },
  };
}

(skip ? describe.skip : describe)("dev applied against moto", () => {
  let run: EmulatorResults;
  let moto: Moto;
  const inMoto = <T>(fn: () => Promise<T>) =>
    withEnv({ ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ENV_CONFIG: undefined }, fn);
  const client = <C>(Ctor: new (c: object) => C): C =>
    new Ctor({
      region: run.region,
      endpoint: run.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      forcePathStyle: true,
    });

  beforeAll(async () => {
    run = await emulatorRun();
    moto = attachMoto(run.endpoint, run.pid, run.region);
  }, 500_000);

  test("both stacks apply with the real Terraform, and plan again with no changes; what moto cannot emulate is left out and listed", async () => {
    expect(run.stacks.map((s) => [s.stack, s.applied, s.secondPlanExit, s.summary])).toEqual([
      ["dev-keys", true, 0, "No changes. Your infrastructure matches the configuration."],
      ["dev-data", true, 0, "No changes. Your infrastructure matches the configuration."],
    ]);
    // dev's two rotating keys state their rotation period, which moto does not keep (never faked: left out and listed).
    const period = MOTO_UNSUPPORTED_ATTRIBUTES["aws_kms_key.rotation_period_in_days"];
    expect(run.stacks.flatMap((s) => s.leftOut)).toEqual([
      { address: expect.stringMatching(/^aws_kms_key\.key-appData_.*\.rotation_period_in_days$/), cause: period },
      { address: expect.stringMatching(/^aws_kms_key\.key-volumes_.*\.rotation_period_in_days$/), cause: period },
      { address: expect.stringMatching(/^aws_ebs_default_kms_key\./), cause: MOTO_UNSUPPORTED.aws_ebs_default_kms_key },
    ]);
    // What Terraform created, read back from the emulator: the keys' policies and the bucket's encryption under the app-data key.
    const kms = client(KMSClient);
    const key = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/dev/app-data" }))).KeyMetadata;
    expect(key).toMatchObject({
      KeyState: "Enabled",
      Arn: expect.stringMatching(/^arn:aws:kms:eu-west-1:111111111111:key\//),
    });
    const policy = JSON.parse(
      (await kms.send(new GetKeyPolicyCommand({ KeyId: key?.KeyId, PolicyName: "default" }))).Policy ?? "{}",
    ) as { Statement: { Sid?: string }[] };
    expect(policy.Statement.length).toBeGreaterThan(2);
    const enc = await client(S3Client).send(
      new GetBucketEncryptionCommand({ Bucket: "northwind-dev-app-data-111111111111" }),
    );
    expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]).toMatchObject({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: key?.Arn },
      BucketKeyEnabled: true,
    });
  });

  test("status: healthy, exit 0, one finding per key", async () => {
    const o = io();
    expect(await inMoto(() => statusCli(["dev", "--json"], o))).toBe(0);
    expect(o.json().findings.map((f) => [f.check, f.subject, f.severity])).toEqual([
      ["key", "alias/dev/app-data", "ok"],
      ["key", "alias/dev/ebs", "ok"],
    ]);
  });

  test("doctor: an account without the state bucket, the EBS service-linked role and GitHub OIDC is told each fix; once they exist in the emulator it is ready", async () => {
    const before = io();
    expect(await inMoto(() => doctorCli(["dev", "--json"], before))).toBe(2);
    expect(
      before
        .json()
        .findings.filter((f) => f.severity !== "ok")
        .map((f) => [f.check, f.subject, f.severity]),
    ).toEqual([
      ["service-linked-role", "AWSServiceRoleForAutoScaling", "broken"],
      ["state-bucket", "northwind-dev-tf-state-111111111111", "broken"],
      ["github-oidc", "token.actions.githubusercontent.com", "broken"],
      ["ci-role", "plan role", "unknown"],
      ["ci-role", "deploy role", "unknown"],
    ]);
    // What the README asks an operator to set up, made in the emulator through the real APIs.
    const iam = client(IAMClient);
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "autoscaling.amazonaws.com" }));
    const provider = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: "https://token.actions.githubusercontent.com",
        ClientIDList: ["sts.amazonaws.com"],
        ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"],
      }),
    );
    const trust = (sub: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: provider.OpenIDConnectProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": sub,
              },
            },
          },
        ],
      });
    const plan = await iam.send(
      new CreateRoleCommand({ RoleName: "cmk-plan-dev", AssumeRolePolicyDocument: trust(`repo:${REPO}:pull_request`) }),
    );
    const deploy = await iam.send(
      new CreateRoleCommand({
        RoleName: "cmk-deploy-dev",
        AssumeRolePolicyDocument: trust(`repo:${REPO}:environment:dev`),
      }),
    );
    const s3 = client(S3Client);
    const bucket = "northwind-dev-tf-state-111111111111";
    await s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/dev/app-data" } },
          ],
        },
      }),
    );
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "TlsOnly",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );

    const after = io();
    expect(
      await inMoto(() =>
        doctorCli(
          [
            "dev",
            "--json",
            "--repository",
            REPO,
            "--plan-role",
            plan.Role?.Arn ?? "",
            "--deploy-role",
            deploy.Role?.Arn ?? "",
          ],
          after,
        ),
      ),
    ).toBe(0);
    expect(after.json().findings.map((f) => `${f.check} ${f.subject}: ${f.detail}`)).toEqual([
      "quota VPCs per Region: 1 used of 5, none needed (Service Quotas vpc L-F678F1CE)",
      "service-linked-role AWSServiceRoleForAutoScaling: exists",
      "state-bucket northwind-dev-tf-state-111111111111 versioning: Enabled",
      "state-bucket northwind-dev-tf-state-111111111111 encryption: aws:kms with alias/dev/app-data",
      "state-bucket northwind-dev-tf-state-111111111111 policy: denies requests without TLS",
      "state-bucket northwind-dev-tf-state-111111111111 public access: all four Block Public Access settings on",
      "github-oidc token.actions.githubusercontent.com: provider exists, audience sts.amazonaws.com",
      "ci-role cmk-plan-dev: plan role trusts GitHub Actions (repo:northwind/cmk:pull_request)",
      "ci-role cmk-deploy-dev: deploy role trusts GitHub Actions (repo:northwind/cmk:environment:dev)",
    ]);
  });

  test("a key disabled outside Terraform: status finds it, and --drift finds the plan that would enable it again; a deletion scheduled outside Terraform is broken", async () => {
    const kms = client(KMSClient);
    await kms.send(
      new DisableKeyCommand({
        KeyId: (await kms.send(new DescribeKeyCommand({ KeyId: "alias/dev/ebs" }))).KeyMetadata?.KeyId,
      }),
    );
    const tf = findTerraform();
    if (!tf.ok) throw new Error(tf.reason);
    const dirs = Object.fromEntries(run.stacks.map((s) => [s.stack, s.dir]));
    const o = io();
    expect(
      await inMoto(() =>
        statusCli(["dev", "--json", "--drift"], o, terraformDriftRunner({ dirs, terraformBin: tf.bin })),
      ),
    ).toBe(1);
    expect(
      o
        .json()
        .findings.filter((f) => f.severity !== "ok")
        .map((f) => [f.check, f.subject, f.detail]),
    ).toEqual([
      ["key", "alias/dev/ebs", expect.stringMatching(/ Disabled: every cryptographic request with it fails$/)],
      ["drift", "dev-keys", "drift: Plan: 0 to add, 1 to change, 0 to destroy."],
    ]);
    expect(o.err.join("")).toContain("status: drift: terraform plan -detailed-exitcode (minutes)\n");

    const appData = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/dev/app-data" }))).KeyMetadata?.KeyId;
    await kms.send(
      new EnableKeyCommand({
        KeyId: (await kms.send(new DescribeKeyCommand({ KeyId: "alias/dev/ebs" }))).KeyMetadata?.KeyId,
      }),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: appData, PendingWindowInDays: 7 }));
    const b = io();
    expect(await inMoto(() => statusCli(["dev", "--json"], b))).toBe(2);
    expect(b.json().findings.filter((f) => f.severity !== "ok")).toEqual([
      expect.objectContaining({
        check: "key",
        subject: "alias/dev/app-data",
        severity: "broken",
        detail: expect.stringMatching(/ PendingDeletion, deleted on \d{4}-\d\d-\d\dT/),
      }),
    ]);
  }, 300_000);
});
