/** cloudHsm.restored (issue 21, restore): every problem at once, each naming its field. */
import { environments } from "../../../environments";
import { validationMessages } from "../../../environments/validation";
import { variant } from "../../helpers/synth";

const { prod } = environments;
const RESTORED = { clusterId: "cluster-restoredabcd", backupId: "backup-newestreadya", hsmIds: ["hsm-restoredhsmaa"] };

test("a well-formed restored setting is valid", () => {
  expect(validationMessages({ prod: variant(prod, { "cloudHsm.restored": RESTORED }) })).toEqual([]);
  expect(
    validationMessages({
      prod: variant(prod, { "cloudHsm.restored": { ...RESTORED, previousClusterId: "cluster-originalabcd" } }),
    }),
  ).toEqual([]);
});

test("every problem of restored at once, each naming its field", () => {
  const bad = {
    clusterId: "cluster-1",
    backupId: "bkp",
    hsmIds: ["hsm-restoredhsmaa", "x", "hsm-restoredhsmaa", "hsm-restoredhsmcc"],
    previousClusterId: "cluster-1",
  };
  expect(validationMessages({ prod: variant(prod, { "cloudHsm.restored": bad }) })).toEqual([
    'environments.prod.cloudHsm.restored.clusterId: "cluster-1" is not allowed (cluster- followed by 11-16 letters and digits 2-7, CloudHSM ClusterId (npm run restore prints it))',
    'environments.prod.cloudHsm.restored.backupId: "bkp" is not allowed (backup- followed by 11-16 letters and digits 2-7, CloudHSM BackupId (the cluster\'s SourceBackupId))',
    'environments.prod.cloudHsm.restored.hsmIds: ["hsm-restoredhsmaa","x","hsm-restoredhsmaa","hsm-restoredhsmcc"] is not allowed (a list of at most 3 HSM ids (one per cloudHsm.hsmAzs entry, in its order), each once, CloudHSM CreateHsm (restore-key-store creates one HSM per AZ))',
    'environments.prod.cloudHsm.restored.hsmIds.1: "x" is not allowed (hsm- followed by 11-16 letters and digits 2-7, CloudHSM HsmId)',
    'environments.prod.cloudHsm.restored.previousClusterId: "cluster-1" is not allowed (cluster- followed by 11-16 letters and digits 2-7, not restored.clusterId itself, the restored cluster this one replaces (the previous restored.clusterId))',
  ]);
});

test("the ids are required", () => {
  expect(validationMessages({ prod: variant(prod, { "cloudHsm.restored": {} }) })).toEqual([
    "environments.prod.cloudHsm.restored.clusterId: (missing) is not allowed (cluster- followed by 11-16 letters and digits 2-7, CloudHSM ClusterId (npm run restore prints it))",
    "environments.prod.cloudHsm.restored.backupId: (missing) is not allowed (backup- followed by 11-16 letters and digits 2-7, CloudHSM BackupId (the cluster's SourceBackupId))",
    "environments.prod.cloudHsm.restored.hsmIds: (missing) is not allowed (a list of at most 3 HSM ids (one per cloudHsm.hsmAzs entry, in its order), each once, CloudHSM CreateHsm (restore-key-store creates one HSM per AZ))",
  ]);
});

test("no restore while awaiting the certificate", () => {
  const awaiting = variant(prod, {
    "cloudHsm.trust": { mode: "provided" },
    "cloudHsm.restored": RESTORED,
  });
  expect(validationMessages({ prod: awaiting })).toEqual([
    'environments.prod.cloudHsm.restored: {"clusterId":"cluster-restoredabcd","backupId":"backup-newestreadya","hsmIds"... is not allowed (unset while awaiting the certificate (a cluster is restored only once it served a key store), CloudHSM InitializeCluster; KMS UpdateCustomKeyStore)',
  ]);
});

test("one HSM id imported at two addresses (adoptHsms twice, or adoptHsms and restored.hsmIds) is refused at each later one", () => {
  const env = variant(prod, {
    "cloudHsm.restored": { ...RESTORED, hsmIds: ["hsm-restoredhsmaa", "hsm-replacedhsmaa"] },
    "cloudHsm.adoptHsms": { "eu-west-1a-1": "hsm-replacedhsmaa", "eu-west-1c-1": "hsm-replacedhsmaa" },
  });
  const rule = (first: string) =>
    `an HSM no other address imports (cloudHsm.${first} imports it), Terraform import: each remote object at one resource address (https://developer.hashicorp.com/terraform/cli/import)`;
  expect(validationMessages({ prod: env })).toEqual([
    `environments.prod.cloudHsm.restored.hsmIds.1: "hsm-replacedhsmaa" is not allowed (${rule("adoptHsms.eu-west-1a-1")})`,
    `environments.prod.cloudHsm.adoptHsms.eu-west-1c-1: "hsm-replacedhsmaa" is not allowed (${rule("adoptHsms.eu-west-1a-1")})`,
  ]);
  // The adopted HSM in place of the restored one at the same address: one import.
  expect(
    validationMessages({
      prod: variant(prod, {
        "cloudHsm.restored": RESTORED,
        "cloudHsm.adoptHsms": { "eu-west-1a-1": "hsm-restoredhsmaa" },
      }),
    }),
  ).toEqual([]);
});
