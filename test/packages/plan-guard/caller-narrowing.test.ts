/**
 * Which conditions narrow `Principal: "*"` to known callers: the guard's explicit list of
 * caller-narrowing keys (policy.ts CALLER_NARROWING_KEYS) and operators, each verdict cross-checked
 * with @cloud-copilot/iam-simulate (test-only). A statement the guard calls narrowed must deny a
 * caller of an undeclared account, even when that caller sets every request key it controls
 * (service, encryption context, endpoint, transport) to what the statement asks; a statement it
 * calls public must let some outside caller in.
 */
import { ADMINISTRATOR_ACCESS, decide } from "../../helpers/policy-eval";
import { classifyPlans, parseAllowlist } from "@cmk-stacks/plan-guard";
import { CALLER_NARROWING_KEYS, parsePolicy, publicStatements } from "../../../packages/plan-guard/policy";
import { judgePolicy } from "../../../packages/plan-guard/rules/key-policy";
import { planOf, policy, rc } from "./builders";

const ACCT = "111122223333";
const OUTSIDER = "999988887777";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ROOT = {
  Sid: "Root",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCT}:root` },
  Action: "kms:*",
  Resource: "*",
};
const OUTSIDE_ROLE = `arn:aws:iam::${OUTSIDER}:role/intruder`;
/** What an outside role's requests say about it (IAM sets these; the caller cannot). */
const outsideIdentity = {
  "aws:PrincipalArn": OUTSIDE_ROLE,
  "aws:PrincipalAccount": OUTSIDER,
  "kms:CallerAccount": OUTSIDER,
  "aws:PrincipalOrgID": "o-zzz999yyy8",
  "aws:PrincipalOrgPaths": ["o-zzz999yyy8/r-zz99/ou-zz99-11111111/"],
  "aws:userid": "AROAOUTSIDER:s",
  "aws:username": "app",
  "aws:ResourceAccount": ACCT,
};
/** What the outside caller controls or can arrange: the service it goes through, the encryption context, its network path, its session. */
const outsideChoices = {
  "kms:ViaService": "ec2.eu-west-1.amazonaws.com",
  "kms:EncryptionContextKeys": ["app"],
  "aws:SecureTransport": "true",
  "aws:SourceVpce": "vpce-0123456789abcdef0",
  "aws:SourceVpc": "vpc-0123456789abcdef0",
  "aws:SourceIp": "10.0.0.1",
  "kms:GrantIsForAWSResource": "true",
  "aws:PrincipalTag/team": "keys",
  "aws:PrincipalTag/account": OUTSIDER,
  "aws:MultiFactorAuthPresent": "true",
};
/** A service acting for a resource of the outside account: no principal keys, its own source keys. */
const outsideService = {
  principal: "cloudwatch.amazonaws.com",
  context: {
    "aws:SourceAccount": OUTSIDER,
    "aws:SourceArn": `arn:aws:cloudwatch:eu-west-1:${OUTSIDER}:alarm:x`,
    "aws:SourceOrgID": "o-zzz999yyy8",
    "aws:ResourceAccount": ACCT,
    ...outsideChoices,
  },
};

type Case = [name: string, condition: Record<string, Record<string, unknown>>, verdict: "narrowed" | "public"];
const CASES: Case[] = [
  ["StringEquals kms:CallerAccount (the account)", { StringEquals: { "kms:CallerAccount": ACCT } }, "narrowed"],
  ["StringEquals aws:PrincipalAccount", { StringEquals: { "aws:PrincipalAccount": ACCT } }, "narrowed"],
  ["condition keys in any case (AWS:PRINCIPALACCOUNT)", { StringEquals: { "AWS:PRINCIPALACCOUNT": ACCT } }, "narrowed"],
  ["StringEqualsIgnoreCase Kms:CallerAccount", { StringEqualsIgnoreCase: { "Kms:CallerAccount": ACCT } }, "narrowed"],
  [
    "ForAnyValue:StringEquals on the single-valued aws:PrincipalAccount (false when absent)",
    { "ForAnyValue:StringEquals": { "aws:PrincipalAccount": ACCT } },
    "narrowed",
  ],
  [
    "ArnLike aws:PrincipalArn with the account written out",
    { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${ACCT}:role/app-*` } },
    "narrowed",
  ],
  ["ArnEquals aws:PrincipalArn", { ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${ACCT}:role/app` } }, "narrowed"],
  ["StringEquals aws:PrincipalOrgID", { StringEquals: { "aws:PrincipalOrgID": "o-abc123def4" } }, "narrowed"],
  [
    "ForAnyValue:StringLike aws:PrincipalOrgPaths under one organization",
    { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-abc123def4/r-ab12/ou-ab12-11111111/*" } },
    "narrowed",
  ],
  [
    "aws:PrincipalAccount = ${aws:ResourceAccount} (the key's own account)",
    { StringEquals: { "aws:PrincipalAccount": "${aws:ResourceAccount}" } },
    "narrowed",
  ],
  [
    "kms:ViaService with kms:CallerAccount (AWS's pattern)",
    { StringEquals: { "kms:ViaService": "ec2.eu-west-1.amazonaws.com", "kms:CallerAccount": ACCT } },
    "narrowed",
  ],
  // Keys that do not say who calls.
  ["kms:ViaService alone", { StringEquals: { "kms:ViaService": "ec2.eu-west-1.amazonaws.com" } }, "public"],
  ["encryption context keys", { "ForAnyValue:StringEquals": { "kms:EncryptionContextKeys": "app" } }, "public"],
  ["aws:SecureTransport", { Bool: { "aws:SecureTransport": "true" } }, "public"],
  ["kms:GrantIsForAWSResource (CreateGrant)", { Bool: { "kms:GrantIsForAWSResource": "true" } }, "public"],
  [
    "a VPC endpoint (aws:SourceVpce): the network path, not the caller",
    { StringEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } },
    "public",
  ],
  ["a VPC (aws:SourceVpc)", { StringEquals: { "aws:SourceVpc": "vpc-0123456789abcdef0" } }, "public"],
  ["aws:SourceIp", { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, "public"],
  ["aws:username (a user name exists in every account)", { StringEquals: { "aws:username": "app" } }, "public"],
  [
    "aws:userid (an id whose account the guard cannot read)",
    { StringLike: { "aws:userid": "AROAOUTSIDER:*" } },
    "public",
  ],
  ["aws:PrincipalTag", { StringEquals: { "aws:PrincipalTag/team": "keys" } }, "public"],
  ["aws:MultiFactorAuthPresent", { Bool: { "aws:MultiFactorAuthPresent": "true" } }, "public"],
  // Operators that do not narrow.
  [
    "StringNotEquals aws:PrincipalAccount (everyone but one account)",
    { StringNotEquals: { "aws:PrincipalAccount": "444455556666" } },
    "public",
  ],
  ["StringLike aws:PrincipalAccount *", { StringLike: { "aws:PrincipalAccount": "*" } }, "public"],
  ["StringLike kms:CallerAccount 1* (a wildcard account)", { StringLike: { "kms:CallerAccount": "9*" } }, "public"],
  ["Null aws:PrincipalAccount false (it exists)", { Null: { "aws:PrincipalAccount": "false" } }, "public"],
  [
    "a policy variable the guard cannot resolve",
    { StringEquals: { "aws:PrincipalAccount": "${aws:PrincipalTag/account}" } },
    "public",
  ],
  ["StringLike aws:PrincipalOrgID o-* ", { StringLike: { "aws:PrincipalOrgID": "o-*" } }, "public"],
];
/** Public only for callers without principal keys (a service acting for another account): IfExists and ForAllValues match an absent key. */
const SERVICE_ONLY: Case[] = [
  [
    "StringEqualsIfExists aws:PrincipalAccount (absent key matches)",
    { StringEqualsIfExists: { "aws:PrincipalAccount": ACCT } },
    "public",
  ],
  [
    "ForAllValues:StringEquals aws:PrincipalAccount (true when absent)",
    { "ForAllValues:StringEquals": { "aws:PrincipalAccount": ACCT } },
    "public",
  ],
];

const statementWith = (Condition: object) => ({
  Sid: "Open",
  Effect: "Allow",
  Principal: "*",
  Action: ["kms:Decrypt", "kms:CreateGrant"],
  Resource: "*",
  Condition,
});
const docWith = (Condition: object) => policy(ROOT, statementWith(Condition));
/** The evaluator's decision on Decrypt, or on CreateGrant for a grant condition key (absent from Decrypt). */
const evaluate = (principal: string, context: Record<string, string | string[]>, Condition: object) =>
  decide({
    principal,
    action: JSON.stringify(Condition).includes("kms:GrantIsForAWSResource") ? "kms:CreateGrant" : "kms:Decrypt",
    resource: KEY_ARN,
    resourceAccount: ACCT,
    context,
    identityPolicies: [ADMINISTRATOR_ACCESS],
    resourcePolicy: JSON.parse(docWith(Condition)),
  });

describe('the guard\'s verdict on Principal "*" under a condition', () => {
  test.each([...CASES, ...SERVICE_ONLY])("%s: %s", (_n, condition, verdict) => {
    const v = judgePolicy(docWith(condition), KEY_ARN);
    expect("error" in v ? v.error : v.public).toBe(verdict === "public");
  });

  test.each(CASES.filter((c) => c[2] === "narrowed"))(
    "%s: an outside caller is denied by the evaluator, whatever it sets",
    async (_n, condition) => {
      expect(await evaluate(OUTSIDE_ROLE, { ...outsideIdentity, ...outsideChoices }, condition)).not.toBe("Allowed");
      expect(await evaluate(outsideService.principal, outsideService.context, condition)).not.toBe("Allowed");
    },
  );

  test.each(CASES.filter((c) => c[2] === "public"))(
    "%s: an outside role is allowed by the evaluator",
    async (_n, condition) => {
      // The outside role sets what it controls; where the statement names a value of the caller's own (a user name, an id), it is one such caller.
      expect(await evaluate(OUTSIDE_ROLE, { ...outsideIdentity, ...outsideChoices }, condition)).toBe("Allowed");
    },
  );

  test.each(SERVICE_ONLY)(
    "%s: a service acting for an outside account is allowed by the evaluator",
    async (_n, condition) => {
      expect(await evaluate(OUTSIDE_ROLE, { ...outsideIdentity, ...outsideChoices }, condition)).not.toBe("Allowed");
      expect(await evaluate(outsideService.principal, outsideService.context, condition)).toBe("Allowed");
    },
  );

  test('aws:SourceAccount does not narrow Principal "*" (documented for service principals only): blocked as public', () => {
    // Conservative: the evaluator finds no outside caller (only services set the key), but AWS documents the
    // aws:Source* keys for statements naming a service principal; Principal "*" must pin the caller itself.
    expect(judgePolicy(docWith({ StringEquals: { "aws:SourceAccount": ACCT } }), KEY_ARN)).toMatchObject({
      public: true,
    });
  });

  test("operators are case-sensitive: a misspelt operator is unreadable (KMS would refuse it), never read as narrowing", () => {
    expect(judgePolicy(docWith({ stringequals: { "aws:PrincipalAccount": ACCT } }))).toEqual({
      error:
        "the key policy cannot be read: Statement[1].Condition.stringequals is not a condition operator (operators are case-sensitive: StringEquals, ArnLike, ForAnyValue:StringLike, BoolIfExists, Null, ...)",
    });
    expect(judgePolicy(docWith({ "foranyvalue:StringEquals": { "aws:PrincipalAccount": ACCT } }))).toMatchObject({
      error: expect.stringContaining("foranyvalue:StringEquals is not a condition operator"),
    });
  });

  test("one condition key written twice in different case is unreadable", () => {
    expect(
      judgePolicy(docWith({ StringEquals: { "aws:PrincipalAccount": ACCT, "AWS:PrincipalAccount": OUTSIDER } })),
    ).toEqual({
      error:
        "the key policy cannot be read: Statement[1].Condition.StringEquals.AWS:PrincipalAccount appears twice in one operator (condition keys are case-insensitive)",
    });
  });

  test("every caller-narrowing key has its AWS documentation link", () => {
    for (const [key, k] of Object.entries(CALLER_NARROWING_KEYS))
      expect([key, k.doc]).toEqual([
        key,
        expect.stringMatching(
          /^https:\/\/docs\.aws\.amazon\.com\/(.+#condition(s-kms-caller-account|-keys-[a-z]+)|AmazonCloudWatch\/latest\/logs\/encrypt-log-data-kms\.html)$/,
        ),
      ]);
    expect(Object.keys(CALLER_NARROWING_KEYS).sort()).toEqual([
      "aws:principalaccount",
      "aws:principalarn",
      "aws:principalorgid",
      "aws:principalorgpaths",
      "aws:sourceaccount",
      "aws:sourcearn",
      "aws:sourceorgid",
      "aws:sourceorgpaths",
      "kms:calleraccount",
      "kms:encryptioncontext:aws:logs:arn",
    ]);
  });
});

describe("service principals", () => {
  const svc = (Condition?: object) =>
    policy(ROOT, {
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      ...(Condition ? { Condition } : {}),
    });
  const keyCreate = (p: string) =>
    planOf([rc("aws_kms_key.k", ["update"], { arn: KEY_ARN, policy: policy(ROOT) }, { arn: KEY_ARN, policy: p })]);
  const rules = (p: string, allow?: ReturnType<typeof parseAllowlist>) => {
    const r = classifyPlans([keyCreate(p)], allow, { withoutGraph: true });
    return { blocked: r.blocked.map((f) => f.rule), risky: r.risky.map((f) => f.rule) };
  };

  test("narrowed by aws:SourceAccount/aws:SourceArn of the key's account: nothing to report but the change", () => {
    expect(
      rules(
        svc({
          StringEquals: { "aws:SourceAccount": ACCT },
          ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:eu-west-1:${ACCT}:alarm:kms-*` },
        }),
      ),
    ).toEqual({ blocked: [], risky: ["key-resource-change"] });
  });

  test("for another account's resources (aws:SourceAccount): blocked as that account gaining the key", () => {
    const r = classifyPlans([keyCreate(svc({ StringEquals: { "aws:SourceAccount": OUTSIDER } }))], undefined, {
      withoutGraph: true,
    });
    expect(r.blocked.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-policy-cross-account",
        `the key policy gives principals of another account rights they did not have: ${OUTSIDER} (gains kms:Decrypt, kms:GenerateDataKey*) (the key belongs to ${ACCT}); they can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted`,
      ],
    ]);
  });

  test("without a source condition: risky (confused deputy), not blocked", () => {
    expect(rules(svc())).toEqual({ blocked: [], risky: ["key-policy-service-unconfined"] });
  });

  test("aws:SourceOrgID of an undeclared organization is blocked; declared, it is shown", () => {
    expect(rules(svc({ StringEquals: { "aws:SourceOrgID": "o-abc123def4" } })).blocked).toEqual([
      "key-policy-cross-organization",
    ]);
    expect(
      rules(
        svc({ StringEquals: { "aws:SourceOrgID": "o-abc123def4" } }),
        parseAllowlist({
          allow: [],
          externalOrganizations: [{ organization: "o-abc123def4", reason: "group audit (#7)" }],
        }),
      ),
    ).toEqual({ blocked: [], risky: ["key-policy-external-organization-added"] });
  });
});

describe("the parsed form", () => {
  test("keeps condition keys in lower case and operators as written", () => {
    const p = parsePolicy(docWith({ StringEquals: { "AWS:PrincipalAccount": ACCT } }));
    expect("error" in p ? p : p.statements[1].conditions).toEqual([
      { operator: "StringEquals", key: "aws:principalaccount", values: [ACCT] },
    ]);
    expect("error" in p ? p : publicStatements(p.statements)).toEqual([]);
  });
});
