import { TerraformOutput } from "cdktf";
import { XksCredential, XKS_CREDENTIAL_FORMATS } from "../../../modules/keystores/xks-credential";
import { resolve } from "../../../modules/cdktf/internals";
import { configErrorLines } from "../../helpers/synth";
import { synthesized, testStack } from "../network/fixtures";

test("variable: two sensitive, non-null variables without default, checked by preconditions that never show the value", () => {
  const s = testStack();
  const credential = new XksCredential(s, "credential", { source: { source: "variable" } });
  const json = synthesized(s);
  expect(Object.keys(json.variable ?? {}).sort()).toEqual(["xks_access_key_id", "xks_secret_access_key"]);
  for (const v of Object.values(json.variable ?? {})) expect(v).toMatchObject({ type: "string", sensitive: true, nullable: false });
  expect(resolve(s, credential.accessKeyId)).toBe("${var.xks_access_key_id}");
  const [id, secret] = credential.preconditions.map((p) => ({ condition: resolve(s, p.condition) as string, errorMessage: p.errorMessage }));
  expect(id.condition).toBe(`\${can(regex("${XKS_CREDENTIAL_FORMATS.accessKeyId.pattern}", var.xks_access_key_id))}`);
  expect(secret.errorMessage).toBe("The XKS proxy secret access key (variables xks_access_key_id / xks_secret_access_key) must be 43-64 characters, letters, digits, '/', '+' and '=' (KMS CreateCustomKeyStore XksProxyAuthenticationCredential). The value is not shown.");
});

test("secretsManager: the secret's current version, its JSON fields, no variables", () => {
  const s = testStack();
  const arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:xks-AbCdEf";
  const credential = new XksCredential(s, "credential", { source: { source: "secretsManager", secretArn: arn } });
  new TerraformOutput(s, "probe", { value: credential.secretAccessKey, sensitive: true });
  const json = synthesized(s);
  expect(json.variable).toBeUndefined();
  const [name] = Object.keys(json.data?.aws_secretsmanager_secret_version ?? {});
  expect(json.output?.probe.value).toBe(`\${jsondecode(data.aws_secretsmanager_secret_version.${name}.secret_string).secretAccessKey}`);
});

test("fails when the secret is not a Secrets Manager ARN", () => {
  expect(configErrorLines(() => new XksCredential(testStack(), "credential", { source: { source: "secretsManager", secretArn: "arn:aws:ssm:eu-west-1:111111111111:parameter/xks" } }))).toEqual([
    'test/credential.source.secretArn: "arn:aws:ssm:eu-west-1:111111111111:parameter/xks" is not allowed (a Secrets Manager secret ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)',
  ]);
});
