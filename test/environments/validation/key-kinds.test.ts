/**
 * Key kinds beyond symmetric encryption and RSA/ECC signing: HMAC keys (macKeys), the signing key
 * specs KMS offers that the planning provider does not accept yet (ML-DSA, Ed25519), and every
 * kind other than a symmetric encryption key refused in a custom key store. Every message exactly,
 * and the resolved configuration.
 */
import { environments } from "../../../environments";
import { resolveEnvironment } from "../../../environments/resolve";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { variant } from "../../helpers/synth";

const { dev, staging } = environments;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });

const cases: [string, EnvironmentConfig, Record<string, unknown>, string[]][] = [
  [
    "ML_DSA_44: KMS offers it, the planning provider 5.100 rejects it",
    staging,
    { "signingKeys.releases.keySpec": "ML_DSA_44" },
    [
      'environments.staging.signingKeys.releases.keySpec: "ML_DSA_44" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1; KMS offers ML_DSA_44 but the AWS provider 5.100.0 that npm run validate plans with rejects it (the provider accepts it from 6.1.0), KMS CreateKey KeySpec for SIGN_VERIFY keys (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html))',
    ],
  ],
  [
    "ML_DSA_65: refused with the provider version that accepts it",
    staging,
    { "signingKeys.releases.keySpec": "ML_DSA_65" },
    [
      'environments.staging.signingKeys.releases.keySpec: "ML_DSA_65" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1; KMS offers ML_DSA_65 but the AWS provider 5.100.0 that npm run validate plans with rejects it (the provider accepts it from 6.1.0), KMS CreateKey KeySpec for SIGN_VERIFY keys (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html))',
    ],
  ],
  [
    "ML_DSA_87: refused with the provider version that accepts it",
    staging,
    { "signingKeys.releases.keySpec": "ML_DSA_87" },
    [
      'environments.staging.signingKeys.releases.keySpec: "ML_DSA_87" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1; KMS offers ML_DSA_87 but the AWS provider 5.100.0 that npm run validate plans with rejects it (the provider accepts it from 6.1.0), KMS CreateKey KeySpec for SIGN_VERIFY keys (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html))',
    ],
  ],
  [
    "ECC_NIST_EDWARDS25519 (Ed25519): refused with the provider version that accepts it",
    staging,
    { "signingKeys.releases.keySpec": "ECC_NIST_EDWARDS25519" },
    [
      'environments.staging.signingKeys.releases.keySpec: "ECC_NIST_EDWARDS25519" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1; KMS offers ECC_NIST_EDWARDS25519 but the AWS provider 5.100.0 that npm run validate plans with rejects it (the provider accepts it from 6.21.0), KMS CreateKey KeySpec for SIGN_VERIFY keys (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html))',
    ],
  ],
  [
    "an HMAC spec for a signing key",
    staging,
    { "signingKeys.releases.keySpec": "HMAC_256" },
    [
      'environments.staging.signingKeys.releases.keySpec: "HMAC_256" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, KMS CreateKey KeySpec for SIGN_VERIFY keys (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html))',
    ],
  ],
  [
    "an HMAC key in a CloudHSM key store",
    staging,
    {
      "macKeys.m": {
        alias: "alias/s/m",
        store: "cloudhsm",
        administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
        macGenerators: ["arn:aws:iam::222222222222:role/G"],
      },
    },
    [
      "environments.staging.macKeys.m.store: \"cloudhsm\" is not allowed ('aws-kms' (custom key stores hold only symmetric encryption keys), KMS: only symmetric encryption keys can be created in a custom key store (https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-compare.html))",
    ],
  ],
  [
    "an HMAC key in an external key store",
    dev,
    { "macKeys.webhooks.store": "xks" },
    [
      "environments.dev.macKeys.webhooks.store: \"xks\" is not allowed ('aws-kms' (custom key stores hold only symmetric encryption keys), KMS: only symmetric encryption keys can be created in a custom key store (https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-compare.html))",
    ],
  ],
  [
    "an HMAC spec KMS does not offer",
    dev,
    { "macKeys.webhooks.keySpec": "HMAC_128" },
    [
      'environments.dev.macKeys.webhooks.keySpec: "HMAC_128" is not allowed (HMAC_224, HMAC_256, HMAC_384, HMAC_512, KMS CreateKey KeySpec for GENERATE_VERIFY_MAC keys (https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html))',
    ],
  ],
  [
    "an asymmetric spec for an HMAC key",
    dev,
    { "macKeys.webhooks.keySpec": "RSA_2048" },
    [
      'environments.dev.macKeys.webhooks.keySpec: "RSA_2048" is not allowed (HMAC_224, HMAC_256, HMAC_384, HMAC_512, KMS CreateKey KeySpec for GENERATE_VERIFY_MAC keys (https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html))',
    ],
  ],
  [
    "an HMAC key nobody may use",
    dev,
    { "macKeys.webhooks.macGenerators": undefined, "macKeys.webhooks.macVerifiers": [] },
    [
      "environments.dev.macKeys.webhooks.macGenerators: (missing) is not allowed (at least one principal in macGenerators or macVerifiers, key policy: a key nobody may use)",
    ],
  ],
  [
    "an HMAC key without administrators",
    dev,
    { "macKeys.webhooks.administrators": [] },
    [
      "environments.dev.macKeys.webhooks.administrators: [] is not allowed (at least one IAM role or user ARN, key policy: separation of duties)",
    ],
  ],
  [
    "an administrator who also generates MACs",
    dev,
    { "macKeys.webhooks.macGenerators": ["arn:aws:iam::111111111111:role/KeyAdministrators"] },
    [
      'environments.dev.macKeys.webhooks.macGenerators.0: "arn:aws:iam::111111111111:role/KeyAdministrators" is not allowed (a principal not also in administrators of this key (one role per principal), key policy: separation of duties)',
    ],
  ],
  [
    "a MAC verifier of another account",
    dev,
    { "macKeys.webhooks.macVerifiers": ["arn:aws:iam::999999999999:role/WebhookGateway"] },
    [
      'environments.dev.macKeys.webhooks.macVerifiers.0: "arn:aws:iam::999999999999:role/WebhookGateway" is not allowed (a principal of this environment\'s account (111111111111): HMAC keys are not shared with other accounts (they have no externalAccounts), KMS: allowing users in other accounts to use a KMS key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html))',
    ],
  ],
  [
    "an HMAC key alias a key already uses",
    dev,
    { "macKeys.webhooks.alias": "alias/dev/app-data" },
    [
      'environments.dev.macKeys.webhooks.alias: "alias/dev/app-data" is not allowed (an alias no other key, signing key or HMAC key uses, KMS CreateAlias: alias names are unique per account and Region)',
    ],
  ],
  [
    "an HMAC key alias that is another key's extra alias",
    dev,
    { "macKeys.webhooks.alias": "alias/dev/uploads" },
    [
      'environments.dev.keys.appData.aliases.0: "alias/dev/uploads" is not allowed (an alias no other key or alias uses (also at macKeys.webhooks.alias), KMS CreateAlias: alias names are unique per account and Region)',
      'environments.dev.macKeys.webhooks.alias: "alias/dev/uploads" is not allowed (an alias no other key, signing key or HMAC key uses, KMS CreateAlias: alias names are unique per account and Region)',
    ],
  ],
  [
    "an HMAC key named like a key",
    dev,
    {
      "macKeys.appData": {
        alias: "alias/dev/m2",
        administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
        macVerifiers: ["arn:aws:iam::111111111111:role/V"],
      },
    },
    [
      'environments.dev.macKeys.appData: "appData" is not allowed (a name no key in keys or signingKeys uses, consumers name keys by these names)',
    ],
  ],
  [
    "an HMAC key name that is not an identifier",
    dev,
    {
      "macKeys.web-hooks": {
        alias: "alias/dev/m2",
        administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
        macVerifiers: ["arn:aws:iam::111111111111:role/V"],
      },
    },
    [
      "environments.dev.macKeys.web-hooks: \"web-hooks\" is not allowed (an HMAC key name that is an identifier: a letter, then letters, digits or '_', at most 64 chars (it becomes part of construct ids and Terraform names), construct ids)",
    ],
  ],
  [
    "an HMAC key deletion window below 7 days",
    dev,
    { "macKeys.webhooks.deletionWindowDays": 3 },
    ["environments.dev.macKeys.webhooks.deletionWindowDays: 3 is not allowed (7-30 days, KMS ScheduleKeyDeletion)"],
  ],
  [
    "rotation on an HMAC key (KMS does not rotate HMAC keys)",
    dev,
    { "macKeys.webhooks.rotationPeriodDays": 90 },
    [
      "environments.dev.macKeys.webhooks.rotationPeriodDays: unknown field (known fields: alias, description, keySpec, store, deletionWindowDays, administrators, macGenerators, macVerifiers, policy)",
    ],
  ],
  [
    "an HMAC key alias under alias/aws/",
    dev,
    { "macKeys.webhooks.alias": "alias/aws/x" },
    [
      "environments.dev.macKeys.webhooks.alias: \"alias/aws/x\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)",
    ],
  ],
  [
    "an unknown HMAC key policy form",
    dev,
    { "macKeys.webhooks.policy": "open" },
    [
      "environments.dev.macKeys.webhooks.policy: \"open\" is not allowed ('account' or 'closed', KMS key policies: default key policy)",
    ],
  ],
  [
    "a bucket encrypted with an HMAC key",
    dev,
    { "data.buckets.appData.key": "webhooks" },
    [
      'environments.dev.data.buckets.appData.key: "webhooks" is not allowed (the name of a key in keys (appData, volumes); "webhooks" is an HMAC key (GENERATE_VERIFY_MAC), and S3, EBS and FSx encrypt only with symmetric encryption keys, S3 SSE-KMS)',
    ],
  ],
  [
    "an HMAC spec on an encryption key (keys are symmetric encryption keys only)",
    dev,
    { "keys.appData.keySpec": "HMAC_256" },
    [
      "environments.dev.keys.appData.keySpec: unknown field (known fields: alias, aliases, description, store, xksKeyId, deletionWindowDays, rotation, rotationPeriodDays, administrators, users, policy, origin, importers, keyMaterialValidityDays, encryptOnlyUsers, decryptOnlyUsers, externalAccounts, generations, multiRegion, replicaRegions, services)",
    ],
  ],
];

