/**
 * Validation of keys shared with other accounts, encrypt-only/decrypt-only users and signing keys:
 * every message exactly, and the resolved configuration.
 */
import { environments } from "../../../environments";
import { resolveEnvironment } from "../../../environments/resolve";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { variant } from "../../helpers/synth";

const { dev, staging } = environments;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });
const CROSS =
  "KMS: allowing users in other accounts to use a KMS key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html)";
const SIGNER = "arn:aws:iam::222222222222:role/ReleaseSigner";

const cases: [string, EnvironmentConfig, Record<string, unknown>, string[]][] = [
  [
    "the key's own account as an external account",
    staging,
    { "keys.records.externalAccounts": [{ account: "222222222222" }] },
    [
      `environments.staging.keys.records.externalAccounts.0.account: "222222222222" is not allowed (another account than this environment's (222222222222), whose own principals are listed in users, ${CROSS})`,
    ],
  ],
  [
    "a malformed account id",
    staging,
    { "keys.records.externalAccounts": [{ account: "5555-5555-5555" }] },
    [
      `environments.staging.keys.records.externalAccounts.0.account: "5555-5555-5555" is not allowed (a 12-digit AWS account id, AWS account ids: 12 digits)`,
    ],
  ],
  [
    "an account listed twice",
    staging,
    {
      "keys.records.externalAccounts": [
        { account: "555555555555" },
        { account: "555555555555", allow: ["grantsForAwsResources"] },
      ],
    },
    [
      `environments.staging.keys.records.externalAccounts.1.account: "555555555555" is not allowed (an account listed once for this key, ${CROSS})`,
    ],
  ],
  [
    "an empty allow list",
    staging,
    { "keys.records.externalAccounts": [{ account: "555555555555", allow: [] }] },
    [
      `environments.staging.keys.records.externalAccounts.0.allow: [] is not allowed (a non-empty list of distinct 'use', 'grantsForAwsResources', ${CROSS})`,
    ],
  ],
  [
    "an unknown use (no key management for other accounts)",
    staging,
    { "keys.records.externalAccounts": [{ account: "555555555555", allow: ["manage"] }] },
    [
      `environments.staging.keys.records.externalAccounts.0.allow.0: "manage" is not allowed ('use' or 'grantsForAwsResources', ${CROSS})`,
    ],
  ],
  [
    "an encrypt-only user who is also a full user",
    dev,
    { "keys.appData.encryptOnlyUsers": ["arn:aws:iam::111111111111:role/appdatawriters"] },
    [
      'environments.dev.keys.appData.encryptOnlyUsers.0: "arn:aws:iam::111111111111:role/appdatawriters" is not allowed (a principal not also in users of this key (one role per principal), key policy: separation of duties)',
    ],
  ],
  [
    "a principal both encrypt-only and decrypt-only",
    dev,
    { "keys.appData.decryptOnlyUsers": ["arn:aws:iam::111111111111:role/AppDataIngest"] },
    [
      'environments.dev.keys.appData.decryptOnlyUsers.0: "arn:aws:iam::111111111111:role/AppDataIngest" is not allowed (a principal not also in encryptOnlyUsers of this key (one role per principal), key policy: separation of duties)',
    ],
  ],
  [
    "a decrypt-only user that is not an IAM ARN",
    dev,
    { "keys.appData.decryptOnlyUsers": ["AppDataReaders"] },
    [
      'environments.dev.keys.appData.decryptOnlyUsers.0: "AppDataReaders" is not allowed (an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), IAM ARNs)',
    ],
  ],
  [
    "a signing key in the external key store",
    staging,
    { "signingKeys.releases.store": "xks" },
    [
      "environments.staging.signingKeys.releases.store: \"xks\" is not allowed ('aws-kms' (custom key stores hold only symmetric encryption keys), KMS: only symmetric encryption keys can be created in a custom key store (https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-compare.html))",
    ],
  ],
  [
    "a signing key in a CloudHSM key store",
    staging,
    { "signingKeys.releases.store": "cloudhsm" },
    [
      "environments.staging.signingKeys.releases.store: \"cloudhsm\" is not allowed ('aws-kms' (custom key stores hold only symmetric encryption keys), KMS: only symmetric encryption keys can be created in a custom key store (https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-compare.html))",
    ],
  ],
  [
    "a symmetric spec for a signing key",
    staging,
    { "signingKeys.releases.keySpec": "SYMMETRIC_DEFAULT" },
    [
      'environments.staging.signingKeys.releases.keySpec: "SYMMETRIC_DEFAULT" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, KMS CreateKey KeySpec for SIGN_VERIFY keys (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html))',
    ],
  ],
  [
    "a bucket encrypted with a signing key",
    staging,
    { "data.buckets.records.key": "releases" },
    [
      'environments.staging.data.buckets.records.key: "releases" is not allowed (the name of a key in keys (records, volumes, archive, audit); "releases" is a signing key (SIGN_VERIFY), and S3, EBS and FSx encrypt only with symmetric encryption keys, S3 SSE-KMS)',
    ],
  ],
  [
    "EBS default encryption with a signing key",
    staging,
    { "data.ebs.key": "releases" },
    [
      'environments.staging.data.ebs.key: "releases" is not allowed (the name of a key in keys (records, volumes, archive, audit); "releases" is a signing key (SIGN_VERIFY), and S3, EBS and FSx encrypt only with symmetric encryption keys, EC2 ModifyEbsDefaultKmsKeyId)',
    ],
  ],
  [
    "a signing key nobody may use",
    staging,
    {
      "signingKeys.releases.signers": [],
      "signingKeys.releases.verifiers": [],
      "signingKeys.releases.publicKeyReaders": [],
    },
    [
      "environments.staging.signingKeys.releases.signers: (missing) is not allowed (at least one principal in signers, verifiers or publicKeyReaders, key policy: a key nobody may use)",
    ],
  ],
  [
    "an administrator who signs",
    staging,
    { "signingKeys.releases.signers": ["arn:aws:iam::222222222222:role/KeyAdministrators"] },
    [
      'environments.staging.signingKeys.releases.signers.0: "arn:aws:iam::222222222222:role/KeyAdministrators" is not allowed (a principal not also in administrators of this key (one role per principal), key policy: separation of duties)',
    ],
  ],
  [
    "a signer who also verifies",
    staging,
    { "signingKeys.releases.verifiers": [SIGNER] },
    [
      `environments.staging.signingKeys.releases.verifiers.0: "${SIGNER}" is not allowed (a principal not also in signers of this key (one role per principal), key policy: separation of duties)`,
    ],
  ],
  [
    "a signing key alias taken by a key",
    staging,
    { "signingKeys.releases.alias": "alias/staging/ebs" },
    [
      'environments.staging.signingKeys.releases.alias: "alias/staging/ebs" is not allowed (an alias no other key or signing key uses, KMS CreateAlias: alias names are unique per account and Region)',
    ],
  ],
  [
    "a signing key named like a key",
    staging,
    { signingKeys: { volumes: staging.signingKeys?.releases } },
    [
      'environments.staging.signingKeys.volumes: "volumes" is not allowed (a name no key in keys uses, consumers name keys by these names)',
    ],
  ],
  [
    "a 45-day deletion window",
    staging,
    { "signingKeys.releases.deletionWindowDays": 45 },
    [
      "environments.staging.signingKeys.releases.deletionWindowDays: 45 is not allowed (7-30 days, KMS ScheduleKeyDeletion)",
    ],
  ],
];

