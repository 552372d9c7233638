import { Construct } from "constructs";
import { CLOUDHSM, HOOKS, inRange, KMS } from "@cmk-stacks/aws-limits";
import { TerraformOutput, type ITerraformDependable } from "cdktf";
import type { INetwork } from "../network/network";
import { IN_VPC_HOOK_SERVICES, SSM_HOST_SERVICES, ServiceEndpoints } from "../network/service-endpoints";
import { HookStep } from "../hooks/hook-step";
import { HookRuntime } from "../hooks/hook-runtime";
import { CloudHsmKeyStore } from "../keystores/cloudhsm-key-store";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { budgetMinutes, camel } from "../../hooks/contract";
import { HsmCluster, type ClusterMode, type HsmType, type RestoredCluster } from "./hsm-cluster";
import { ClusterTrust, type ClusterTrustSource } from "./cluster-trust";
import { HsmCredentials } from "./hsm-credentials";
import { AdminHost, type AdminHostProps } from "./admin-host";
import { ScaleToZeroSchedule, type ScaleToZeroTimes } from "./scale-to-zero";
import type { ScaleWindow } from "../../hooks/lib/scale-window";

/**
 * Where a CloudHSM deployment stands: `awaiting-certificate` is the first apply of an operator-signed
 * (provided) trust, which stops after the first HSM and outputs the cluster CSR; `ready` builds
 * everything up to the connected key store.
 */
export type CloudHsmPhase = "awaiting-certificate" | "ready";

/** The admin host's settings (network, security groups and secrets come from CloudHsm). */
export type CloudHsmAdminHostOptions = Pick<
  AdminHostProps,
  "instanceType" | "amiId" | "cliPreinstalled" | "cliPackage" | "natGateway"
>;

export interface CloudHsmProps {
  /** The network of the cluster, the admin host and the endpoints (a subnet in every HSM AZ). */
  readonly network: INetwork;
  /**
   * AZ of each HSM: at least {@link CLOUDHSM.KEY_STORE_MIN_HSMS} HSMs in as many AZs (a KMS custom
   * key store needs 2 ACTIVE HSMs in different AZs). The first is created alone and hosts the admin
   * host's AZ.
   */
  readonly hsmAzs: readonly string[];
  /** KMS custom key store name, {@link KMS.CUSTOM_KEY_STORE_NAME_LENGTH} characters, unique per account and Region. */
  readonly keyStoreName: string;
  /**
   * `awaiting-certificate`: the first apply with an operator-signed certificate (no `trust` yet):
   * the cluster, its first HSM, the secrets, endpoints and admin host, and the CSR as an output.
   * @default "ready"
   */
  readonly phase?: CloudHsmPhase;
  /**
   * The cluster certificate and trust anchor (read in the `ready` phase only; unset while
   * `awaiting-certificate`).
   * @default { mode: "generated" } (a CA made by the tls provider; its key is in Terraform state)
   */
  readonly trust?: ClusterTrustSource;
  /** @default - the rulebook's {@link CLOUDHSM.HSM_TYPE_DEFAULT} */
  readonly hsmType?: HsmType;
  /** HSMs AWS replaced, adopted by import ({@link HsmClusterProps.adoptHsms}). @default - none */
  readonly adoptHsms?: Readonly<Record<string, string>>;
  /** @default - the rulebook's {@link CLOUDHSM.CLUSTER_MODE_DEFAULT} */
  readonly mode?: ClusterMode;
  /** The cluster restored by `restore-key-store` (`HsmCluster` imports it). @default - a cluster Terraform creates */
  readonly restored?: RestoredCluster;
  /**
   * Days CloudHSM keeps backups, within {@link CLOUDHSM.BACKUP_RETENTION_DAYS} (ModifyCluster
   * BackupRetentionPolicy, set by a hook).
   * @default - the rulebook's {@link CLOUDHSM.BACKUP_RETENTION_DAYS_DEFAULT}
   */
  readonly backupRetentionDays?: number;
  /**
   * @default - the rulebook's {@link CLOUDHSM.ADMIN_HOST_INSTANCE_TYPE_DEFAULT} with the latest Amazon Linux 2023, the CLI from
   * {@link CLOUDHSM.ADMIN_HOST_CLI_PACKAGE_DEFAULT} (the CloudHSM download URL, which needs `natGateway`)
   */
  readonly adminHost?: CloudHsmAdminHostOptions;
  /**
   * Budget of each waiting hook step (connecting the store takes up to 20 minutes, 30 seen), within
   * {@link HOOKS.TIMEOUT_MINUTES}.
   * @default - the rulebook's {@link HOOKS.TIMEOUT_MINUTES_DEFAULT}
   */
  readonly hookTimeoutMinutes?: number;
  /**
   * Scale to zero (non-production only; docs/cloudhsm.md "Scale to zero"): the HSMs belong to the
   * `ensure-hsms` hook steps instead of Terraform, and a schedule deletes them after disconnecting the
   * store and recreates them before reconnecting it. Needs the lambda runner.
   * @default - none: Terraform owns the HSMs and they run around the clock
   */
  readonly scaleToZero?: ScaleToZeroTimes;
}

