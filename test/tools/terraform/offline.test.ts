import type { PlanJson } from "@cmk-stacks/plan-guard";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { placeholderOutputs, prepareScratch, scanMirror, type TerraformFound } from "../../../tools/terraform/offline";
import { dataStack, keysStack, scratchDir, type Json } from "./fixtures";

const fakeFound: TerraformFound = {
  ok: true,
  bin: "/nowhere/terraform",
  version: "1.11.4",
  mirror: "/mirror",
  providers: { "registry.terraform.io/hashicorp/aws": "5.100.0" },
};

describe("prepareScratch (no Terraform needed)", () => {
  const s = scratchDir("scratch-unit");
  afterAll(s.cleanup);

  test("removes the backend, pins the mirror version, gives dummy credentials, keeps the region", () => {
    const r = prepareScratch(keysStack(), s.dir, { terraform: fakeFound });
    const c = JSON.parse(readFileSync(r.configFile, "utf8")) as Json & {
      terraform: Json & { required_providers: { aws: Json } };
      provider: { aws: Json[] };
    };
    expect(c.terraform.backend).toBeUndefined();
    expect(c.terraform.required_providers.aws).toEqual({ source: "aws", version: "5.100.0" });
    expect(c.provider.aws[0]).toMatchObject({
      region: "eu-west-1",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    });
    expect(typeof c.provider.aws[0].access_key).toBe("string");
    expect(c.provider.aws[0].allowed_account_ids).toBeUndefined();
    expect(r.missingProviders).toEqual([]);
    expect(readFileSync(r.cliConfigFile, "utf8")).toContain('path    = "/mirror"');
  });

  test("rewrites cross-stack remote state to a local state file holding the given outputs", () => {
    const r = prepareScratch(dataStack(), s.dir, {
      terraform: fakeFound,
      remoteStates: { "t-keys": { "cross-stack-output-aws_kms_keyguardedarn": "arn:x" } },
    });
    const c = JSON.parse(readFileSync(r.configFile, "utf8")) as {
      data: { terraform_remote_state: Record<string, Json> };
    };
    const rs = c.data.terraform_remote_state["cross-stack-reference-input-t-keys"];
    expect(rs).toEqual({ backend: "local", config: { path: r.remoteStateFiles["t-keys"] } });
    const state = JSON.parse(readFileSync(r.remoteStateFiles["t-keys"], "utf8")) as Json;
    expect(state).toMatchObject({
      version: 4,
      serial: 1,
      resources: [],
      outputs: { "cross-stack-output-aws_kms_keyguardedarn": { value: "arn:x", type: "string" } },
    });
  });

  test("lists providers the mirror lacks", () => {
    const stack = keysStack() as { terraform: { required_providers: Json } };
    stack.terraform.required_providers.tls = { source: "hashicorp/tls", version: "4.0.0" };
    expect(prepareScratch(stack, s.dir, { terraform: fakeFound }).missingProviders).toEqual([
      "registry.terraform.io/hashicorp/tls",
    ]);
  });

  test("scanMirror reads the unpacked layout", () => {
    const m = scratchDir("mirror");
    mkdirSync(join(m.dir, "registry.terraform.io/hashicorp/aws/5.99.0/linux_amd64"), { recursive: true });
    mkdirSync(join(m.dir, "registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64"), { recursive: true });
    expect(scanMirror(m.dir, "linux_amd64")).toEqual({ "registry.terraform.io/hashicorp/aws": "5.100.0" });
    m.cleanup();
  });
});

describe("placeholderOutputs", () => {
  test("keeps known values and derives unknown ones from the output name, region and account", () => {
    const p: PlanJson = {
      format_version: "1.2",
      configuration: {
        provider_config: {
          aws: {
            name: "aws",
            expressions: {
              region: { constant_value: "eu-west-1" },
              allowed_account_ids: { constant_value: ["111122223333"] },
            },
          },
        },
      },
      planned_values: {
        outputs: {
          "cross-stack-output-aws_kms_keykeyarn": { sensitive: true },
          "cross-stack-output-aws_kms_custom_key_storestoreid": { sensitive: true },
          known: { sensitive: false, value: "v" },
        },
      },
      output_changes: { "cross-stack-output-aws_kms_keykeyarn": { actions: ["create"], after_unknown: true } },
    };
    const o = placeholderOutputs(p);
    expect(o.known).toBe("v");
    expect(o["cross-stack-output-aws_kms_keykeyarn"]).toMatch(
      /^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f-]{36}$/,
    );
    expect(o["cross-stack-output-aws_kms_custom_key_storestoreid"]).toMatch(/^cks-[0-9a-f]{17}$/);
  });
});

// The harness against the real CLI (init, validate, plan, show, delete/replace/forget plans from a
// state built by stateFromPlan, data stacks on placeholder outputs) is exercised on the shipped
// environments by test/tools/validate/validate.test.ts and test/packages/plan-guard/real-plans.test.ts, which
// share one offline run made by the jest global setup.
