/** CloudHsmKeyStore built alone: the store, the password read from its secret, the connect hook, and its own invariants. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudHsmKeyStore, type CloudHsmKeyStoreProps } from "../../../modules/keystores/cloudhsm-key-store";
import { errorLines, one, synth, testStack } from "../cloudhsm/stack";

const ANCHOR = readFileSync(join(__dirname, "../../hooks/fixtures/trust-anchor.pem"), "utf8");
const SECRET = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:t/cloudhsm/kmsuser-password-AbCdEf";
const MINIMAL: CloudHsmKeyStoreProps = {
  name: "t-cloudhsm",
  clusterId: "cluster-abcdefghijk",
  trustAnchorPem: ANCHOR,
  kmsuserSecretArn: SECRET,
};
const build = (props: Partial<CloudHsmKeyStoreProps> = {}) => {
  const stack = testStack("local");
  const store = new CloudHsmKeyStore(stack, "key-store", { ...MINIMAL, ...props });
  return { store, json: synth(stack) };
};

describe("minimal props (local hook runner)", () => {
  const { store, json } = build();

  test("an AWS_CLOUDHSM store on the cluster with the trust anchor; the password only as a reference to the secret; never destroyed, never updated in place", () => {
    const [secretRead] = Object.keys(json.data?.aws_secretsmanager_secret_version ?? {});
    expect(one(json, "aws_kms_custom_key_store")).toMatchObject({
      custom_key_store_name: "t-cloudhsm",
      custom_key_store_type: "AWS_CLOUDHSM",
      cloud_hsm_cluster_id: "cluster-abcdefghijk",
      trust_anchor_certificate: ANCHOR,
      key_store_password: `\${data.aws_secretsmanager_secret_version.${secretRead}.secret_string}`,
      // cloud_hsm_cluster_id: owned by restore-key-store (UpdateCustomKeyStore), ForceNew in the provider.
      lifecycle: {
        prevent_destroy: true,
        ignore_changes: ["trust_anchor_certificate", "key_store_password", "cloud_hsm_cluster_id"],
      },
    });
    expect(json.data?.aws_secretsmanager_secret_version?.[secretRead]).toMatchObject({ secret_id: SECRET });
    expect(one(json, "aws_kms_custom_key_store").depends_on).toBeUndefined();
  });

  test("connect-key-store runs after the store, in the stack's Region, with the default 45-minute budget; keys wait for it", () => {
    const run = one(json, "terraform_data") as {
      provisioner: { "local-exec": { command: string } }[];
      depends_on: string[];
    };
    const [storeName] = Object.keys(json.resource.aws_kms_custom_key_store);
    expect(run.provisioner[0]["local-exec"].command).toMatch(
      new RegExp(
        `hooks\\.js" connect-key-store --region 'eu-west-1' --timeout-minutes 45 --key-store-id '\\$\\{aws_kms_custom_key_store\\.${storeName}\\.id\\}'$`,
      ),
    );
    expect(run.depends_on).toEqual([`aws_kms_custom_key_store.${storeName}`]);
    expect(store.kind).toBe("cloudhsm");
    expect(store.readyWhen).toEqual([store.connect.resource]);
  });
});

test("the store and the password read wait for what `after` names; the hook takes the given budget", () => {
  const stack = testStack("local");
  const first = new CloudHsmKeyStore(stack, "first", { ...MINIMAL, name: "a" });
  new CloudHsmKeyStore(stack, "second", { ...MINIMAL, name: "b", after: [first.connect.resource], timeoutMinutes: 90 });
  const json = synth(stack);
  const second = Object.values(json.resource.aws_kms_custom_key_store).find((s) => s.custom_key_store_name === "b");
  const [firstRun] = Object.keys(json.resource.terraform_data).filter((k) => k.startsWith("first"));
  expect(second?.depends_on).toEqual([`terraform_data.${firstRun}`]);
  expect(
    Object.values(json.resource.terraform_data).map(
      (d) => JSON.stringify(d.provisioner).match(/--timeout-minutes (\d+)/)?.[1],
    ),
  ).toEqual(["45", "90"]);
});

test.each([
  [
    "fails when the name is empty",
    { name: "" },
    ['test/key-store.name: "" is not allowed (1-256 characters, KMS CreateCustomKeyStore CustomKeyStoreName)'],
  ],
  [
    "fails when the name is longer than 256 characters",
    { name: "n".repeat(257) },
    [
      `test/key-store.name: "${"n".repeat(257)}" is not allowed (1-256 characters, KMS CreateCustomKeyStore CustomKeyStoreName)`,
    ],
  ],
  [
    "fails when the trust anchor is longer than 5000 characters",
    { trustAnchorPem: "x".repeat(5001) },
    [
      "test/key-store.trustAnchorPem: a 5001-character value is not allowed (1-5000 characters, KMS CreateCustomKeyStore TrustAnchorCertificate)",
    ],
  ],
  [
    "fails with every problem at once",
    { name: "", trustAnchorPem: "", timeoutMinutes: 0 },
    [
      'test/key-store.name: "" is not allowed (1-256 characters, KMS CreateCustomKeyStore CustomKeyStoreName)',
      "test/key-store.trustAnchorPem: a 0-character value is not allowed (1-5000 characters, KMS CreateCustomKeyStore TrustAnchorCertificate)",
      "test/key-store.timeoutMinutes: 0 is not allowed (whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes)",
    ],
  ],
])("%s", (_name, props, expected) => {
  expect(errorLines(() => build(props))).toEqual(expected);
});
