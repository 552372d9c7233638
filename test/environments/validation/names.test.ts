/**
 * The unique names validation knows an environment's stacks create (environments/validation/names.ts)
 * are the names the stacks do create: every name-bearing resource of the synthesized stacks is listed,
 * so the cross-environment rules cannot miss one.
 */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { namesOf } from "../../../environments/validation/names";
import { resources, synthEnvs, variant } from "../../helpers/synth";

/** Resource types with an account-, Region- or globally-unique name: the attribute and the kind names.ts gives it. */
const NAMED: readonly [string, string, string][] = [
  ["aws_kms_alias", "name", "KMS alias"],
  ["aws_kms_custom_key_store", "custom_key_store_name", "custom key store name"],
  ["aws_s3_bucket", "bucket", "S3 bucket name"],
  ["aws_vpc_endpoint_service", "private_dns_name", "endpoint service private DNS name"],
  ["aws_lb", "name", "load balancer name"],
  ["aws_lb_target_group", "name", "target group name"],
  ["aws_iam_role", "name", "IAM role name"],
  ["aws_iam_instance_profile", "name", "IAM instance profile name"],
  ["aws_lambda_function", "function_name", "Lambda function name"],
  ["aws_cloudwatch_log_group", "name", "log group name"],
  ["aws_sns_topic", "name", "SNS topic"],
  ["aws_cloudwatch_metric_alarm", "alarm_name", "CloudWatch alarm name"],
  ["aws_cloudwatch_event_rule", "name", "EventBridge rule name"],
  ["aws_secretsmanager_secret", "name", "secret name"],
  ["aws_ssm_parameter", "name", "SSM parameter name"],
];

const cases: [string, EnvironmentConfig][] = [
  ["dev", environments.dev],
  ["staging", environments.staging],
  ["prod", environments.prod],
  [
    "dev with alarms and an imported key that expires",
    variant(environments.dev, {
      alarms: { subscriptions: [{ protocol: "email", endpoint: "a@example.com" }] },
      "keys.imported": {
        alias: "alias/dev/imported",
        origin: "external",
        importers: ["arn:aws:iam::111111111111:role/Custodians"],
        keyMaterialValidityDays: 90,
        administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
        users: ["arn:aws:iam::111111111111:role/AppDataWriters"],
      },
    }),
  ],
  [
    "staging without alarms (the expiry alarm is named without the topic prefix)",
    { ...environments.staging, alarms: undefined },
  ],
];

test.each(cases)("every unique name the stacks of %s create is known to validation", (_title, env) => {
  const { stacks } = synthEnvs({ [env.name]: env });
  const known = new Set(namesOf(env).map((u) => `${u.kind}: ${u.name}`));
  const created: string[] = [];
  for (const stack of Object.values(stacks)) {
    for (const [type, attribute, kind] of NAMED)
      for (const r of Object.values(resources(stack, type)))
        if (typeof r[attribute] === "string") created.push(`${kind}: ${r[attribute] as string}`);
  }
  expect(created.length).toBeGreaterThan(0);
  expect(created.filter((c) => !known.has(c))).toEqual([]);
});

test("the longest environment name (20 chars) with every feature (CloudHSM, XKS, alarms, Lambda hooks, FSx) gives names AWS accepts", () => {
  const name = "abcdefghij-klmnopqr9";
  expect(name).toHaveLength(20);
  const env = { ...environments.prod, name };
  // Validation and every construct accept it (the target group name is then exactly 32 chars, ELB's limit).
  const { stacks } = synthEnvs({ [name]: env });
  const lb = Object.values(resources(stacks[`${name}-keys`], "aws_lb_target_group"))[0];
  expect(lb.name).toBe(`${name}-xks-proxies`);
  expect((lb.name as string).length).toBe(32);
});
