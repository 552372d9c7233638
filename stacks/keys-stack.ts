import { Construct } from "constructs";
import type { ResolvedEnvironment } from "../environments/resolve";
import { PrivateNetwork } from "../modules/network/private-network";
import { CustomerKey, type ICustomerKey } from "../modules/keys/customer-key";
import { SigningKey } from "../modules/keys/signing-key";
import type { IKeyStore } from "../modules/keystores/key-store";
import { XksKeyStore } from "../modules/keystores/xks-key-store";
import { CloudHsm } from "../modules/cloudhsm/cloudhsm";
import { HookRuntime } from "../modules/hooks/hook-runtime";
import { ShippedEnvironmentStack } from "./base-stack";
import { IamServiceLinkedRole } from "@cdktf/provider-aws/lib/iam-service-linked-role";
import { prepareWithoutResolvePass } from "../modules/cdktf/internals";

/**
 * Long-lived key infrastructure: network, key stores and keys. Guarded by `prevent_destroy` and
 * the plan guard; changes rarely, so it has its own state, apart from the consumers.
 */
export class KeysStack extends ShippedEnvironmentStack {
  /**
   * Skip cdktf's preparing resolve pass for keys stacks (see prepareStack). Tests turn it off to
   * prove that the output is the same byte for byte (test/stacks/main-cli.test.ts).
   */
  static skipPreparingResolve = true;

  readonly network: PrivateNetwork;
  readonly keys: Readonly<Record<string, ICustomerKey>>;
  /** Asymmetric signing keys: never in `keys`, so no consumer can be given one. */
  readonly signingKeys: Readonly<Record<string, SigningKey>>;
  readonly keyStores: Partial<Record<IKeyStore["kind"], IKeyStore>> = {};

  constructor(scope: Construct, id: string, env: ResolvedEnvironment) {
    super(scope, id, env);
    this.network = new PrivateNetwork(this, "network", { config: env.network, namePrefix: env.name });
    // How this stack's bootstrap hooks run (local Node, or a Lambda function in this VPC).
    new HookRuntime(this, HookRuntime.ID, {
      runner: env.hooks.runner,
      partition: env.partition,
      region: env.region,
      account: env.account,
      namePrefix: env.name,
      vpc: { vpcId: this.network.vpcId, cidr: this.network.cidr, subnetIds: this.network.subnetIds },
    });
    // KEY STORES: each key-store module registers itself in this.keyStores here (cloudhsm, xks).
    if (env.xks) {
      this.keyStores.xks = new XksKeyStore(this, "xks", {
        config: env.xks,
        region: env.region,
        network: this.network,
        onPremisesCidrs: env.network.onPremisesCidrs,
        namePrefix: env.name,
        connectTimeoutMinutes: env.hooks.timeoutMinutes,
      }).keyStore;
    }
    const cloudHsm = env.cloudHsm ? new CloudHsm(this, "cloudhsm", { env, network: this.network }) : undefined;
    if (cloudHsm?.keyStore) this.keyStores.cloudhsm = cloudHsm.keyStore;

    // The EBS default key's service-linked roles, created first when the account lacks them.
    const ebs = env.data.ebs;
    const serviceLinkedRoles = ebs?.createServiceLinkedRoles
      ? ebs.serviceLinkedRoles.map((arn) => {
          const [, service, name] = /:role\/aws-service-role\/([^/]+)\/([^/]+)$/.exec(arn) as RegExpExecArray;
          const suffix = name.includes("_") ? name.slice(name.indexOf("_") + 1) : undefined;
          return new IamServiceLinkedRole(this, `service-linked-role-${name}`, { awsServiceName: service, customSuffix: suffix });
        })
      : [];

    const keys: Record<string, ICustomerKey> = {};
    for (const [name, config] of Object.entries(env.keys)) {
      // First CloudHSM apply (no certificate yet): the store does not exist, its keys come next time.
      if (config.store === "cloudhsm" && cloudHsm?.awaitingCertificate) continue;
      keys[name] = new CustomerKey(this, `key-${name}`, {
        name,
        config,
        partition: env.partition,
        account: env.account,
        keyStore: config.store === "aws-kms" ? undefined : this.keyStores[config.store],
        serviceRoles: ebs?.key === name ? ebs.serviceLinkedRoles : undefined,
        dependsOn: ebs?.key === name ? serviceLinkedRoles : undefined,
      });
    }
    this.keys = keys;
    this.signingKeys = Object.fromEntries(
      Object.entries(env.signingKeys ?? {}).map(([name, k]) => [
        name,
        new SigningKey(this, `signing-key-${name}`, {
          alias: k.alias,
          description: k.description,
          keySpec: k.keySpec,
          deletionWindowDays: k.deletionWindowDays,
          administrators: k.administrators,
          signers: k.signers,
          verifiers: k.verifiers,
          publicKeyReaders: k.publicKeyReaders,
          policy: k.policy,
        }),
      ]),
    );
  }

  /**
   * cdktf resolves every stack twice: a "preparing" pass that exists to discover cross-stack
   * references (and add the outputs and remote-state lookups they need), then the real one. A
   * keys stack references no other stack: it is where every cross-stack reference points, and
   * the outputs those need are added to it by the data stacks' own preparing pass. So for a keys
   * stack the first pass finds nothing and costs a third of the synthesis; only the backend
   * check it also does is kept. Were a keys stack ever to reference another stack, the
   * equivalence test and `npm run validate` (a dangling reference) would both fail.
   */
  prepareStack(): void {
    if (!KeysStack.skipPreparingResolve) {
      super.prepareStack();
      return;
    }
    prepareWithoutResolvePass(this);
  }
}
