/** CloudHSM cluster and its key store. */
import { formatValue, type ConstraintTable, type Violation } from "./engine";
import { cloudHsmPhase } from "../resolve";
import { posix } from "node:path";
import { CLOUDHSM, inRange, KMS } from "@cmk-stacks/aws-limits";
import { isString, matches, oneOf } from "./checks";

/** A relative path that stays inside the repository once normalised (no absolute path, no `..`). */
export const insideRepository = (v: unknown): boolean =>
  isString(v) &&
  !posix.isAbsolute(v) &&
  !v.includes("\\") &&
  !posix.normalize(v).startsWith("../") &&
  posix.normalize(v) !== "..";
const SRC_REPO = "certificate files are read from the repository";
import type { EnvironmentConfig } from "../types";

const SRC_CLI_PATH = "CloudHSM admin host: private subnets without NAT reach only AWS endpoints and this Region's S3";

const SRC_HSM_ADDRESSES = "the HSM addresses HsmCluster synthesizes";
const SRC_IMPORT_ONCE =
  "Terraform import: each remote object at one resource address (https://developer.hashicorp.com/terraform/cli/import)";

/** "'a' or 'b'". */
const quotedOr = (list: readonly string[]): string => list.map((v) => `'${v}'`).join(" or ");

const subnetAzs = (env: EnvironmentConfig): string[] =>
  Array.isArray(env.network?.subnets) ? env.network.subnets.map((s) => s?.az).filter(isString) : [];

/** `<az>-<n>` of each HSM in `hsmAzs` (the n-th HSM in that AZ), as HsmCluster names them. */
const hsmNames = (azs: unknown): string[] => {
  if (!Array.isArray(azs)) return [];
  const seen: Record<string, number> = {};
  return azs.filter(isString).map((az) => `${az}-${(seen[az] = (seen[az] ?? 0) + 1)}`);
};

