/**
 * Objects imported by a plan (`import` blocks, Terraform >= 1.5: `change.importing`): their rights were
 * set outside Terraform and never reviewed in a plan, so the guard judges an imported key policy,
 * grant or configured topic policy as if the plan created it. Before, an import (a no-op, or an update
 * that keeps the policy) was not judged at all: a key shared with any account, or a grant to one,
 * came under management silently, and no later plan would show it. Also: the account Terraform's
 * credentials are in (`aws_caller_identity` read for the plan) is evidence of a new key's account; and
 * forgotten (`removed`, destroy = false) policies and access blocks are described as staying, unmanaged.
 */
import { classifyPlans, parseAllowlist, type JsonObject, type ResourceChange } from "@cmk-stacks/plan-guard";
import { cfg, planOf, policy, rc, ROOT_STATEMENT } from "./builders";

const ACCT = "111122223333";
const OUTSIDE = "999988887777";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/${KEY_ID}`;
const SHARED = policy(ROOT_STATEMENT, {
  Sid: "Outside",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${OUTSIDE}:root` },
  Action: ["kms:Decrypt"],
  Resource: "*",
});
const importing = (change: ResourceChange, id: string): ResourceChange => ({
  ...change,
  change: { ...change.change, importing: { id } } as ResourceChange["change"],
});
const key = (p: string, actions = ["no-op"]) => {
  const v = { arn: KEY_ARN, key_id: KEY_ID, id: KEY_ID, policy: p, is_enabled: true };
  return rc("aws_kms_key.k", actions, v, v);
};
const rules = (r: ReturnType<typeof classifyPlans>) => ({
  blocked: r.blocked.map((f) => [f.address, f.action, f.rule]),
  risky: r.risky.filter((f) => f.rule !== "key-resource-change").map((f) => [f.address, f.action, f.rule]),
});

