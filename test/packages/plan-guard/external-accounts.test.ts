/**
 * Keys shared with other accounts on purpose: the guard blocks a key policy that newly grants
 * another account something unless the allowlist declares that account (`externalAccounts`), shows
 * the declared ones for review, and reports an account losing every right as risky. Plans are the
 * real corpus plan `test_kms_key_rotation_success` (Terraform 0.12, a new aws_kms_key), with its key
 * given the policies modules/keys/key-policy.ts builds.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildKeyPolicy } from "../../../modules/keys/key-policy";
import {
  classifyPlans,
  parseAllowlist,
  renderSummary,
  type JsonValue,
  type LoadedPlan,
  type PlanJson,
  type ResourceChange,
} from "@cmk-stacks/plan-guard";

const CORPUS = process.env.CMK_PLAN_CORPUS ?? "/work/shared/corpora/terraform-plans";
const FILE = join(CORPUS, "terraform-compliance", "test_kms_key_rotation_success__plan.out.json");
const t = existsSync(FILE) ? test : test.skip;

const ACCT = "111122223333";
const PARTNER = "555555555555";
const OTHER = "444455556666";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const base = {
  partition: "aws",
  account: ACCT,
  administrators: [`arn:aws:iam::${ACCT}:role/KeyAdmin`],
  users: [`arn:aws:iam::${ACCT}:role/app`],
};
const unshared = JSON.stringify(buildKeyPolicy(base));
const shared = (...accounts: string[]) =>
  JSON.stringify(
    buildKeyPolicy({
      ...base,
      externalAccounts: accounts.map((account) => ({ account, allow: ["use", "grantsForAwsResources"] as const })),
    }),
  );

/** The corpus plan with its key created (or updated from `before`) under the given policy. */
function corpusPlan(after: string, before?: string): LoadedPlan {
  const plan = JSON.parse(readFileSync(FILE, "utf8")) as PlanJson;
  const key = plan.resource_changes?.find((r) => r.type === "aws_kms_key") as ResourceChange;
  const values = key.change.after as Record<string, unknown>;
  // The corpus key's policy was unknown at plan time; here it is the one the module builds.
  const { policy: _unknown, ...stillUnknown } = (key.change.after_unknown ?? {}) as Record<string, JsonValue>;
  key.change.after_unknown = before === undefined ? stillUnknown : {};
  if (before === undefined) key.change.after = { ...values, policy: after };
  else {
    key.change.actions = ["update"];
    key.change.before = { ...values, arn: KEY_ARN, key_id: "1234abcd-12ab-34cd-56ef-1234567890ab", policy: before };
    key.change.after = { ...values, arn: KEY_ARN, key_id: "1234abcd-12ab-34cd-56ef-1234567890ab", policy: after };
  }
  return { stack: "staging-keys", plan };
}

const declare = (...entries: object[]) => parseAllowlist({ allow: [], externalAccounts: entries });
const verdict = (p: LoadedPlan, allow?: ReturnType<typeof declare>) => {
  const r = classifyPlans([p], allow, { withoutGraph: true });
  return {
    exit: r.exitCode,
    blocked: r.blocked.map((f) => `${f.rule}: ${f.why}`),
    risky: r.risky.filter((f) => f.rule.startsWith("key-policy")).map((f) => `${f.rule}: ${f.why}`),
  };
};

