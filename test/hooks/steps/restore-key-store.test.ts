import {
  CreateClusterCommand,
  CreateHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
  type Cluster,
} from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  KMSClient,
  ListKeysCommand,
  UpdateCustomKeyStoreCommand,
  type KeyMetadata,
} from "@aws-sdk/client-kms";
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { mockClient } from "aws-sdk-client-mock";
import { parseStepInput, STEP_CONTRACT } from "../../../hooks/contract";
import { createHandler } from "../../../hooks/lambda";
import {
  keysLostWith,
  newestReadyBackup,
  passwordResetReason,
  restoreKeyStore,
  RESTORED_FOR_TAG,
  type RestoreKeyStoreInput,
} from "../../../hooks/steps/restore-key-store";
import { awsError, cloudhsmMock, fixture, IDS, runtime, thrown } from "../helpers";

const kms = mockClient(KMSClient);
const cloudhsm = cloudhsmMock();
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const cloudtrail = mockClient(CloudTrailClient);

const OLD = IDS.clusterId;
const NEW = "cluster-restoredabcd";
const SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"];
const LABEL = `[restore-key-store ${IDS.keyStoreId}]`;
const KEY_A = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_B = "5678abcd-12ab-34cd-56ef-1234567890ab";
const t = (iso: string) => new Date(iso);
const BACKUPS = [
  { BackupId: "backup-olderbackupa", BackupState: "READY", ClusterId: OLD, CreateTimestamp: t("2026-12-01T00:00:00Z") },
  { BackupId: "backup-newestreadya", BackupState: "READY", ClusterId: OLD, CreateTimestamp: t("2026-12-05T00:00:00Z") },
  {
    BackupId: "backup-stillmakinga",
    BackupState: "CREATE_IN_PROGRESS",
    ClusterId: OLD,
    CreateTimestamp: t("2026-12-06T00:00:00Z"),
  },
  {
    BackupId: "backup-goingawayaaa",
    BackupState: "PENDING_DELETION",
    ClusterId: OLD,
    CreateTimestamp: t("2026-12-06T01:00:00Z"),
  },
];
const keyMeta = (KeyId: string, created: string, extra: Partial<KeyMetadata> = {}): KeyMetadata => ({
  KeyId,
  CreationDate: t(created),
  KeyState: "Enabled",
  CustomKeyStoreId: IDS.keyStoreId,
  ...extra,
});

interface World {
  storeState: string;
  storeCode?: string;
  storeCluster: string;
  storeType: string;
  oldCluster?: Cluster;
  keys: KeyMetadata[];
  restoredCert: string;
  existing?: Cluster;
  /** Describes of the new cluster before it is ACTIVE. */
  creating: number;
}
let world: World;

const hsmOf = (az: string, i: number) => ({
  HsmId: `hsm-${"ab"[i]}${"kl"[i]}1234567`,
  State: "ACTIVE",
  AvailabilityZone: az,
  EniIp: `10.0.${i + 1}.10`,
  ClusterId: NEW,
});
function newCluster(): Cluster {
  const hsmAzs = [
    ...(world.existing?.Hsms ?? []).map((h) => h.AvailabilityZone as string),
    ...cloudhsm
      .commandCalls(CreateHsmCommand)
      .map((c: { args: [{ input: { AvailabilityZone: string } }] }) => c.args[0].input.AvailabilityZone),
  ];
  const active = world.creating-- <= 0;
  return {
    ClusterId: NEW,
    State: active ? "ACTIVE" : "CREATE_IN_PROGRESS",
    SourceBackupId: "backup-newestreadya",
    SubnetMapping: { "eu-west-1a": SUBNETS[0], "eu-west-1b": SUBNETS[1] },
    TagList: [{ Key: RESTORED_FOR_TAG, Value: IDS.keyStoreId }],
    Hsms: hsmAzs.sort().map(hsmOf),
    Certificates: { ClusterCertificate: world.restoredCert },
  };
}

