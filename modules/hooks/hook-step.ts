import { Construct } from "constructs";
import { AssetType, TerraformAsset, TerraformStack, type ITerraformDependable } from "cdktf";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { TerraformData } from "./terraform-data";

/** The project root: the nearest folder above this file (source or `.build` bundle) with a package.json. */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Folder with the bundled hook program (`hooks.js`), built by `tools/build.mjs`. */
export const HOOK_BUNDLE_DIR = join(projectRoot(), ".build", "hooks-bundle");

export interface HookStepProps {
  /** Step name as the hook CLI knows it (e.g. `connect-key-store`). */
  readonly step: string;
  readonly region: string;
  /**
   * CLI flags (without `--`) and their values: ids and names only, never secrets. Every value is
   * also a replacement trigger, so Terraform re-runs the step when what it acts on changes and
   * skips it otherwise.
   */
  readonly args: Readonly<Record<string, string>>;
  /** Upper bound for the step's waits. */
  readonly timeoutMinutes: number;
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * One bootstrap step in the Terraform graph: a `terraform_data` resource whose create-time
 * `local-exec` runs the bundled hook with Node. The bundle travels with the stack as a CDKTF
 * asset, so `cdktf deploy <env>-keys` runs it from any working directory; inputs are ids passed
 * as flags (secrets are read by the hook from Secrets Manager, never passed).
 */
export class HookStep extends Construct {
  readonly resource: TerraformData;

  constructor(scope: Construct, id: string, props: HookStepProps) {
    super(scope, id);
    const bundle = hookBundle(TerraformStack.of(this));
    const flags = Object.entries(props.args)
      .map(([k, v]) => `--${k} '${v}'`)
      .join(" ");
    this.resource = new TerraformData(this, "run", {
      triggersReplace: { step: props.step, ...props.args },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      provisioners: [
        {
          type: "local-exec",
          command: `node "\${path.module}/${bundle.path}/hooks.js" ${props.step} --region '${props.region}' --timeout-minutes ${props.timeoutMinutes} ${flags}`,
          environment: { AWS_REGION: props.region, AWS_SDK_LOAD_CONFIG: "1" },
        },
      ],
    });
  }
}

/** One asset per stack for the hook bundle. */
function hookBundle(stack: TerraformStack): TerraformAsset {
  const existing = stack.node.tryFindChild("hook-bundle");
  if (existing) return existing as TerraformAsset;
  if (!existsSync(join(HOOK_BUNDLE_DIR, "hooks.js"))) {
    throw new Error(`hook bundle missing at ${HOOK_BUNDLE_DIR}/hooks.js: run "npm run build" (tools/build.mjs) first`);
  }
  return new TerraformAsset(stack, "hook-bundle", { path: HOOK_BUNDLE_DIR, type: AssetType.DIRECTORY });
}
