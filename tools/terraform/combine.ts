/**
 * Several configurations planned by ONE Terraform run: each becomes a child module of a scratch
 * root (with its own provider block, as the synthesized stacks have), their states are merged
 * under the module addresses, and {@link modulePlan} cuts each module's part back out of the
 * `terraform show -json` as if it had been planned alone.
 *
 * Why: most of an offline plan's cost is loading the AWS provider's 13 MB schema (about 5 s of CPU
 * for `plan`, 3.5 s for `show`), paid once per Terraform process whatever the configuration's
 * size. Planning N variants of a stack together pays it once instead of N times.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigModule, JsonObject, PlanJson, PlanValuesModule, ResourceChange } from "@cmk-stacks/plan-guard";
import type { TerraformState } from "./state";

/** One configuration to plan as module `name`, against `state` (its resources at the root). */
export interface CombinedCase {
  readonly name: string;
  readonly config: JsonObject;
  readonly state?: TerraformState;
  /** Values for the module's variables (e.g. `${var.x}` of a root variable the caller declares in its own file in the root). */
  readonly args?: Record<string, unknown>;
}

/** A module of a combined root: a directory holding a prepared stack configuration. */
export interface CombinedModule {
  readonly name: string;
  /** The module directory, relative to the root (`./x`, `../prod-keys`). */
  readonly source: string;
  /** Values for the module's variables without defaults. */
  readonly args?: Record<string, unknown>;
  /** Module outputs to re-export from the root (a child's outputs are not in the plan JSON otherwise), with their sensitivity. */
  readonly outputs?: Record<string, { sensitive?: boolean }>;
}

const MODULE_NAME = /^[a-z][a-z0-9_-]*$/;

function checkModuleName(name: string): void {
  if (!MODULE_NAME.test(name))
    throw new Error(`module name ${JSON.stringify(name)} is not allowed (lower-case letters, digits, - and _)`);
}

/**
 * Gives `dir` the provider installation of `initialisedDir` (a scratch copy that ran `terraform
 * init`: a symlink into the mirror and the lock file), replacing any it had: every offline run
 * needs the same single provider, so one init serves them all. A configuration that needs no
 * provider (only `terraform_data`) has neither after its init: then there is nothing to copy.
 */