function setUp(): void {
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
    const updated = kms.commandCalls(UpdateCustomKeyStoreCommand).some((c) => c.args[0].input.CloudHsmClusterId);
    const connected = kms.commandCalls(ConnectCustomKeyStoreCommand).length > 0;
    const disconnected = kms.commandCalls(DisconnectCustomKeyStoreCommand).length > 0;
    const state = connected ? "CONNECTED" : disconnected ? "DISCONNECTED" : world.storeState;
    return {
      CustomKeyStores: [
        {
          CustomKeyStoreId: IDS.keyStoreId,
          CustomKeyStoreType: world.storeType,
          ConnectionState: state,
          ConnectionErrorCode: state === "FAILED" ? world.storeCode : undefined,
          CloudHsmClusterId: updated ? NEW : world.storeCluster,
          TrustAnchorCertificate: fixture("trust-anchor.pem"),
        },
      ],
    };
  });
  cloudhsm.on(DescribeClustersCommand).callsFake((i: { Filters?: { clusterIds?: string[] } }) => {
    const ids = i.Filters?.clusterIds;
    if (!ids)
      return { Clusters: world.existing || cloudhsm.commandCalls(CreateClusterCommand).length ? [newCluster()] : [] };
    if (ids[0] === NEW) return { Clusters: [newCluster()] };
    if (ids[0] === OLD) return { Clusters: world.oldCluster ? [world.oldCluster] : [] };
    return { Clusters: [] };
  });
  cloudhsm.on(DescribeBackupsCommand).callsFake((i: { Filters?: { backupIds?: string[]; clusterIds?: string[] } }) => ({
    Backups: i.Filters?.backupIds ? BACKUPS.filter((b) => i.Filters?.backupIds?.includes(b.BackupId)) : BACKUPS,
  }));
  cloudhsm.on(CreateClusterCommand).resolves({ Cluster: { ClusterId: NEW, State: "CREATE_IN_PROGRESS" } });
  cloudhsm.on(CreateHsmCommand).resolves({ Hsm: {} });
  kms.on(ListKeysCommand).callsFake(() => ({
    Keys: [...world.keys.map((k) => ({ KeyId: k.KeyId })), { KeyId: "9999abcd-12ab-34cd-56ef-1234567890ab" }],
  }));
  kms.on(DescribeKeyCommand).callsFake((i: { KeyId: string }) => ({
    KeyMetadata: world.keys.find((k) => k.KeyId === i.KeyId) ?? {
      KeyId: i.KeyId,
      KeyState: "Enabled",
      CreationDate: t("2026-12-06T00:00:00Z"),
    },
  }));
  kms.on(EncryptCommand).callsFake((i: { KeyId: string; Plaintext: Uint8Array }) => ({
    CiphertextBlob: Buffer.concat([Buffer.from(`${i.KeyId}:`), Buffer.from(i.Plaintext)]),
  }));
  kms.on(DecryptCommand).callsFake((i: { CiphertextBlob: Uint8Array }) => ({
    Plaintext: Buffer.from(i.CiphertextBlob).subarray(37),
  }));
  kms.on(DisconnectCustomKeyStoreCommand).resolves({});
  kms.on(UpdateCustomKeyStoreCommand).resolves({});
  kms.on(ConnectCustomKeyStoreCommand).resolves({});
  // The kmsuser reset (reset-kmsuser-password, reused).
  secrets.on(GetSecretValueCommand).resolves({ SecretString: "StoredAdminPassword1" });
  secrets
    .on(PutSecretValueCommand)
    .callsFake((i: { ClientRequestToken?: string }) => ({ VersionId: i.ClientRequestToken }));
  const users = Buffer.from(
    JSON.stringify({
      data: {
        users: [
          { username: "admin", role: "admin", locked: "false" },
          { username: "kmsuser", role: "crypto-user", locked: "false" },
        ],
      },
    }),
  ).toString("base64");
  ssm.on(ListCommandsCommand).resolves({ Commands: [] });
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-1" } });
  ssm.on(GetCommandInvocationCommand).resolves({
    Status: "Success",
    ResponseCode: 0,
    StandardOutputContent: [
      "HOOK_RESULT PASSWORD_CHANGED",
      `HOOK_HSM hsm-ak1234567 eu-west-1a 10.0.1.10 0 ${users}`,
      `HOOK_HSM hsm-bl1234567 eu-west-1b 10.0.2.10 0 ${users}`,
    ].join("\n"),
  });
}

beforeEach(() => {
  for (const m of [kms, cloudhsm, ssm, secrets, cloudtrail]) m.reset();
  world = {
    storeState: "FAILED",
    storeCode: "CLUSTER_NOT_FOUND",
    storeCluster: OLD,
    storeType: "AWS_CLOUDHSM",
    keys: [keyMeta(KEY_A, "2026-11-01T00:00:00Z"), keyMeta(KEY_B, "2026-11-02T00:00:00Z", { KeyState: "Disabled" })],
    restoredCert: fixture("cluster-cert.pem"),
    creating: 1,
  };
  setUp();
});

const input = (over: Partial<RestoreKeyStoreInput> = {}, rt = runtime(60)) => ({
  ...rt,
  clients: { kms, cloudhsm: cloudhsm as never, ssm, secrets, cloudtrail },
  region: IDS.region,
  keyStoreId: IDS.keyStoreId,
  instanceId: IDS.instanceId,
  adminSecretArn: IDS.adminSecretArn,
  kmsuserSecretArn: IDS.kmsuserSecretArn,
  trustAnchorParameter: IDS.trustAnchorParameter,
  subnetIds: SUBNETS,
  hsmType: "hsm2m.medium",
  mode: "FIPS",
  lastConnected: t("2026-10-01T00:00:00Z"),
  ...over,
});

/** Every command sent, in order (sinon's global call ids), without the reads. */
const mutating = () =>
  [...kms.calls(), ...cloudhsm.calls(), ...secrets.calls(), ...ssm.calls()]
    .sort((a, b) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
    .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ""))
    .filter((n) => !/^(Describe|Get|List)/.test(n));

test("restores: the newest READY backup, a cluster from it with an HSM per AZ, disconnect, repoint, connect, a round trip per enabled key", async () => {
  const rt = runtime(60);
  const result = await restoreKeyStore(input({}, rt));
  expect(result).toMatchObject({ status: "DONE", state: "CONNECTED, 1 keys proven" });
  expect(mutating()).toEqual([
    "CreateCluster",
    "CreateHsm",
    "CreateHsm",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
    "ConnectCustomKeyStore",
    "Encrypt",
    "Decrypt",
  ]);
  expect(cloudhsm.commandCalls(CreateClusterCommand)[0].args[0].input).toEqual({
    HsmType: "hsm2m.medium",
    Mode: "FIPS",
    SubnetIds: SUBNETS,
    SourceBackupId: "backup-newestreadya",
    TagList: [{ Key: RESTORED_FOR_TAG, Value: IDS.keyStoreId }],
  });
  expect(cloudhsm.commandCalls(CreateHsmCommand).map((c: { args: [{ input: unknown }] }) => c.args[0].input)).toEqual([
    { ClusterId: NEW, AvailabilityZone: "eu-west-1a" },
    { ClusterId: NEW, AvailabilityZone: "eu-west-1b" },
  ]);
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)[0].args[0].input).toEqual({
    CustomKeyStoreId: IDS.keyStoreId,
    CloudHsmClusterId: NEW,
  });
  // Only the store's enabled key is round-tripped; the other account key is not the store's.
  expect(kms.commandCalls(EncryptCommand).map((c) => c.args[0].input.KeyId)).toEqual([KEY_A]);
  expect(rt.lines).toEqual(
    expect.arrayContaining([
      `${LABEL} backup backup-newestreadya of ${OLD}, created 2026-12-05T00:00:00.000Z`,
      `${LABEL} the cluster certificate of ${NEW} chains to the store's trust anchor`,
      `${LABEL} no kmsuser password reset: the backup postdates the last connect (2026-10-01T00:00:00.000Z)`,
      `${LABEL} round trip proven with 1 key; not tried: ${KEY_B} (Disabled)`,
    ]),
  );
});

