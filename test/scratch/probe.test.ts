import { writeFileSync } from "node:fs";
import { environments, loadEnvironmentFile } from "../../environments";
import { validationMessages } from "../../environments/validation";
import { synthEnvs, resources } from "../helpers/synth";
test("probe", () => {
  let deep: unknown = "x";
  for (let i = 0; i < 20000; i++) deep = { a: deep };
  const env = { ...environments.dev, tags: { deep } } as never;
  try { console.log(validationMessages({ dev: env }).slice(0, 3)); } catch (e) { console.log("ERR1", String(e).slice(0, 200)); }
  const text = `{"name":"dev","x":${"[".repeat(20000)}${"]".repeat(20000)}}`;
  writeFileSync("/tmp/deep.json", text);
  try { loadEnvironmentFile("/tmp/deep.json"); } catch (e) { console.log("ERR2", String(e).slice(0, 200)); }
  writeFileSync("/tmp/bom.json", "\ufeff" + JSON.stringify(environments.dev));
  try { loadEnvironmentFile("/tmp/bom.json"); } catch (e) { console.log("ERR3", String(e).slice(0, 200)); }
  const t = JSON.parse('{"__proto__":"p","constructor":"c","prototype":"q","Team":"t"}');
  const env2 = { ...environments.dev, tags: t } as never;
  console.log(validationMessages({ dev: env2 }));
  const { stacks } = synthEnvs({ dev: env2 });
  console.log(JSON.stringify((stacks["dev-keys"].provider as any).aws[0].default_tags));
  console.log(JSON.stringify(Object.values(resources(stacks["dev-keys"], "aws_kms_key"))[0].tags));
});