/**
 * CloudHSM end to end, in the order AWS requires (https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html):
 * HSM 1 -> initialize-cluster -> activate-cluster -> the other HSMs (in parallel) ->
 * wait-hsms-active -> create-kmsuser -> key store -> connect-key-store -> keys.
 *
 * In the `awaiting-certificate` phase it stops after the first HSM and outputs the CSR;
 * `keyStore` and `trust` are then undefined. The hooks run on the stack's {@link HookRuntime}.
 */
export class CloudHsm extends Construct {
  readonly cluster: HsmCluster;
  readonly credentials: HsmCredentials;
  readonly endpoints: ServiceEndpoints;
  readonly adminHost: AdminHost;
  /** Undefined while awaiting the signed certificate. */
  readonly trust?: ClusterTrust;
  /** Undefined while awaiting the signed certificate. */
  readonly keyStore?: CloudHsmKeyStore;
  readonly phase: CloudHsmPhase;
  /** The bootstrap steps by hook name (only those synthesized). */
  readonly steps: Readonly<Record<string, HookStep>>;
  /** The scale-to-zero schedule (with `scaleToZero`, once the store exists). */
  readonly scaleToZero?: ScaleToZeroSchedule;
  /** When the HSMs are down on purpose (with `scaleToZero`): the health check's and `status`'s window. */
  readonly scaleWindow?: ScaleWindow;