test("a backup that predates the last connect: the kmsuser password is reset (reset-kmsuser-password) before the connect, never logged", async () => {
  const rt = runtime(60);
  await restoreKeyStore(input({ lastConnected: t("2026-12-06T00:00:00Z") }, rt));
  expect(mutating()).toEqual([
    "CreateCluster",
    "CreateHsm",
    "CreateHsm",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
    "PutSecretValue",
    "SendCommand",
    "UpdateCustomKeyStore",
    "ConnectCustomKeyStore",
    "Encrypt",
    "Decrypt",
  ]);
  const password = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString as string;
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)[1].args[0].input).toEqual({
    CustomKeyStoreId: IDS.keyStoreId,
    KeyStorePassword: password,
  });
  expect(rt.lines.join("\n")).not.toContain(password);
  expect(JSON.stringify(ssm.commandCalls(SendCommandCommand)[0].args[0].input)).not.toContain(password);
  expect(rt.lines).toContain(
    `${LABEL} resetting the kmsuser password: the backup (2026-12-05T00:00:00.000Z) predates the store's last connect (2026-12-06T00:00:00.000Z), when KMS set a new kmsuser password`,
  );
});

test("an unknown last connect resets the password (the safe path)", async () => {
  await restoreKeyStore(input({ lastConnected: undefined }));
  expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(1);
});

test("refuses a backup that predates keys of the store, naming each, before creating anything", async () => {
  world.keys.push(keyMeta("aaaaaaaa-12ab-34cd-56ef-1234567890ab", "2026-12-05T12:00:00Z"));
  world.keys.push(
    keyMeta("bbbbbbbb-12ab-34cd-56ef-1234567890ab", "2026-12-05T13:00:00Z", { KeyState: "PendingDeletion" }),
  );
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} BackupPredatesKeys: backup backup-newestreadya (2026-12-05T00:00:00.000Z) predates 1 key of the store, which would be lost: aaaaaaaa-12ab-34cd-56ef-1234567890ab (created 2026-12-05T12:00:00.000Z). Next: pick a READY backup created after the newest of them with --backup-id (aws cloudhsmv2 describe-backups), or, if none exists and losing them is accepted, schedule their deletion first`,
  );
  expect(mutating()).toEqual([]);
});

test.each([
  [
    "backup-goingawayaaa",
    "BackupNotReady: backup backup-goingawayaaa is PENDING_DELETION, not READY. Next: restore it first (aws cloudhsmv2 restore-backup --backup-id backup-goingawayaaa), then re-run",
  ],
  [
    "backup-stillmakinga",
    "BackupNotReady: backup backup-stillmakinga is CREATE_IN_PROGRESS, not READY. Next: wait until it is READY, then re-run",
  ],
  [
    "backup-nosuchbackup",
    "BackupNotFound: backup backup-nosuchbackup does not exist in this account and Region. Next: list the backups with aws cloudhsmv2 describe-backups and pass one with --backup-id (a backup of another Region must be copied here first: CopyBackupToRegion)",
  ],
])("--backup-id %s is refused", async (backupId, message) => {
  const err = await thrown(() => restoreKeyStore(input({ backupId })));
  expect(err.message).toBe(`${LABEL} ${message}`);
  expect(mutating()).toEqual([]);
});

test("an older backup chosen with --backup-id is restored", async () => {
  await restoreKeyStore(input({ backupId: "backup-olderbackupa" }));
  expect(cloudhsm.commandCalls(CreateClusterCommand)[0].args[0].input.SourceBackupId).toBe("backup-olderbackupa");
});

test("no READY backup: explained, nothing created", async () => {
  cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [BACKUPS[3]] });
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} NoReadyBackup: cluster ${OLD} has no READY backup (backup-goingawayaaa PENDING_DELETION). Next: a backup PENDING_DELETION can be restored (aws cloudhsmv2 restore-backup); a copy in another Region can be copied back (CopyBackupToRegion); then re-run, or pass --backup-id`,
  );
  expect(mutating()).toEqual([]);
});

test("a CONNECTED store whose cluster works is refused, untouched", async () => {
  world.storeState = "CONNECTED";
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} KeyStoreCONNECTED: the key store is CONNECTED to ${OLD}: its cluster works, there is nothing to restore. Next: restore only a store whose cluster is lost (CLUSTER_NOT_FOUND, SUBNET_NOT_FOUND, INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET: npm run -s status); to move a working store, disconnect it first`,
  );
  expect(mutating()).toEqual([]);
});

test("an external key store is refused", async () => {
  world.storeType = "EXTERNAL_KEY_STORE";
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} NotACloudHsmKeyStore: ${IDS.keyStoreId} is an external key store (no CloudHSM cluster to restore). Next: for an external key store fix the proxy (docs/xks.md)`,
  );
});

test("a cluster certificate not signed by the store's trust anchor stops before the store is touched", async () => {
  // Issued in the name of the trust anchor ("Test Root CA") but by another key.
  world.restoredCert = fixture("foreign-cluster-cert.pem");
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toMatch(
    new RegExp(
      `^\\[restore-key-store ${IDS.keyStoreId}\\] ClusterCertificateMismatch: the certificate of ${NEW} is not signed by the store's trust anchor \\(.+\\)\\. Next: restore from a backup of the store's own cluster`,
    ),
  );
  expect(mutating()).toEqual(["CreateCluster", "CreateHsm", "CreateHsm"]);
});

test("when the old cluster still exists, the restored one must carry its very certificate", async () => {
  world.storeCode = "SUBNET_NOT_FOUND";
  world.oldCluster = {
    ClusterId: OLD,
    State: "ACTIVE",
    Certificates: { ClusterCertificate: fixture("other-cluster-cert.pem") },
  };
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toContain(
    `ClusterCertificateMismatch: the cluster certificate of ${NEW} differs from that of ${OLD}, the store's cluster`,
  );
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(0);
});

