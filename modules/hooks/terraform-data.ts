import { Construct } from "constructs";
import { TerraformResource, type TerraformMetaArguments, type LocalExecProvisioner } from "cdktf";

/**
 * The arguments of `terraform_data` (https://developer.hashicorp.com/terraform/language/resources/terraform-data),
 * plus the meta-arguments (`dependsOn`, `lifecycle`, ...: each @default - none).
 */
export interface TerraformDataProps extends TerraformMetaArguments {
  /** Values whose change replaces the resource (and so re-runs its create-time provisioner). @default - none (created once) */
  readonly triggersReplace?: Record<string, string>;
  /** Stored as-is in state and exposed as `output`. Never put a secret here. @default - none */
  readonly input?: Record<string, string>;
  /** Create-time provisioners (the hooks' `local-exec`). @default - none */
  readonly provisioners?: LocalExecProvisioner[];
}

/**
 * Terraform's built-in `terraform_data` resource (Terraform >= 1.4). cdktf 0.21 ships no class for
 * it, so this is the one place that writes it by hand.
 */
export class TerraformData extends TerraformResource {
  private readonly props: TerraformDataProps;

  constructor(scope: Construct, id: string, props: TerraformDataProps) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      dependsOn: props.dependsOn,
      lifecycle: props.lifecycle,
      provisioners: props.provisioners,
    });
    this.props = props;
  }

  /** `output` attribute (mirrors `input`). */
  get output(): string {
    return this.getStringAttribute("output");
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {
      triggers_replace: this.props.triggersReplace,
      input: this.props.input,
    };
  }

  protected synthesizeHclAttributes(): Record<string, unknown> {
    return {
      triggers_replace: {
        value: this.props.triggersReplace,
        isBlock: false,
        type: "map",
        storageClassType: "stringMap",
      },
      input: { value: this.props.input, isBlock: false, type: "map", storageClassType: "stringMap" },
    };
  }
}