test("the shipped environments validate", () => {
  expect(validationMessages(environments)).toEqual([]);
});

describe("fails when", () => {
  test.each(cases)("%s", (_title, base, changes, expected) => {
    expect(messagesFor(variant(base, changes))).toEqual(expected);
  });
});

test("resolution: externalAccounts allow defaults to use; role lists appear only when configured", () => {
  const env = resolveEnvironment(variant(staging, { "keys.records.externalAccounts": [{ account: "555555555555" }] }));
  expect(env.keys.records.externalAccounts).toEqual([{ account: "555555555555", allow: ["use"] }]);
  expect(env.keys.volumes).not.toHaveProperty("externalAccounts");
  expect(env.keys.volumes).not.toHaveProperty("encryptOnlyUsers");
  expect(resolveEnvironment(dev).keys.appData.encryptOnlyUsers).toEqual([
    "arn:aws:iam::111111111111:role/AppDataIngest",
  ]);
  expect(resolveEnvironment(staging).signingKeys?.releases).toEqual({
    alias: "alias/staging/releases",
    description: "Signing key releases (staging)",
    keySpec: "ECC_NIST_P256",
    deletionWindowDays: 30,
    administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
    signers: [SIGNER],
    verifiers: ["arn:aws:iam::222222222222:role/DeployVerifier"],
    publicKeyReaders: ["arn:aws:iam::222222222222:role/Auditors"],
    policy: "account",
  });
  expect(resolveEnvironment(dev)).not.toHaveProperty("signingKeys");
});
