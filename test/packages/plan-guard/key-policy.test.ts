/**
 * The guard's key-policy judgement: a table of policies with the verdict, each verdict on who may
 * change the policy cross-checked with @cloud-copilot/iam-simulate (test-only), and crafted plans
 * for the block/risky decisions.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { buildKeyPolicy, ADMIN_ACTIONS, USE_ACTIONS } from "../../../modules/keys/key-policy";
import { classifyPlans } from "@cmk-stacks/plan-guard";
import { decide, parsePolicy } from "../../../packages/plan-guard/policy";
import { judgePolicy } from "../../../packages/plan-guard/rules/key-policy";
import { cfg, planOf, policy, rc } from "./builders";

const ACCT = "111122223333";
const ROOT = `arn:aws:iam::${ACCT}:root`;
const ADMIN = `arn:aws:iam::${ACCT}:role/KeyAdmin`;
const APP = `arn:aws:iam::${ACCT}:role/app`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const root = { Sid: "Root", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" };
const admin = { Effect: "Allow", Principal: { AWS: [ADMIN] }, Action: [...ADMIN_ACTIONS], Resource: "*" };
const use = { Effect: "Allow", Principal: { AWS: APP }, Action: [...USE_ACTIONS], Resource: "*" };
const accountForm = JSON.stringify(
  buildKeyPolicy({ partition: "aws", account: ACCT, administrators: [ADMIN], users: [APP] }),
);
/** The closed form: no account-root statement; only the listed administrators manage. */
const closedForm = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "KeyAdministration",
      Effect: "Allow",
      Principal: { AWS: [ADMIN] },
      Action: [...ADMIN_ACTIONS],
      Resource: "*",
    },
    {
      Sid: "AdministratorsCannotUseKey",
      Effect: "Deny",
      Principal: { AWS: [ADMIN] },
      Action: ["kms:Decrypt", "kms:Encrypt"],
      Resource: "*",
    },
    { Sid: "KeyUse", Effect: "Allow", Principal: { AWS: [APP] }, Action: [...USE_ACTIONS], Resource: "*" },
    {
      Sid: "UsersCannotManageKey",
      Effect: "Deny",
      Principal: { AWS: [APP] },
      Action: ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
      Resource: "*",
    },
    {
      Sid: "AutoScaling",
      Effect: "Allow",
      Principal: {
        AWS: `arn:aws:iam::${ACCT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      },
      Action: ["kms:Decrypt", "kms:DescribeKey"],
      Resource: "*",
    },
  ],
});
const doc = (...s: object[]): string => policy(...s);
const SLR = `arn:aws:iam::${ACCT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
/** The closed form as modules/keys/key-policy.ts builds it, with the Auto Scaling service-linked role (EBS key). */
const builtClosed = JSON.stringify(
  buildKeyPolicy({
    partition: "aws",
    account: ACCT,
    administrators: [ADMIN],
    users: [APP],
    form: "closed",
    serviceRoles: [SLR],
  }),
);
const builtAccountWithSlr = JSON.stringify(
  buildKeyPolicy({ partition: "aws", account: ACCT, administrators: [ADMIN], users: [APP], serviceRoles: [SLR] }),
);

/** [name, document, who can change it, open to everyone] */
const TABLE: [string, string, "sure" | "maybe" | "no", boolean][] = [
  ["the account form this project ships", accountForm, "sure", false],
  ["the closed form (administrators only)", closedForm, "sure", false],
  ["the closed form as the module builds it, with the Auto Scaling service-linked role", builtClosed, "sure", false],
  [
    "the account form as the module builds it, with the Auto Scaling service-linked role",
    builtAccountWithSlr,
    "sure",
    false,
  ],
  [
    "whitespace, key order, single strings, no Sid",
    `{ "Statement" : { "Resource":"*", "Action":"kms:*", "Principal":{"AWS":"${ACCT}"}, "Effect":"Allow" } ,"Version":"2012-10-17"}`,
    "sure",
    false,
  ],
  [
    "admin statement split in two",
    doc({ ...admin, Action: ADMIN_ACTIONS.slice(0, 10) }, { ...admin, Action: ADMIN_ACTIONS.slice(10) }),
    "sure",
    false,
  ],
  ["kms:Put* wildcard for the admin", doc({ ...admin, Action: "kms:Put*" }, use), "sure", false],
  ["no PutKeyPolicy for anyone", doc(use), "no", false],
  [
    "Deny NotAction [kms:Decrypt] to everyone",
    doc(root, admin, { Effect: "Deny", Principal: "*", NotAction: "kms:Decrypt", Resource: "*" }),
    "no",
    false,
  ],
  [
    "Deny kms:* to NotPrincipal app",
    doc(root, admin, { Effect: "Deny", NotPrincipal: { AWS: APP }, Action: "kms:*", Resource: "*" }),
    "no",
    false,
  ],
  [
    "Deny * to the account root (covers every principal of the account)",
    doc(admin, { Effect: "Deny", Principal: { AWS: ROOT }, Action: "*", Resource: "*" }),
    "no",
    false,
  ],
  [
    "Deny kms:Put* with a condition that always matches (StringLike aws:PrincipalArn *)",
    doc(root, admin, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:Put*",
      Resource: "*",
      Condition: { StringLike: { "aws:PrincipalArn": "*" } },
    }),
    "no",
    false,
  ],
  [
    "Deny with ForAllValues on a key absent from PutKeyPolicy (always matches)",
    doc(root, admin, {
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "kms:*",
      Resource: "*",
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["x"] } },
    }),
    "no",
    false,
  ],
  [
    "Deny with StringNotEquals on kms:GrantIsForAWSResource (absent: matches)",
    doc(root, admin, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:*",
      Resource: "*",
      Condition: { StringNotEquals: { "kms:GrantIsForAWSResource": "true" } },
    }),
    "no",
    false,
  ],
  [
    "Deny everyone but the admin (StringNotEquals aws:PrincipalArn)",
    doc(admin, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:PutKeyPolicy",
      Resource: "*",
      Condition: { StringNotEquals: { "aws:PrincipalArn": ADMIN } },
    }),
    "sure",
    false,
  ],
  [
    "Deny without MFA (depends on the request)",
    doc(admin, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:PutKeyPolicy",
      Resource: "*",
      Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } },
    }),
    "maybe",
    false,
  ],
  [
    "Deny over plain HTTP (never: KMS is HTTPS only)",
    doc(admin, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:*",
      Resource: "*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    }),
    "sure",
    false,
  ],
  [
    "Deny after a date in the past (always matches now)",
    doc(root, admin, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:*",
      Resource: "*",
      Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
    }),
    "no",
    false,
  ],
  [
    "Allow everyone kms:*",
    doc(root, { Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*" }),
    "sure",
    true,
  ],
  [
    "Allow {AWS: *} Decrypt",
    doc(root, { Effect: "Allow", Principal: { AWS: ["*"] }, Action: "kms:Decrypt", Resource: "*" }),
    "sure",
    true,
  ],
  [
    "Allow a principal ARN with a wildcard account (read as everyone)",
    doc(root, { Effect: "Allow", Principal: { AWS: "arn:aws:iam::*:root" }, Action: "kms:Decrypt", Resource: "*" }),
    "sure",
    true,
  ],
  [
    "Allow NotPrincipal",
    doc(root, { Effect: "Allow", NotPrincipal: { AWS: APP }, Action: "kms:Decrypt", Resource: "*" }),
    "sure",
    true,
  ],
  [
    "Allow everyone in the organization",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123def4" } },
    }),
    "sure",
    false,
  ],
  [
    "Allow everyone through EBS in the account (kms:ViaService + kms:CallerAccount)",
    doc(root, {
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["kms:Decrypt", "kms:CreateGrant"],
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": "ec2.eu-west-1.amazonaws.com", "kms:CallerAccount": ACCT } },
    }),
    "sure",
    false,
  ],
  [
    "Allow everyone with a wildcard account condition",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "aws:PrincipalAccount": "*" } },
    }),
    "sure",
    true,
  ],
  // A wildcard in a narrowing value confines the caller only when what identifies them (account, organization, service) is fixed before it.
  [
    "Allow everyone with a wildcard organization id (StringLike o-*)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "aws:PrincipalOrgID": "o-*" } },
    }),
    "sure",
    true,
  ],
  [
    "Allow everyone through any service (StringLike kms:ViaService *.amazonaws.com)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "kms:ViaService": "*.amazonaws.com" } },
    }),
    "sure",
    true,
  ],
  [
    "Allow everyone from any source ARN (ArnLike aws:SourceArn arn:aws:*)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { ArnLike: { "aws:SourceArn": "arn:aws:*" } },
    }),
    "sure",
    true,
  ],
  [
    "Allow everyone from accounts starting with 1 (StringLike aws:SourceAccount 1*)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "aws:SourceAccount": "1*" } },
    }),
    "sure",
    true,
  ],
  [
    "Allow everyone under any org path (StringLike aws:PrincipalOrgPaths o-*/*)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-*/*" } },
    }),
    "sure",
    true,
  ],
  [
    "Allow the account's roles by a wildcard ARN (account fixed)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${ACCT}:role/app-*` } },
    }),
    "sure",
    false,
  ],
  [
    "Allow EC2 in any Region (StringLike kms:ViaService ec2.*.amazonaws.com)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "kms:ViaService": "ec2.*.amazonaws.com", "kms:CallerAccount": ACCT } },
    }),
    "sure",
    false,
  ],
  [
    "Allow an OU subtree (StringLike aws:PrincipalOrgPaths with a fixed organization)",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-abc123def4/r-ab12/ou-ab12-11111111/*" } },
    }),
    "sure",
    false,
  ],
  // Denying everyone but the administrator by aws:PrincipalArn, under the account-root statement: the administrator keeps the key manageable.
  [
    "account root, Deny PutKeyPolicy to all but the admin (StringNotEquals aws:PrincipalArn)",
    doc(root, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:PutKeyPolicy",
      Resource: "*",
      Condition: { StringNotEquals: { "aws:PrincipalArn": ADMIN } },
    }),
    "sure",
    false,
  ],
  [
    "account root, Deny PutKeyPolicy to all but the admin (ArnNotLike aws:PrincipalArn)",
    doc(root, {
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "kms:*",
      Resource: "*",
      Condition: { ArnNotLike: { "aws:PrincipalArn": [ADMIN] } },
    }),
    "sure",
    false,
  ],
  // A date condition that changes its answer later: manageable today, locked (or no longer manageable) after the date.
  [
    "Deny after a date in the future (locks the key then)",
    doc(root, admin, {
      Effect: "Deny",
      Principal: "*",
      Action: "kms:*",
      Resource: "*",
      Condition: { DateGreaterThan: { "aws:CurrentTime": "2999-01-01T00:00:00Z" } },
    }),
    "maybe",
    false,
  ],
  [
    "the only administrator's right expires (DateLessThan in the future)",
    doc(use, { ...admin, Condition: { DateLessThan: { "aws:CurrentTime": "2999-01-01T00:00:00Z" } } }),
    "maybe",
    false,
  ],
  [
    "Allow everyone with an IfExists account condition",
    doc(root, {
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringEqualsIfExists: { "aws:PrincipalAccount": ACCT } },
    }),
    "sure",
    true,
  ],
];

describe("policy verdicts", () => {
  test.each(TABLE)("%s", (_name, text, manageable, open) => {
    const v = judgePolicy(text, KEY_ARN);
    expect("error" in v ? v : { manageable: v.manageable, public: v.public }).toEqual({ manageable, public: open });
  });

  test.each([
    ["not JSON", "{", "the key policy is not valid JSON"],
    [
      "Effect in lower case",
      doc({ ...root, Effect: "allow" }),
      "the key policy cannot be read: Statement[0].Effect must be Allow or Deny",
    ],
    [
      "Action and NotAction together",
      doc({ ...root, NotAction: "kms:Decrypt" }),
      "the key policy cannot be read: Statement[0] needs exactly one of Action and NotAction",
    ],
    // KMS and the guard must read the same document: an element the guard does not know, or a field written twice, is not guessed at.
    [
      "a principal type in lower case",
      doc(root, { Effect: "Allow", Principal: { aws: "444455556666" }, Action: "kms:Decrypt", Resource: "*" }),
      "the key policy cannot be read: Statement[1].Principal.aws is not a principal type (AWS, Service, Federated, CanonicalUser)",
    ],
    [
      "a Condition element in lower case",
      doc(root, {
        Effect: "Deny",
        Principal: "*",
        Action: "kms:*",
        Resource: "*",
        condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
      "the key policy cannot be read: Statement[1].condition is not a policy element (Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)",
    ],
    [
      "an unknown top-level element",
      JSON.stringify({ Version: "2012-10-17", Statements: [root] }),
      "the key policy cannot be read: Statements is not a policy element (Version, Id, Statement)",
    ],
    [
      "Statement written twice",
      `{"Statement":[${JSON.stringify(root)}],"Statement":[${JSON.stringify(use)}]}`,
      "the key policy cannot be read: Statement appears twice in one object (JSON parsers keep different ones)",
    ],
    [
      "Effect written twice",
      `{"Statement":[${JSON.stringify(root)},{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`,
      "the key policy cannot be read: Statement[1].Effect appears twice in one object (JSON parsers keep different ones)",
    ],
  ])("an unreadable policy (%s) is reported, never guessed", (_n, text, error) => {
    expect(judgePolicy(text)).toEqual({ error });
  });
});

describe("the evaluator agrees with iam-simulate on who may change the policy", () => {
  // The simulator does not model the root user itself: an IAM administrator of the account stands for "the account".
  const principals = [`arn:aws:iam::${ACCT}:role/IamAdministrator`, ADMIN, APP];
  const cases = TABLE.flatMap(([name, text]) => principals.map((p) => [name, p, text] as const));
  test.each(cases)("%s, caller %s", async (_name, principal, text) => {
    const parsed = parsePolicy(text);
    if ("error" in parsed) throw new Error(parsed.error);
    const mine = decide(parsed.statements, { principal, action: "kms:PutKeyPolicy", keyArn: KEY_ARN });
    if (mine === undefined) return; // depends on the request: nothing to compare
    // The caller's own IAM allows everything (the worst case an account-root statement delegates to).
    const result = await runSimulation(
      {
        request: {
          principal,
          action: "kms:PutKeyPolicy",
          resource: { resource: KEY_ARN, accountId: ACCT },
          contextVariables: {
            "aws:PrincipalArn": principal,
            "aws:PrincipalAccount": ACCT,
            "kms:CallerAccount": ACCT,
            "aws:SecureTransport": "true",
            "aws:CurrentTime": new Date().toISOString(),
          },
        },
        identityPolicies: [
          {
            name: "all",
            policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
          },
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: JSON.parse(text),
      } as never,
      {},
    );
    expect({ principal, allowed: (result as { overallResult?: string }).overallResult === "Allowed" }).toEqual({
      principal,
      allowed: mine,
    });
  });
});

describe("key-policy rules on crafted plans", () => {
  const keyUpdate = (before: string, after: string, extra: object = {}) =>
    planOf([
      rc("aws_kms_key.k", ["update"], { arn: KEY_ARN, policy: before }, { arn: KEY_ARN, policy: after, ...extra }),
    ]);
  const verdicts = (p: ReturnType<typeof planOf>) => {
    const r = classifyPlans([p]);
    return { blocked: r.blocked.map((f) => f.rule), risky: r.risky.map((f) => f.rule) };
  };

  test("account form -> closed form keeps the key manageable: only risky (the account no longer manages)", () => {
    expect(verdicts(keyUpdate(accountForm, closedForm))).toEqual({ blocked: [], risky: ["key-policy-admins-removed"] });
  });

  test("the module's account form -> its closed form (with the service-linked role): not blocked", () => {
    expect(verdicts(keyUpdate(builtAccountWithSlr, builtClosed))).toEqual({
      blocked: [],
      risky: ["key-policy-admins-removed"],
    });
  });

  test("renaming the Sid, or splitting the admin statement, is nothing", () => {
    const split = doc(
      root,
      { ...admin, Sid: "A", Action: ADMIN_ACTIONS.slice(0, 10) },
      { ...admin, Sid: "B", Action: ADMIN_ACTIONS.slice(10) },
      use,
    );
    // Only the generic note that a key's policy changes (every key-wiring change is listed for review).
    expect(verdicts(keyUpdate(doc(root, { ...admin, Sid: "KeyAdministration" }, use), split))).toEqual({
      blocked: [],
      risky: ["key-resource-change"],
    });
  });

  test("a Deny NotAction added to everyone is a lockout: exact reason", () => {
    const r = classifyPlans([
      keyUpdate(
        accountForm,
        doc(root, admin, { Effect: "Deny", Principal: "*", NotAction: ["kms:Decrypt", "kms:Encrypt"], Resource: "*" }),
      ),
    ]);
    expect(r.blocked.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-policy-lockout",
        "after this change no principal can change the key policy: no Allow of kms:PutKeyPolicy to the account or a named principal survives its Denies, so nobody can manage the key any more and only AWS Support can restore access",
      ],
    ]);
  });

  test("a new aws_kms_key_policy with the lockout check bypassed is blocked and says so", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_kms_key_policy.p", ["create"], null, {
          key_id: "1234abcd-12ab-34cd-56ef-1234567890ab",
          policy: doc(use),
          bypass_policy_lockout_safety_check: true,
        }),
      ]),
    ]);
    expect(r.blocked.map((f) => f.rule)).toEqual(["key-policy-lockout"]);
    expect(r.blocked[0].why).toContain("(bypass_policy_lockout_safety_check = true, so KMS will not refuse it)");
  });

  test("opening the key to everyone is blocked: exact reason", () => {
    const r = classifyPlans([
      keyUpdate(
        accountForm,
        doc(root, admin, { Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" }),
      ),
    ]);
    expect(r.blocked.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-policy-public",
        'the key policy lets everyone use the key: statement 3 (kms:Decrypt) has Principal "*" or NotPrincipal and no condition pinning the caller to known accounts or a declared organization, so any AWS account may call it; they can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted',
      ],
    ]);
  });

  test("a principal of another account that was not there before is blocked; one already there is not", () => {
    const other = {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::444455556666:role/partner" },
      Action: "kms:Decrypt",
      Resource: "*",
    };
    const r = classifyPlans([keyUpdate(accountForm, doc(root, admin, use, other))]);
    expect(r.blocked.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-policy-cross-account",
        "the key policy gives principals of another account rights they did not have: arn:aws:iam::444455556666:role/partner (gains kms:Decrypt) (the key belongs to 111122223333); they can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted",
      ],
    ]);
    expect(verdicts(keyUpdate(doc(root, admin, other), doc(root, admin, use, other))).blocked).toEqual([]);
  });

  test("another account through an everyone-principal narrowed to that account is blocked", () => {
    const r = classifyPlans([
      keyUpdate(
        accountForm,
        doc(root, admin, {
          Effect: "Allow",
          Principal: "*",
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: { StringEquals: { "kms:CallerAccount": "444455556666" } },
        }),
      ),
    ]);
    expect(r.blocked.map((f) => f.rule)).toEqual(["key-policy-cross-account"]);
  });

  test("a policy known only after apply is risky, for a new key policy resource too", () => {
    const p = planOf([
      rc(
        "aws_kms_key_policy.p",
        ["create"],
        null,
        { key_id: "k" },
        { change: { actions: ["create"], before: null, after: { key_id: "k" }, after_unknown: { policy: true } } },
      ),
    ]);
    expect(verdicts(p)).toEqual({ blocked: [], risky: ["key-policy-unknown"] });
  });

  test("an unreadable policy fails closed", () => {
    expect(
      verdicts(keyUpdate(accountForm, '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"x"}}]}')).blocked,
    ).toEqual(["key-policy-unreadable"]);
  });

  test("the key's account comes from the key an aws_kms_key_policy references", () => {
    const p = planOf(
      [
        rc("aws_kms_key.k", ["no-op"], { arn: KEY_ARN, key_id: "kid" }, { arn: KEY_ARN, key_id: "kid" }),
        rc(
          "aws_kms_key_policy.p",
          ["update"],
          { key_id: "kid", policy: accountForm },
          {
            key_id: "kid",
            policy: doc(root, admin, {
              Effect: "Allow",
              Principal: { AWS: "444455556666" },
              Action: "kms:Decrypt",
              Resource: "*",
            }),
          },
        ),
      ],
      { config: [cfg("aws_kms_key_policy.p", { key_id: "aws_kms_key.k.id" })] },
    );
    expect(verdicts(p).blocked).toEqual(["key-policy-cross-account"]);
  });
});

describe("a new key's account", () => {
  const foreign = {
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::444455556666:role/partner" },
    Action: "kms:Decrypt",
    Resource: "*",
  };
  test("comes from the account whose root manages it, so another account's principal is blocked on create", () => {
    const r = classifyPlans([planOf([rc("aws_kms_key.k", ["create"], null, { policy: doc(root, admin, foreign) })])]);
    expect(r.blocked.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-policy-cross-account",
        "the key policy gives principals of another account rights they did not have: arn:aws:iam::444455556666:role/partner (gains kms:Decrypt) (the key belongs to 111122223333); they can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted",
      ],
    ]);
  });

  test("comes from the other resources of the plan when its policy has no account root", () => {
    const role = rc(
      "aws_iam_role.r",
      ["no-op"],
      { arn: `arn:aws:iam::${ACCT}:role/r` },
      { arn: `arn:aws:iam::${ACCT}:role/r` },
    );
    const r = classifyPlans([planOf([role, rc("aws_kms_key.k", ["create"], null, { policy: doc(admin, foreign) })])]);
    expect(r.blocked.map((f) => f.rule)).toEqual(["key-policy-cross-account"]);
  });

  test("an empty action list is named", async () => {
    const { checkPlanJson } = await import("../../../packages/plan-guard/read");
    const { problems } = checkPlanJson(
      { format_version: "1.2", resource_changes: [{ type: "aws_kms_key", name: "k", change: { actions: [] } }] },
      "p.json",
    );
    expect(problems).toEqual(["p.json: resource_changes[0].change.actions: expected at least one action"]);
  });
});
