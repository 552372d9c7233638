import { Construct } from "constructs";
import { Annotations, TerraformOutput, type ITerraformDependable } from "cdktf";
import type { ResolvedEnvironment } from "../../environments/resolve";
import { ConfigError } from "../../environments/errors";
import type { PrivateNetwork } from "../network/private-network";
import { IN_VPC_HOOK_SERVICES, SSM_HOST_SERVICES, ServiceEndpoints } from "../network/service-endpoints";
import { HookStep } from "../hooks/hook-step";
import { HookRuntime } from "../hooks/hook-runtime";
import { CloudHsmKeyStore } from "../keystores/cloudhsm-key-store";
import { HsmCluster } from "./hsm-cluster";
import { ClusterTrust } from "./cluster-trust";
import { HsmCredentials } from "./hsm-credentials";
import { AdminHost } from "./admin-host";

export interface CloudHsmProps {
  readonly env: ResolvedEnvironment;
  readonly network: PrivateNetwork;
  /** Folder relative certificate paths start from. @default - the repository root */
  readonly root?: string;
}

/** Synth-time notes already printed (once per environment and process). */
const printed = new Set<string>();

/**
 * CloudHSM end to end, in the order AWS requires (https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html):
 * HSM 1 -> initialize-cluster -> activate-cluster -> the other HSMs (in parallel) ->
 * wait-hsms-active -> create-kmsuser -> key store -> connect-key-store -> keys.
 *
 * With trust `provided` and no certificate files yet (first apply) it stops after the first HSM
 * and outputs the CSR; `keyStore` is then undefined and `awaitingCertificate` true, and keys in
 * the cloudhsm store (and FSx on them) are skipped with a NOTE until the second apply.
 */
export class CloudHsm extends Construct {
  readonly cluster: HsmCluster;
  readonly credentials: HsmCredentials;
  readonly endpoints: ServiceEndpoints;
  readonly adminHost: AdminHost;
  readonly trust: ClusterTrust;
  /** Undefined while waiting for the signed certificate. */
  readonly keyStore?: CloudHsmKeyStore;
  readonly awaitingCertificate: boolean;
  /** The bootstrap steps by hook name (only those synthesized). */
  readonly steps: Readonly<Record<string, HookStep>>;

