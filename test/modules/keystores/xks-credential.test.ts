import { TerraformOutput } from "cdktf";
import { XksCredential, XKS_CREDENTIAL_FORMATS } from "../../../modules/keystores/xks-credential";
import { resolve } from "../../../modules/cdktf/internals";
import { configErrorLines } from "../../helpers/synth";
import { synthesized, testStack } from "../network/fixtures";

test("variable: two sensitive variables, default null (plans after creation need none), checked by preconditions only when given, never showing the value", () => {
  const s = testStack();
  const credential = new XksCredential(s, "credential", { source: { source: "variable" } });
  const json = synthesized(s);
  expect(Object.keys(json.variable ?? {}).sort()).toEqual(["xks_access_key_id", "xks_secret_access_key"]);
  for (const v of Object.values(json.variable ?? {}))
    expect(v).toMatchObject({ type: "string", sensitive: true, nullable: true, default: null });
  expect(resolve(s, credential.accessKeyId)).toBe("${var.xks_access_key_id}");
  const [id, secret] = credential.preconditions.map((p) => ({
    condition: resolve(s, p.condition) as string,
    errorMessage: p.errorMessage,
  }));
  expect(id.condition).toBe(
    `\${!(nonsensitive(var.xks_access_key_id != null || var.xks_secret_access_key != null)) || can(regex("${XKS_CREDENTIAL_FORMATS.accessKeyId.pattern}", var.xks_access_key_id))}`,
  );
  expect(secret.errorMessage).toBe(
    "The XKS proxy secret access key (variables xks_access_key_id / xks_secret_access_key) must be 43-64 characters, letters, digits, '/', '+' and '=' (KMS CreateCustomKeyStore XksProxyAuthenticationCredential); give both values or neither. The value is not shown.",
  );
  // Without CI secret names the message names only the variables.
  expect(credential.missingMessage).not.toContain("GitHub");
  expect(credential.lifecycle().ignoreChanges).toEqual(["xks_proxy_authentication_credential"]);
});

test("secretsManager: the secret's current version, read only when xks_read_credential_secret is true", () => {
  const s = testStack();
  const arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:xks-AbCdEf";
  const credential = new XksCredential(s, "credential", { source: { source: "secretsManager", secretArn: arn } });
  new TerraformOutput(s, "probe", { value: credential.secretAccessKey, sensitive: true });
  const json = synthesized(s);
  expect(Object.keys(json.variable ?? {})).toEqual(["xks_read_credential_secret"]);
  const [name] = Object.keys(json.data?.aws_secretsmanager_secret_version ?? {});
  expect(json.output?.probe.value).toBe(
    `\${try(jsondecode(data.aws_secretsmanager_secret_version.${name}[0].secret_string).secretAccessKey, null)}`,
  );
});

test("fails when the secret is not a Secrets Manager ARN", () => {
  expect(
    configErrorLines(
      () =>
        new XksCredential(testStack(), "credential", {
          source: { source: "secretsManager", secretArn: "arn:aws:ssm:eu-west-1:111111111111:parameter/xks" },
        }),
    ),
  ).toEqual([
    'test/credential.source.secretArn: "arn:aws:ssm:eu-west-1:111111111111:parameter/xks" is not allowed (a Secrets Manager secret ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)',
  ]);
});