export const cloudHsmTable: ConstraintTable = {
  domain: "cloudhsm",
  fields: [
    {
      field: "cloudHsm.hsmType",
      rule: quotedOr(CLOUDHSM.HSM_TYPES),
      source: "CloudHSM CreateCluster HsmType",
      check: oneOf(...CLOUDHSM.HSM_TYPES),
    },
    {
      // Every cluster here backs a KMS CloudHSM key store; the rulebook lists the types KMS accepts.
      field: "cloudHsm.hsmType",
      rule: `a type whose clusters a KMS CloudHSM key store accepts (${quotedOr(CLOUDHSM.KEY_STORE_HSM_TYPES)}; ${CLOUDHSM.KEY_STORE_HSM_TYPES_DOC})`,
      source: "KMS CreateCustomKeyStore CloudHsmClusterId",
      when: (c) => isString(c.parent.hsmType) && (CLOUDHSM.HSM_TYPES as readonly string[]).includes(c.parent.hsmType),
      check: (v) => CLOUDHSM.keyStoreAcceptsHsmType(v),
    },
    {
      field: "cloudHsm.mode",
      rule: quotedOr(CLOUDHSM.CLUSTER_MODES),
      source: "CloudHSM CreateCluster Mode",
      check: oneOf(...CLOUDHSM.CLUSTER_MODES),
    },
    {
      field: "cloudHsm.mode",
      rule: "'FIPS' for hsm1.medium (only hsm2m.medium clusters have a mode)",
      source: "CloudHSM CreateCluster Mode",
      when: (c) => isString(c.parent.hsmType) && CLOUDHSM.FIPS_ONLY_HSM_TYPES.includes(c.parent.hsmType),
      check: (v, c) => CLOUDHSM.modeAllowedFor(c.parent.hsmType, v),
    },
    {
      field: "cloudHsm.adoptHsms",
      rule: "unset with scaleToZero (the hook steps own the HSMs there: ensure-hsms and scale-up count the HSMs AWS put in place and create none)",
      source: "docs/cloudhsm.md, Scale to zero",
      when: (c) => c.parent.scaleToZero !== undefined,
      check: (v) => v === undefined,
    },
    {
      field: "cloudHsm.restored",
      rule: "unset with scaleToZero (the hook steps own the HSMs there): turn scale to zero off, restore, then turn it on again (docs/cloudhsm.md)",
      source: "docs/cloudhsm.md, Scale to zero",
      when: (c) => c.parent.scaleToZero !== undefined,
      check: (v) => v === undefined,
    },
    {
      // The entry's name is what is wrong; the rule says so (the value shown is its HSM id).
      field: "cloudHsm.adoptHsms.*",
      rule: (c) =>
        `an entry named after an HSM in hsmAzs, '<az>-<n>' for the n-th HSM in that AZ (${hsmNames(c.env.cloudHsm?.hsmAzs).join(", ") || "none"}), not '${c.segments[c.segments.length - 1]}'`,
      source: SRC_HSM_ADDRESSES,
      check: (_v, c) => hsmNames(c.env.cloudHsm?.hsmAzs).includes(c.segments[c.segments.length - 1]),
    },
    {
      field: "cloudHsm.adoptHsms.*",
      rule: `an HSM id (${CLOUDHSM.HSM_ID.allowed})`,
      source: "CloudHSM DescribeClusters HsmId",
      check: matches(CLOUDHSM.HSM_ID.regex),
    },
    {
      field: "cloudHsm.hsmAzs",
      rule: `${CLOUDHSM.KEY_STORE_MIN_HSMS.value}-${CLOUDHSM.HSMS_PER_CLUSTER.max} AZs, at least ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} of them distinct (a key store needs ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} active HSMs in different AZs)`,
      source: "KMS CreateCustomKeyStore; CloudHSM quotas",
      required: true,
      check: (v) => Array.isArray(v) && inRange(CLOUDHSM.HSMS_PER_CLUSTER, v.length) && CLOUDHSM.hsmAzsServeKeyStore(v),
    },
    {
      field: "cloudHsm.hsmAzs.*",
      rule: (c) => `an AZ with a subnet in network.subnets (${subnetAzs(c.env).join(", ")})`,
      source: "CloudHSM CreateHsm AvailabilityZone",
      check: (v, c) => isString(v) && subnetAzs(c.env).includes(v),
    },
    {
      field: "cloudHsm.backupRetentionDays",
      rule: `${CLOUDHSM.BACKUP_RETENTION_DAYS.min}-${CLOUDHSM.BACKUP_RETENTION_DAYS.max} days`,
      source: "CloudHSM BackupRetentionPolicy",
      check: (v) => typeof v === "number" && inRange(CLOUDHSM.BACKUP_RETENTION_DAYS, v),
    },
    {
      field: "cloudHsm.keyStoreName",
      rule: `${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.min}-${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.max} chars`,
      source: "KMS CreateCustomKeyStore CustomKeyStoreName",
      required: true,
      check: KMS.isCustomKeyStoreName,
    },
    {
      field: "cloudHsm.trust.mode",
      rule: "'generated' or 'provided'",
      source: "cluster trust modes",
      required: true,
      check: oneOf("generated", "provided"),
    },
    {
      field: "cloudHsm.trust.signedCertificateFile",
      rule: "a path to a PEM file, relative to the repository",
      source: "CloudHSM InitializeCluster SignedCert",
      when: (c) => c.parent.mode === "provided",
      check: matches(/^[\w./-]+\.(pem|crt)$/),
    },
    {
      field: "cloudHsm.trust.trustAnchorFile",
      rule: "a path to a PEM file, relative to the repository",
      source: "CloudHSM InitializeCluster TrustAnchor",
      when: (c) => c.parent.mode === "provided",
      check: matches(/^[\w./-]+\.(pem|crt)$/),
    },
    {
      field: "cloudHsm.trust.signedCertificateFile",
      rule: "a path inside the repository (relative, no '..' above it)",
      source: SRC_REPO,
      when: (c) => c.parent.mode === "provided",
      check: insideRepository,
    },
    {
      field: "cloudHsm.trust.trustAnchorFile",
      rule: "a path inside the repository (relative, no '..' above it)",
      source: SRC_REPO,
      when: (c) => c.parent.mode === "provided",
      check: insideRepository,
    },
    {
      field: "cloudHsm.trust.trustAnchorFile",
      rule: "a file other than signedCertificateFile (the trust anchor is the issuing CA's certificate, not the cluster's)",
      source: "CloudHSM InitializeCluster TrustAnchor",
      when: (c) => c.parent.mode === "provided" && isString(c.parent.signedCertificateFile),
      check: (v, c) => !isString(v) || posix.normalize(v) !== posix.normalize(String(c.parent.signedCertificateFile)),
    },
    {
      field: "cloudHsm.adminHost.instanceType",
      rule: CLOUDHSM.INSTANCE_TYPE.allowed,
      source: "EC2 instance types",
      check: matches(CLOUDHSM.INSTANCE_TYPE.regex),
    },
    {
      field: "cloudHsm.adminHost.amiId",
      rule: "an AMI id (ami- and 8 or 17 hex chars)",
      source: "EC2 resource ids",
      check: matches(CLOUDHSM.AMI_ID.regex),
    },
    {
      field: "cloudHsm.adminHost.cliPackage",
      rule: CLOUDHSM.ADMIN_HOST_CLI_PACKAGE.allowed,
      source: "dnf install / aws s3 cp in the admin host's user data",
      check: matches(CLOUDHSM.ADMIN_HOST_CLI_PACKAGE.regex),
    },
    {
      field: "cloudHsm.adminHost.cliPreinstalled",
      rule: "false or unset without cloudHsm.adminHost.amiId (the default Amazon Linux 2023 image has no CloudHSM CLI)",
      source: "CloudHSM admin host AMI",
      when: (c) => c.parent.amiId === undefined,
      check: (v) => v !== true,
    },
    {
      field: "cloudHsm.restored.clusterId",
      rule: CLOUDHSM.CLUSTER_ID.allowed,
      source: "CloudHSM ClusterId (npm run restore prints it)",
      required: true,
      check: matches(CLOUDHSM.CLUSTER_ID.regex),
    },
    {
      field: "cloudHsm.restored.backupId",
      rule: CLOUDHSM.BACKUP_ID.allowed,
      source: "CloudHSM BackupId (the cluster's SourceBackupId)",
      required: true,
      check: matches(CLOUDHSM.BACKUP_ID.regex),
    },
    {
      field: "cloudHsm.restored.hsmIds",
      rule: (c) =>
        `a list of at most ${Array.isArray(c.env.cloudHsm?.hsmAzs) ? c.env.cloudHsm.hsmAzs.length : "as many HSM ids as"} HSM ids (one per cloudHsm.hsmAzs entry, in its order), each once`,
      source: "CloudHSM CreateHsm (restore-key-store creates one HSM per AZ)",
      required: true,
      check: (v, c) =>
        Array.isArray(v) &&
        new Set(v).size === v.length &&
        (!Array.isArray(c.env.cloudHsm?.hsmAzs) || v.length <= c.env.cloudHsm.hsmAzs.length),
    },
    {
      field: "cloudHsm.restored.hsmIds.*",
      rule: CLOUDHSM.HSM_ID.allowed,
      source: "CloudHSM HsmId",
      check: matches(CLOUDHSM.HSM_ID.regex),
    },
    {
      field: "cloudHsm.restored.previousClusterId",
      rule: `${CLOUDHSM.CLUSTER_ID.allowed}, not restored.clusterId itself`,
      source: "the restored cluster this one replaces (the previous restored.clusterId)",
      check: (v, c) => matches(CLOUDHSM.CLUSTER_ID.regex)(v) && v !== c.parent.clusterId,
    },
    {
      field: "cloudHsm.restored",
      rule: "unset while awaiting the certificate (a cluster is restored only once it served a key store)",
      source: "CloudHSM InitializeCluster; KMS UpdateCustomKeyStore",
      when: (c) => cloudHsmPhase(c.env.cloudHsm?.trust) === "awaiting-certificate",
      check: (v) => v === undefined,
    },
    {
      field: "cloudHsm.adminHost.cliPackage",
      rule: "unset when cliPreinstalled is true (nothing is installed at boot)",
      source: "CloudHSM admin host AMI",
      when: (c) => c.parent.cliPreinstalled === true,
      check: () => false,
    },
  ],
  cross: [
    {
      description:
        "the admin host has a way to get the CloudHSM CLI (an s3:// mirror in the Region, an AMI with it, or NAT)",
      source: SRC_CLI_PATH,
      check: (env) => {
        const host = env.cloudHsm?.adminHost;
        if (!env.cloudHsm || host?.cliPreinstalled === true) return [];
        const pkg = host?.cliPackage;
        if (isString(pkg) && pkg.startsWith("s3://")) return [];
        const nat = env.network?.mode === "existing" && env.network.natGateway === true;
        if (nat) return [];
        return [
          {
            path: "cloudHsm.adminHost.cliPackage",
            value: pkg,
            rule: `an s3://<bucket>/<key>.rpm copy of the CloudHSM CLI in a bucket in ${String(env.region)} (read through the S3 gateway endpoint), or set cloudHsm.adminHost.amiId with cliPreinstalled: true: ${pkg === undefined ? "the default https download" : "an https:// download"} needs a NAT path and this network has none`,
            source: SRC_CLI_PATH,
          },
        ];
      },
    },
    {
      description: "provided trust: certificate and trust anchor come together",
      source: "CloudHSM InitializeCluster",
      check: (env) => {
        const t = env.cloudHsm?.trust;
        if (!t || t.mode !== "provided") return [];
        const has = [t.signedCertificateFile, t.trustAnchorFile].map((f) => f !== undefined);
        return has[0] === has[1]
          ? []
          : [
              {
                path: `cloudHsm.trust.${has[0] ? "trustAnchorFile" : "signedCertificateFile"}`,
                value: undefined,
                rule: "set together with the other file (both absent on the first apply, both present on the second)",
                source: "CloudHSM InitializeCluster",
              } as Violation,
            ];
      },
    },
    {
      description:
        "while awaiting the CloudHSM certificate (provided trust without its files), no bucket or EBS default encryption uses a cloudhsm key (FSx on one waits for the second apply)",
      source: "CloudHSM InitializeCluster: the key store, and its keys, exist only after the second apply",
      check: (env) => {
        if (!env.cloudHsm || cloudHsmPhase(env.cloudHsm.trust) !== "awaiting-certificate") return [];
        const keys = env.keys && typeof env.keys === "object" ? env.keys : {};
        const waiting = (key: unknown) =>
          isString(key) && Object.prototype.hasOwnProperty.call(keys, key) && keys[key]?.store === "cloudhsm";
        const refused = (path: string, key: unknown): Violation => ({
          path,
          value: key,
          rule: "a key that exists on the first apply",
          source: "CloudHSM InitializeCluster",
          message: `${formatValue(key)} is a cloudhsm key, which exists only after the cluster certificate is provided (cloudHsm.trust.signedCertificateFile and trustAnchorFile): use another key until then`,
        });
        const buckets =
          env.data?.buckets && typeof env.data.buckets === "object" ? Object.entries(env.data.buckets) : [];
        return [
          ...buckets.filter(([, b]) => waiting(b?.key)).map(([name, b]) => refused(`data.buckets.${name}.key`, b.key)),
          ...(waiting(env.data?.ebs?.key) ? [refused("data.ebs.key", env.data?.ebs?.key)] : []),
        ];
      },
    },
    {
      description: "each HSM id of adoptHsms and restored.hsmIds is imported at one address only",
      source: SRC_IMPORT_ONCE,
      check: (env) => {
        const c = env.cloudHsm;
        if (!c || !Array.isArray(c.hsmAzs)) return [];
        const adopt = c.adoptHsms !== null && typeof c.adoptHsms === "object" ? c.adoptHsms : undefined;
        const restored = Array.isArray(c.restored?.hsmIds) ? c.restored.hsmIds : undefined;
        return CLOUDHSM.hsmsImportedTwice(c.hsmAzs, adopt, restored).map((t) => ({
          path: `cloudHsm.${t.field}`,
          value: t.hsmId,
          rule: `an HSM no other address imports (cloudHsm.${t.first} imports it)`,
          source: SRC_IMPORT_ONCE,
        }));
      },
    },
    {
      description: "key store names are unique",
      source: "KMS CreateCustomKeyStore: names are unique per account and Region",
      check: (env) =>
        env.cloudHsm && env.xks && env.cloudHsm.keyStoreName === env.xks.keyStoreName
          ? [
              {
                path: "xks.keyStoreName",
                value: env.xks.keyStoreName,
                rule: "a name different from cloudHsm.keyStoreName",
                source: "KMS CreateCustomKeyStore: names are unique per account and Region",
              },
            ]
          : [],
    },
  ],
};
