/** Cutting one module's part out of a combined plan, and the combined root's files (no Terraform needed). */
import type { PlanJson } from "@cmk-stacks/plan-guard";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modulePlan, writeCombinedRoot, writeModuleRoot, type TerraformState } from "../../../tools/terraform/offline";

const combined: PlanJson = {
  format_version: "1.2",
  planned_values: {
    outputs: { a__key_arn: { sensitive: false }, b__key_arn: { sensitive: true } },
    root_module: {
      child_modules: [
        {
          address: "module.a",
          resources: [{ address: "module.a.aws_kms_key.k", mode: "managed", type: "aws_kms_key", name: "k" }],
        },
        {
          address: "module.b",
          resources: [{ address: "module.b.aws_kms_key.k", mode: "managed", type: "aws_kms_key", name: "k" }],
        },
      ],
    },
  },
  resource_changes: [
    {
      address: "module.a.aws_kms_key.k",
      module_address: "module.a",
      mode: "managed",
      type: "aws_kms_key",
      name: "k",
      change: { actions: ["delete"] },
    },
    {
      address: "module.b.aws_kms_key.k",
      module_address: "module.b",
      mode: "managed",
      type: "aws_kms_key",
      name: "k",
      change: { actions: ["create"] },
    },
  ],
  output_changes: { a__key_arn: { actions: ["delete"] }, b__key_arn: { actions: ["create"], after_unknown: true } },
  configuration: {
    provider_config: {
      "module.a:aws": {
        name: "aws",
        full_name: "registry.terraform.io/hashicorp/aws",
        module_address: "module.a",
        expressions: { region: { constant_value: "eu-west-1" } },
      },
      "module.b:aws": {
        name: "aws",
        full_name: "registry.terraform.io/hashicorp/aws",
        module_address: "module.b",
        expressions: { region: { constant_value: "us-east-1" } },
      },
    },
    root_module: {
      module_calls: {
        a: {
          source: "./a",
          module: {
            resources: [
              {
                address: "aws_kms_key.k",
                mode: "managed",
                type: "aws_kms_key",
                name: "k",
                provider_config_key: "module.a:aws",
              },
            ],
          },
        },
        b: {
          source: "./b",
          module: {
            resources: [
              {
                address: "aws_kms_key.k",
                mode: "managed",
                type: "aws_kms_key",
                name: "k",
                provider_config_key: "module.b:aws",
              },
            ],
          },
        },
      },
    },
  },
};

test("modulePlan keeps only the module's changes, with root-module addresses", () => {
  const b = modulePlan(combined, "b");
  expect(b.resource_changes).toEqual([
    { address: "aws_kms_key.k", mode: "managed", type: "aws_kms_key", name: "k", change: { actions: ["create"] } },
  ]);
  expect(b.planned_values?.root_module?.resources?.map((r) => r.address)).toEqual(["aws_kms_key.k"]);
  expect(b.output_changes).toEqual({ key_arn: { actions: ["create"], after_unknown: true } });
  expect(b.planned_values?.outputs).toEqual({ key_arn: { sensitive: true } });
});

test("modulePlan re-keys the module's provider configuration as a root's (region stays the module's)", () => {
  const a = modulePlan(combined, "a");
  expect(Object.keys(a.configuration?.provider_config ?? {})).toEqual(["aws"]);
  expect(a.configuration?.provider_config?.aws.expressions).toEqual({ region: { constant_value: "eu-west-1" } });
  expect(a.configuration?.root_module?.resources?.[0].provider_config_key).toBe("aws");
});

