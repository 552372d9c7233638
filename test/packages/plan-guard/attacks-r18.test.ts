/**
 * Hostile plans tried after issue 18: each is a way to hand a key (or the alarm topic) to someone
 * outside the account, or a plan that contradicts itself. Each must be blocked or refused (exit 2).
 */
import { classifyPlans, parseAllowlist, type JsonValue, type ResourceChange } from "@cmk-stacks/plan-guard";
import { checkPlanJson } from "../../../packages/plan-guard/read";
import { planOf, policy, rc } from "./builders";

const ACCT = "111122223333";
const OTHER = "444455556666";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/${KEY_ID}`;
const ROOT = {
  Sid: "Root",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCT}:root` },
  Action: "kms:*",
  Resource: "*",
};
const key = (): ResourceChange =>
  rc(
    "aws_kms_key.k",
    ["no-op"],
    { arn: KEY_ARN, key_id: KEY_ID, id: KEY_ID },
    { arn: KEY_ARN, key_id: KEY_ID, id: KEY_ID },
  );
const grant = (
  after: Record<string, JsonValue>,
  actions = ["create"],
  extra: Partial<ResourceChange> = {},
): ResourceChange =>
  rc(
    "aws_kms_grant.g",
    actions,
    null,
    {
      key_id: KEY_ID,
      operations: ["Decrypt"],
      retiring_principal: null,
      constraints: [],
      grant_creation_tokens: null,
      name: "g",
      ...after,
    },
    extra,
  );
const rules = (changes: ResourceChange[]) => {
  const r = classifyPlans([planOf(changes)], undefined, { withoutGraph: true });
  return r.blocked.map((f) => `${f.address} ${f.rule}`);
};
const keyWith = (doc: string, type = "aws_kms_key"): ResourceChange =>
  rc(
    `${type}.k`,
    ["update"],
    { arn: KEY_ARN, key_id: KEY_ID, policy: policy(ROOT) },
    { arn: KEY_ARN, key_id: KEY_ID, policy: doc },
  );

const problemsOf = (changes: ResourceChange[]) =>
  checkPlanJson(JSON.parse(JSON.stringify(planOf(changes).plan)), "plan.json").problems;
const FOREIGN = { grantee_principal: `arn:aws:iam::${OTHER}:role/r` };

describe("grants that try to escape the grant rule", () => {
  test.each([
    ["create then forget (a replacement under destroy = false)", ["create", "forget"]],
    ["forget then create", ["forget", "create"]],
    ["replace, create first", ["create", "delete"]],
  ])("%s: the new grant is judged", (_, actions) => {
    const g = grant(FOREIGN, actions);
    expect(problemsOf([key(), g])).toEqual([]);
    expect(rules([key(), g])).toEqual(["aws_kms_grant.g key-grant-cross-account"]);
  });

  test("a create that claims to be a deposed object is refused (exit 2), not skipped as the old object", () => {
    expect(problemsOf([key(), grant(FOREIGN, ["create"], { deposed: "00000001" })])).toEqual([
      "plan.json: resource_changes[1].deposed: a deposed object with actions [create]: Terraform only destroys or forgets a deposed object",
    ]);
  });

  test.each([
    [["Create"], '["Create"]'],
    [["update", "create"], '["update", "create"]'],
    [["create", "create"], '["create", "create"]'],
  ])("actions %j are refused and the grant is still judged", (actions, shown) => {
    const g = grant(FOREIGN, actions);
    expect(problemsOf([key(), g])).toEqual([
      `plan.json: resource_changes[1].change.actions: ${shown} is no action list Terraform writes ([no-op], [create], [read], [update], [delete], [forget], [delete,create], [create,delete], [create,forget], [forget,create])`,
    ]);
    expect(rules([key(), g])).toEqual(["aws_kms_grant.g key-grant-cross-account"]);
  });

  test.each([
    [
      "retiring principal only",
      { grantee_principal: `arn:aws:iam::${ACCT}:role/app`, retiring_principal: `arn:aws:iam::${OTHER}:role/r` },
    ],
    ["a key ARN as grantee", { grantee_principal: `arn:aws:kms:eu-west-1:${OTHER}:key/${KEY_ID}` }],
    ["a bare account id", { grantee_principal: OTHER }],
    ["another partition", { grantee_principal: `arn:aws-cn:iam::${OTHER}:role/r` }],
    ["an assumed-role session", { grantee_principal: `arn:aws:sts::${OTHER}:assumed-role/r/s` }],
  ])("%s of another account is blocked", (_, after) => {
    expect(rules([key(), grant(after)])).toContain("aws_kms_grant.g key-grant-cross-account");
  });

  test.each([
    ["a padded account id", ` ${OTHER}`],
    ["a list", [`arn:aws:iam::${OTHER}:role/r`] as never],
    ["a wildcard", "*"],
  ])("%s is not placed and is blocked", (_, who) => {
    expect(rules([key(), grant({ grantee_principal: who })])).toContain("aws_kms_grant.g key-grant-principal-unplaced");
  });
});

