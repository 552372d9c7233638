/**
 * `npm run restore`: what the restore-key-store step needs, found from the environment's
 * configuration and the names its stack gives its resources (modules/cloudhsm/names.ts), and the
 * `cloudHsm.restored` setting to write once the step is done. docs/cloudhsm.md#restore.
 */
import { DescribeClustersCommand, type DescribeClustersCommandOutput } from "@aws-sdk/client-cloudhsm-v2";
import {
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  type DescribeInstancesCommandOutput,
  type DescribeSubnetsCommandOutput,
} from "@aws-sdk/client-ec2";
import { DescribeCustomKeyStoresCommand, type DescribeCustomKeyStoresCommandOutput } from "@aws-sdk/client-kms";
import { DescribeSecretCommand, type DescribeSecretCommandOutput } from "@aws-sdk/client-secrets-manager";
import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import type { ResolvedEnvironment } from "../../environments/resolve";
import { awsErrorCode, errorMessage } from "../../hooks/lib/errors";
import type { Sender } from "../../hooks/lib/runtime";
import { cloudHsmNames, privateSubnetName } from "../../modules/cloudhsm/names";

/** The clients the restore command uses. */
export interface RestoreClients {
  readonly kms: Sender;
  readonly cloudhsm: Sender;
  readonly ssm: Sender;
  readonly secrets: Sender;
  readonly ec2: Sender;
}

/** The step's ids, found (every problem at once otherwise). */
export interface RestoreTargets {
  readonly keyStoreId: string;
  readonly storeClusterId?: string;
  readonly subnetIds: readonly string[];
  readonly instanceId: string;
  readonly adminSecretArn: string;
  readonly kmsuserSecretArn: string;
  readonly trustAnchorParameter: string;
}

/**
 * Finds the key store (by its configured name), the subnets of the HSM AZs (declared ones for an
 * existing VPC, else by the Name tag the stack gives them), the admin host (running, by its Name
 * tag) and the two secrets (by name). `subnetIds` overrides the subnets.
 */