test("CloudHsmClusterNotRelatedException from UpdateCustomKeyStore is explained", async () => {
  kms.on(UpdateCustomKeyStoreCommand).rejects(awsError("CloudHsmClusterNotRelatedException", "not related"));
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} CloudHsmClusterNotRelatedException: UpdateCustomKeyStore failed: not related. Next: the cluster does not share the store's backup history: restore from a backup of the store's own cluster, delete the cluster just created, then re-run`,
  );
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
});

test("CreateCluster refused (mode or type of the backup) is explained", async () => {
  cloudhsm.on(CreateClusterCommand).rejects(awsError("CloudHsmInvalidRequestException", "mode mismatch"));
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} CloudHsmInvalidRequestException: CreateCluster failed: mode mismatch. Next: the HSM type and mode must be the backup's (--hsm-type, --mode), the subnets in one VPC, one per AZ, in the backup's Region; fix and re-run`,
  );
});

describe("a CloudHSM quota is told by the error's code, never by the word 'limit' in its message", () => {
  const QUOTA = "raise the CloudHSM quota (clusters or HSMs per Region, Service Quotas) or delete an unused cluster";
  test("CloudHsmResourceLimitExceededException from CreateCluster: raise the quota", async () => {
    cloudhsm.on(CreateClusterCommand).rejects(awsError("CloudHsmResourceLimitExceededException", "too many clusters"));
    const err = await thrown(() => restoreKeyStore(input()));
    expect(err.message).toBe(
      `${LABEL} CloudHsmResourceLimitExceededException: CreateCluster failed: too many clusters. Next: ${QUOTA}, then re-run (the step resumes)`,
    );
  });

  test("CloudHsmServiceException from CreateHsm (no more specific code): the quota or a re-run, from its message", async () => {
    world.creating = 0;
    cloudhsm.on(CreateHsmCommand).rejects(awsError("CloudHsmServiceException", "HSM quota reached for the Region"));
    const err = await thrown(() => restoreKeyStore(input()));
    expect(err.message).toBe(
      `${LABEL} CloudHsmServiceException: CreateHsm failed: HSM quota reached for the Region. Next: CloudHSM gives no more specific code: if the message above names a limit, ${QUOTA}; otherwise re-run (the step resumes)`,
    );
  });

  test("an access denial or an invalid request whose message says 'limit' keeps its own next action", async () => {
    world.creating = 0;
    cloudhsm
      .on(CreateHsmCommand)
      .rejects(awsError("CloudHsmAccessDeniedException", "not authorized: the role's permissions limit CreateHsm"));
    expect((await thrown(() => restoreKeyStore(input()))).message).toBe(
      `${LABEL} CloudHsmAccessDeniedException: CreateHsm failed: not authorized: the role's permissions limit CreateHsm. Next: grant the hook role the cloudhsm action named above (see hooks/README.md, IAM per step)`,
    );
    cloudhsm
      .on(CreateHsmCommand)
      .rejects(awsError("CloudHsmInvalidRequestException", "IpAddress outside the subnet's limits"));
    expect((await thrown(() => restoreKeyStore(input()))).message).toBe(
      `${LABEL} CloudHsmInvalidRequestException: CreateHsm failed: IpAddress outside the subnet's limits. Next: read the message: usually the cluster is in the wrong state or the certificate does not match the CSR; fix and re-run`,
    );
  });
});

test("a backup whose answer names another mode or HSM type is refused before CreateCluster", async () => {
  cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [{ ...BACKUPS[1], Mode: "NON_FIPS" }] });
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} ModeMismatch: backup backup-newestreadya is of a NON_FIPS cluster, not FIPS: a cluster's mode must equal its backup's. Next: restore with --mode NON_FIPS (the environment's cloudHsm.mode), or pick another backup with --backup-id`,
  );
  cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [{ ...BACKUPS[1], HsmType: "hsm1.medium" }] });
  expect((await thrown(() => restoreKeyStore(input()))).message).toContain(
    "HsmTypeMismatch: backup backup-newestreadya is of a hsm1.medium cluster, not hsm2m.medium",
  );
  expect(cloudhsm.commandCalls(CreateClusterCommand)).toHaveLength(0);
});

test("a re-run resumes with the cluster it created (found by tag and backup), adding only the missing HSM", async () => {
  world.existing = { ClusterId: NEW, Hsms: [hsmOf("eu-west-1a", 0)] };
  world.creating = 0;
  await restoreKeyStore(input());
  expect(mutating()).toEqual([
    "CreateHsm",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
    "ConnectCustomKeyStore",
    "Encrypt",
    "Decrypt",
  ]);
  expect(cloudhsm.commandCalls(CreateHsmCommand)[0].args[0].input.AvailabilityZone).toBe("eu-west-1b");
});

test("a re-run after a newer backup of the old cluster appeared resumes with the cluster it created, never a second CreateCluster", async () => {
  // The old cluster still exists (SUBNET_NOT_FOUND) and took its daily backup between the two runs.
  world.storeCode = "SUBNET_NOT_FOUND";
  const newer = {
    BackupId: "backup-dailyafterab",
    BackupState: "READY",
    ClusterId: OLD,
    CreateTimestamp: t("2026-12-06T02:00:00Z"),
  };
  cloudhsm.on(DescribeBackupsCommand).callsFake((i: { Filters?: { backupIds?: string[] } }) => ({
    Backups: i.Filters?.backupIds
      ? [...BACKUPS, newer].filter((b) => i.Filters?.backupIds?.includes(b.BackupId))
      : [...BACKUPS, newer],
  }));
  world.existing = { ClusterId: NEW, Hsms: [hsmOf("eu-west-1a", 0)] };
  world.creating = 0;
  const rt = runtime(60);
  await restoreKeyStore(input({}, rt));
  expect(cloudhsm.commandCalls(CreateClusterCommand)).toHaveLength(0);
  expect(mutating()).toEqual([
    "CreateHsm",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
    "ConnectCustomKeyStore",
    "Encrypt",
    "Decrypt",
  ]);
  expect(rt.lines.join("\n")).toContain(`resuming with ${NEW}, already created from backup-newestreadya`);
});

