/**
 * The key policy builder alone: the new inputs change nothing when absent, and the policies they
 * build are evaluated by an independent IAM evaluator (test/helpers/policy-eval.ts).
 */
import {
  buildKeyPolicy,
  buildSigningKeyPolicy,
  type ExternalAccountAccess,
  type KeyPolicyForm,
} from "../../../modules/keys/key-policy";
import { ADMINISTRATOR_ACCESS, allowing, decide, type Decision, type PolicyDocument } from "../../helpers/policy-eval";

const ACCT = "111122223333";
const ADMIN = `arn:aws:iam::${ACCT}:role/KeyAdmin`;
const USER = `arn:aws:iam::${ACCT}:role/App`;
const WRITER = `arn:aws:iam::${ACCT}:role/Ingest`;
const READER = `arn:aws:iam::${ACCT}:role/Reporting`;
const PARTNER = "555555555555";
const GRANTS_ONLY = "666666666666";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const base = { partition: "aws", account: ACCT, administrators: [ADMIN], users: [USER] };

test("without the new inputs (absent or empty) the policy is what it was", () => {
  const before = JSON.stringify(buildKeyPolicy(base));
  expect(
    JSON.stringify(buildKeyPolicy({ ...base, encryptOnlyUsers: [], decryptOnlyUsers: [], externalAccounts: [] })),
  ).toBe(before);
  // The statements as they were before the inputs existed (the shipped prod keys are compared byte for byte by compare.sh).
  expect(JSON.parse(before).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
    "AccountRootKeepsAccess",
    "KeyAdministration",
    "AdministratorsCannotUseKey",
    "KeyUse",
    "KeyUseByAwsServicesThroughGrants",
    "UsersCannotManageKey",
  ]);
});

test("external accounts are named by their root, with use and grants in separate statements and no management", () => {
  const accounts: ExternalAccountAccess[] = [
    { account: PARTNER, allow: ["use", "grantsForAwsResources"] },
    { account: GRANTS_ONLY, allow: ["grantsForAwsResources"] },
  ];
  const doc = buildKeyPolicy({ ...base, externalAccounts: accounts });
  const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
  expect(bySid.ExternalAccountsUseKey).toEqual({
    Sid: "ExternalAccountsUseKey",
    Effect: "Allow",
    Principal: { AWS: [`arn:aws:iam::${PARTNER}:root`] },
    Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
    Resource: "*",
  });
  expect(bySid.ExternalAccountsGrantsForAwsResources).toEqual({
    Sid: "ExternalAccountsGrantsForAwsResources",
    Effect: "Allow",
    Principal: { AWS: [`arn:aws:iam::${PARTNER}:root`, `arn:aws:iam::${GRANTS_ONLY}:root`] },
    Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    Resource: "*",
    Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
  });
});

interface Row {
  who: string;
  principal: string;
  action: string;
  identity?: PolicyDocument[];
  context?: Record<string, string>;
  expected: Decision;
}
const FOR_AWS = { "kms:GrantIsForAWSResource": "true" };
const NOT_FOR_AWS = { "kms:GrantIsForAWSResource": "false" };

