/** The shipped staging environment's imported (BYOK) key, as the keys stack maps the configuration onto ImportedKey. */
import { environments } from "../../environments";
import { only, resources, synthEnvs, variant } from "../helpers/synth";

const { stacks } = synthEnvs({ staging: environments.staging });
const keys = stacks["staging-keys"];

test("staging's archive key: an aws_kms_external_key without material, its alias, the expiry alarm and the import command", () => {
  const key = only(keys, "aws_kms_external_key");
  expect(key).toMatchObject({
    deletion_window_in_days: 30,
    multi_region: false,
    lifecycle: { prevent_destroy: true, ignore_changes: ["valid_to"] },
    tags: { KeyMaterialValidityDays: "180", KeyOrigin: "EXTERNAL" },
  });
  expect(JSON.stringify(keys)).not.toContain("key_material_base64");
  const statements = (JSON.parse(key.policy as string) as { Statement: { Sid: string; Principal: { AWS: unknown } }[] })
    .Statement;
  expect(statements.find((s) => s.Sid === "KeyMaterialImport")?.Principal.AWS).toEqual([
    "arn:aws:iam::222222222222:role/KeyMaterialCustodians",
  ]);
  expect(Object.values(resources(keys, "aws_kms_alias")).map((a) => a.name)).toContain("alias/staging/archive");
  const expiry = Object.values(resources(keys, "aws_cloudwatch_metric_alarm")).filter(
    (a) => a.metric_name === "SecondsUntilKeyMaterialExpiration",
  );
  expect(expiry).toHaveLength(1);
  // It notifies the environment's alarm topic, named with the prefix the topic's policies admit.
  const topicArn =
    Object.values(resources(keys, "aws_sns_topic")).length === 1
      ? `\${aws_sns_topic.${Object.keys(resources(keys, "aws_sns_topic"))[0]}.arn}`
      : "";
  expect(expiry[0]).toMatchObject({
    alarm_name: "staging-kms-key-archive-material-expiry",
    threshold: 30 * 86400,
    alarm_actions: [topicArn],
    ok_actions: [topicArn],
  });
  const outputs = keys.output as Record<string, { value: string }>;
  expect(outputs.key_archive_import_command.value).toMatch(
    /^<export of the 256-bit key from your key manager> \| npm run -s hook -- import-key-material --region 'eu-west-1' --key-id '\$\{aws_kms_external_key\.key-archive_key_[0-9A-F]+\.id\}' --valid-days 180$/,
  );
  // The other keys stay aws_kms_key, untouched (beside the signing key and the alarm topic's own key).
  expect(Object.keys(resources(keys, "aws_kms_key")).filter((id) => id.startsWith("key-"))).toHaveLength(3);
});

test("material that does not expire: no alarm, no --valid-days, the tag says 0", () => {
  const s = synthEnvs({ staging: variant(environments.staging, { "keys.archive.keyMaterialValidityDays": undefined }) })
    .stacks["staging-keys"];
  expect(
    Object.values(resources(s, "aws_cloudwatch_metric_alarm")).filter(
      (a) => a.metric_name === "SecondsUntilKeyMaterialExpiration",
    ),
  ).toEqual([]);
  expect(only(s, "aws_kms_external_key").tags).toMatchObject({ KeyMaterialValidityDays: "0" });
  expect((s.output as Record<string, { value: string }>).key_archive_import_command.value).not.toContain(
    "--valid-days",
  );
});
