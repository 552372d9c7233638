import { Construct } from "constructs";
import { keysAwaitingCertificate, type ResolvedEnvironment } from "../environments/resolve";
import { EncryptedBucket } from "../modules/consumers/encrypted-bucket";
import { EbsDefaultEncryption } from "../modules/consumers/ebs-default-encryption";
import { FsxOntap } from "../modules/consumers/fsx-ontap";
import { privateRouteTableIds } from "../modules/network/service-endpoints";
import type { KeysStack } from "./keys-stack";
import { ShippedEnvironmentStack } from "./base-stack";

/**
 * Consumers of the keys: buckets, EBS default encryption, file systems. Everyday changes happen
 * here, in a state apart from the keys; the keys arrive through CDKTF cross-stack references.
 */
export class DataStack extends ShippedEnvironmentStack {
  constructor(scope: Construct, id: string, env: ResolvedEnvironment, keysStack: KeysStack) {
    super(scope, id, env);
    this.addDependency(keysStack);
    for (const [name, bucket] of Object.entries(env.data.buckets)) {
      new EncryptedBucket(this, `bucket-${name}`, { bucketName: bucket.bucketName, key: keysStack.keys[bucket.key] });
    }
    if (env.data.ebs) {
      new EbsDefaultEncryption(this, "ebs", { key: keysStack.keys[env.data.ebs.key] });
    }
    // FSx on a cloudhsm key waits for the second apply while the CloudHSM phase is awaiting-certificate.
    const fsx = env.data.fsx;
    if (fsx && !keysAwaitingCertificate(env).includes(fsx.key)) {
      const net = keysStack.network;
      new FsxOntap(this, "fsx", {
        key: keysStack.keys[fsx.key],
        network: net,
        deploymentType: fsx.deploymentType,
        haPairs: fsx.haPairs,
        storageCapacityGiB: fsx.storageCapacityGiB,
        throughputPerHaPair: fsx.throughputPerHaPair,
        subnetAzs: fsx.subnetAzs,
        preferredAz: fsx.preferredAz,
        automaticBackupRetentionDays: fsx.automaticBackupRetentionDays,
        clientCidrs: fsx.clientCidrs,
        routeTableIds: privateRouteTableIds(this, net),
      });
    }
  }
}