test("--backup-id naming another backup than the cluster an earlier run created: refused, naming it, nothing created", async () => {
  world.existing = { ClusterId: NEW, Hsms: [hsmOf("eu-west-1a", 0)] };
  world.creating = 0;
  const err = await thrown(() => restoreKeyStore(input({ backupId: "backup-olderbackupa" })));
  expect(err.message).toBe(
    `${LABEL} RestoreInProgress: an earlier run already created ${NEW} (from backup-newestreadya) for ${IDS.keyStoreId}, not from --backup-id backup-olderbackupa. Next: re-run with --backup-id backup-newestreadya to resume with it, or delete the cluster not wanted (aws cloudhsmv2 delete-hsm for each HSM, then delete-cluster) and re-run`,
  );
  expect(mutating()).toEqual([]);
});

test("CreateCluster that fails after AWS acted (a 500, a lost answer): the tagged cluster is found, never a second one", async () => {
  cloudhsm.on(CreateClusterCommand).callsFake(() => {
    world.existing = { ClusterId: NEW, Hsms: [] };
    throw awsError("CloudHsmInternalFailureException", "internal failure", 500);
  });
  world.creating = 0;
  const rt = runtime(60);
  const result = await restoreKeyStore(input({}, rt));
  expect(result.status).toBe("DONE");
  expect(cloudhsm.commandCalls(CreateClusterCommand)).toHaveLength(1);
  expect(rt.lines.join("\n")).toContain("CreateCluster had taken effect despite the error: not sent again");
});

test("CreateHsm that fails after AWS acted: not sent again for that AZ", async () => {
  world.creating = 0;
  let failed = false;
  cloudhsm.on(CreateHsmCommand).callsFake((i: { AvailabilityZone: string }) => {
    if (i.AvailabilityZone === "eu-west-1b" && !failed) {
      failed = true;
      world.existing = { ClusterId: NEW, Hsms: [hsmOf("eu-west-1b", 1)] };
      throw awsError("CloudHsmInternalFailureException", "internal failure", 500);
    }
    return { Hsm: {} };
  });
  await restoreKeyStore(input());
  expect(
    cloudhsm
      .commandCalls(CreateHsmCommand)
      .map((c: { args: [{ input: { AvailabilityZone: string } }] }) => c.args[0].input.AvailabilityZone),
  ).toEqual(["eu-west-1a", "eu-west-1b"]);
});

test("two clusters earlier runs created for the store: refused, naming both, nothing created", async () => {
  const tagged = (id: string, backup: string): Cluster => ({
    ClusterId: id,
    State: "ACTIVE",
    SourceBackupId: backup,
    TagList: [{ Key: RESTORED_FOR_TAG, Value: IDS.keyStoreId }],
  });
  cloudhsm
    .on(DescribeClustersCommand)
    .callsFake((i: { Filters?: { clusterIds?: string[] } }) =>
      i.Filters?.clusterIds
        ? { Clusters: [] }
        : { Clusters: [tagged(NEW, "backup-newestreadya"), tagged("cluster-secondabcdef", "backup-olderbackupa")] },
    );
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} RestoreInProgress: earlier runs created 2 clusters for ${IDS.keyStoreId}: ${NEW} (from backup-newestreadya), cluster-secondabcdef (from backup-olderbackupa). Next: re-run with --backup-id naming the one to resume, or delete the clusters not wanted (aws cloudhsmv2 delete-hsm for each HSM, then delete-cluster) and re-run`,
  );
  expect(mutating()).toEqual([]);
});

test("a store on a restored cluster that is lost in turn (SUBNET_NOT_FOUND): restored again from that cluster's backup, not taken for an unfinished run", async () => {
  const THIRD = "cluster-thirdabcdefg";
  const ofNew = {
    BackupId: "backup-ofnewclustera",
    BackupState: "READY",
    ClusterId: NEW,
    CreateTimestamp: t("2026-12-06T00:00:00Z"),
  };
  const restoredNew: Cluster = {
    ClusterId: NEW,
    State: "ACTIVE",
    SourceBackupId: "backup-newestreadya",
    TagList: [{ Key: RESTORED_FOR_TAG, Value: IDS.keyStoreId }],
    Hsms: [],
    Certificates: { ClusterCertificate: fixture("cluster-cert.pem") },
  };
  const third = (): Cluster => ({
    ClusterId: THIRD,
    State: "ACTIVE",
    SourceBackupId: ofNew.BackupId,
    TagList: [{ Key: RESTORED_FOR_TAG, Value: IDS.keyStoreId }],
    SubnetMapping: { "eu-west-1a": SUBNETS[0], "eu-west-1b": SUBNETS[1] },
    Hsms: [hsmOf("eu-west-1a", 0), hsmOf("eu-west-1b", 1)].map((h) => ({ ...h, ClusterId: THIRD })),
    Certificates: { ClusterCertificate: fixture("cluster-cert.pem") },
  });
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
    const updated = kms.commandCalls(UpdateCustomKeyStoreCommand).some((c) => c.args[0].input.CloudHsmClusterId);
    const state = kms.commandCalls(ConnectCustomKeyStoreCommand).length
      ? "CONNECTED"
      : kms.commandCalls(DisconnectCustomKeyStoreCommand).length
        ? "DISCONNECTED"
        : "FAILED";
    return {
      CustomKeyStores: [
        {
          CustomKeyStoreId: IDS.keyStoreId,
          CustomKeyStoreType: "AWS_CLOUDHSM",
          ConnectionState: state,
          ConnectionErrorCode: state === "FAILED" ? "SUBNET_NOT_FOUND" : undefined,
          CloudHsmClusterId: updated ? THIRD : NEW,
          TrustAnchorCertificate: fixture("trust-anchor.pem"),
        },
      ],
    };
  });
  const created = () => cloudhsm.commandCalls(CreateClusterCommand).length > 0;
  cloudhsm.on(DescribeClustersCommand).callsFake((i: { Filters?: { clusterIds?: string[] } }) => {
    const ids = i.Filters?.clusterIds;
    if (!ids) return { Clusters: [restoredNew, ...(created() ? [third()] : [])] };
    if (ids[0] === NEW) return { Clusters: [restoredNew] };
    if (ids[0] === THIRD) return { Clusters: [third()] };
    return { Clusters: [] };
  });
  cloudhsm.on(DescribeBackupsCommand).callsFake((i: { Filters?: { backupIds?: string[] } }) => ({
    Backups: i.Filters?.backupIds ? [ofNew].filter((b) => i.Filters?.backupIds?.includes(b.BackupId)) : [ofNew],
  }));
  cloudhsm.on(CreateClusterCommand).resolves({ Cluster: { ClusterId: THIRD, State: "CREATE_IN_PROGRESS" } });
  const result = await restoreKeyStore(input());
  expect(result.status).toBe("DONE");
  expect(cloudhsm.commandCalls(CreateClusterCommand)[0].args[0].input.SourceBackupId).toBe("backup-ofnewclustera");
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)[0].args[0].input.CloudHsmClusterId).toBe(THIRD);
});

test("a re-run after the repoint only connects and proves the keys", async () => {
  world.storeCluster = NEW;
  world.storeState = "DISCONNECTED";
  world.existing = { ClusterId: NEW, Hsms: [hsmOf("eu-west-1a", 0), hsmOf("eu-west-1b", 1)] };
  world.creating = 0;
  const result = await restoreKeyStore(input());
  expect(result.state).toBe("CONNECTED, 1 keys proven");
  expect(mutating()).toEqual(["ConnectCustomKeyStore", "Encrypt", "Decrypt"]);
});

test("a re-run while the earlier run's connect is still CONNECTING resumes that wait: no second reset, no new connect", async () => {
  world.storeCluster = NEW;
  world.storeState = "CONNECTING";
  world.existing = { ClusterId: NEW, Hsms: [hsmOf("eu-west-1a", 0), hsmOf("eu-west-1b", 1)] };
  world.creating = 0;
  let describes = 0;
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => ({
    CustomKeyStores: [
      {
        CustomKeyStoreId: IDS.keyStoreId,
        CustomKeyStoreType: "AWS_CLOUDHSM",
        ConnectionState: ++describes > 3 ? "CONNECTED" : "CONNECTING",
        CloudHsmClusterId: NEW,
        TrustAnchorCertificate: fixture("trust-anchor.pem"),
      },
    ],
  }));
  // The last connect unknown: a reset decision would reset.
  const result = await restoreKeyStore(input({ lastConnected: undefined }));
  expect(result.state).toBe("CONNECTED, 1 keys proven");
  expect(mutating()).toEqual(["Encrypt", "Decrypt"]);
});

test("a key whose material the backup lacks fails its round trip with KMSInvalidStateException, explained", async () => {
  kms.on(EncryptCommand).rejects(awsError("KMSInvalidStateException", "key unavailable"));
  const err = await thrown(() => restoreKeyStore(input()));
  expect(err.message).toBe(
    `${LABEL} KMSInvalidStateException: the Encrypt/Decrypt round trip with ${KEY_A} failed: key unavailable. Next: the key's material is not in the restored cluster (created after the backup?): restore a newer backup, or accept its loss`,
  );
});

