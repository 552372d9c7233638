import { Construct } from "constructs";
import { Annotations, TerraformOutput } from "cdktf";
import { firstApplyNote, keysAwaitingCertificate, type ResolvedEnvironment } from "../environments/resolve";
import { PrivateNetwork } from "../modules/network/private-network";
import { CustomerKey, type ICustomerKey } from "../modules/keys/customer-key";
import { ImportedKey } from "../modules/keys/imported-key";
import { SigningKey } from "../modules/keys/signing-key";
import { MacKey } from "../modules/keys/mac-key";
import type { IKeyStore } from "../modules/keystores/key-store";
import { XksKeyStore } from "../modules/keystores/xks-key-store";
import { CloudHsm } from "../modules/cloudhsm/cloudhsm";
import { clusterTrustSource } from "./cloudhsm-trust-files";
import { HookRuntime } from "../modules/hooks/hook-runtime";
import { ShippedEnvironmentStack } from "./base-stack";
import { ServiceLinkedRole } from "../modules/keys/service-linked-role";
import { prepareWithoutResolvePass } from "../modules/cdktf/internals";
import { KmsAlarms } from "../modules/alarms/kms-alarms";
import type { ScaleWindow } from "../hooks/lib/scale-window";

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
  /** HMAC keys: never in `keys`, so no consumer can be given one. */
  readonly macKeys: Readonly<Record<string, MacKey>>;
  readonly keyStores: Partial<Record<IKeyStore["kind"], IKeyStore>> = {};

  constructor(scope: Construct, id: string, env: ResolvedEnvironment) {
    super(scope, id, env);
    this.network = new PrivateNetwork(this, "network", env.network);
    // How this stack's bootstrap hooks run (local Node, or a Lambda function in this VPC).
    new HookRuntime(this, HookRuntime.ID, { runner: env.hooks.runner, network: this.network });
    // KEY STORES: each key-store module registers itself in this.keyStores here (cloudhsm, xks).
    let xksProxyAddress: string | undefined;
    if (env.xks) {
      const { keyStoreName, privateDnsName, publicZone, uriPath, proxyTargets, healthCheck, credential } = env.xks;
      const xks = new XksKeyStore(this, "xks", {
        keyStoreName,
        privateDnsName,
        publicZone,
        uriPath,
        proxyTargets,
        healthCheck,
        credential,
        // The names deploy workflows read them from (GitHub secret names: upper case, "-" as "_").
        credentialCiSecretNames: ciSecretNames(env.name),
        network: this.network,
        connectTimeoutMinutes: env.hooks.timeoutMinutes,
      });
      this.keyStores.xks = xks.keyStore;
      xksProxyAddress = xks.endpoint.address;
    }
    const hsm = env.cloudHsm;
    let cloudHsmClusterId: string | undefined;
    let cloudHsmScaleWindow: ScaleWindow | undefined;
    if (hsm) {
      const cloudHsm = new CloudHsm(this, "cloudhsm", {
        network: this.network,
        hsmAzs: hsm.hsmAzs,
        keyStoreName: hsm.keyStoreName,
        phase: hsm.phase,
        trust: hsm.phase === "ready" ? clusterTrustSource(hsm.trust) : undefined,
        hsmType: hsm.hsmType,
        mode: hsm.mode,
        adoptHsms: hsm.adoptHsms,
        restored: hsm.restored,
        backupRetentionDays: hsm.backupRetentionDays,
        // Only an existing VPC can declare NAT (a new one never has a public subnet).
        adminHost: { ...hsm.adminHost, natGateway: env.network.mode === "existing" && env.network.natGateway === true },
        hookTimeoutMinutes: env.hooks.timeoutMinutes,
        ...(hsm.scaleToZero ? { scaleToZero: hsm.scaleToZero } : {}),
      });
      if (cloudHsm.keyStore) this.keyStores.cloudhsm = cloudHsm.keyStore;
      cloudHsmScaleWindow = cloudHsm.scaleWindow;
      cloudHsmClusterId = cloudHsm.cluster.clusterId;
      // The composer prints the same line once per environment (stacks/compose.ts).
      const note = firstApplyNote(env);
      if (note) Annotations.of(cloudHsm).addInfo(note);
    }
    // First CloudHSM apply (awaiting the certificate): the store does not exist, its keys come next time.
    const waiting = keysAwaitingCertificate(env);

    // The EBS default key's service-linked roles, created first when the account lacks them.
    const ebs = env.data.ebs;
    const serviceLinkedRoles = ebs?.createServiceLinkedRoles
      ? ebs.serviceLinkedRoles.map(
          (roleArn) => new ServiceLinkedRole(this, ServiceLinkedRole.defaultId(roleArn), { roleArn }),
        )
      : [];

    // ALARMS (opt in): the topic, the account request quota and each key store's alarms; imported
    // keys' expiry alarms notify the same topic.
    let alarms: KmsAlarms | undefined;
    if (env.alarms) {
      const cloudHsmStore = this.keyStores.cloudhsm;
      const xksStore = this.keyStores.xks;
      alarms = new KmsAlarms(this, "alarms", {
        subscriptions: env.alarms.subscriptions,
        requestQuotaShare: env.alarms.requestQuotaShare,
        cloudHsm:
          cloudHsmStore && cloudHsmClusterId
            ? { keyStore: cloudHsmStore, clusterId: cloudHsmClusterId, scaleWindow: cloudHsmScaleWindow }
            : undefined,
        xks: xksStore ? { keyStore: xksStore, ...env.alarms.xks, proxyAddress: xksProxyAddress } : undefined,
      });
    }

    const keys: Record<string, ICustomerKey> = {};
    for (const [name, config] of Object.entries(env.keys)) {
      if (waiting.includes(name)) continue;
      if (config.origin === "external") {
        // Imported material (BYOK): created without material, imported by an operator (docs/byok.md).
        keys[name] = new ImportedKey(this, `key-${name}`, {
          name,
          alias: config.alias,
          aliases: config.aliases,
          description: config.description,
          administrators: config.administrators,
          users: config.users,
          importers: config.importers ?? [],
          deletionWindowDays: config.deletionWindowDays,
          policy: config.policy,
          keyMaterialValidityDays: config.keyMaterialValidityDays,
          alarmTopic: alarms?.topic,
          encryptOnlyUsers: config.encryptOnlyUsers,
          decryptOnlyUsers: config.decryptOnlyUsers,
          externalAccounts: config.externalAccounts,
          serviceRoles: ebs?.key === name ? ebs.serviceLinkedRoles : undefined,
          dependsOn: ebs?.key === name ? serviceLinkedRoles : undefined,
          services: config.services,
        });
        continue;
      }
      keys[name] = new CustomerKey(this, `key-${name}`, {
        name,
        alias: config.alias,
        aliases: config.aliases,
        description: config.description,
        deletionWindowDays: config.deletionWindowDays,
        rotation: config.rotation,
        rotationPeriodDays: config.rotationPeriodDays,
        administrators: config.administrators,
        users: config.users,
        policy: config.policy,
        store: config.store,
        keyStore: config.store === "aws-kms" ? undefined : this.keyStores[config.store],
        xksKeyId: config.xksKeyId,
        encryptOnlyUsers: config.encryptOnlyUsers,
        decryptOnlyUsers: config.decryptOnlyUsers,
        externalAccounts: config.externalAccounts,
        serviceRoles: ebs?.key === name ? ebs.serviceLinkedRoles : undefined,
        dependsOn: ebs?.key === name ? serviceLinkedRoles : undefined,
        generations: config.generations,
        services: config.services,
        multiRegion: config.multiRegion,
        replicaRegions: config.replicaRegions,
      });
    }
    this.keys = keys;

    // The operator's XKS credential rotation with this stack's ids (docs/xks.md): the store ignores
    // its credential after creation, so this command, never an apply, changes it.
    const xksKeyName = Object.keys(env.keys).find((n) => env.keys[n].store === "xks" && keys[n]);
    if (this.keyStores.xks && env.xks && xksKeyName) {
      const source = env.xks.credential;
      const flags = `--region '${env.region}' --key-store-id '${this.keyStores.xks.keyStoreId}' --key-id '${keys[xksKeyName].keyId}'`;
      const command =
        source.source === "secretsManager"
          ? `npm run -s hook -- rotate-xks-credential ${flags} --credential-secret-arn '${source.secretArn}'`
          : `<print {"accessKeyId":"...","secretAccessKey":"..."} of the NEW credential from your key manager> | npm run -s hook -- rotate-xks-credential ${flags}`;
      const out = new TerraformOutput(this, "xks_rotate_credential_command", {
        value: command,
        description: `Replaces the XKS proxy credential without an outage, run by an operator from a host that reaches the proxy (add --connect-to <proxy ip>:443 where ${env.xks.privateDnsName} does not resolve)${source.source === "secretsManager" ? " after the new credential is the secret's current version" : ""}; never by apply (docs/xks.md)`,
      });
      out.overrideLogicalId("xks_rotate_credential_command");
    }

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
    this.macKeys = Object.fromEntries(
      Object.entries(env.macKeys ?? {}).map(([name, k]) => [
        name,
        new MacKey(this, `mac-key-${name}`, {
          alias: k.alias,
          description: k.description,
          keySpec: k.keySpec,
          deletionWindowDays: k.deletionWindowDays,
          administrators: k.administrators,
          macGenerators: k.macGenerators,
          macVerifiers: k.macVerifiers,
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

/** The GitHub Actions secrets holding an environment's XKS credential (`XKS_ACCESS_KEY_ID_<ENV>`, ...). */
export function ciSecretNames(environment: string): { accessKeyId: string; secretAccessKey: string } {
  const suffix = environment.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  return { accessKeyId: `XKS_ACCESS_KEY_ID_${suffix}`, secretAccessKey: `XKS_SECRET_ACCESS_KEY_${suffix}` };
}
