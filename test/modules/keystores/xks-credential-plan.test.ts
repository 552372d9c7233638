/**
 * The XKS credential is read only when the store is created, proven with the real Terraform and
 * AWS provider offline: a first plan without it fails with the message naming what to set, a plan
 * against a created store needs none (and ignores another one), and if `ignore_changes` were
 * removed the change would be blocked by the plan guard.
 *
 * Every case is a child module of a combined root (tools/terraform/combine.ts), so the ten plans
 * cost three Terraform plans and two shows after one init: each Terraform process pays ~5 s of CPU
 * to load the AWS provider's schema, whatever the configuration's size. Each stack variable is
 * re-declared at the root as `<case>_<variable>` (the same declaration: type, sensitivity,
 * default) and fed from the environment (`TF_VAR_<case>_<variable>`), as CI feeds the stack's own
 * variable; a module argument naming a variable the stack does not declare fails the plan, so the
 * stack's variable names are pinned too. Plans that must fail are planned together and each
 * module's diagnostics are read on their own.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KmsCustomKeyStore } from "@cdktf/provider-aws/lib/kms-custom-key-store";
import { classifyPlans, type JsonObject, type PlanJson } from "@cmk-stacks/plan-guard";
import {
  findTerraform,
  init,
  modulePlan,
  prepareScratch,
  showJson,
  stateFromPlan,
  terraform,
  writeCombinedRoot,
  type TerraformFound,
  type TerraformRun,
  type TerraformState,
} from "../../../tools/terraform/offline";
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
const ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:xks-AbCdEf";

/** A stack holding only the store, wired exactly as XksKeyStore wires it. */
function storeStack(source: XksCredentialSource, opts: { dropIgnoreChanges?: boolean } = {}): Record<string, unknown> {
  const s = testStack("xc");
  const credential = new XksCredential(s, "credential", {
    source,
    ciSecretNames: { accessKeyId: "XKS_ACCESS_KEY_ID_XC", secretAccessKey: "XKS_SECRET_ACCESS_KEY_XC" },
  });
  const lifecycle = credential.lifecycle();
  const store = new KmsCustomKeyStore(s, "store", {
    customKeyStoreName: "xc-xks",
    customKeyStoreType: "EXTERNAL_KEY_STORE",
    xksProxyConnectivity: "VPC_ENDPOINT_SERVICE",
    xksProxyUriEndpoint: "https://xks.example.com",
    xksProxyUriPath: "/example/kms/xks/v1",
    xksProxyVpcEndpointServiceName: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",
    lifecycle: {
      preventDestroy: true,
      ...lifecycle,
      ignoreChanges: opts.dropIgnoreChanges ? [] : lifecycle.ignoreChanges,
    },
  });
  credential.attachTo(store);
  return synthesized(s) as unknown as Record<string, unknown>;
}

const storeChange = (p: PlanJson) =>
  (p.resource_changes ?? []).find((c) => c.address === "aws_kms_custom_key_store.store");
const flat = (text: string) => text.replace(/[│╷╵]/g, "").replace(/\s+/g, " ");

/** One case: a stack configuration (prepared for offline use), the state it is planned against, its variables' values. */
interface Case {
  readonly name: string;
  readonly config: JsonObject;
  readonly state?: TerraformState;
  /** Stack variable -> value, given as TF_VAR_<case>_<variable>. */
  readonly vars?: Record<string, string>;
}

/** A combined plan: its run and, when it succeeded, each module's plan. */
interface Planned {
  readonly run: TerraformRun;
  readonly plans?: Record<string, PlanJson>;
}

/** A plan that must fail: its run, its errors, each case's errors. */
interface Failed {
  readonly run: TerraformRun;
  readonly all: string[];
  readonly errors: Record<string, string[]>;
}