test("a cluster that never becomes ACTIVE times out within the budget, naming the state", async () => {
  world.creating = 10_000;
  const err = await thrown(() => restoreKeyStore(input({}, runtime(20))));
  expect(err.message).toMatch(
    new RegExp(
      `^\\[restore-key-store ${IDS.keyStoreId}\\] TIMEOUT: still CREATE_IN_PROGRESS after 20m\\d*s? waiting for the restored cluster ACTIVE\\. Next: re-run with a larger --timeout-minutes \\(the step resumes with the same cluster\\)$`,
    ),
  );
  expect(mutating()).toEqual(["CreateCluster"]);
});

test("every bad input at once, before any call", async () => {
  const err = await thrown(() =>
    restoreKeyStore(
      input({ subnetIds: ["subnet-0a1b2c3d4e5f60001"], backupId: "bkp-1", hsmType: "hsm1.medium", mode: "NON_FIPS" }),
    ),
  );
  expect(err.message).toBe(
    `${LABEL} InvalidInput: 'backupId' value must match ^backup-[2-7a-zA-Z]{11,16}$. Received: bkp-1; 'subnetIds' must name at least 2 subnets (one per AZ, each gets an HSM); 'mode' NON_FIPS is not allowed for hsm1.medium (always FIPS). Next: fix the step's arguments`,
  );
  expect(kms.calls()).toHaveLength(0);
});

test("the runners' argument check names each bad flag", () => {
  const parsed = parseStepInput("restore-key-store", {
    region: "eu-west-1",
    keyStoreId: IDS.keyStoreId,
    subnetIds: "subnet-0a1b2c3d4e5f60001;rm -rf /",
    hsmType: "hsm3.large",
    lastConnected: "yesterday",
    instanceId: IDS.instanceId,
    adminSecretArn: IDS.adminSecretArn,
    kmsuserSecretArn: IDS.kmsuserSecretArn,
    trustAnchorParameter: IDS.trustAnchorParameter,
  });
  expect(parsed.ok).toBe(false);
  const problems = parsed.ok ? [] : parsed.problems;
  expect(problems).toHaveLength(3);
  expect(problems[0]).toMatch(/^'subnetIds' value must match /);
  expect(problems[1]).toMatch(/^'createHsmType' value must match .*Received: hsm3\.large$/);
  expect(problems[2]).toMatch(/^'isoTime' value must match .*Received: yesterday$/);
});

test("the Lambda runner refuses the step before reading its input (command line only), touching nothing", async () => {
  const handler = createHandler({
    clients: () => ({ kms, cloudhsm: kms, ssm: kms, secrets: kms }),
    sink: () => undefined,
  });
  const err = await thrown(() =>
    handler(
      { step: "restore-key-store", keyStoreId: IDS.keyStoreId } as never,
      { getRemainingTimeInMillis: () => 900_000 } as never,
    ),
  );
  expect(err.message).toBe(
    `[restore-key-store] CommandLineOnly: the Lambda runner does not run restore-key-store: ${STEP_CONTRACT["restore-key-store"].cliOnly}. Next: run it from an operator's machine (hooks/README.md)`,
  );
  expect(kms.calls()).toHaveLength(0);
});