export async function findRestoreTargets(
  env: ResolvedEnvironment,
  c: RestoreClients,
  subnetIds?: readonly string[],
): Promise<{ targets?: RestoreTargets; problems: string[] }> {
  const problems: string[] = [];
  const hsm = env.cloudHsm;
  if (!hsm) return { problems: [`environment ${env.name} has no cloudHsm: there is no CloudHSM key store to restore`] };
  if (hsm.phase !== "ready")
    return {
      problems: [
        `environment ${env.name} is still awaiting its cluster certificate: there is no key store to restore yet`,
      ],
    };
  const names = cloudHsmNames(env.name);
  const denied = (what: string, action: string, e: unknown) =>
    `${what}: ${action} failed (${awsErrorCode(e)}: ${errorMessage(e)})`;

  let keyStoreId: string | undefined;
  let storeClusterId: string | undefined;
  try {
    const out = (await c.kms.send(
      new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: hsm.keyStoreName }),
    )) as DescribeCustomKeyStoresCommandOutput;
    const store = out.CustomKeyStores?.[0];
    keyStoreId = store?.CustomKeyStoreId;
    storeClusterId = store?.CloudHsmClusterId;
  } catch (e) {
    if (awsErrorCode(e) !== "CustomKeyStoreNotFoundException")
      problems.push(denied(`key store ${hsm.keyStoreName}`, "kms:DescribeCustomKeyStores", e));
  }
  if (!keyStoreId && !problems.length)
    problems.push(
      `key store ${hsm.keyStoreName} does not exist in ${env.region}: nothing to restore (a store that was deleted cannot be repointed)`,
    );

  const azs = [...new Set(hsm.hsmAzs)];
  let subnets = subnetIds ? [...subnetIds] : [];
  const net = env.network;
  if (!subnetIds && net.mode === "existing") {
    subnets = azs.map((az) => net.subnets.find((s) => s.az === az)?.id ?? "");
  } else if (!subnetIds) {
    try {
      const out = (await c.ec2.send(
        new DescribeSubnetsCommand({
          Filters: [{ Name: "tag:Name", Values: azs.map((az) => privateSubnetName(env.name, az)) }],
        }),
      )) as DescribeSubnetsCommandOutput;
      subnets = azs.map((az) => out.Subnets?.find((s) => s.AvailabilityZone === az)?.SubnetId ?? "");
      const missing = azs.filter((_, i) => !subnets[i]);
      if (missing.length)
        problems.push(
          `no subnet named ${missing.map((az) => privateSubnetName(env.name, az)).join(", ")}: pass the subnets of the HSM AZs with --subnet-ids`,
        );
    } catch (e) {
      problems.push(denied("the HSM subnets", "ec2:DescribeSubnets", e));
    }
  }
  if (subnets.filter(Boolean).length < CLOUDHSM.KEY_STORE_MIN_HSMS.value && !problems.some((p) => p.includes("subnet")))
    problems.push(
      `--subnet-ids: ${subnets.length} subnet(s); the restored cluster needs one in each of at least ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} AZs`,
    );

  let instanceId: string | undefined;
  try {
    const out = (await c.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: "tag:Name", Values: [names.adminHost] },
          { Name: "instance-state-name", Values: ["running"] },
        ],
      }),
    )) as DescribeInstancesCommandOutput;
    const ids = (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId ?? ""));
    if (ids.length === 1) instanceId = ids[0];
    else
      problems.push(
        ids.length === 0
          ? `no running admin host named ${names.adminHost}: start it (or apply the keys stack), then re-run`
          : `${ids.length} running instances are named ${names.adminHost} (${ids.join(", ")}): stop the stray ones`,
      );
  } catch (e) {
    problems.push(denied(`admin host ${names.adminHost}`, "ec2:DescribeInstances", e));
  }

  const arnOf = async (name: string): Promise<string | undefined> => {
    try {
      const out = (await c.secrets.send(new DescribeSecretCommand({ SecretId: name }))) as DescribeSecretCommandOutput;
      return out.ARN;
    } catch (e) {
      problems.push(denied(`secret ${name}`, "secretsmanager:DescribeSecret", e));
      return undefined;
    }
  };
  const adminSecretArn = await arnOf(names.adminSecret);
  const kmsuserSecretArn = await arnOf(names.kmsuserSecret);

  if (problems.length || !keyStoreId || !instanceId || !adminSecretArn || !kmsuserSecretArn) return { problems };
  return {
    problems,
    targets: {
      keyStoreId,
      storeClusterId,
      subnetIds: subnets,
      instanceId,
      adminSecretArn,
      kmsuserSecretArn,
      trustAnchorParameter: names.trustAnchorParameter,
    },
  };
}

/**
 * The `cloudHsm.restored` setting for the cluster the store now uses: its id, its backup, and its
 * HSMs in the order of `hsmAzs` (one per AZ, the first HSM found there), `previousClusterId` when
 * the environment was already restored once. Undefined when the store's cluster was not restored.
 */
export async function restoredSetting(
  env: ResolvedEnvironment,
  c: RestoreClients,
  keyStoreId: string,
): Promise<{ clusterId: string; backupId: string; hsmIds: string[]; previousClusterId?: string } | undefined> {
  const stores = (await c.kms.send(
    new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: keyStoreId }),
  )) as DescribeCustomKeyStoresCommandOutput;
  const clusterId = stores.CustomKeyStores?.[0]?.CloudHsmClusterId;
  if (!clusterId) return undefined;
  const out = (await c.cloudhsm.send(
    new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }),
  )) as DescribeClustersCommandOutput;
  const cluster = out.Clusters?.find((x) => x.ClusterId === clusterId);
  if (!cluster?.SourceBackupId) return undefined;
  const used = new Set<string>();
  const hsmIds: string[] = [];
  for (const az of env.cloudHsm?.hsmAzs ?? []) {
    const h = (cluster.Hsms ?? []).find((x) => x.AvailabilityZone === az && x.HsmId && !used.has(x.HsmId));
    if (!h?.HsmId) break;
    used.add(h.HsmId);
    hsmIds.push(h.HsmId);
  }
  const previous = env.cloudHsm?.restored?.clusterId;
  return {
    clusterId,
    backupId: cluster.SourceBackupId,
    hsmIds,
    ...(previous && previous !== clusterId ? { previousClusterId: previous } : {}),
  };
}