run("XKS credential: given only to create the store (real Terraform, offline)", () => {
  const scratch = scratchDir("xks-credential-plan");
  afterAll(scratch.cleanup);
  const tf = found as TerraformFound;
  const planArgs = ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false"];
  const configs: Record<"variable" | "noIgnore" | "secret", JsonObject> = {} as never;

  /** Writes the cases as modules of a root in `scratch/<root>`, each stack variable exposed as a root variable. */
  function combined(
    root: string,
    cases: readonly Case[],
  ): { dir: string; args: string[]; env: Record<string, string> } {
    const dir = join(scratch.dir, root);
    const stateFile = writeCombinedRoot(
      dir,
      join(scratch.dir, "variable"),
      cases.map((c) => ({
        name: c.name,
        config: c.config,
        ...(c.state ? { state: c.state } : {}),
        args: Object.fromEntries(
          Object.keys((c.config.variable ?? {}) as object).map((v) => [v, `\${var.${c.name}_${v}}`]),
        ),
      })),
    );
    const variable = Object.fromEntries(
      cases.flatMap((c) =>
        Object.entries((c.config.variable ?? {}) as Record<string, object>).map(([v, decl]) => [
          `${c.name}_${v}`,
          decl,
        ]),
      ),
    );
    writeFileSync(join(dir, "variables.tf.json"), JSON.stringify({ variable }));
    const env = Object.fromEntries(
      cases.flatMap((c) => Object.entries(c.vars ?? {}).map(([v, value]) => [`TF_VAR_${c.name}_${v}`, value])),
    );
    return { dir, args: stateFile ? [`-state=${stateFile}`] : [], env };
  }

  /** Plans the cases together: the run and, when it succeeded, each module's part of the plan. */
  async function planned(root: string, cases: readonly Case[]): Promise<Planned> {
    const { dir, args, env } = combined(root, cases);
    const r = await terraform(dir, [...planArgs, ...args, "-out=p.tfplan"], { env });
    if (r.code !== 0) return { run: r };
    const p = await showJson(dir, "p.tfplan");
    return { run: r, plans: Object.fromEntries(cases.map((c) => [c.name, modulePlan(p, c.name)])) };
  }

  /** The module plans of a combined plan that must have succeeded; fails the test with Terraform's errors otherwise. */
  function ok(p: Planned | undefined, what: string): Record<string, PlanJson> {
    if (!p) throw new Error(`${what}: not planned, the first plans failed`);
    expect(flat(p.run.stdout + p.run.stderr)).not.toContain("Error:");
    expect(p.run.code).toBe(0);
    return p.plans as Record<string, PlanJson>;
  }

  /**
   * Plans cases that must each fail. Returns the run, its errors (each without the source lines
   * Terraform quotes, which hold the configuration's own error_message text) and each module's
   * errors, by the module directory they point at.
   */
  async function failed(root: string, cases: readonly Case[]): Promise<Failed> {
    const { dir, args, env } = combined(root, cases);
    const r = await terraform(dir, [...planArgs, ...args], { env });
    const all = (r.stdout + "\n" + r.stderr)
      .split(/^(?=[│╷\s]*Error: )/m)
      .filter((b) => /^[│╷\s]*Error: /.test(b))
      .map((b) =>
        flat(
          b
            .split("\n")
            .filter((l) => !/^[│\s]*\d+: /.test(l))
            .join("\n"),
        ),
      );
    const errors = Object.fromEntries(
      cases.map((c) => [c.name, all.filter((b) => b.includes(` on ${c.name}/cdk.tf.json line `))]),
    );
    return { run: r, all, errors };
  }

  // Each test reads what it needs: a plan that failed fails the tests that read it, not the others.
  let create: Planned | undefined;
  let againRun: Planned | undefined;
  let failingRun: Failed | undefined;
  const plans = () => ok(create, "the first plans (credential given, secret read)");
  const again = () => ok(againRun, "the plans against the created stores");
  const failing = (): Failed => {
    if (!failingRun) throw new Error("the plans that must fail: not planned, the first plans failed");
    return failingRun;
  };

  beforeAll(async () => {
    const stacks = {
      variable: storeStack({ source: "variable" }),
      noIgnore: storeStack({ source: "variable" }, { dropIgnoreChanges: true }),
      secret: storeStack({ source: "secretsManager", secretArn: ARN }),
    };
    for (const [k, stack] of Object.entries(stacks)) {
      const p = prepareScratch(stack, join(scratch.dir, k), { terraform: tf });
      configs[k as keyof typeof configs] = JSON.parse(readFileSync(p.configFile, "utf8")) as JsonObject;
    }
    // One init: every combined root gets its provider installation (writeCombinedRoot).
    await init(join(scratch.dir, "variable"));
    // The first plans: with the credential given / the secret read.
    create = await planned("create", [
      { name: "created", config: configs.variable, vars: { xks_access_key_id: ID, xks_secret_access_key: SECRET } },
      { name: "secret_read", config: configs.secret, vars: { xks_read_credential_secret: "true" } },
    ]);
    if (!create.plans) return;
    const created = stateFromPlan(create.plans.created);
    const secretCreated = stateFromPlan(create.plans.secret_read);
    // Then, independently: the plans that must fail, and the plans against the created stores.
    [failingRun, againRun] = await Promise.all([
      failed("failing", [
        { name: "missing", config: configs.variable },
        {
          name: "malformed",
          config: configs.variable,
          vars: { xks_access_key_id: "not-a-key-id-lowercase", xks_secret_access_key: SECRET },
        },
        { name: "unignored_none", config: configs.noIgnore, state: created },
        { name: "secret_unread", config: configs.secret },
      ]),
      planned("again", [
        { name: "none", config: configs.variable, state: created },
        {
          name: "other",
          config: configs.variable,
          state: created,
          vars: { xks_access_key_id: OTHER_ID, xks_secret_access_key: OTHER_SECRET },
        },
        {
          name: "unignored_other",
          config: configs.noIgnore,
          state: created,
          vars: { xks_access_key_id: OTHER_ID, xks_secret_access_key: OTHER_SECRET },
        },
        { name: "secret_again", config: configs.secret, state: secretCreated },
      ]),
    ]);
  }, 300_000);

  describe("variable source", () => {
    test("a first plan without the credential fails at plan time, naming the variables and the CI secrets", () => {
      expect(failing().run.code).toBe(1);
      // One error per failing case, each pointing at its own module: nothing else failed.
      expect(Object.values(failing().errors).map((e) => e.length)).toEqual([1, 1, 1, 1]);
      expect(failing().all).toHaveLength(4);
      const [text] = failing().errors.missing;
      expect(text).toContain("Resource postcondition failed");
      expect(text).toContain(
        "Creating the external key store needs its XKS proxy authentication credential and this plan has none: set the sensitive variables xks_access_key_id and xks_secret_access_key",
      );
      expect(text).toContain("the GitHub secrets XKS_ACCESS_KEY_ID_XC and XKS_SECRET_ACCESS_KEY_XC");
    });

    test("with the credential the store is planned with it; a plan against the created store needs none and ignores another", () => {
      const c = storeChange(plans().created);
      expect(c?.change.actions).toEqual(["create"]);
      expect(
        (c?.change.after as { xks_proxy_authentication_credential: unknown }).xks_proxy_authentication_credential,
      ).toEqual([{ access_key_id: ID, raw_secret_access_key: SECRET }]);
      for (const p of [again().none, again().other]) {
        expect(storeChange(p)?.change.actions).toEqual(["no-op"]);
        expect(classifyPlans([{ stack: "xc-keys", plan: p }]).blocked).toEqual([]);
      }
    });

    test("a malformed credential fails its format check without showing the value", () => {
      expect(failing().run.code).toBe(1);
      const text = failing().errors.malformed.join(" ");
      expect(text).toContain(
        "The XKS proxy access key id (variables xks_access_key_id / xks_secret_access_key) must be 20-30 characters",
      );
      const all = failing().run.stdout + failing().run.stderr;
      expect(all).not.toContain("not-a-key-id-lowercase");
      expect(all).not.toContain(SECRET);
    });

    test("without ignore_changes: a plan with another credential is an update the plan guard blocks; with none, the postcondition fails", () => {
      const p = again().unignored_other;
      expect(storeChange(p)?.change.actions).toEqual(["update"]);
      const blocked = classifyPlans([{ stack: "xc-keys", plan: p }]).blocked.map((f) => [f.address, f.rule]);
      expect(blocked).toEqual([["aws_kms_custom_key_store.store", "key-store-critical-update"]]);
      expect(failing().run.code).toBe(1);
      expect(failing().errors.unignored_none.join(" ")).toContain(
        "Creating the external key store needs its XKS proxy authentication credential",
      );
    });
  });

  describe("secretsManager source", () => {
    test("a first plan that does not read the secret fails, naming the switch; with it the secret is read and the store planned", () => {
      expect(failing().run.code).toBe(1);
      expect(failing().errors.secret_unread.join(" ")).toContain(
        `plan and apply the creation with TF_VAR_xks_read_credential_secret=true, so Terraform reads accessKeyId / secretAccessKey of the secret ${ARN}`,
      );

      const created = plans().secret_read;
      expect(storeChange(created)?.change.actions).toEqual(["create"]);
      // Read during apply offline (no AWS): the data source is in the plan, its values unknown.
      expect(
        (created.resource_changes ?? []).some(
          (c) => c.address.startsWith("data.aws_secretsmanager_secret_version.") && c.address.endsWith("[0]"),
        ),
      ).toBe(true);

      // Against the created store (its credential in state), no read and no change.
      expect(storeChange(again().secret_again)?.change.actions).toEqual(["no-op"]);
      expect(
        (again().secret_again.resource_changes ?? []).filter((c) =>
          c.address.startsWith("data.aws_secretsmanager_secret_version."),
        ),
      ).toEqual([]);
    });
  });
});