describe("the rules", () => {
  test("passwordResetReason: reset unless the backup is newer than the last connect and the connection it made", () => {
    expect(passwordResetReason(t("2026-12-05T00:00:00Z"), t("2026-12-01T00:00:00Z"))).toBeUndefined();
    expect(passwordResetReason(t("2026-12-05T00:30:00Z"), t("2026-12-05T00:00:00Z"))).toBeUndefined();
    expect(passwordResetReason(t("2026-12-05T00:00:00Z"), t("2026-12-05T00:00:01Z"))).toContain("predates");
    // KMS sets the password while connecting (up to HOOKS.CONNECT_PASSWORD_WINDOW_MINUTES after the call).
    expect(passwordResetReason(t("2026-12-05T00:00:00Z"), t("2026-12-05T00:00:00Z"))).toBe(
      "the backup (2026-12-05T00:00:00.000Z) was taken within 30 minutes of the store's last connect call (2026-12-05T00:00:00.000Z), while KMS may still have been setting a new kmsuser password",
    );
    expect(passwordResetReason(t("2026-12-05T00:29:59Z"), t("2026-12-05T00:00:00Z"))).toContain("within 30 minutes");
    expect(passwordResetReason(t("2026-12-05T00:00:00Z"), undefined)).toContain("unknown");
  });
  test("keysLostWith: keys created after the backup, except those pending deletion", () => {
    const keys = [
      keyMeta("a", "2026-12-04T00:00:00Z"),
      keyMeta("b", "2026-12-06T00:00:00Z"),
      keyMeta("c", "2026-12-06T00:00:00Z", { KeyState: "PendingDeletion" }),
    ];
    expect(keysLostWith(t("2026-12-05T00:00:00Z"), keys).map((k) => k.KeyId)).toEqual(["b"]);
  });
  test("newestReadyBackup ignores backups that are not READY", () => {
    expect(newestReadyBackup(BACKUPS)?.BackupId).toBe("backup-newestreadya");
    expect(newestReadyBackup([BACKUPS[2], BACKUPS[3]])).toBeUndefined();
  });
});