  constructor(scope: Construct, id: string, props: CloudHsmProps) {
    super(scope, id);
    const { network } = props;
    const phase = props.phase ?? "ready";
    const timeoutMinutes = props.hookTimeoutMinutes ?? HOOKS.TIMEOUT_MINUTES_DEFAULT.value;
    const backupRetentionDays = props.backupRetentionDays ?? CLOUDHSM.BACKUP_RETENTION_DAYS_DEFAULT.value;
    throwIfProblems(this.problems(props, phase, backupRetentionDays, timeoutMinutes));
    const { region } = EnvironmentStack.of(this);
    const runtime = HookRuntime.of(this);
    this.phase = phase;

    this.endpoints = new ServiceEndpoints(this, "endpoints", {
      network,
      services: runtime.runner === "lambda" ? [...SSM_HOST_SERVICES, ...IN_VPC_HOOK_SERVICES] : SSM_HOST_SERVICES,
    });
    this.cluster = new HsmCluster(this, "hsm", {
      network,
      hsmType: props.hsmType,
      mode: props.mode,
      hsmAzs: props.hsmAzs,
      ...(props.scaleToZero ? { hsmOwner: "hook-steps" as const, hookTimeoutMinutes: timeoutMinutes } : {}),
      adoptHsms: props.adoptHsms,
      restored: props.restored,
    });
    this.credentials = new HsmCredentials(this, "credentials");
    const trust =
      phase === "ready"
        ? new ClusterTrust(this, "trust", {
            trust: props.trust ?? { mode: "generated" },
            csr: () => this.cluster.csr(),
          })
        : undefined;
    this.trust = trust;
    const secretArns = [this.credentials.adminSecret.arn, this.credentials.kmsuserSecret.arn];
    this.adminHost = new AdminHost(this, "admin-host", {
      ...props.adminHost,
      network,
      az: props.hsmAzs[0],
      clusterSecurityGroupId: this.cluster.securityGroupId,
      endpointSecurityGroupId: this.endpoints.securityGroupId,
      s3PrefixListId: this.endpoints.s3PrefixListId,
      secretArns,
      parameterArns: trust ? [trust.certificateParameter.arn, trust.trustAnchorParameter.arn] : [],
    });
    this.cluster.allowHsmAccessFrom("admin-host", this.adminHost.securityGroupId);
    output(this, "cloudhsm_cluster_id", this.cluster.clusterId, "CloudHSM cluster id");

    if (!trust) {
      this.steps = {};
      this.firstApplyOutputs();
      return;
    }
    const { certificateParameter: cert, trustAnchorParameter: anchor, trustAnchorPem } = trust;

    const step = (
      name: string,
      args: Record<string, string>,
      dependsOn: readonly ITerraformDependable[],
      minutes = timeoutMinutes,
    ) => new HookStep(this, name, { step: name, args, timeoutMinutes: minutes, dependsOn: [...dependsOn] });
    const clusterId = this.cluster.clusterId;
    const init = step(
      "initialize-cluster",
      { "cluster-id": clusterId, "certificate-parameter": cert.name, "trust-anchor-parameter": anchor.name },
      [
        this.cluster.firstHsm,
        // The Lambda runner reaches CloudHSM and SSM through the endpoints.
        ...this.endpoints.endpoints,
      ],
    );
    // Backup retention has no provider argument: a hook applies it (ModifyCluster), beside
    // initialisation, within the contract's fixed budget for that one call.
    const retention = step(
      "set-backup-retention",
      { "cluster-id": clusterId, days: String(backupRetentionDays) },
      [this.cluster.cluster, ...this.endpoints.endpoints],
      budgetMinutes("set-backup-retention", timeoutMinutes),
    );
    const activate = step(
      "activate-cluster",
      {
        "cluster-id": clusterId,
        "instance-id": this.adminHost.instanceId,
        "admin-secret-arn": this.credentials.adminSecret.arn,
        "trust-anchor-parameter": anchor.name,
      },
      [
        init.resource,
        this.adminHost.instance,
        ...this.adminHost.readyWhen,
        ...this.cluster.accessRules,
        ...this.endpoints.endpoints,
      ],
    );
    const others = this.cluster.addRemainingHsms([activate.resource]);
    // Terraform already waits for each HSM to be ACTIVE; the hook re-checks the cluster as a whole.
    const wait = step(
      "wait-hsms-active",
      { "cluster-id": clusterId, "min-hsms": String(CLOUDHSM.KEY_STORE_MIN_HSMS.value) },
      others,
    );
    const kmsuser = step(
      "create-kmsuser",
      {
        "cluster-id": clusterId,
        "instance-id": this.adminHost.instanceId,
        "admin-secret-arn": this.credentials.adminSecret.arn,
        "kmsuser-secret-arn": this.credentials.kmsuserSecret.arn,
        "trust-anchor-parameter": anchor.name,
      },
      [wait.resource],
    );
    this.keyStore = new CloudHsmKeyStore(this, "key-store", {
      name: props.keyStoreName,
      clusterId,
      trustAnchorPem,
      kmsuserSecretArn: this.credentials.kmsuserSecret.arn,
      after: [kmsuser.resource],
      timeoutMinutes,
    });
    // Recovery (INVALID_CREDENTIALS, USER_LOCKED_OUT) is an operator-run step, never part of an
    // apply: it disconnects the store. Its command line (ids only) is an output; the Lambda
    // runner's role may run it, so Terraform Cloud users can invoke the function by hand.
    const resetArgs = {
      "key-store-id": this.keyStore.keyStoreId,
      "instance-id": this.adminHost.instanceId,
      "admin-secret-arn": this.credentials.adminSecret.arn,
      "kmsuser-secret-arn": this.credentials.kmsuserSecret.arn,
      "trust-anchor-parameter": anchor.name,
    };
    let resetCommand = `npm run hook -- reset-kmsuser-password --region '${region}' ${Object.entries(resetArgs)
      .map(([k, v]) => `--${k} '${v}'`)
      .join(" ")}`;
    if (runtime.runner === "lambda") {
      runtime.grantStep("reset-kmsuser-password", resetArgs);
      const event = {
        step: "reset-kmsuser-password",
        region,
        ...Object.fromEntries(Object.entries(resetArgs).map(([k, v]) => [camel(k), v])),
      };
      resetCommand = `aws lambda invoke --region '${region}' --function-name '${runtime.lambda().functionName}' --cli-read-timeout 0 --cli-binary-format raw-in-base64-out --payload '${JSON.stringify(event)}' reset-kmsuser-password.json`;
    }
    output(
      this,
      "cloudhsm_kmsuser_recovery_command",
      resetCommand,
      "Recovery from INVALID_CREDENTIALS / USER_LOCKED_OUT, run by an operator, never by apply (docs/cloudhsm.md)",
    );
    this.steps = {
      "initialize-cluster": init,
      "set-backup-retention": retention,
      "activate-cluster": activate,
      "wait-hsms-active": wait,
      "create-kmsuser": kmsuser,
      "connect-key-store": this.keyStore.connect,
    };
    if (props.scaleToZero) {
      this.scaleToZero = new ScaleToZeroSchedule(this, "scale-to-zero", {
        ...props.scaleToZero,
        clusterId,
        keyStoreId: this.keyStore.keyStoreId,
        vpcId: props.network.vpcId,
        hsmAzs: props.hsmAzs,
        timeoutMinutes,
        after: this.keyStore.readyWhen,
      });
      this.scaleWindow = this.scaleToZero.window;
    }
  }

