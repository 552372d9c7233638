import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { TerraformData } from "../../../modules/hooks/terraform-data";
import { resolve } from "../../../modules/cdktf/internals";
import { only, type StackJson } from "../../helpers/synth";

const stack = () =>
  new EnvironmentStack(Testing.app(), "test", { name: "t", account: "111111111111", region: "eu-west-1" });

test("with no props: a bare terraform_data resource", () => {
  const s = stack();
  new TerraformData(s, "d", {});
  expect(only(JSON.parse(Testing.synth(s)) as StackJson, "terraform_data")).toEqual({});
});

test("triggers, input, a local-exec provisioner and depends_on as Terraform reads them; output refers to the resource", () => {
  const s = stack();
  const first = new TerraformData(s, "first", { input: { id: "a" } });
  const d = new TerraformData(s, "d", {
    triggersReplace: { step: "connect-key-store" },
    input: { name: "x" },
    dependsOn: [first],
    provisioners: [{ type: "local-exec", command: "true", environment: { A: "1" } }],
  });
  const json = JSON.parse(Testing.synth(s)) as StackJson;
  const [firstName, dName] = Object.keys(json.resource?.terraform_data ?? {}).sort((a) =>
    a.startsWith("first") ? -1 : 1,
  );
  expect(json.resource?.terraform_data[dName]).toEqual({
    triggers_replace: { step: "connect-key-store" },
    input: { name: "x" },
    depends_on: [`terraform_data.${firstName}`],
    provisioner: [{ "local-exec": { command: "true", environment: { A: "1" } } }],
  });
  expect(resolve(s, d.output)).toBe(`\${terraform_data.${dName}.output}`);
});