test("modulePlan keeps only the module's relevant_attributes and checks, with root addresses; none left, none written", () => {
  const check = (module: string, status: string) => ({
    address: {
      kind: "resource",
      mode: "managed",
      module,
      name: "s",
      to_display: `${module}.aws_kms_custom_key_store.s`,
      type: "aws_kms_custom_key_store",
    },
    status,
    instances: [{ address: { module, to_display: `${module}.aws_kms_custom_key_store.s` }, status }],
  });
  const plan = {
    ...combined,
    relevant_attributes: [
      { resource: "module.a.aws_kms_key.k", attribute: ["arn"] },
      { resource: "module.b.aws_kms_key.k", attribute: ["key_id"] },
      { resource: "module.ab.aws_kms_key.k", attribute: ["arn"] },
    ],
    checks: [check("module.a", "pass"), check("module.b", "unknown"), check("module.b.module.inner", "fail")],
  } as PlanJson;
  const b = modulePlan(plan, "b") as PlanJson & { relevant_attributes?: unknown; checks?: unknown };
  expect(b.relevant_attributes).toEqual([{ resource: "aws_kms_key.k", attribute: ["key_id"] }]);
  expect(b.checks).toEqual([
    {
      address: {
        kind: "resource",
        mode: "managed",
        name: "s",
        to_display: "aws_kms_custom_key_store.s",
        type: "aws_kms_custom_key_store",
      },
      status: "unknown",
      instances: [{ address: { to_display: "aws_kms_custom_key_store.s" }, status: "unknown" }],
    },
    {
      address: {
        kind: "resource",
        mode: "managed",
        module: "module.inner",
        name: "s",
        to_display: "module.inner.aws_kms_custom_key_store.s",
        type: "aws_kms_custom_key_store",
      },
      status: "fail",
      instances: [
        { address: { module: "module.inner", to_display: "module.inner.aws_kms_custom_key_store.s" }, status: "fail" },
      ],
    },
  ]);
  // A module with none of either: Terraform writes neither key for a root without them.
  const c = modulePlan(plan, "c");
  expect("relevant_attributes" in c || "checks" in c).toBe(false);
});

describe("combined roots", () => {
  const dir = mkdtempSync(join(tmpdir(), "cmk-combine-"));
  const installed = join(dir, "installed");
  mkdirSync(join(installed, ".terraform", "providers"), { recursive: true });
  writeFileSync(join(installed, ".terraform.lock.hcl"), "# lock\n");
  writeFileSync(join(installed, "terraform-cli.tfrc"), "# cli\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("writeModuleRoot calls each module with its arguments, re-exports outputs, and writes the module manifest", () => {
    writeModuleRoot(join(dir, "root"), installed, [
      {
        name: "prod-keys",
        source: "../prod-keys",
        args: { xks_secret: "dummy" },
        outputs: { arn: { sensitive: true }, id: {} },
      },
    ]);
    expect(JSON.parse(readFileSync(join(dir, "root", "main.tf.json"), "utf8"))).toEqual({
      module: { "prod-keys": { source: "../prod-keys", xks_secret: "dummy" } },
      output: {
        "prod-keys__arn": { value: "${module.prod-keys.arn}", sensitive: true },
        "prod-keys__id": { value: "${module.prod-keys.id}" },
      },
    });
    expect(JSON.parse(readFileSync(join(dir, "root", ".terraform", "modules", "modules.json"), "utf8"))).toEqual({
      Modules: [
        { Key: "", Source: "", Dir: "." },
        { Key: "prod-keys", Source: "../prod-keys", Dir: "../prod-keys" },
      ],
    });
  });

  test("writeCombinedRoot merges states under module addresses; a module's own provider block binds its resources", () => {
    const state = (type: string, provider: string): TerraformState =>
      ({
        version: 4,
        terraform_version: "1.11.4",
        serial: 1,
        lineage: "l",
        outputs: {},
        resources: [{ mode: "managed", type, name: "x", provider, instances: [] }],
      }) as unknown as TerraformState;
    const file = writeCombinedRoot(join(dir, "cases"), installed, [
      {
        name: "one",
        config: { provider: { aws: [{}] } },
        state: state("aws_kms_key", 'provider["registry.terraform.io/hashicorp/aws"]'),
      },
      { name: "two", config: {}, state: state("terraform_data", 'provider["terraform.io/builtin/terraform"]') },
    ]);
    const merged = JSON.parse(readFileSync(join(dir, "cases", file as string), "utf8")) as TerraformState;
    expect(merged.resources.map((r) => [r.module, r.provider])).toEqual([
      ["module.one", 'module.one.provider["registry.terraform.io/hashicorp/aws"]'],
      ["module.two", 'provider["terraform.io/builtin/terraform"]'],
    ]);
  });

  test("a module name that is not a plain identifier is refused", () => {
    expect(() => writeCombinedRoot(join(dir, "bad"), installed, [{ name: "../escape", config: {} }])).toThrow(
      'module name "../escape" is not allowed (lower-case letters, digits, - and _)',
    );
  });
});
