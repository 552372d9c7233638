import { CLOUDHSM, XKS } from "@cmk-stacks/aws-limits";
/** Custom key store kinds, as DescribeCustomKeyStores names them. */
export type KeyStoreType = "AWS_CLOUDHSM" | "EXTERNAL_KEY_STORE";

/** What a ConnectionErrorCode means and what the operator does about it. */
export interface ConnectionErrorInfo {
  /** Key store types that report this code. */
  readonly stores: readonly KeyStoreType[];
  /**
   * Worth a disconnect + reconnect without changing anything (a few times at most). For
   * INSUFFICIENT_CLOUDHSM_HSMS only while HSMs are still being created.
   */
  readonly retryable: boolean;
  readonly meaning: string;
  /** Next action per store type (codes shared by both kinds need different fixes). */
  readonly action: Readonly<Partial<Record<KeyStoreType, string>>>;
}

/**
 * Every ConnectionErrorCode KMS documents (https://docs.aws.amazon.com/kms/latest/APIReference/API_CustomKeyStoresListEntry.html, CloudHSM and XKS) mapped to the operator's
 * action. Exported for the README table (`renderConnectionErrorTable`).
 */
export const CONNECTION_ERRORS: Readonly<Record<string, ConnectionErrorInfo>> = {
  CLUSTER_NOT_FOUND: {
    stores: ["AWS_CLOUDHSM"],
    retryable: false,
    meaning: "KMS cannot find the CloudHSM cluster of the key store",
    action: {
      AWS_CLOUDHSM:
        "check that the cluster exists in this account and Region; if it was deleted, restore it from its newest backup and point this same store at it with npm run restore -- <env> (docs/cloudhsm.md#restore); never create a new store",
    },
  },
  INSUFFICIENT_CLOUDHSM_HSMS: {
    stores: ["AWS_CLOUDHSM"],
    retryable: true,
    meaning: "the cluster has fewer than the 2 ACTIVE HSMs in different AZs a key store needs",
    action: {
      AWS_CLOUDHSM:
        "add HSMs so the cluster has at least 2 ACTIVE HSMs in 2 different AZs (aws_cloudhsm_v2_hsm), then re-run",
    },
  },
  INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET: {
    stores: ["AWS_CLOUDHSM"],
    retryable: false,
    meaning: "a subnet of the cluster has no free IP address for the KMS connection",
    action: {
      AWS_CLOUDHSM:
        "free at least one IP address in every subnet of the cluster, then re-run; if they cannot be freed, restore the cluster into larger subnets with npm run restore -- <env> --subnet-ids <ids> (docs/cloudhsm.md#restore)",
    },
  },
  INTERNAL_ERROR: {
    stores: ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"],
    retryable: true,
    meaning: "KMS could not complete the request because of an internal error",
    action: {
      AWS_CLOUDHSM: "transient: re-run; if it persists, contact AWS Support with the key store id",
      EXTERNAL_KEY_STORE: "transient: re-run; if it persists, contact AWS Support with the key store id",
    },
  },
  INVALID_CREDENTIALS: {
    stores: ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"],
    retryable: false,
    meaning: "the credential the key store holds is rejected",
    action: {
      AWS_CLOUDHSM:
        "the key store's kmsuser password does not match the HSMs (KMS rotates it at every connect, so the kmsuser secret is not a valid copy): run reset-kmsuser-password (new password on every HSM as the admin, stored in the kmsuser secret, UpdateCustomKeyStore while DISCONNECTED, reconnect)",
      EXTERNAL_KEY_STORE:
        "the XKS proxy rejects the key store's authentication credential: give the store one the proxy accepts with rotate-xks-credential (an apply never changes it; it reconnects a FAILED store), docs/xks.md",
    },
  },
  NETWORK_ERRORS: {
    stores: ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"],
    retryable: true,
    meaning: "network errors prevent KMS from reaching the HSMs or the proxy",
    action: {
      AWS_CLOUDHSM: `check the cluster security group allows TCP ${CLOUDHSM.CLUSTER_PORTS.min}-${CLOUDHSM.CLUSTER_PORTS.max} between its members and the subnets' network ACLs and routes; then re-run`,
      EXTERNAL_KEY_STORE:
        "check the NLB listener (TCP 443), target health, the proxy's reachability from the VPC and the endpoint service; then re-run",
    },
  },
  SUBNET_NOT_FOUND: {
    stores: ["AWS_CLOUDHSM"],
    retryable: false,
    meaning: "a subnet in the cluster's configuration was deleted",
    action: {
      AWS_CLOUDHSM:
        "a deleted subnet cannot come back (a new one gets a new id): restore the cluster from a backup into existing subnets with npm run restore -- <env> [--subnet-ids <ids>] (docs/cloudhsm.md#restore)",
    },
  },
  USER_LOCKED_OUT: {
    stores: ["AWS_CLOUDHSM"],
    retryable: false,
    meaning: "kmsuser is locked out of the cluster (too many failed logins)",
    action: {
      AWS_CLOUDHSM:
        "run reset-kmsuser-password: as the admin it sets a new kmsuser password on every HSM (an admin password reset is how CloudHSM unlocks a user), stores it in the kmsuser secret, gives it to the DISCONNECTED key store and reconnects",
    },
  },
  USER_LOGGED_IN: {
    stores: ["AWS_CLOUDHSM"],
    retryable: false,
    meaning: "kmsuser is logged in to the cluster, so KMS cannot rotate its password and log in",
    action: {
      AWS_CLOUDHSM:
        "log kmsuser out of every CloudHSM client (never log in as kmsuser), then re-run; if its password was changed meanwhile, run reset-kmsuser-password instead",
    },
  },
  USER_NOT_FOUND: {
    stores: ["AWS_CLOUDHSM"],
    retryable: false,
    meaning: "kmsuser does not exist on one or more HSMs of the cluster",
    action: {
      AWS_CLOUDHSM: "run create-kmsuser with --force (it creates kmsuser and verifies it on every HSM), then re-run",
    },
  },
  XKS_PROXY_ACCESS_DENIED: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: false,
    meaning: "the external key manager's authorization rules deny KMS",
    action: {
      EXTERNAL_KEY_STORE:
        "allow this key store (and its credential) in the XKS proxy's authorization configuration, then re-run",
    },
  },
  XKS_PROXY_INVALID_CONFIGURATION: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: false,
    meaning: "the XKS proxy reports a configuration error",
    action: {
      EXTERNAL_KEY_STORE:
        "check the key store's proxy URI path (/<prefix>/kms/xks/v1) against the proxy's configuration and the proxy's logs, then re-run",
    },
  },
  XKS_PROXY_INVALID_RESPONSE: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: false,
    meaning: "KMS cannot interpret the proxy's response",
    action: {
      EXTERNAL_KEY_STORE:
        "check the proxy implements the XKS proxy API v1 (health, metadata, encrypt, decrypt) and its logs, then re-run",
    },
  },
  XKS_PROXY_INVALID_TLS_CONFIGURATION: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: false,
    meaning: "the proxy's TLS configuration is rejected",
    action: {
      EXTERNAL_KEY_STORE:
        "serve a certificate from a public CA whose CN or SAN matches the endpoint's private DNS name, TLS 1.2+, full chain; then re-run",
    },
  },
  XKS_PROXY_NOT_REACHABLE: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: true,
    meaning: "KMS cannot communicate with the XKS proxy",
    action: {
      EXTERNAL_KEY_STORE:
        "check the endpoint service is available, the NLB targets (proxy IPs on 443) are healthy, the VPC routes every network.onPremisesCidrs range to the data centre (transit gateway or VPN routes) and the data centre routes back, and the proxy is running, then re-run",
    },
  },
  XKS_PROXY_TIMED_OUT: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: true,
    meaning: `the proxy did not answer within KMS's timeout (${XKS.PROXY_TIMEOUT_MS.value} ms per call)`,
    action: {
      EXTERNAL_KEY_STORE: `bring the round trip to the key manager under ${XKS.PROXY_TIMEOUT_MS.value} ms (${XKS.RECOMMENDED_ROUND_TRIP_MS.value} ms recommended): check proxy load and network latency, then re-run`,
    },
  },
  XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: false,
    meaning: "the VPC endpoint service does not meet XKS requirements",
    action: {
      EXTERNAL_KEY_STORE:
        "set acceptance_required = false, an internal NLB in at least 2 AZs, a verified private DNS name matching the key store's URI endpoint; then re-run",
    },
  },
  XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND: {
    stores: ["EXTERNAL_KEY_STORE"],
    retryable: false,
    meaning: "KMS cannot find (or may not use) the VPC endpoint service",
    action: {
      EXTERNAL_KEY_STORE:
        "check the key store's endpoint service name and allow the principal cks.kms.<region>.amazonaws.com on the endpoint service, then re-run",
    },
  },
};

/** The action for `code` on a store of `type`; a generic one for codes AWS adds later. */
export function connectionErrorAction(code: string, type: KeyStoreType, env?: string): string {
  const info = CONNECTION_ERRORS[code];
  const action =
    info?.action[type] ??
    info?.action.AWS_CLOUDHSM ??
    info?.action.EXTERNAL_KEY_STORE ??
    `unknown connection error code: see the KMS developer guide (Troubleshooting a custom key store), fix, then re-run`;
  // The operator commands know the environment: `npm run restore -- prod`, not `-- <env>`.
  return env ? action.replaceAll("<env>", env) : action;
}

/** Markdown table of every code (for hooks/README.md). */
export function renderConnectionErrorTable(): string {
  const rows = Object.entries(CONNECTION_ERRORS).flatMap(([code, info]) =>
    info.stores.map(
      (store) =>
        `| \`${code}\` | ${store === "AWS_CLOUDHSM" ? "CloudHSM" : "XKS"} | ${info.retryable ? "yes" : "no"} | ${info.meaning} | ${info.action[store]} |`,
    ),
  );
  return ["| code | store | auto-retry | meaning | next action |", "|---|---|---|---|---|", ...rows].join("\n");
}
