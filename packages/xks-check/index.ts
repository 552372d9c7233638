/** XKS proxy preflight: call the proxy as KMS does and report what KMS would reject (README.md). */
export { runXksCheck, healthVerdict, percentile, DEFAULTS } from "./check";
export { runCli, runMain, type CliDeps, type CliIo, type EnvironmentTargets, type EnvironmentTarget } from "./run-cli";
export { formatReport } from "./report";
export {
  resolveCredential,
  validateCredential,
  secretRegion,
  ACCESS_KEY_ID_VAR,
  SECRET_ACCESS_KEY_VAR,
  type CredentialSource,
  type SecretsClient,
  type SecretsClientFactory,
} from "./credentials";
export { signXksRequest, XKS_SIGNING_SERVICE, type SignedXksRequest } from "./sign";
export {
  nameCovers,
  matchNames,
  namesFromPeer,
  describeNames,
  type CertificateNames,
  type NameMatch,
} from "./tls-names";
export {
  readProxyCertificate,
  certificateRows,
  judgeChain,
  soonestExpiry,
  sameName,
  subjectLabel,
  type CertificateTrust,
  type CertificateTarget,
  type CertificateRead,
  type ChainVerdict,
  type ExpiryThresholds,
  type ProxyCertificate,
} from "./certificate";
export {
  xksPost,
  classifyError,
  KMS_CIPHER_SUITES,
  type CallResult,
  type CallTarget,
  type CallFailure,
  type FailureKind,
  type TlsInfo,
} from "./transport";
export {
  parseHealth,
  parseKeyMetadata,
  keyProblems,
  type HealthStatus,
  type KeyMetadata,
  type EkmHealth,
} from "./responses";
export { parseConnectTo, parseEndpoint, parseUriPath, parseRegion, parseKeyId } from "./options";
export {
  parseTarget,
  readTargetFile,
  targetJson,
  TARGET_FIELDS,
  type XksTarget,
  type XksTargetKey,
  type TargetSpec,
} from "./target";
export * from "./model";
