import { Construct } from "constructs";
import type { IKeyStore } from "../keystores/key-store";
import { AlarmTopic, type AlarmSubscription } from "./alarm-topic";
import { CloudHsmHealthCheck } from "./cloudhsm-health-check";
import { HookRuntime } from "../hooks/hook-runtime";
import { XksCertificateCheck } from "./xks-certificate-check";
import { KeyStoreAlarms } from "./key-store-alarms";
import { RequestQuotaAlarm } from "./request-quota-alarm";
import type { ScaleWindow } from "../../hooks/lib/scale-window";

export interface KmsAlarmsProps {
  /** Who receives the alarms. At least one. */
  readonly subscriptions: readonly AlarmSubscription[];
  /** Share of the account's KMS request quota at which to alarm. @default - the rulebook's `CLOUDWATCH.REQUEST_QUOTA_SHARE_DEFAULT` (see {@link RequestQuotaAlarm}) */
  readonly requestQuotaShare?: number;
  /** The CloudHSM key store and its cluster. @default - none */
  readonly cloudHsm?: { readonly keyStore: IKeyStore; readonly clusterId: string; readonly scaleWindow?: ScaleWindow };
  /** The external key store and its thresholds (see {@link KeyStoreAlarms}). @default - none */
  readonly xks?: {
    readonly keyStore: IKeyStore;
    readonly certificateDays?: number;
    readonly latencyShare?: number;
    readonly credentialRotationDays?: number;
    /**
     * `<host>:<port>` of the load balancer in front of the proxies: with the lambda runner, the
     * hook function reads the certificate there on a schedule and a second expiry alarm watches it
     * ({@link XksCertificateCheck}; covers wildcard certificates). @default - none: only KMS's metric
     */
    readonly proxyAddress?: string;
  };
}

/** Every alarm of an environment's keys (docs/alarms.md): the topic, the account quota, and each key store's alarms. */
export class KmsAlarms extends Construct {
  readonly topic: AlarmTopic;

  constructor(scope: Construct, id: string, props: KmsAlarmsProps) {
    super(scope, id);
    this.topic = new AlarmTopic(this, "topic", { subscriptions: props.subscriptions });
    new RequestQuotaAlarm(this, "account", { topic: this.topic, share: props.requestQuotaShare });
    if (props.cloudHsm) {
      new KeyStoreAlarms(this, "cloudhsm", { topic: this.topic, keyStore: props.cloudHsm.keyStore });
      new CloudHsmHealthCheck(this, "cloudhsm-health", {
        topic: this.topic,
        keyStore: props.cloudHsm.keyStore,
        clusterId: props.cloudHsm.clusterId,
        scaleWindow: props.cloudHsm.scaleWindow,
      });
    }
    if (props.xks) {
      const { keyStore, proxyAddress, ...thresholds } = props.xks;
      new KeyStoreAlarms(this, "xks", { topic: this.topic, keyStore, ...thresholds });
      // Only a function in the VPC can run it on a schedule; the local runner keeps KMS's metric alone (docs/xks.md).
      if (proxyAddress && HookRuntime.of(this).runner === "lambda")
        new XksCertificateCheck(this, "xks-certificate", {
          topic: this.topic,
          keyStore,
          proxyAddress,
          certificateDays: thresholds.certificateDays,
        });
    }
  }
}