describe("an imported key's policy is judged as if created", () => {
  test("a key imported with a policy that shares it with an undeclared account is blocked, saying it is imported", () => {
    const r = classifyPlans([planOf([importing(key(SHARED), KEY_ID)])]);
    expect(rules(r)).toEqual({ blocked: [["aws_kms_key.k", "no-op", "key-policy-cross-account"]], risky: [] });
    expect(r.blocked[0].why).toMatch(
      new RegExp(
        `^imported in this plan \\(its rights were set outside Terraform and never reviewed here\\), so judged as if created: the key policy gives principals of another account rights they did not have: arn:aws:iam::${OUTSIDE}:root \\(gains kms:Decrypt\\)`,
      ),
    );
    // The same key already in state (not imported): its unchanged policy is not judged again.
    expect(rules(classifyPlans([planOf([key(SHARED)])]))).toEqual({ blocked: [], risky: [] });
  });

  test("a declared account is shown for review; a key imported with the account-only policy raises nothing", () => {
    const allow = parseAllowlist({ allow: [], externalAccounts: [{ account: OUTSIDE, reason: "partner (#7)" }] });
    expect(rules(classifyPlans([planOf([importing(key(SHARED), KEY_ID)])], allow))).toEqual({
      blocked: [],
      risky: [["aws_kms_key.k", "no-op", "key-policy-external-account-added"]],
    });
    expect(rules(classifyPlans([planOf([importing(key(policy(ROOT_STATEMENT)), KEY_ID)])]))).toEqual({
      blocked: [],
      risky: [],
    });
  });

  test("an imported aws_kms_key_policy opening the key to everyone is blocked", () => {
    const open = policy(ROOT_STATEMENT, { Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" });
    const v = { key_id: KEY_ARN, policy: open };
    const r = classifyPlans([planOf([importing(rc("aws_kms_key_policy.p", ["no-op"], v, v), KEY_ID)])]);
    expect(rules(r).blocked).toEqual([["aws_kms_key_policy.p", "no-op", "key-policy-public"]]);
  });
});

test("an imported grant to another account is blocked (before, the grant was not judged at all)", () => {
  const v = { key_id: KEY_ARN, grantee_principal: `arn:aws:iam::${OUTSIDE}:role/r`, operations: ["Decrypt"] };
  const r = classifyPlans([planOf([importing(rc("aws_kms_grant.g", ["no-op"], v, v), `${KEY_ID}:abcd`)])]);
  expect(rules(r).blocked).toEqual([["aws_kms_grant.g", "no-op", "key-grant-cross-account"]]);
});

describe("imported topics", () => {
  const topic = (p: string) => {
    const v = { arn: `arn:aws:sns:eu-west-1:${ACCT}:alarms`, policy: p };
    return importing(rc("aws_sns_topic.t", ["no-op"], v, v), `arn:aws:sns:eu-west-1:${ACCT}:alarms`);
  };
  const open = policy({ Effect: "Allow", Principal: { AWS: "*" }, Action: "SNS:Subscribe", Resource: "*" });

  test("a configured topic policy letting everyone subscribe is blocked", () => {
    const r = classifyPlans([planOf([topic(open)], { config: [cfg("aws_sns_topic.t", {}, { policy: open })] })]);
    expect(rules(r).blocked).toEqual([["aws_sns_topic.t", "no-op", "topic-policy-public"]]);
  });

  test("a topic whose configuration leaves the policy to SNS is not judged (SNS's owner-only default)", () => {
    const snsDefault = policy({
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["SNS:Subscribe", "SNS:Publish"],
      Resource: `arn:aws:sns:eu-west-1:${ACCT}:alarms`,
      Condition: { StringEquals: { "AWS:SourceOwner": ACCT } },
    });
    expect(rules(classifyPlans([planOf([topic(snsDefault)], { config: [cfg("aws_sns_topic.t")] })]))).toEqual({
      blocked: [],
      risky: [],
    });
  });
});

test("a new key whose policy names only another account: the account Terraform read for the plan (aws_caller_identity) is the key's", () => {
  const outsider = policy({ ...ROOT_STATEMENT, Principal: { AWS: `arn:aws:iam::${OUTSIDE}:root` } });
  const p = planOf([rc("aws_kms_key.k", ["create"], null, { policy: outsider })]);
  // Without any evidence of the key's account the policy's own account is believed (README: known limit).
  expect(rules(classifyPlans([p])).blocked).toEqual([]);
  p.plan.prior_state = {
    values: {
      root_module: {
        child_modules: [
          {
            address: "module.m",
            resources: [
              {
                address: "module.m.data.aws_caller_identity.me",
                mode: "data",
                type: "aws_caller_identity",
                name: "me",
                values: { account_id: ACCT, arn: `arn:aws:sts::${ACCT}:assumed-role/ci/run`, id: ACCT },
              },
            ],
          },
        ],
      },
    },
  };
  expect(rules(classifyPlans([p])).blocked).toEqual([["aws_kms_key.k", "create", "key-policy-cross-account"]]);
});

describe("forgotten protections (removed, destroy = false) are described as staying in place, unmanaged", () => {
  test("a forgotten bucket policy and public access block: blocked, saying they stay but nothing shows a later change", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_s3_bucket_policy.p", ["forget"], { bucket: "records", policy: policy(ROOT_STATEMENT) }, null),
        rc(
          "aws_s3_bucket_public_access_block.b",
          ["forget"],
          {
            bucket: "records",
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
          },
          null,
        ),
      ]),
    ]);
    expect(r.blocked.map((f) => [f.address, f.rule, f.why])).toEqual([
      [
        "aws_s3_bucket_policy.p",
        "s3-bucket-policy-removed",
        "forgets the bucket policy: it stays in place for now, but Terraform stops managing it, so a change or removal outside Terraform shows in no plan; without it nothing refuses plain-HTTP access or writes not encrypted under the customer key",
      ],
      [
        "aws_s3_bucket_public_access_block.b",
        "s3-public-access-opened",
        "forgets the public access block (block_public_acls, block_public_policy, ignore_public_acls, restrict_public_buckets): it stays in place for now, but Terraform stops managing it, so turning it off outside Terraform shows in no plan; then one bucket policy or ACL mistake makes the data public, and a read cannot be taken back",
      ],
    ]);
  });

  test("a forgotten aws_kms_key_policy is shown: the key keeps it, unmanaged", () => {
    const r = classifyPlans([
      planOf([rc("aws_kms_key_policy.p", ["forget"], { key_id: KEY_ARN, policy: policy(ROOT_STATEMENT) }, null)]),
    ]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => [f.address, f.rule, f.why])).toEqual([
      [
        "aws_kms_key_policy.p",
        "key-resource-change",
        "the aws_kms_key_policy is forgotten, not deleted: the key keeps this policy, but Terraform stops managing it, so a change made outside Terraform (PutKeyPolicy) shows in no plan",
      ],
    ]);
  });
});

test("after_unknown: true (the whole value unknown) hides no policy, grantee or cluster: each is unknown, not absent", () => {
  const unknownAfter = (address: string, before: JsonObject) =>
    rc(address, ["update"], before, {}, { change: { actions: ["update"], before, after: {}, after_unknown: true } });
  const r = classifyPlans([
    planOf([
      unknownAfter("aws_kms_key.k", { arn: KEY_ARN, key_id: KEY_ID, policy: policy(ROOT_STATEMENT), is_enabled: true }),
      unknownAfter("aws_kms_custom_key_store.s", {
        id: "cks-1234567890abcdef0",
        cloud_hsm_cluster_id: "cluster-abcdefghijk",
      }),
    ]),
  ]);
  // What makes the key the key it is (its store, spec, ...) unknown too: fail closed.
  expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([
    ["aws_kms_custom_key_store.s", "key-store-critical-update"],
    ["aws_kms_key.k", "key-identity-in-place"],
  ]);
  expect(r.risky.map((f) => [f.address, f.rule]).filter(([, rule]) => rule !== "key-resource-change")).toEqual(
    expect.arrayContaining([
      ["aws_kms_key.k", "key-policy-unknown"],
      ["aws_kms_key.k", "key-enabled-unknown"],
    ]),
  );
});