function rows(form: KeyPolicyForm): Row[] {
  const out: Row[] = [];
  const partnerRole = `arn:aws:iam::${PARTNER}:role/PartnerApp`;
  const grantsRole = `arn:aws:iam::${GRANTS_ONLY}:role/Ebs`;
  // The other account can use but not manage the key (its own IAM policy must allow the use too).
  for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:DescribeKey"]) {
    out.push({
      who: "partner role allowed by its IAM",
      principal: partnerRole,
      action,
      identity: [allowing(action)],
      expected: "Allowed",
    });
    out.push({ who: "partner role without IAM policy", principal: partnerRole, action, expected: "ImplicitlyDenied" });
    out.push({
      who: "grants-only account's role with AdministratorAccess",
      principal: grantsRole,
      action,
      identity: [ADMINISTRATOR_ACCESS],
      expected: "ImplicitlyDenied",
    });
  }
  for (const action of [
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:CancelKeyDeletion",
    "kms:UpdateKeyDescription",
    "kms:TagResource",
    "kms:CreateAlias",
  ]) {
    out.push({
      who: "partner role with AdministratorAccess",
      principal: partnerRole,
      action,
      identity: [ADMINISTRATOR_ACCESS],
      expected: "ImplicitlyDenied",
    });
  }
  // Grants only for AWS resources.
  for (const [who, role] of [
    ["partner role", partnerRole],
    ["grants-only account's role", grantsRole],
  ]) {
    out.push({
      who,
      principal: role,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      identity: [allowing("kms:CreateGrant")],
      expected: "Allowed",
    });
    out.push({
      who,
      principal: role,
      action: "kms:CreateGrant",
      context: NOT_FOR_AWS,
      identity: [ADMINISTRATOR_ACCESS],
      expected: "ImplicitlyDenied",
    });
    out.push({
      who: `${who}, no condition key`,
      principal: role,
      action: "kms:CreateGrant",
      identity: [ADMINISTRATOR_ACCESS],
      expected: "ImplicitlyDenied",
    });
  }
  // Encrypt-only cannot decrypt, decrypt-only cannot encrypt, even with AdministratorAccess.
  for (const action of [
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptTo",
    "kms:DescribeKey",
  ])
    out.push({ who: "encrypt-only", principal: WRITER, action, expected: "Allowed" });
  for (const action of ["kms:Decrypt", "kms:ReEncryptFrom", "kms:PutKeyPolicy"])
    out.push({
      who: "encrypt-only with AdministratorAccess",
      principal: WRITER,
      action,
      identity: [ADMINISTRATOR_ACCESS],
      expected: "ExplicitlyDenied",
    });
  out.push({
    who: "encrypt-only with AdministratorAccess (a grant could give it Decrypt)",
    principal: WRITER,
    action: "kms:CreateGrant",
    context: FOR_AWS,
    identity: [ADMINISTRATOR_ACCESS],
    expected: "ExplicitlyDenied",
  });
  for (const action of ["kms:Decrypt", "kms:ReEncryptFrom", "kms:DescribeKey"])
    out.push({ who: "decrypt-only", principal: READER, action, expected: "Allowed" });
  for (const action of [
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptTo",
    "kms:ScheduleKeyDeletion",
  ]) {
    out.push({
      who: "decrypt-only with AdministratorAccess",
      principal: READER,
      action,
      identity: [ADMINISTRATOR_ACCESS],
      expected: "ExplicitlyDenied",
    });
  }
  out.push({
    who: "decrypt-only with AdministratorAccess",
    principal: READER,
    action: "kms:CreateGrant",
    context: FOR_AWS,
    identity: [ADMINISTRATOR_ACCESS],
    expected: "ExplicitlyDenied",
  });
  // Full users are unchanged; administrators still manage (the key policy alone).
  out.push({ who: "full user", principal: USER, action: "kms:Decrypt", expected: "Allowed" });
  out.push({ who: "administrator", principal: ADMIN, action: "kms:PutKeyPolicy", expected: "Allowed" });
  out.push({
    who: `an unlisted identity of the account with AdministratorAccess (${form} form)`,
    principal: `arn:aws:iam::${ACCT}:role/Other`,
    action: "kms:Decrypt",
    identity: [ADMINISTRATOR_ACCESS],
    expected: form === "account" ? "Allowed" : "ImplicitlyDenied",
  });
  return out;
}

const symmetric = (form: KeyPolicyForm) =>
  buildKeyPolicy({
    ...base,
    form,
    encryptOnlyUsers: [WRITER],
    decryptOnlyUsers: [READER],
    externalAccounts: [
      { account: PARTNER, allow: ["use", "grantsForAwsResources"] },
      { account: GRANTS_ONLY, allow: ["grantsForAwsResources"] },
    ],
  }) as unknown as PolicyDocument;