export function copyProviderInstallation(initialisedDir: string, dir: string): void {
  rmSync(join(dir, ".terraform"), { recursive: true, force: true });
  if (existsSync(join(initialisedDir, ".terraform")))
    cpSync(join(initialisedDir, ".terraform"), join(dir, ".terraform"), { recursive: true, verbatimSymlinks: true });
  if (existsSync(join(initialisedDir, ".terraform.lock.hcl")))
    cpSync(join(initialisedDir, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
}

/** Root output name of a module's re-exported output (see {@link modulePlan}). */
const exported = (module: string, output: string) => `${module}__${output}`;

/**
 * Writes a root in `dir` that calls each module, with the provider installation of
 * `initialisedDir` (a scratch copy that ran `terraform init`) and the module manifest `terraform
 * init` would write for local modules, so no init is needed.
 */
export function writeModuleRoot(dir: string, initialisedDir: string, modules: readonly CombinedModule[]): void {
  mkdirSync(dir, { recursive: true });
  const names = new Set<string>();
  for (const m of modules) {
    checkModuleName(m.name);
    if (names.has(m.name)) throw new Error(`module name ${m.name} is used twice`);
    names.add(m.name);
  }
  copyProviderInstallation(initialisedDir, dir);
  cpSync(join(initialisedDir, "terraform-cli.tfrc"), join(dir, "terraform-cli.tfrc"));
  const manifest = [
    { Key: "", Source: "", Dir: "." },
    ...modules.map((m) => ({ Key: m.name, Source: m.source, Dir: m.source.replace(/^\.\//, "") })),
  ];
  mkdirSync(join(dir, ".terraform", "modules"), { recursive: true });
  writeFileSync(join(dir, ".terraform", "modules", "modules.json"), JSON.stringify({ Modules: manifest }));
  const outputs = Object.fromEntries(
    modules.flatMap((m) =>
      Object.entries(m.outputs ?? {}).map(([o, spec]) => [
        exported(m.name, o),
        { value: `\${module.${m.name}.${o}}`, ...(spec.sensitive ? { sensitive: true } : {}) },
      ]),
    ),
  );
  writeFileSync(
    join(dir, "main.tf.json"),
    JSON.stringify({
      module: Object.fromEntries(modules.map((m) => [m.name, { source: m.source, ...(m.args ?? {}) }])),
      ...(Object.keys(outputs).length ? { output: outputs } : {}),
    }),
  );
}

/**
 * Writes each case's configuration to `dir/<name>` and a root calling them (see
 * {@link writeModuleRoot}), and merges their states under the module addresses. Returns the state
 * file name to plan against, if any case has one.
 */
export function writeCombinedRoot(
  dir: string,
  initialisedDir: string,
  cases: readonly CombinedCase[],
): string | undefined {
  for (const c of cases) {
    checkModuleName(c.name);
    mkdirSync(join(dir, c.name), { recursive: true });
    writeFileSync(join(dir, c.name, "cdk.tf.json"), JSON.stringify(c.config));
  }
  writeModuleRoot(
    dir,
    initialisedDir,
    cases.map((c) => ({ name: c.name, source: `./${c.name}`, ...(c.args ? { args: c.args } : {}) })),
  );
  const withState = cases.filter((c) => c.state);
  if (withState.length === 0) return undefined;
  const first = withState[0].state as TerraformState;
  const state: TerraformState = {
    ...first,
    serial: 1,
    outputs: {},
    resources: withState.flatMap((c) =>
      (c.state as TerraformState).resources.map((r) => ({
        ...r,
        module: r.module ? `module.${c.name}.${r.module}` : `module.${c.name}`,
        provider: configuredIn(c.config, r.provider) ? `module.${c.name}.${r.provider}` : r.provider,
      })),
    ),
  };
  writeFileSync(join(dir, "combined.tfstate"), JSON.stringify(state));
  return "combined.tfstate";
}

/**
 * Whether the module configures the provider of a state entry itself (`provider["registry.../aws"]`
 * and a `provider.aws` block): then its resources are bound to `module.<name>.provider[...]`;
 * otherwise (e.g. the built-in `terraform` provider) they use the root's implied configuration.
 */
function configuredIn(config: JsonObject, provider: string): boolean {
  const m = /^provider\["(?:[^"]*\/)?([^"/]+)"\](?:\.[^.]+)?$/.exec(provider);
  const blocks = config.provider;
  return m !== null && typeof blocks === "object" && blocks !== null && !Array.isArray(blocks) && m[1] in blocks;
}

/** `module.x.aws_kms_key.k` -> `aws_kms_key.k` for `module.x`; other addresses unchanged. */
function strip(address: string, prefix: string): string {
  return address.startsWith(`${prefix}.`) ? address.slice(prefix.length + 1) : address;
}

function rootOf(module: PlanValuesModule | undefined, prefix: string): PlanValuesModule | undefined {
  const child = module?.child_modules?.find((m) => m.address === prefix);
  if (!child) return undefined;
  const rewrite = (m: PlanValuesModule): PlanValuesModule => ({
    ...(m.address === prefix ? {} : { address: strip(m.address ?? "", prefix) }),
    resources: (m.resources ?? []).map((r) => ({ ...r, address: strip(r.address, prefix) })),
    ...(m.child_modules ? { child_modules: m.child_modules.map(rewrite) } : {}),
  });
  return rewrite(child);
}

/** `checks` of `terraform show -json`: a checked object (and its instances), by address. */
interface CheckAddress {
  module?: string;
  to_display?: string;
  [k: string]: unknown;
}
interface CheckResult {
  address?: CheckAddress;
  instances?: { address?: CheckAddress; [k: string]: unknown }[];
  [k: string]: unknown;
}

/**
 * The module's `relevant_attributes` and `checks` (each names resources by address; Terraform
 * writes them for the whole root), with the addresses a root of its own would have.
 */
function moduleExtras(
  plan: PlanJson,
  prefix: string,
): { relevant_attributes?: { resource: string; attribute: unknown }[]; checks?: CheckResult[] } {
  const { relevant_attributes: relevant, checks } = plan as {
    relevant_attributes?: { resource: string; attribute: unknown }[];
    checks?: CheckResult[];
  };
  const inModule = (module: string | undefined) => module === prefix || !!module?.startsWith(`${prefix}.`);
  const address = (a: CheckAddress): CheckAddress => {
    const { module, ...rest } = a;
    return {
      ...rest,
      ...(module && module !== prefix ? { module: strip(module, prefix) } : {}),
      ...(a.to_display ? { to_display: strip(a.to_display, prefix) } : {}),
    };
  };
  const ownRelevant = (relevant ?? [])
    .filter((r) => r.resource.startsWith(`${prefix}.`))
    .map((r) => ({ ...r, resource: strip(r.resource, prefix) }));
  const ownChecks = (checks ?? [])
    .filter((c) => inModule(c.address?.module))
    .map((c) => ({
      ...c,
      ...(c.address ? { address: address(c.address) } : {}),
      ...(c.instances
        ? { instances: c.instances.map((i) => ({ ...i, ...(i.address ? { address: address(i.address) } : {}) })) }
        : {}),
    }));
  // Terraform leaves both out when empty (omitempty).
  return {
    ...(ownRelevant.length ? { relevant_attributes: ownRelevant } : {}),
    ...(ownChecks.length ? { checks: ownChecks } : {}),
  };
}

/**
 * The part of a combined plan that belongs to `module.<name>`, with addresses as they would be
 * had that configuration been planned as a root module of its own.
 */
export function modulePlan(plan: PlanJson, name: string): PlanJson {
  const prefix = `module.${name}`;
  const mine = (c: ResourceChange) => c.address.startsWith(`${prefix}.`);
  const rewrite = (c: ResourceChange): ResourceChange => {
    const { module_address: moduleAddress, ...rest } = c;
    const inner = moduleAddress && moduleAddress !== prefix ? strip(moduleAddress, prefix) : undefined;
    return {
      ...rest,
      address: strip(c.address, prefix),
      ...(c.previous_address ? { previous_address: strip(c.previous_address, prefix) } : {}),
      ...(inner ? { module_address: inner } : {}),
    };
  };
  const inner = plan.configuration?.root_module?.module_calls?.[name]?.module;
  // Provider configuration keys are `module.<name>:aws` in the combined plan, `aws` alone.
  const key = (k: string) => (k.startsWith(`${prefix}:`) ? k.slice(prefix.length + 1) : strip(k, prefix));
  const rewriteConfig = (m: ConfigModule): ConfigModule => ({
    ...m,
    ...(m.resources
      ? {
          resources: m.resources.map((r) => ({
            ...r,
            ...(r.provider_config_key ? { provider_config_key: key(r.provider_config_key) } : {}),
          })),
        }
      : {}),
    ...(m.module_calls
      ? {
          module_calls: Object.fromEntries(
            Object.entries(m.module_calls).map(([k, c]) => [
              k,
              { ...c, ...(c.module ? { module: rewriteConfig(c.module) } : {}) },
            ]),
          ),
        }
      : {}),
  });
  const config = inner ? rewriteConfig(inner) : undefined;
  const providerConfig = Object.fromEntries(
    Object.entries(plan.configuration?.provider_config ?? {})
      .filter(([, v]) => v.module_address === prefix || v.module_address?.startsWith(`${prefix}.`))
      .map(([k, { module_address: at, ...v }]) => [
        key(k),
        { ...v, ...(at && at !== prefix ? { module_address: strip(at, prefix) } : {}) },
      ]),
  );
  // Outputs re-exported by writeModuleRoot, under their own names again.
  const own = <T>(byName: Record<string, T> | undefined): Record<string, T> =>
    Object.fromEntries(
      Object.entries(byName ?? {})
        .filter(([k]) => k.startsWith(exported(name, "")))
        .map(([k, v]) => [k.slice(exported(name, "").length), v]),
    );
  const planned = rootOf(plan.planned_values?.root_module, prefix);
  const prior = rootOf(plan.prior_state?.values?.root_module, prefix);
  const {
    relevant_attributes: _relevant,
    checks: _checks,
    ...rest
  } = plan as PlanJson & {
    relevant_attributes?: unknown;
    checks?: unknown;
  };
  return {
    ...rest,
    ...moduleExtras(plan, prefix),
    resource_changes: (plan.resource_changes ?? []).filter(mine).map(rewrite),
    ...(plan.resource_drift ? { resource_drift: plan.resource_drift.filter(mine).map(rewrite) } : {}),
    ...(plan.planned_values
      ? {
          planned_values: {
            ...plan.planned_values,
            outputs: own(plan.planned_values.outputs),
            ...(planned ? { root_module: planned } : { root_module: {} }),
          },
        }
      : {}),
    ...(plan.prior_state?.values
      ? {
          prior_state: {
            ...plan.prior_state,
            values: { ...plan.prior_state.values, outputs: {}, root_module: prior ?? {} },
          },
        }
      : {}),
    ...(plan.configuration
      ? { configuration: { ...plan.configuration, provider_config: providerConfig, root_module: config ?? {} } }
      : {}),
    output_changes: own(plan.output_changes),
  };
}