  /** The props' problems (the parts the child constructs do not check), one line each. */
  private problems(props: CloudHsmProps, phase: string, backupRetentionDays: number, timeoutMinutes: number): string[] {
    const at = (prop: string) => `${this.node.path}.${prop}`;
    const problems: string[] = [];
    if (phase !== "ready" && phase !== "awaiting-certificate")
      problems.push(`${at("phase")}: ${shown(phase)} is not allowed ("awaiting-certificate" or "ready")`);
    if (phase === "awaiting-certificate" && props.trust !== undefined) {
      problems.push(
        `${at("trust")}: ${shown(props.trust)} is not allowed (unset while awaiting the certificate: the first apply only outputs the cluster CSR, CloudHSM InitializeCluster)`,
      );
    }
    if (!CLOUDHSM.hsmAzsServeKeyStore(props.hsmAzs)) {
      const n = CLOUDHSM.KEY_STORE_MIN_HSMS.value;
      problems.push(
        `${at("hsmAzs")}: ${shown(props.hsmAzs)} is not allowed (at least ${n} HSMs in at least ${n} AZs: a KMS custom key store needs ${n} ACTIVE HSMs in different AZs, KMS CreateCustomKeyStore)`,
      );
    }
    if (!inRange(CLOUDHSM.BACKUP_RETENTION_DAYS, backupRetentionDays)) {
      const days = CLOUDHSM.BACKUP_RETENTION_DAYS;
      problems.push(
        `${at("backupRetentionDays")}: ${shown(backupRetentionDays)} is not allowed (${days.min} to ${days.max} ${days.unit}, CloudHSM ModifyCluster BackupRetentionPolicy)`,
      );
    }
    if (!KMS.isCustomKeyStoreName(props.keyStoreName)) {
      problems.push(
        `${at("keyStoreName")}: ${shown(props.keyStoreName)} is not allowed (${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.min}-${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.max} characters, KMS CreateCustomKeyStore CustomKeyStoreName)`,
      );
    }
    if (!inRange(HOOKS.TIMEOUT_MINUTES, timeoutMinutes))
      problems.push(
        `${at("hookTimeoutMinutes")}: ${shown(timeoutMinutes)} is not allowed (${HOOKS.timeoutMinutesAllowed()})`,
      );
    return problems;
  }

  /** The CSR and what to do with it; keys and consumers on the store wait for the second apply. */
  private firstApplyOutputs(): void {
    output(
      this,
      "cloudhsm_cluster_csr",
      this.cluster.csr(),
      "CloudHSM cluster CSR: sign it with your CA (see docs/cloudhsm.md)",
    );
    output(
      this,
      "cloudhsm_next_steps",
      "Sign the cluster_csr output with your offline CA, save the certificate and the CA certificate as PEM files in the repository, " +
        "set cloudHsm.trust.signedCertificateFile and cloudHsm.trust.trustAnchorFile, then apply again (initialise, activate, HSMs, kmsuser, key store, keys).",
      "What to do with the CSR",
    );
  }
}

/** An output with a stable, readable name (not the construct path hash). */
function output(scope: Construct, name: string, value: string, description: string): TerraformOutput {
  const out = new TerraformOutput(scope, name, { value, description });
  out.overrideLogicalId(name);
  return out;
}