const cases = (["account", "closed"] as const).flatMap((form) =>
  rows(form).map(
    (r) => [`${form}: ${r.who} ${r.action}${r.context ? ` ${JSON.stringify(r.context)}` : ""}`, form, r] as const,
  ),
);

test.each(cases)("%s", async (_label, form, r) => {
  expect(
    await decide({
      principal: r.principal,
      action: r.action,
      resource: KEY_ARN,
      resourceAccount: ACCT,
      context: r.context,
      identityPolicies: r.identity,
      resourcePolicy: symmetric(form),
    }),
  ).toBe(r.expected);
});

describe("signing keys", () => {
  const SIGNER = `arn:aws:iam::${ACCT}:role/Signer`;
  const VERIFIER = `arn:aws:iam::${ACCT}:role/Verifier`;
  const PUBLIC = `arn:aws:iam::${ACCT}:role/PublicKeyReader`;
  const signing = buildSigningKeyPolicy({
    partition: "aws",
    account: ACCT,
    administrators: [ADMIN],
    signers: [SIGNER],
    verifiers: [VERIFIER],
    publicKeyReaders: [PUBLIC],
    form: "closed",
  }) as unknown as PolicyDocument;
  const table: [string, string, Decision][] = [
    [SIGNER, "kms:Sign", "Allowed"],
    [SIGNER, "kms:Verify", "ImplicitlyDenied"],
    [SIGNER, "kms:Decrypt", "ImplicitlyDenied"],
    [SIGNER, "kms:Encrypt", "ImplicitlyDenied"],
    [SIGNER, "kms:GetPublicKey", "ImplicitlyDenied"],
    [VERIFIER, "kms:Verify", "Allowed"],
    [VERIFIER, "kms:Sign", "ImplicitlyDenied"],
    [VERIFIER, "kms:Decrypt", "ImplicitlyDenied"],
    [PUBLIC, "kms:GetPublicKey", "Allowed"],
    [PUBLIC, "kms:Sign", "ImplicitlyDenied"],
    [PUBLIC, "kms:Verify", "ImplicitlyDenied"],
    [ADMIN, "kms:PutKeyPolicy", "Allowed"],
    [ADMIN, "kms:Sign", "ExplicitlyDenied"],
  ];
  test.each(table)("%s %s: %s", async (principal, action, expected) => {
    expect(await decide({ principal, action, resource: KEY_ARN, resourceAccount: ACCT, resourcePolicy: signing })).toBe(
      expected,
    );
  });
  test.each([SIGNER, VERIFIER, PUBLIC])(
    "%s with AdministratorAccess still cannot manage the key",
    async (principal) => {
      expect(
        await decide({
          principal,
          action: "kms:ScheduleKeyDeletion",
          resource: KEY_ARN,
          resourceAccount: ACCT,
          identityPolicies: [ADMINISTRATOR_ACCESS],
          resourcePolicy: signing,
        }),
      ).toBe("ExplicitlyDenied");
    },
  );
  test("an administrator with AdministratorAccess still cannot sign", async () => {
    expect(
      await decide({
        principal: ADMIN,
        action: "kms:Sign",
        resource: KEY_ARN,
        resourceAccount: ACCT,
        identityPolicies: [ADMINISTRATOR_ACCESS],
        resourcePolicy: signing,
      }),
    ).toBe("ExplicitlyDenied");
  });
});