describe("an account added to a key policy", () => {
  t("is blocked when the allowlist does not declare it", () => {
    expect(verdict(corpusPlan(shared(PARTNER)))).toEqual({
      exit: 1,
      blocked: [
        `key-policy-cross-account: the key policy gives principals of another account rights they did not have: arn:aws:iam::${PARTNER}:root (gains kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey*, kms:ReEncrypt*, kms:CreateGrant, kms:ListGrants, kms:RevokeGrant) (the key belongs to ${ACCT}); they can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted`,
      ],
      risky: [],
    });
  });

  t("is shown, not blocked, when the allowlist declares it for the stack", () => {
    const r = verdict(
      corpusPlan(shared(PARTNER)),
      declare({ account: PARTNER, stack: "staging-keys", reason: "analytics account (#42)" }),
    );
    expect(r).toEqual({
      exit: 0,
      blocked: [],
      risky: [
        `key-policy-external-account-added: the key policy newly lets declared external accounts use the key: arn:aws:iam::${PARTNER}:root (gains kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey*, kms:ReEncrypt*, kms:CreateGrant, kms:ListGrants, kms:RevokeGrant) (declared in the allowlist's externalAccounts, ${PARTNER}: analytics account (#42))`,
      ],
    });
  });

  t("the summary shows the declared account in the review table", () => {
    const r = classifyPlans(
      [corpusPlan(shared(PARTNER))],
      declare({ account: PARTNER, reason: "analytics account (#42)" }),
      { withoutGraph: true },
    );
    expect(renderSummary(r)).toContain(
      `| staging-keys | <code>aws_kms_key.test-key</code> | create | the key policy newly lets declared external accounts use the key: arn:aws:iam::${PARTNER}:root (gains kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey&#42;, kms:ReEncrypt&#42;, kms:CreateGrant, kms:ListGrants, kms:RevokeGrant) (declared in the allowlist's externalAccounts, ${PARTNER}: analytics account (&#35;&#8203;42))`,
    );
  });

  t("is still blocked when declared for another stack only", () => {
    expect(
      verdict(corpusPlan(shared(PARTNER)), declare({ account: PARTNER, stack: "prod-keys", reason: "prod only" }))
        .blocked,
    ).toHaveLength(1);
  });

  t("blocks the undeclared account and shows the declared one when both are added", () => {
    const r = verdict(corpusPlan(shared(PARTNER, OTHER)), declare({ account: PARTNER, reason: "analytics" }));
    expect(r.exit).toBe(1);
    expect(r.blocked).toEqual([
      `key-policy-cross-account: the key policy gives principals of another account rights they did not have: arn:aws:iam::${OTHER}:root (gains kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey*, kms:ReEncrypt*, kms:CreateGrant, kms:ListGrants, kms:RevokeGrant) (the key belongs to ${ACCT}); they can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted`,
    ]);
    expect(r.risky).toEqual([
      expect.stringMatching(new RegExp(`^key-policy-external-account-added: .*arn:aws:iam::${PARTNER}:root \\(`)),
    ]);
  });

  t("an account already in the policy is not reported again", () => {
    expect(verdict(corpusPlan(shared(PARTNER), shared(PARTNER)))).toEqual({ exit: 0, blocked: [], risky: [] });
  });
});

describe("an account removed from a key policy", () => {
  t("is risky: its data under the key becomes unreadable to it", () => {
    expect(verdict(corpusPlan(unshared, shared(PARTNER)))).toEqual({
      exit: 0,
      blocked: [],
      risky: [
        `key-policy-external-account-removed: accounts that lose every right on the key: ${PARTNER}; what they encrypted under it becomes unreadable to them`,
      ],
    });
  });

  t("keeping one of two accounts reports only the one removed", () => {
    expect(
      verdict(corpusPlan(shared(PARTNER), shared(PARTNER, OTHER)), declare({ account: PARTNER, reason: "analytics" }))
        .risky,
    ).toEqual([
      `key-policy-external-account-removed: accounts that lose every right on the key: ${OTHER}; what they encrypted under it becomes unreadable to them`,
    ]);
  });
});

describe("the allowlist's externalAccounts", () => {
  test.each([
    [{ allow: [], externalAccounts: {} }, "a.json: externalAccounts must be a list"],
    [
      { allow: [], externalAccounts: [{ account: "5555", reason: "r" }] },
      "a.json: externalAccounts[0].account must be a 12-digit account id",
    ],
    [
      { allow: [], externalAccounts: [{ account: PARTNER }] },
      `a.json: externalAccounts[0] (${PARTNER}) has no reason: say why this account may use the keys`,
    ],
    [
      { allow: [], externalAccounts: [{ account: PARTNER, reason: "r", keys: "x" }] },
      "a.json: externalAccounts[0] has unknown field(s) keys (allowed: account, stack, reason, expires)",
    ],
    [
      { allow: [], externalAccounts: [{ account: PARTNER, reason: "r", stack: "" }] },
      "a.json: externalAccounts[0].stack must be a non-empty string when given",
    ],
    [
      { allow: [], external: [] },
      "a.json: unknown field(s) external (allowed: allow, externalAccounts, externalOrganizations)",
    ],
  ])("%j is refused", (doc, message) => {
    expect(() => parseAllowlist(doc, "a.json")).toThrow(message);
  });
});