  constructor(scope: Construct, id: string, props: CloudHsmProps) {
    super(scope, id);
    const { env, network } = props;
    const hsm = env.cloudHsm;
    if (!hsm) throw new Error("CloudHsm needs env.cloudHsm");
    const prefix = env.name;
    const timeoutMinutes = env.hooks.timeoutMinutes;

    this.endpoints = new ServiceEndpoints(this, "endpoints", {
      network,
      region: env.region,
      services: env.hooks.runner === "lambda" ? [...SSM_HOST_SERVICES, ...IN_VPC_HOOK_SERVICES] : SSM_HOST_SERVICES,
      namePrefix: prefix,
    });
    this.cluster = new HsmCluster(this, "hsm", { network, hsmType: hsm.hsmType, mode: hsm.mode, hsmAzs: hsm.hsmAzs, namePrefix: prefix });
    this.credentials = new HsmCredentials(this, "credentials", { environment: prefix });
    this.trust = new ClusterTrust(this, "trust", { trust: hsm.trust, environment: prefix, csr: () => this.cluster.csr(), root: props.root });
    const secretArns = [this.credentials.adminSecret.arn, this.credentials.kmsuserSecret.arn];
    this.adminHost = new AdminHost(this, "admin-host", {
      vpcId: network.vpcId,
      subnetId: network.subnetIdByAz[hsm.hsmAzs[0]],
      instanceType: hsm.adminHost.instanceType,
      amiId: hsm.adminHost.amiId,
      cliPreinstalled: hsm.adminHost.cliPreinstalled,
      cliPackage: hsm.adminHost.cliPackage,
      // Only an existing VPC can declare NAT (a new one never has a public subnet).
      internetEgress: env.network.mode === "existing" && env.network.natGateway === true && !(hsm.adminHost.cliPackage ?? "").startsWith("s3://") && !hsm.adminHost.cliPreinstalled,
      region: env.region,
      clusterSecurityGroupId: this.cluster.securityGroupId,
      endpointSecurityGroupId: this.endpoints.securityGroupId,
      s3PrefixListId: this.endpoints.s3PrefixListId,
      secretArns,
      parameterArns: [this.trust.certificateParameter, this.trust.trustAnchorParameter].flatMap((p) => (p ? [p.arn] : [])),
      partition: env.partition,
      namePrefix: prefix,
    });
    this.cluster.allowHsmAccessFrom("admin-host", this.adminHost.securityGroupId);
    output(this, "cloudhsm_cluster_id", this.cluster.clusterId, "CloudHSM cluster id");

    const { certificateParameter: cert, trustAnchorParameter: anchor, trustAnchorPem } = this.trust;
    if (!this.trust.ready || !cert || !anchor || !trustAnchorPem) {
      this.awaitingCertificate = true;
      this.steps = {};
      this.firstApplyOutputs(env);
      return;
    }
    this.awaitingCertificate = false;

    const step = (name: string, args: Record<string, string>, dependsOn: readonly ITerraformDependable[], minutes = timeoutMinutes) =>
      new HookStep(this, name, { step: name, region: env.region, args, timeoutMinutes: minutes, dependsOn: [...dependsOn] });
    const clusterId = this.cluster.clusterId;
    const init = step("initialize-cluster", { "cluster-id": clusterId, "certificate-parameter": cert.name, "trust-anchor-parameter": anchor.name }, [
      this.cluster.firstHsm,
      // The Lambda runner reaches CloudHSM and SSM through the endpoints.
      ...this.endpoints.endpoints,
    ]);
    // Backup retention has no provider argument: a hook applies it (ModifyCluster), beside initialisation.
    // One API call: a 5-minute budget (one Lambda invocation), whatever hooks.timeoutMinutes says.
    const retention = step("set-backup-retention", { "cluster-id": clusterId, days: String(hsm.backupRetentionDays) }, [this.cluster.cluster, ...this.endpoints.endpoints], 5);
    const activate = step(
      "activate-cluster",
      { "cluster-id": clusterId, "instance-id": this.adminHost.instanceId, "admin-secret-arn": this.credentials.adminSecret.arn, "trust-anchor-parameter": anchor.name },
      [init.resource, this.adminHost.instance, ...this.adminHost.readyWhen, ...this.cluster.accessRules, ...this.endpoints.endpoints],
    );
    const others = this.cluster.addRemainingHsms([activate.resource]);
    // Terraform already waits for each HSM to be ACTIVE; the hook re-checks the cluster as a whole.
    const wait = step("wait-hsms-active", { "cluster-id": clusterId, "min-hsms": "2" }, others);
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
      name: hsm.keyStoreName,
      clusterId,
      trustAnchorPem,
      kmsuserSecretArn: this.credentials.kmsuserSecret.arn,
      after: [kmsuser.resource],
      region: env.region,
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
    let resetCommand = `npm run hook -- reset-kmsuser-password --region '${env.region}' ${Object.entries(resetArgs)
      .map(([k, v]) => `--${k} '${v}'`)
      .join(" ")}`;
    if (env.hooks.runner === "lambda") {
      const runtime = HookRuntime.of(this);
      runtime.grantStep("reset-kmsuser-password", resetArgs);
      const event = { step: "reset-kmsuser-password", region: env.region, ...Object.fromEntries(Object.entries(resetArgs).map(([k, v]) => [k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), v])) };
      resetCommand = `aws lambda invoke --region '${env.region}' --function-name '${runtime.lambda().functionName}' --cli-read-timeout 0 --cli-binary-format raw-in-base64-out --payload '${JSON.stringify(event)}' reset-kmsuser-password.json`;
    }
    output(this, "cloudhsm_kmsuser_recovery_command", resetCommand, "Recovery from INVALID_CREDENTIALS / USER_LOCKED_OUT, run by an operator, never by apply (docs/cloudhsm.md)");
    this.steps = { "initialize-cluster": init, "set-backup-retention": retention, "activate-cluster": activate, "wait-hsms-active": wait, "create-kmsuser": kmsuser, "connect-key-store": this.keyStore.connect };
  }

  /** The CSR and what to do with it; keys and consumers on the store wait for the second apply. */
  private firstApplyOutputs(env: ResolvedEnvironment): void {
    output(this, "cloudhsm_cluster_csr", this.cluster.csr(), "CloudHSM cluster CSR: sign it with your CA (see docs/cloudhsm.md)");
    output(
      this,
      "cloudhsm_next_steps",
        "Sign the cluster_csr output with your offline CA, save the certificate and the CA certificate as PEM files in the repository, " +
        "set cloudHsm.trust.signedCertificateFile and cloudHsm.trust.trustAnchorFile, then apply again (initialise, activate, HSMs, kmsuser, key store, keys).",
      "What to do with the CSR",
    );
    const keys = Object.entries(env.keys).filter(([, k]) => k.store === "cloudhsm").map(([n]) => n);
    const blocked = [
      ...Object.entries(env.data.buckets).filter(([, b]) => keys.includes(b.key)).map(([n, b]) => `data.buckets.${n}.key: "${b.key}"`),
      ...(env.data.ebs && keys.includes(env.data.ebs.key) ? [`data.ebs.key: "${env.data.ebs.key}"`] : []),
    ];
    if (blocked.length) {
      throw new ConfigError(
        blocked.map((b) => `${b} is a cloudhsm key, which exists only after the cluster certificate is provided (cloudHsm.trust.signedCertificateFile and trustAnchorFile): use another key until then`),
      );
    }
    const waiting = [...keys.map((k) => `keys.${k}`), ...(env.data.fsx && keys.includes(env.data.fsx.key) ? ["data.fsx"] : [])];
    const note = `NOTE ${env.name}: CloudHSM trust files not set (first apply): the stack stops after the first HSM and outputs the CSR; skipped until the second apply: ${waiting.join(", ") || "nothing"}`;
    Annotations.of(this).addInfo(note);
    if (!printed.has(env.name)) {
      printed.add(env.name);
      process.stderr.write(`${note}\n`);
    }
  }
}

/** An output with a stable, readable name (not the construct path hash). */
function output(scope: Construct, name: string, value: string, description: string): TerraformOutput {
  const out = new TerraformOutput(scope, name, { value, description });
  out.overrideLogicalId(name);
  return out;
}