describe("keyPolicyProblems: what a key construct refuses, all at once", () => {
  test("the key's own account, a malformed id, a repeat, an empty use list, a principal in two roles", async () => {
    const { keyPolicyProblems } = await import("../../../modules/keys/key-policy");
    expect(
      keyPolicyProblems("test/key-app", {
        ...base,
        encryptOnlyUsers: [WRITER, USER.toLowerCase()],
        decryptOnlyUsers: [WRITER],
        externalAccounts: [
          { account: ACCT, allow: ["use"] },
          { account: "5555", allow: ["use"] },
          { account: PARTNER, allow: ["use"] },
          { account: PARTNER, allow: [] },
        ],
      }),
    ).toEqual([
      'test/key-app.externalAccounts.0.account: "111122223333" is not allowed (the key\'s own account: list its principals in users, KMS key policies)',
      'test/key-app.externalAccounts.1.account: "5555" is not allowed (a 12-digit AWS account id)',
      'test/key-app.externalAccounts.3.account: "555555555555" is not allowed (listed once per key)',
      "test/key-app.externalAccounts.3.allow: [] is not allowed (at least one of use, grantsForAwsResources)",
      `test/key-app.encryptOnlyUsers: "${USER.toLowerCase()}" is not allowed (also in users: one role per principal, separation of duties)`,
      `test/key-app.decryptOnlyUsers: "${WRITER}" is not allowed (also in encryptOnlyUsers: one role per principal, separation of duties)`,
    ]);
    expect(keyPolicyProblems("k", { ...base, externalAccounts: [{ account: PARTNER, allow: ["use"] }] })).toEqual([]);
  });

  test("principals of other accounts: never administrators; users only from an account allowed 'use'; service roles in no role denied what they need", async () => {
    const { keyPolicyProblems } = await import("../../../modules/keys/key-policy");
    const SLR = `arn:aws:iam::${ACCT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    expect(
      keyPolicyProblems("test/key-app", {
        ...base,
        administrators: [ADMIN, `arn:aws:iam::${PARTNER}:role/KeyAdmin`],
        users: [USER, `arn:aws:iam::${PARTNER}:role/Analytics`, `arn:aws:iam::999999999999:role/Stranger`],
        decryptOnlyUsers: [`arn:aws:iam::${GRANTS_ONLY}:role/Reader`],
        encryptOnlyUsers: [SLR],
        serviceRoles: [SLR],
        externalAccounts: [
          { account: PARTNER, allow: ["use"] },
          { account: GRANTS_ONLY, allow: ["grantsForAwsResources"] },
        ],
      }),
    ).toEqual([
      `test/key-app.administrators.1: "arn:aws:iam::${PARTNER}:role/KeyAdmin" is not allowed (a principal of the key's account ${ACCT}: key administration works only there, and another account never manages the key, KMS key policies)`,
      `test/key-app.users.2: "arn:aws:iam::999999999999:role/Stranger" is not allowed (a principal of the key's account ${ACCT}, or of an account in externalAccounts allowed 'use' (999999999999 is not), KMS key policies)`,
      `test/key-app.decryptOnlyUsers.0: "arn:aws:iam::${GRANTS_ONLY}:role/Reader" is not allowed (a principal of the key's account ${ACCT}, or of an account in externalAccounts allowed 'use' (${GRANTS_ONLY} is not), KMS key policies)`,
      `test/key-app.encryptOnlyUsers.0: "${SLR}" is not allowed (also in serviceRoles: encryptOnlyUsers are denied Decrypt, GenerateDataKey* or CreateGrant, which the service needs, key policy: separation of duties)`,
    ]);
  });

  test("CustomerKey refuses its own account as an external account, in the construct format", async () => {
    const { Testing } = await import("cdktf");
    const { EnvironmentStack } = await import("../../../modules/core/environment-stack");
    const { CustomerKey } = await import("../../../modules/keys/customer-key");
    const stack = new EnvironmentStack(Testing.app(), "test", { name: "test", account: ACCT, region: "eu-west-1" });
    expect(
      () =>
        new CustomerKey(stack, "key-app", {
          alias: "alias/app",
          administrators: [ADMIN],
          users: [USER],
          externalAccounts: [{ account: ACCT, allow: ["use"] }],
        }),
    ).toThrow(
      'test/key-app.externalAccounts.0.account: "111122223333" is not allowed (the key\'s own account: list its principals in users, KMS key policies)',
    );
  });

  test("CustomerKey passes the new inputs to its policy", async () => {
    const { Testing } = await import("cdktf");
    const { EnvironmentStack } = await import("../../../modules/core/environment-stack");
    const { CustomerKey } = await import("../../../modules/keys/customer-key");
    const stack = new EnvironmentStack(Testing.app(), "test", { name: "test", account: ACCT, region: "eu-west-1" });
    const key = new CustomerKey(stack, "key-app", {
      alias: "alias/app",
      administrators: [ADMIN],
      users: [USER],
      encryptOnlyUsers: [WRITER],
      decryptOnlyUsers: [READER],
      externalAccounts: [{ account: PARTNER, allow: ["use"] }],
    });
    const json = JSON.parse(Testing.synth(stack)) as { resource: { aws_kms_key: Record<string, { policy: string }> } };
    const policy = Object.values(json.resource.aws_kms_key)[0].policy;
    expect(policy).toBe(
      JSON.stringify(
        buildKeyPolicy({
          ...base,
          encryptOnlyUsers: [WRITER],
          decryptOnlyUsers: [READER],
          externalAccounts: [{ account: PARTNER, allow: ["use"] }],
        }),
      ),
    );
    expect(key.name).toBe("key-app");
  });
});

