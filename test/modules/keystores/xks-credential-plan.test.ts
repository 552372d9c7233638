/**
 * The XKS credential is read only when the store is created, proven with the real Terraform and
 * AWS provider offline: a first plan without it fails with the message naming what to set, a plan
 * against a created store needs none (and ignores another one), and if `ignore_changes` were
 * removed the change would be blocked by the plan guard.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { KmsCustomKeyStore } from "@cdktf/provider-aws/lib/kms-custom-key-store";
import { classifyPlans } from "@cmk-stacks/plan-guard";
import { findTerraform, init, plan, prepareScratch, showJson, stateFromPlan, terraform, type PlanJson, type TerraformFound } from "../../../tools/terraform/offline";
import { XksCredential, type XksCredentialSource } from "../../../modules/keystores/xks-credential";
import { scratchDir } from "../../tools/terraform/fixtures";
import { synthesized, testStack } from "../network/fixtures";

const found = findTerraform();
const skip = process.env.CMK_SKIP_TERRAFORM ? "CMK_SKIP_TERRAFORM is set" : found.ok ? undefined : found.reason;
const run = skip ? describe.skip : describe;
if (skip) test.skip(`offline Terraform: ${skip}`, () => undefined);

// Format-valid test values (never real credentials).
const ID = "AAAAAAAAAAAAAAAAAAAAAAAA";
const SECRET = "b".repeat(43);
const OTHER_ID = "BBBBBBBBBBBBBBBBBBBBBBBB";
const OTHER_SECRET = "c".repeat(44);

/** A stack holding only the store, wired exactly as XksKeyStore wires it. */
function storeStack(source: XksCredentialSource, opts: { dropIgnoreChanges?: boolean } = {}): Record<string, unknown> {
  const s = testStack("xc");
  const credential = new XksCredential(s, "credential", { source, ciSecretNames: { accessKeyId: "XKS_ACCESS_KEY_ID_XC", secretAccessKey: "XKS_SECRET_ACCESS_KEY_XC" } });
  const lifecycle = credential.lifecycle();
  const store = new KmsCustomKeyStore(s, "store", {
    customKeyStoreName: "xc-xks",
    customKeyStoreType: "EXTERNAL_KEY_STORE",
    xksProxyConnectivity: "VPC_ENDPOINT_SERVICE",
    xksProxyUriEndpoint: "https://xks.example.com",
    xksProxyUriPath: "/example/kms/xks/v1",
    xksProxyVpcEndpointServiceName: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",
    lifecycle: { preventDestroy: true, ...lifecycle, ignoreChanges: opts.dropIgnoreChanges ? [] : lifecycle.ignoreChanges },
  });
  credential.attachTo(store);
  return synthesized(s) as unknown as Record<string, unknown>;
}

const storeChange = (p: PlanJson) => (p.resource_changes ?? []).find((c) => c.address === "aws_kms_custom_key_store.store");