test.each(cases)("%s", (_title, base, changes, expected) => {
  expect(messagesFor(variant(base, changes))).toEqual(expected);
});

test("resolution: an HMAC key's spec, store, window and policy form default; role lists are always lists", () => {
  const env = resolveEnvironment(
    variant(dev, {
      "macKeys.webhooks": {
        alias: "alias/dev/webhook-mac",
        administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
        macVerifiers: ["arn:aws:iam::111111111111:role/WebhookGateway"],
      },
    }),
  );
  expect(env.macKeys?.webhooks).toEqual({
    alias: "alias/dev/webhook-mac",
    description: "HMAC key webhooks (dev)",
    keySpec: "HMAC_256",
    deletionWindowDays: 30,
    administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
    macGenerators: [],
    macVerifiers: ["arn:aws:iam::111111111111:role/WebhookGateway"],
    policy: "account",
  });
  expect(resolveEnvironment(staging).macKeys).toBeUndefined();
});

test("the shipped dev environment validates with its HMAC key", () => {
  expect(messagesFor(dev)).toEqual([]);
});

test("an HMAC key alias the stacks give the alarm topic's key is refused", () => {
  expect(
    messagesFor(
      variant(staging, {
        "macKeys.m": {
          alias: "alias/staging-kms-alarms",
          administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
          macVerifiers: ["arn:aws:iam::222222222222:role/V"],
        },
      }),
    ),
  ).toEqual([
    'environments.staging.macKeys.m.alias: "alias/staging-kms-alarms" is not allowed (a KMS alias the stacks do not already use: they give "alias/staging-kms-alarms" to a resource of their own (derived from environments.staging.name), KMS CreateAlias: alias names are unique per account and Region)',
  ]);
});

test("an HMAC key alias another environment of the same account and Region has is refused", () => {
  const dev2 = variant(dev, {
    name: "dev2",
    keys: {
      k: {
        alias: "alias/x/k",
        administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
        users: ["arn:aws:iam::111111111111:role/U"],
      },
    },
    data: {},
  });
  expect(validationMessages({ dev, dev2 })).toEqual([
    'environments.dev2.macKeys.webhooks.alias: "alias/dev/webhook-mac" is not allowed (an alias no other environment in the same account and Region uses (environments.dev.macKeys.webhooks.alias has it), KMS CreateAlias: alias names are unique per account and Region)',
  ]);
});