describe("why some roles on one key contradict each other (the refused pairs, evaluated)", () => {
  const IMPORTER = `arn:aws:iam::${ACCT}:role/Custodians`;
  const SLR = `arn:aws:iam::${ACCT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
  /** The policy as ImportedKey builds it, with the importer also in `props` (what validation refuses). */
  const withImporter = (props: Record<string, unknown>) => {
    const doc = buildKeyPolicy({ ...base, ...props });
    doc.Statement.push({
      Sid: "KeyMaterialImport",
      Effect: "Allow",
      Principal: { AWS: [IMPORTER] },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ImportKeyMaterial"],
      Resource: "*",
    });
    return doc as unknown as PolicyDocument;
  };
  const ask = (principal: string, action: string, resourcePolicy: PolicyDocument, context?: Record<string, string>) =>
    decide({ principal, action, resource: KEY_ARN, resourceAccount: ACCT, context, resourcePolicy });

  test("an importer who is encrypt-only is denied the Decrypt that ends the import; decrypt-only, the Encrypt", async () => {
    expect(await ask(IMPORTER, "kms:Decrypt", withImporter({ encryptOnlyUsers: [IMPORTER] }))).toBe("ExplicitlyDenied");
    expect(await ask(IMPORTER, "kms:Encrypt", withImporter({ decryptOnlyUsers: [IMPORTER] }))).toBe("ExplicitlyDenied");
    // Alone, the importer has both.
    expect(await ask(IMPORTER, "kms:Decrypt", withImporter({}))).toBe("Allowed");
    expect(await ask(IMPORTER, "kms:Encrypt", withImporter({}))).toBe("Allowed");
  });

  test("a service-linked role that is encrypt-only, decrypt-only or an administrator is denied what the service needs; one that is also a user is not", async () => {
    const grant = { "kms:GrantIsForAWSResource": "true" };
    expect(
      await ask(
        SLR,
        "kms:Decrypt",
        buildKeyPolicy({ ...base, serviceRoles: [SLR], encryptOnlyUsers: [SLR] }) as unknown as PolicyDocument,
      ),
    ).toBe("ExplicitlyDenied");
    expect(
      await ask(
        SLR,
        "kms:GenerateDataKeyWithoutPlaintext",
        buildKeyPolicy({ ...base, serviceRoles: [SLR], decryptOnlyUsers: [SLR] }) as unknown as PolicyDocument,
      ),
    ).toBe("ExplicitlyDenied");
    expect(
      await ask(
        SLR,
        "kms:CreateGrant",
        buildKeyPolicy({ ...base, serviceRoles: [SLR], administrators: [ADMIN, SLR] }) as unknown as PolicyDocument,
        grant,
      ),
    ).toBe("ExplicitlyDenied");
    const asUser = buildKeyPolicy({ ...base, serviceRoles: [SLR], users: [USER, SLR] }) as unknown as PolicyDocument;
    for (const action of ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext"])
      expect(await ask(SLR, action, asUser)).toBe("Allowed");
    expect(await ask(SLR, "kms:CreateGrant", asUser, grant)).toBe("Allowed");
  });
});
