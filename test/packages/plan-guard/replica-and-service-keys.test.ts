/**
 * The plan guard on multi-Region keys and service statements, in crafted plans: a replica's key policy
 * is judged like any key policy (lockout, public, other accounts); the statements CustomerKey writes for
 * AWS services pass (each service principal narrowed by its confused-deputy condition), a service
 * principal without one is flagged; turning multi_region on for an existing key (ForceNew) is blocked.
 */
import { classifyPlans } from "@cmk-stacks/plan-guard";
import { buildKeyPolicy } from "../../../modules/keys/key-policy";
import { planOf, policy, rc } from "./builders";

const ACCT = "111122223333";
const OUTSIDER = "999988887777";
const ADMIN = `arn:aws:iam::${ACCT}:role/KeyAdmin`;
const APP = `arn:aws:iam::${ACCT}:role/app`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
const REPLICA_ARN = `arn:aws:kms:eu-central-1:${ACCT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
const ROOT = {
  Sid: "Root",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCT}:root` },
  Action: "kms:*",
  Resource: "*",
};
const withServices = (region: string) =>
  JSON.stringify(
    buildKeyPolicy({
      partition: "aws",
      account: ACCT,
      region,
      administrators: [ADMIN],
      users: [APP],
      services: [
        { service: "cloudtrail", sourceArns: [`arn:aws:cloudtrail:eu-west-1:${ACCT}:trail/audit`] },
        {
          service: "logs",
          sourceArns: [
            `arn:aws:logs:eu-west-1:${ACCT}:log-group:/audit`,
            `arn:aws:logs:eu-central-1:${ACCT}:log-group:/audit-*`,
          ],
        },
        { service: "cloudwatch", sourceArns: [`arn:aws:cloudwatch:eu-west-1:${ACCT}:alarm:kms-*`] },
        { service: "events", sourceArns: [`arn:aws:events:eu-west-1:${ACCT}:rule/key-events`] },
      ],
    }),
  );
const replicaCreate = (p: string) =>
  planOf([
    rc("aws_kms_replica_key.eu", ["create"], null, {
      primary_key_arn: KEY_ARN,
      policy: p,
      bypass_policy_lockout_safety_check: false,
    }),
  ]);
const keyUpdate = (p: string) =>
  planOf([rc("aws_kms_key.k", ["update"], { arn: KEY_ARN, policy: policy(ROOT) }, { arn: KEY_ARN, policy: p })]);
const verdict = (plan: ReturnType<typeof planOf>) => {
  const r = classifyPlans([plan], undefined, { withoutGraph: true });
  return { blocked: r.blocked.map((f) => f.rule), risky: r.risky.map((f) => f.rule) };
};

describe("a replica key's policy is judged like any key policy", () => {
  test("the policy CustomerKey writes for a replica passes", () => {
    expect(verdict(replicaCreate(withServices("eu-central-1"))).blocked).toEqual([]);
  });

  test("a replica policy nobody can change is blocked (lockout)", () => {
    expect(
      verdict(
        replicaCreate(
          policy({ Effect: "Allow", Principal: { AWS: APP }, Action: ["kms:Decrypt", "kms:Encrypt"], Resource: "*" }),
        ),
      ).blocked,
    ).toEqual(["key-policy-lockout"]);
  });

  test("a replica open to everyone is blocked", () => {
    expect(
      verdict(replicaCreate(policy(ROOT, { Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" })))
        .blocked,
    ).toEqual(["key-policy-public"]);
  });

  test("a replica changed to let another account in is blocked", () => {
    const before = { arn: REPLICA_ARN, primary_key_arn: KEY_ARN, policy: policy(ROOT) };
    const after = {
      ...before,
      policy: policy(ROOT, {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${OUTSIDER}:root` },
        Action: "kms:Decrypt",
        Resource: "*",
      }),
    };
    expect(verdict(planOf([rc("aws_kms_replica_external_key.eu", ["update"], before, after)])).blocked).toEqual([
      "key-policy-cross-account",
    ]);
  });

  test("a new replica whose policy names only another account is blocked: the replica is in its primary's account", () => {
    const outsider = policy({ ...ROOT, Principal: { AWS: `arn:aws:iam::${OUTSIDER}:root` } });
    for (const type of ["aws_kms_replica_key", "aws_kms_replica_external_key"]) {
      const create = (p: string) =>
        planOf([rc(`${type}.eu`, ["create"], null, { primary_key_arn: KEY_ARN, policy: p })]);
      expect(verdict(create(outsider)).blocked).toEqual(["key-policy-cross-account"]);
      expect(verdict(create(policy(ROOT))).blocked).toEqual([]);
    }
  });
});

describe("service statements", () => {
  test("the statements CustomerKey writes (CloudTrail, CloudWatch Logs, alarms, EventBridge) raise nothing but the change", () => {
    expect(verdict(keyUpdate(withServices("eu-west-1")))).toEqual({ blocked: [], risky: ["key-resource-change"] });
  });

  test.each<[string, object]>([
    [
      "CloudTrail without aws:SourceArn (the encryption context alone)",
      {
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Condition: {
          StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${ACCT}:trail/*` },
        },
      },
    ],
    ["CloudWatch Logs without a condition", { Principal: { Service: "logs.eu-west-1.amazonaws.com" } }],
    [
      "CloudWatch Logs with a log-group wildcard that names no account",
      {
        Principal: { Service: "logs.eu-west-1.amazonaws.com" },
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:*" } },
      },
    ],
    [
      "EventBridge with aws:SourceArn IfExists",
      {
        Principal: { Service: "events.amazonaws.com" },
        Condition: { ArnLikeIfExists: { "aws:SourceArn": `arn:aws:events:eu-west-1:${ACCT}:rule/x` } },
      },
    ],
  ])("a service principal without its confused-deputy condition is flagged: %s", (_label, s) => {
    const p = policy(ROOT, { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*", ...s });
    expect(verdict(keyUpdate(p))).toEqual({ blocked: [], risky: ["key-policy-service-unconfined"] });
  });

  test("the Logs encryption context narrows only the Logs principal: on another service it confines nothing", () => {
    const p = policy(ROOT, {
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:eu-west-1:${ACCT}:log-group:/a` } },
    });
    expect(verdict(keyUpdate(p)).risky).toContain("key-policy-service-unconfined");
  });

  test("a Logs statement for another account's log groups is blocked as that account gaining the key", () => {
    const p = policy(ROOT, {
      Effect: "Allow",
      Principal: { Service: "logs.eu-west-1.amazonaws.com" },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:eu-west-1:${OUTSIDER}:log-group:/a` },
      },
    });
    expect(verdict(keyUpdate(p)).blocked).toEqual(["key-policy-cross-account"]);
  });
});

describe("multi_region on an existing key", () => {
  test("turning it on forces a replacement, which the guard blocks", () => {
    const before = { arn: KEY_ARN, multi_region: false, policy: policy(ROOT) };
    const after = { ...before, multi_region: true };
    const plan = planOf([
      rc("aws_kms_key.k", ["delete", "create"], before, after, {
        change: { actions: ["delete", "create"], before, after, after_unknown: {}, replace_paths: [["multi_region"]] },
      }),
    ]);
    const r = classifyPlans([plan], undefined, { withoutGraph: true });
    expect(r.blocked.map((f) => [f.rule, f.action])).toEqual([["destroy-key-bearing", "replace"]]);
    expect(r.blocked[0].why).toContain("(forced by multi_region)");
  });
});