run("XKS credential: given only to create the store (real Terraform, offline)", () => {
  const scratch = scratchDir("xks-credential-plan");
  afterAll(scratch.cleanup);
  const tf = found as TerraformFound;
  const planArgs = ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false"];

  describe("variable source", () => {
    const dir = join(scratch.dir, "variable");
    let created: PlanJson;
    beforeAll(async () => {
      prepareScratch(storeStack({ source: "variable" }), dir, { terraform: tf });
      await init(dir);
    }, 240_000);

    test("a first plan without the credential fails at plan time, naming the variables and the CI secrets", async () => {
      const r = await terraform(dir, planArgs);
      expect(r.code).toBe(1);
      const text = (r.stdout + r.stderr).replace(/[│╷╵]/g, "").replace(/\s+/g, " ");
      expect(text).toContain("Resource postcondition failed");
      expect(text).toContain("Creating the external key store needs its XKS proxy authentication credential and this plan has none: set the sensitive variables xks_access_key_id and xks_secret_access_key");
      expect(text).toContain("the GitHub secrets XKS_ACCESS_KEY_ID_XC and XKS_SECRET_ACCESS_KEY_XC");
    }, 120_000);

    test("with the credential the store is planned with it; a plan against the created store needs none and ignores another", async () => {
      const env = { TF_VAR_xks_access_key_id: ID, TF_VAR_xks_secret_access_key: SECRET };
      const r = await terraform(dir, [...planArgs, "-out=create.tfplan"], { env });
      expect(r.code).toBe(0);
      created = await showJson(dir, "create.tfplan");
      const c = storeChange(created);
      expect(c?.change.actions).toEqual(["create"]);
      expect((c?.change.after as { xks_proxy_authentication_credential: unknown }).xks_proxy_authentication_credential).toEqual([{ access_key_id: ID, raw_secret_access_key: SECRET }]);
      writeFileSync(join(dir, "created.tfstate"), JSON.stringify(stateFromPlan(created)));

      const variants: Record<string, string>[] = [{}, { TF_VAR_xks_access_key_id: OTHER_ID, TF_VAR_xks_secret_access_key: OTHER_SECRET }];
      for (const extra of variants) {
        const again = await terraform(dir, [...planArgs, "-state=created.tfstate", "-out=again.tfplan"], { env: extra });
        expect(again.code).toBe(0);
        const p = await showJson(dir, "again.tfplan");
        expect(storeChange(p)?.change.actions).toEqual(["no-op"]);
        expect(classifyPlans([{ stack: "xc-keys", plan: p }]).blocked).toEqual([]);
      }
    }, 240_000);

    test("a malformed credential fails its format check without showing the value", async () => {
      const r = await terraform(dir, planArgs, { env: { TF_VAR_xks_access_key_id: "not-a-key-id-lowercase", TF_VAR_xks_secret_access_key: SECRET } });
      expect(r.code).toBe(1);
      const text = (r.stdout + r.stderr).replace(/[│╷╵]/g, "").replace(/\s+/g, " ");
      expect(text).toContain("The XKS proxy access key id (variables xks_access_key_id / xks_secret_access_key) must be 20-30 characters");
      expect(text).not.toContain("not-a-key-id-lowercase");
      expect(text).not.toContain(SECRET);
    }, 120_000);

    test("without ignore_changes: a plan with another credential is an update the plan guard blocks; with none, the postcondition fails", async () => {
      const other = join(scratch.dir, "no-ignore");
      prepareScratch(storeStack({ source: "variable" }, { dropIgnoreChanges: true }), other, { terraform: tf });
      await init(other);
      writeFileSync(join(other, "created.tfstate"), JSON.stringify(stateFromPlan(created)));
      const changed = await terraform(other, [...planArgs, "-state=created.tfstate", "-out=p.tfplan"], { env: { TF_VAR_xks_access_key_id: OTHER_ID, TF_VAR_xks_secret_access_key: OTHER_SECRET } });
      expect(changed.code).toBe(0);
      const p = await showJson(other, "p.tfplan");
      expect(storeChange(p)?.change.actions).toEqual(["update"]);
      const blocked = classifyPlans([{ stack: "xc-keys", plan: p }]).blocked.map((f) => [f.address, f.rule]);
      expect(blocked).toEqual([["aws_kms_custom_key_store.store", "key-store-critical-update"]]);
      const removed = await terraform(other, [...planArgs, "-state=created.tfstate"]);
      expect(removed.code).toBe(1);
      expect((removed.stdout + removed.stderr).replace(/[│╷╵]/g, "").replace(/\s+/g, " ")).toContain("Creating the external key store needs its XKS proxy authentication credential");
    }, 240_000);
  });

  describe("secretsManager source", () => {
    const dir = join(scratch.dir, "secret");
    const arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:xks-AbCdEf";

    beforeAll(async () => {
      prepareScratch(storeStack({ source: "secretsManager", secretArn: arn }), dir, { terraform: tf });
      await init(dir);
    }, 240_000);

    test("a first plan that does not read the secret fails, naming the switch; with it the secret is read and the store planned", async () => {
      const r = await terraform(dir, planArgs);
      expect(r.code).toBe(1);
      const text = (r.stdout + r.stderr).replace(/[│╷╵]/g, "").replace(/\s+/g, " ");
      expect(text).toContain(`plan and apply the creation with TF_VAR_xks_read_credential_secret=true, so Terraform reads accessKeyId / secretAccessKey of the secret ${arn}`);

      const ok = await terraform(dir, [...planArgs, "-out=create.tfplan"], { env: { TF_VAR_xks_read_credential_secret: "true" } });
      expect(ok.code).toBe(0);
      const created = await showJson(dir, "create.tfplan");
      expect(storeChange(created)?.change.actions).toEqual(["create"]);
      // Read during apply offline (no AWS): the data source is in the plan, its values unknown.
      expect((created.resource_changes ?? []).some((c) => c.address.startsWith("data.aws_secretsmanager_secret_version.") && c.address.endsWith("[0]"))).toBe(true);

      // Against the created store (its credential in state), no read and no change.
      const state = stateFromPlan(created);
      writeFileSync(join(dir, "created.tfstate"), JSON.stringify(state));
      await plan(dir, { out: "again.tfplan", stateFile: "created.tfstate" });
      const again = await showJson(dir, "again.tfplan");
      expect(storeChange(again)?.change.actions).toEqual(["no-op"]);
      expect((again.resource_changes ?? []).filter((c) => c.address.startsWith("data.aws_secretsmanager_secret_version."))).toEqual([]);
    }, 360_000);
  });
});
