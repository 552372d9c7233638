/**
 * A scripted environment for the teardown tests: mocked AWS clients (aws-sdk-client-mock) and an
 * in-memory Terraform that plans "delete what the configuration no longer has, forget what a
 * removed block names" from its state, like the real one.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { FSxClient } from "@aws-sdk/client-fsx";
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { VirtualClock } from "../../hooks/lib/clock";
import { RateLimiter } from "../../hooks/lib/rate-limiter";
import type { PlanJson } from "@cmk-stacks/plan-guard";
import type {
  StateResource,
  TeardownConfig,
  TeardownDeps,
  TeardownOptions,
  TerraformRunner,
} from "../../tools/ops/teardown";
import { cloudhsmMock } from "../hooks/helpers";

export const NOW = Date.parse("2026-12-07T12:00:00Z");
export const DAY = 86_400_000;
export const KEY_A = "1111aaaa-1111-4111-8111-111111111111";
export const KEY_B = "2222bbbb-2222-4222-8222-222222222222";
export const BUCKET = "northwind-dev-app-data-111111111111";
export const ALARM_ARN = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:cmk-stacks-dev-kms-key-pending-deletion-use";

/** dev's data stack state (ids only, as the real runner keeps them). */
export function devData(): StateResource[] {
  return [
    {
      address: "aws_s3_bucket.bucket-appData_bucket_9DEBFB04",
      type: "aws_s3_bucket",
      values: { id: BUCKET, bucket: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
    },
    {
      address: "aws_s3_bucket_versioning.bucket-appData_versioning_84A27E09",
      type: "aws_s3_bucket_versioning",
      values: { id: BUCKET },
    },
    {
      address: "aws_s3_bucket_policy.bucket-appData_policy_9B28ABDD",
      type: "aws_s3_bucket_policy",
      values: { id: BUCKET },
    },
    {
      address: "aws_ebs_default_kms_key.ebs_default-key_09574F1D",
      type: "aws_ebs_default_kms_key",
      values: { id: "eu-west-1", key_arn: `arn:aws:kms:eu-west-1:111111111111:key/${KEY_B}` },
    },
    {
      address: "aws_ebs_encryption_by_default.ebs_by-default_06384E85",
      type: "aws_ebs_encryption_by_default",
      values: { id: "eu-west-1" },
    },
  ];
}

/** dev's keys stack state. */
export function devKeys(): StateResource[] {
  return [
    {
      address: "aws_kms_key.key-appData_key_638EC278",
      type: "aws_kms_key",
      values: {
        id: KEY_A,
        key_id: KEY_A,
        arn: `arn:aws:kms:eu-west-1:111111111111:key/${KEY_A}`,
        deletion_window_in_days: 7,
      },
    },
    {
      address: "aws_kms_key.key-volumes_key_58DAD119",
      type: "aws_kms_key",
      values: {
        id: KEY_B,
        key_id: KEY_B,
        arn: `arn:aws:kms:eu-west-1:111111111111:key/${KEY_B}`,
        deletion_window_in_days: 30,
      },
    },
    {
      address: "aws_kms_alias.key-appData_alias_8559D2C8",
      type: "aws_kms_alias",
      values: { id: "alias/dev/app-data" },
    },
    { address: "aws_vpc.network_vpc_4E8F0223", type: "aws_vpc", values: { id: "vpc-0123456789abcdef0" } },
  ];
}

/** An in-memory Terraform over a state per stack. */
export class FakeTerraform implements TerraformRunner {
  readonly calls: string[] = [];
  readonly configs = new Map<string, TeardownConfig>();
  /** Changes added to every plan (to test the intent check). */
  extraChanges: PlanJson["resource_changes"] = [];

  /** Where the phases write their files (the allowlist for the plan, the plan JSON). */
  readonly root = mkdtempSync(join(tmpdir(), "teardown-test-"));

  constructor(readonly states: Map<string, StateResource[]>) {}

  async state(stack: string): Promise<StateResource[]> {
    return [...(this.states.get(stack) ?? [])];
  }

  async prepare(stack: string, config: TeardownConfig): Promise<string> {
    this.calls.push(`prepare ${stack}`);
    this.configs.set(stack, config);
    const dir = join(this.root, stack);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async plan(path: string, planFile: string): Promise<void> {
    this.calls.push(`plan ${basename(path)}`);
    writeFileSync(join(path, planFile), "saved plan (holds sensitive values)");
  }

  async show(path: string): Promise<PlanJson> {
    const dir = basename(path);
    this.calls.push(`show ${dir}`);
    const removed = new Set((this.configs.get(dir)?.removed ?? []).map((r) => r.from));
    const changes = (this.states.get(dir) ?? []).map((r) => {
      const forget = removed.has(r.address);
      return {
        address: r.address,
        mode: "managed",
        type: r.type,
        name: r.address.split(".")[1],
        provider_name: "registry.terraform.io/hashicorp/aws",
        change: {
          actions: [forget ? "forget" : "delete"],
          before: { ...r.values },
          after: null,
          after_unknown: {},
          before_sensitive: {},
          after_sensitive: false,
        },
      };
    });
    return {
      format_version: "1.2",
      terraform_version: "1.11.4",
      resource_changes: [...changes, ...(this.extraChanges ?? [])],
    } as unknown as PlanJson;
  }

  async apply(path: string): Promise<void> {
    const dir = basename(path);
    this.calls.push(`apply ${dir}`);
    this.states.set(dir, []);
  }
}

/** Every mocked client, reset. */
export function mocks() {
  const kms = mockClient(KMSClient);
  const s3 = mockClient(S3Client);
  const cloudwatch = mockClient(CloudWatchClient);
  const logs = mockClient(CloudWatchLogsClient);
  const fsx = mockClient(FSxClient);
  const cloudhsm = cloudhsmMock();
  const scheduler = mockClient(SchedulerClient);
  for (const m of [kms, s3, cloudwatch, logs, fsx, cloudhsm, scheduler]) m.reset();
  // Defaults: empty bucket; an alarm that exists once put, until deleted, with the tags it was given.
  s3.on(ListObjectVersionsCommand).resolves({ Versions: [], DeleteMarkers: [], IsTruncated: false });
  const alarm = { exists: false, tags: [] as { Key: string; Value: string }[] };
  cloudwatch.on(PutMetricAlarmCommand).callsFake(() => {
    alarm.exists = true;
    return {};
  });
  cloudwatch.on(DeleteAlarmsCommand).callsFake(() => {
    alarm.exists = false;
    alarm.tags = [];
    return {};
  });
  cloudwatch.on(DescribeAlarmsCommand).callsFake(() => ({
    MetricAlarms: alarm.exists
      ? [
          {
            AlarmArn: ALARM_ARN,
            AlarmDescription: "Someone used ... CloudTrail log group: aws-cloudtrail-logs-111111111111 ",
          },
        ]
      : [],
  }));
  cloudwatch.on(TagResourceCommand).callsFake((input: { Tags: { Key: string; Value: string }[] }) => {
    alarm.tags.push(...input.Tags);
    return {};
  });
  cloudwatch.on(ListTagsForResourceCommand).callsFake(() => ({ Tags: alarm.tags }));
  return { kms, s3, cloudwatch, logs, fsx, cloudhsm, scheduler, alarm };
}

export type Mocks = ReturnType<typeof mocks>;

/** Options for dev with everything off. */
export function devOptions(over: Partial<TeardownOptions> = {}): TeardownOptions {
  return {
    env: "dev",
    region: "eu-west-1",
    execute: false,
    yes: false,
    deleteObjects: false,
    deleteFileSystems: false,
    deleteBackups: false,
    unusedForDays: 30,
    force: false,
    withoutAlarm: false,
    cloudTrailLogGroup: "aws-cloudtrail-logs-111111111111",
    ...over,
  };
}

/** Dependencies over the mocks, a fake Terraform and a virtual clock at {@link NOW}. */
export function deps(
  tf: FakeTerraform,
  answers: boolean[] = [],
): TeardownDeps & { lines: string[]; questions: string[]; clock: VirtualClock } {
  const lines: string[] = [];
  const questions: string[] = [];
  const clock = new VirtualClock(NOW);
  const region = { region: "eu-west-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" } };
  return {
    clients: {
      kms: new KMSClient(region),
      s3: new S3Client(region),
      cloudhsm: new CloudHSMV2Client(region) as never,
      fsx: new FSxClient(region),
      cloudwatch: new CloudWatchClient(region),
      logs: new CloudWatchLogsClient(region),
      scheduler: new SchedulerClient(region),
    },
    terraform: tf,
    io: {
      out: (l) => lines.push(l),
      confirm: async (q) => {
        questions.push(q);
        return answers.shift() ?? false;
      },
    },
    clock,
    kmsLimiter: new RateLimiter(clock, 5, 1000),
    pollMs: 15_000,
    maxWaitMs: 30 * 60_000,
    lines,
    questions,
  };
}