describe("the last connect from CloudTrail's event history (no --last-connected)", () => {
  const OTHER_STORE = "cks-0123456789abcdef9";
  /** A ConnectCustomKeyStore event as LookupEvents returns it (CloudTrailEvent is the record's JSON text). */
  const connectEvent = (id: string, store: string, at: string, extra: object = {}) => ({
    EventId: id,
    EventName: "ConnectCustomKeyStore",
    EventTime: t(at),
    CloudTrailEvent: JSON.stringify({
      eventName: "ConnectCustomKeyStore",
      eventSource: "kms.amazonaws.com",
      requestParameters: { customKeyStoreId: store },
      ...extra,
    }),
  });
  const LOOKUP = {
    LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "ConnectCustomKeyStore" }],
    MaxResults: 50,
  };
  const lookups = () => cloudtrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
  const resets = () => secrets.commandCalls(PutSecretValueCommand).length;

  test("an event older than the backup: no reset, the time and the event named", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolves({ Events: [connectEvent("ev-1", IDS.keyStoreId, "2026-10-01T00:00:00Z")] });
    const rt = runtime(60);
    const result = await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(result).toMatchObject({ status: "DONE" });
    expect(resets()).toBe(0);
    expect(lookups()).toEqual([LOOKUP]);
    expect(rt.lines).toEqual(
      expect.arrayContaining([
        `${LABEL} the store last connected at 2026-10-01T00:00:00.000Z (CloudTrail ConnectCustomKeyStore event ev-1)`,
        `${LABEL} no kmsuser password reset: the backup postdates the last connect (2026-10-01T00:00:00.000Z)`,
      ]),
    );
  });

  test("an event newer than the backup: the password is reset", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolves({ Events: [connectEvent("ev-2", IDS.keyStoreId, "2026-12-06T00:00:00Z")] });
    const rt = runtime(60);
    await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(resets()).toBe(1);
    expect(rt.lines).toContain(
      `${LABEL} resetting the kmsuser password: the backup (2026-12-05T00:00:00.000Z) predates the store's last connect (2026-12-06T00:00:00.000Z), when KMS set a new kmsuser password`,
    );
  });

  test("a backup taken while the last connect may still have been running (within 30 minutes of its call): the password is reset", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolves({ Events: [connectEvent("ev-3", IDS.keyStoreId, "2026-12-04T23:50:00Z")] });
    const rt = runtime(60);
    await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(resets()).toBe(1);
    expect(rt.lines).toContain(
      `${LABEL} resetting the kmsuser password: the backup (2026-12-05T00:00:00.000Z) was taken within 30 minutes of the store's last connect call (2026-12-04T23:50:00.000Z), while KMS may still have been setting a new kmsuser password`,
    );
  });

  test("other stores' events (and unreadable records) are ignored: the store's own newest event decides", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        connectEvent("ev-other", OTHER_STORE, "2026-12-07T00:00:00Z"),
        {
          EventId: "ev-bad",
          EventName: "ConnectCustomKeyStore",
          EventTime: t("2026-12-07T00:00:00Z"),
          CloudTrailEvent: "{not json",
        },
        { EventId: "ev-none", EventName: "ConnectCustomKeyStore", EventTime: t("2026-12-07T00:00:00Z") },
        connectEvent("ev-null", IDS.keyStoreId, "2026-12-07T00:00:00Z", { requestParameters: null }),
        connectEvent("ev-mine", IDS.keyStoreId, "2026-10-01T00:00:00Z"),
        connectEvent("ev-mine-older", IDS.keyStoreId, "2026-09-01T00:00:00Z"),
      ],
    });
    const rt = runtime(60);
    await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(resets()).toBe(0);
    expect(rt.lines).toContain(
      `${LABEL} the store last connected at 2026-10-01T00:00:00.000Z (CloudTrail ConnectCustomKeyStore event ev-mine)`,
    );
  });

  test("pages until the store's first event, then stops (NextToken passed on)", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [connectEvent("ev-o1", OTHER_STORE, "2026-12-07T00:00:00Z")], NextToken: "page-2" })
      .resolvesOnce({ Events: [], NextToken: "page-3" })
      .resolvesOnce({ Events: [connectEvent("ev-mine", IDS.keyStoreId, "2026-12-06T00:00:00Z")], NextToken: "page-4" })
      .resolves({ Events: [connectEvent("ev-later-page", IDS.keyStoreId, "2026-09-01T00:00:00Z")] });
    const rt = runtime(60);
    await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(lookups()).toEqual([LOOKUP, { ...LOOKUP, NextToken: "page-2" }, { ...LOOKUP, NextToken: "page-3" }]);
    expect(resets()).toBe(1);
    expect(rt.lines).toContain(
      `${LABEL} the store last connected at 2026-12-06T00:00:00.000Z (CloudTrail ConnectCustomKeyStore event ev-mine)`,
    );
  });

  test("no event of the store in the 90 days: unknown, reset, and the output says why", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [connectEvent("ev-o1", OTHER_STORE, "2026-12-07T00:00:00Z")], NextToken: "page-2" })
      .resolves({ Events: [connectEvent("ev-o2", OTHER_STORE, "2026-11-07T00:00:00Z")] });
    const rt = runtime(60);
    const result = await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(result).toMatchObject({ status: "DONE" });
    expect(resets()).toBe(1);
    expect(rt.lines).toContain(
      `${LABEL} resetting the kmsuser password: the store's last connect time is unknown: CloudTrail's event history (the last 90 days) holds no ConnectCustomKeyStore event of ${IDS.keyStoreId} (2 of other stores); pass --last-connected to skip the reset when the backup is newer`,
    );
  });

  test("an empty history: the same, without the count of other stores' events", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({});
    const rt = runtime(60);
    await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(resets()).toBe(1);
    expect(rt.lines).toContain(
      `${LABEL} resetting the kmsuser password: the store's last connect time is unknown: CloudTrail's event history (the last 90 days) holds no ConnectCustomKeyStore event of ${IDS.keyStoreId}; pass --last-connected to skip the reset when the backup is newer`,
    );
  });

  test("LookupEvents denied: unknown, reset, the missing permission named; the restore still completes", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .rejects(
        awsError("AccessDeniedException", "User: arn:aws:sts::111111111111:assumed-role/ops/x is not authorized"),
      );
    const rt = runtime(60);
    const result = await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(result).toMatchObject({ status: "DONE", state: "CONNECTED, 1 keys proven" });
    expect(resets()).toBe(1);
    expect(lookups()).toHaveLength(1);
    expect(rt.lines).toContain(
      `${LABEL} resetting the kmsuser password: the store's last connect time is unknown: CloudTrail LookupEvents was denied (AccessDeniedException); grant the operator cloudtrail:LookupEvents (resource "*") or pass --last-connected to skip needless resets`,
    );
  });

  test("any other failure of the lookup: unknown, reset (never a failure of the restore)", async () => {
    cloudtrail.on(LookupEventsCommand).rejects(awsError("InvalidLookupAttributesException", "bad attribute"));
    const rt = runtime(60);
    const result = await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(result).toMatchObject({ status: "DONE" });
    expect(resets()).toBe(1);
    expect(rt.lines).toContain(
      `${LABEL} resetting the kmsuser password: the store's last connect time is unknown: CloudTrail LookupEvents failed (InvalidLookupAttributesException: bad attribute); pass --last-connected to skip needless resets`,
    );
  });

  test("throttling is retried (the event is still found)", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
      .resolves({ Events: [connectEvent("ev-1", IDS.keyStoreId, "2026-10-01T00:00:00Z")] });
    const rt = runtime(60);
    await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(lookups()).toHaveLength(2);
    expect(resets()).toBe(0);
    expect(
      rt.lines.some((l) =>
        /CloudTrail LookupEvents failed with ThrottlingException \(Rate exceeded\); retry 1\//.test(l),
      ),
    ).toBe(true);
  });

  test("at most 2 LookupEvents a second (the rulebook's CLOUDTRAIL.LOOKUP_EVENTS_REQUESTS_PER_SECOND)", async () => {
    const rt = runtime(60);
    const starts: number[] = [];
    cloudtrail.on(LookupEventsCommand).callsFake((i: { NextToken?: string }) => {
      starts.push(rt.clock.now());
      const n = Number(i.NextToken ?? 0) + 1;
      return Promise.resolve({
        Events: [connectEvent(`ev-o${n}`, OTHER_STORE, "2026-12-07T00:00:00Z")],
        NextToken: n < 6 ? String(n) : undefined,
      });
    });
    await restoreKeyStore(input({ lastConnected: undefined }, rt));
    expect(starts).toHaveLength(6);
    // Any 3 consecutive requests span at least a second.
    for (let i = 2; i < starts.length; i++) expect(starts[i] - starts[i - 2]).toBeGreaterThanOrEqual(1000);
  });

  test("--last-connected overrides: CloudTrail is not asked", async () => {
    const rt = runtime(60);
    await restoreKeyStore(input({ lastConnected: t("2026-10-01T00:00:00Z") }, rt));
    expect(lookups()).toEqual([]);
    expect(resets()).toBe(0);
    expect(rt.lines).toContain(`${LABEL} the store last connected at 2026-10-01T00:00:00.000Z (--last-connected)`);
  });

  test("a runner that gives no CloudTrail client: unknown, reset, said so", async () => {
    const rt = runtime(60);
    await restoreKeyStore(
      input({ lastConnected: undefined, clients: { kms, cloudhsm: cloudhsm as never, ssm, secrets } }, rt),
    );
    expect(resets()).toBe(1);
    expect(rt.lines).toContain(
      `${LABEL} resetting the kmsuser password: the store's last connect time is unknown (no CloudTrail client; pass --last-connected)`,
    );
  });
});
