/**
 * Names of the CloudHSM resources an environment creates, from its name (the stack's name prefix).
 * The constructs name them with these, and `npm run restore` finds them by these (tools/ops/restore.ts).
 * Dependency-free on purpose: the operator tools import it.
 */
export const cloudHsmNames = (prefix: string) =>
  ({
    /** Secrets Manager secret of the admin (crypto officer) password. */
    adminSecret: `${prefix}/cloudhsm/admin-password`,
    /** Secrets Manager secret of the kmsuser password. */
    kmsuserSecret: `${prefix}/cloudhsm/kmsuser-password`,
    /** SSM parameter of the signed cluster certificate. */
    certificateParameter: `/${prefix}/cloudhsm/cluster-certificate`,
    /** SSM parameter of the trust anchor. */
    trustAnchorParameter: `/${prefix}/cloudhsm/trust-anchor`,
    /** Name tag of the admin host (and its role, profile and security group). */
    adminHost: `${prefix}-cloudhsm-admin`,
  }) as const;

/** Name tag of the private subnet a new VPC has in `az` (modules/network/private-network.ts). */
export const privateSubnetName = (prefix: string, az: string): string => `${prefix}-private-${az}`;