describe("key policies that try to escape", () => {
  const other = (extra: object) => ({ Sid: "X", Effect: "Allow", Action: "kms:Decrypt", Resource: "*", ...extra });
  test.each([
    ["a list with *", other({ Principal: { AWS: [`arn:aws:iam::${ACCT}:role/a`, "*"] } }), "key-policy-public"],
    [
      'Principal "*" with NotAction',
      { Sid: "X", Effect: "Allow", Principal: "*", NotAction: "kms:PutKeyPolicy", Resource: "*" },
      "key-policy-public",
    ],
    ["a bare account id", other({ Principal: { AWS: OTHER } }), "key-policy-cross-account"],
    ["NotPrincipal", other({ NotPrincipal: { AWS: `arn:aws:iam::${ACCT}:root` } }), "key-policy-public"],
    [
      "KMS:CallerAccount listing an undeclared account",
      other({ Principal: "*", Condition: { StringEquals: { "KMS:CallerAccount": [ACCT, OTHER] } } }),
      "key-policy-cross-account",
    ],
    [
      "StringLike with *",
      other({ Principal: "*", Condition: { StringLike: { "kms:CallerAccount": "1111222233*" } } }),
      "key-policy-public",
    ],
    [
      "StringLike with ?",
      other({ Principal: "*", Condition: { StringLike: { "kms:CallerAccount": "11112222333?" } } }),
      "key-policy-public",
    ],
    [
      "ForAnyValue:StringEquals undeclared",
      other({ Principal: "*", Condition: { "ForAnyValue:StringEquals": { "kms:CallerAccount": OTHER } } }),
      "key-policy-cross-account",
    ],
    [
      "StringEqualsIfExists",
      other({ Principal: "*", Condition: { StringEqualsIfExists: { "kms:CallerAccount": ACCT } } }),
      "key-policy-public",
    ],
    [
      "ForAllValues:StringEquals",
      other({ Principal: "*", Condition: { "ForAllValues:StringEquals": { "kms:CallerAccount": ACCT } } }),
      "key-policy-public",
    ],
    [
      "an undeclared organization",
      other({ Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" } } }),
      "key-policy-cross-organization",
    ],
    [
      "an organization path wildcard",
      other({ Principal: "*", Condition: { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-*" } } }),
      "key-policy-public",
    ],
    [
      "a path of an undeclared organization",
      other({ Principal: "*", Condition: { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-abcdefghij/*" } } }),
      "key-policy-cross-organization",
    ],
    [
      "a principal ARN with a wildcard account",
      other({ Principal: "*", Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/app" } } }),
      "key-policy-public",
    ],
    [
      "ViaService only",
      other({ Principal: "*", Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } }),
      "key-policy-public",
    ],
    [
      "SourceAccount on *",
      other({ Principal: "*", Condition: { StringEquals: { "aws:SourceAccount": ACCT } } }),
      "key-policy-public",
    ],
    [
      "a service with another SourceAccount",
      other({
        Principal: { Service: "logs.amazonaws.com" },
        Condition: { StringEquals: { "aws:SourceAccount": OTHER } },
      }),
      "key-policy-cross-account",
    ],
    [
      "a federated provider of another account",
      other({ Principal: { Federated: `arn:aws:iam::${OTHER}:oidc-provider/x` } }),
      "key-policy-cross-account",
    ],
    [
      "a canonical user",
      other({ Principal: { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" } }),
      "key-policy-principal-unplaced",
    ],
  ])("%s", (_, st, rule) => {
    for (const type of ["aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key"])
      expect([type, rules([keyWith(policy(ROOT, st), type)])]).toEqual([type, [`${type}.k ${rule}`]]);
  });

  test.each([
    [
      "Effect twice",
      `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`,
    ],
    [
      "a condition key twice",
      `{"Version":"2012-10-17","Statement":[${JSON.stringify(ROOT)},{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"${ACCT}","kms:CallerAccount":"${OTHER}"}}}]}`,
    ],
    [
      "an escaped duplicate",
      `{"Version":"2012-10-17","Statement":[${JSON.stringify(ROOT)},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${ACCT}:root","A\\u0057S":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`,
    ],
    ["not JSON", `{"Statement":[`],
    ["a BOM", `\ufeff${policy(ROOT)}`],
    ["lower-case effect value", policy(ROOT, { Effect: "allow", Principal: "*", Action: "kms:*", Resource: "*" })],
  ])("%s is unreadable", (_, doc) => {
    expect(rules([keyWith(doc)])).toEqual(["aws_kms_key.k key-policy-unreadable"]);
  });

  test("aws_kms_key_policy, created and updated, granting another account", () => {
    const kp = (actions: string[]) =>
      rc("aws_kms_key_policy.p", actions, actions[0] === "create" ? null : { key_id: KEY_ID, policy: policy(ROOT) }, {
        key_id: KEY_ID,
        policy: policy(ROOT, {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
          Action: "kms:Decrypt",
          Resource: "*",
        }),
      });
    for (const a of [["create"], ["update"], ["delete", "create"], ["create", "delete"]])
      expect(rules([key(), kp(a)])).toEqual(["aws_kms_key_policy.p key-policy-cross-account"]);
  });

  test("a key created then forgotten with a policy opening it is judged", () => {
    const k = rc(
      "aws_kms_key.k",
      ["create", "forget"],
      { arn: KEY_ARN, policy: policy(ROOT) },
      { policy: policy(ROOT, { Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }) },
    );
    expect(problemsOf([k])).toEqual([]);
    expect(rules([k])).toEqual(["aws_kms_key.k destroy-key-bearing", "aws_kms_key.k key-policy-public"]);
  });

  test("an allowlisted key replacement does not approve the new key's public policy", () => {
    const k = rc(
      "aws_kms_key.k",
      ["delete", "create"],
      { arn: KEY_ARN, key_id: KEY_ID, policy: policy(ROOT) },
      { policy: policy(ROOT, { Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }) },
    );
    const allow = parseAllowlist({
      allow: [
        { address: "aws_kms_key.k", reason: "rotate by replacement, T-9", actions: ["replace"], expires: "2099-12-31" },
      ],
    });
    const r = classifyPlans([planOf([k])], allow, { withoutGraph: true });
    expect(r.blocked.map((f) => [f.address, f.rule, f.notAllowed])).toEqual([
      [
        "aws_kms_key.k",
        "key-policy-public",
        ["allow[0] cannot allow key-policy-public: opening it to everyone is never allowed"],
      ],
    ]);
    expect(r.allowed.map((a) => a.finding.rule)).toEqual(["destroy-key-bearing"]);
    expect(r.exitCode).toBe(1);
  });
});

describe("topic policies", () => {
  test.each([
    ["Publish to *", "sns:Publish"],
    ["Subscribe to *", "sns:Subscribe"],
  ])("%s is blocked", (_, action) => {
    const t = rc(
      "aws_sns_topic.t",
      ["update"],
      { arn: `arn:aws:sns:eu-west-1:${ACCT}:alarms`, policy: "" },
      {
        arn: `arn:aws:sns:eu-west-1:${ACCT}:alarms`,
        policy: policy({ Effect: "Allow", Principal: { AWS: "*" }, Action: action, Resource: "*" }),
      },
    );
    expect(rules([t])).toEqual(["aws_sns_topic.t topic-policy-public"]);
  });
});

describe("allowlist cannot widen", () => {
  const entry = (address: string) =>
    parseAllowlist({ allow: [{ address, reason: "approved in the same pull request", expires: "2099-12-31" }] });
  test("an address entry does not let a grant to an undeclared account through: only externalAccounts does", () => {
    const r = classifyPlans([planOf([key(), grant(FOREIGN)])], entry("aws_kms_grant.g"), { withoutGraph: true });
    expect(r.blocked.map((f) => [f.rule, f.notAllowed])).toEqual([
      [
        "key-grant-cross-account",
        [
          "allow[0] cannot allow key-grant-cross-account: an account is approved only by its declaration in externalAccounts",
        ],
      ],
    ]);
    expect(r.unusedAllowances.map((e) => e.index)).toEqual([0]);
  });
  test("nor a key policy opening the key to an undeclared organization", () => {
    const k = keyWith(
      policy(ROOT, {
        Effect: "Allow",
        Principal: "*",
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" } },
      }),
    );
    const r = classifyPlans([planOf([k])], entry("aws_kms_key.k"), { withoutGraph: true });
    expect(r.blocked.map((f) => [f.rule, f.notAllowed])).toEqual([
      [
        "key-policy-cross-organization",
        [
          "allow[0] cannot allow key-policy-cross-organization: an organization is approved only by its declaration in externalOrganizations",
        ],
      ],
    ]);
  });
  test("nor key material in a created key's plan", () => {
    const m = rc("aws_kms_external_key.k", ["create"], null, { key_material_base64: "AAAA" });
    const r = classifyPlans([planOf([m])], entry("aws_kms_external_key.k"), { withoutGraph: true });
    expect(r.blocked.map((f) => [f.rule, f.notAllowed])).toEqual([
      [
        "key-material-in-plan",
        ["allow[0] cannot allow key-material-in-plan: key material in a plan is never allowed on a create or no-op"],
      ],
    ]);
  });

  test("an organization declaration does not cover an account", () => {
    const allow = parseAllowlist({
      allow: [],
      externalOrganizations: [{ organization: "o-abcdefghij", stack: "dev-keys", reason: "T-1" }],
    });
    const k = keyWith(
      policy(ROOT, {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
        Action: "kms:Decrypt",
        Resource: "*",
      }),
    );
    expect(classifyPlans([planOf([k])], allow, { withoutGraph: true }).blocked.map((f) => f.rule)).toEqual([
      "key-policy-cross-account",
    ]);
  });
});

describe("the key's account when the plan shows no ARN (a first plan)", () => {
  const pinned = (changes: ResourceChange[]) => {
    const p = planOf(changes, {
      config: changes.map((c) => ({
        address: c.address,
        mode: "managed" as const,
        type: c.type,
        name: c.name,
        provider_config_key: "aws",
        expressions: {},
      })),
    });
    (p.plan.configuration as { provider_config: Record<string, unknown> }).provider_config = {
      aws: {
        name: "aws",
        full_name: "registry.terraform.io/hashicorp/aws",
        expressions: { allowed_account_ids: { constant_value: [ACCT] } },
      },
    };
    return classifyPlans([p], undefined, { withoutGraph: true }).blocked.map((f) => `${f.address} ${f.rule}`);
  };
  const newKey = (doc: string): ResourceChange => {
    const k = rc("aws_kms_key.k", ["create"], null, { policy: doc });
    k.change.after_unknown = { arn: true, id: true, key_id: true };
    return k;
  };
  const FOREIGN_ROOT = {
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
    Action: "kms:*",
    Resource: "*",
  };

  test("a new key whose policy hands everything to another account's root is blocked when the provider is pinned to the account", () => {
    expect(pinned([newKey(policy(FOREIGN_ROOT))])).toEqual(["aws_kms_key.k key-policy-cross-account"]);
  });

  test("the same policy naming the pinned account passes", () => {
    expect(pinned([newKey(policy(ROOT))])).toEqual([]);
  });

  test("a grant on a key known only after apply, to another account, is blocked by the pinned account", () => {
    const g = grant(FOREIGN);
    (g.change.after as Record<string, JsonValue>).key_id = null;
    g.change.after_unknown = { key_id: true };
    expect(pinned([g])).toEqual(["aws_kms_grant.g key-grant-cross-account"]);
  });

  test("a new topic opened to another account is blocked by the pinned account", () => {
    const t = rc("aws_sns_topic.t", ["create"], null, {
      policy: policy({
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
        Action: "sns:Subscribe",
        Resource: "*",
      }),
    });
    expect(pinned([t])).toEqual(["aws_sns_topic.t topic-policy-cross-account"]);
  });
});

test("a key policy larger than KMS accepts is unreadable, and judged at once (not quadratically)", () => {
  const st = Array.from({ length: 4000 }, (_, i) => ({
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${ACCT}:role/r${i}` },
    Action: ["kms:PutKeyPolicy", "kms:Decrypt"],
    Resource: "*",
    Condition: { StringEquals: { "aws:PrincipalTag/x": `${i}` } },
  }));
  const doc = policy(...st);
  const start = Date.now();
  const r = classifyPlans([planOf([keyWith(doc)])], undefined, { withoutGraph: true });
  expect(Date.now() - start).toBeLessThan(1500);
  expect(r.blocked.map((f) => `${f.rule}: ${f.why}`)).toEqual([
    `key-policy-unreadable: the key policy is ${Buffer.byteLength(doc)} bytes, and KMS accepts at most 32768: the guard cannot tell whether the key stays manageable, so it fails closed`,
  ]);
});

test.each([["*"], ["*.amazonaws.com"]])("a wildcard service principal %s is everyone", (service) => {
  expect(
    rules([
      keyWith(policy(ROOT, { Effect: "Allow", Principal: { Service: service }, Action: "kms:Decrypt", Resource: "*" })),
    ]),
  ).toEqual(["aws_kms_key.k key-policy-public"]);
});
