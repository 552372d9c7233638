/**
 * The environment contract: what a user writes in `environments/<env>.ts` (or in the JSON file
 * named by `ENV_CONFIG`). The types are derived from the zod schema in `environments/schema.ts`,
 * which documents every field and its default; the same schema checks JSON input at run time and
 * is exported as `schema/environment.schema.json` for editors. Required fields are the decisions
 * only the user can make; everything else has a secure default.
 */
import type * as z from "zod";
import type {
  AlarmsSchema,
  AlarmSubscriptionSchema,
  BackendSchema,
  BucketSchema,
  CloudHsmSchema,
  CloudHsmTrustSchema,
  DataSchema,
  EnvironmentSchema,
  FsxDeploymentTypeSchema,
  FsxSchema,
  HooksSchema,
  KeySchema,
  SigningKeySchema,
  MacKeySchema,
  ExternalAccountSchema,
  KeyStoreKindSchema,
  NetworkSchema,
  NewVpcOnPremisesConnectionSchema,
  ExistingVpcOnPremisesConnectionSchema,
  SubnetSchema,
  XksSchema,
} from "./schema";

/** One environment: one AWS account and Region, synthesized as `<name>-keys` and `<name>-data`. */
export type EnvironmentConfig = z.input<typeof EnvironmentSchema>;
/** State storage per environment. */
export type BackendConfig = z.input<typeof BackendSchema>;
/** A private subnet, declared with its AZ and CIDR so placement rules are checked at synth. */
export type SubnetSpec = z.input<typeof SubnetSchema>;
/** Network for the key infrastructure: private subnets only, in at least 2 AZs. */
export type NetworkConfig = z.input<typeof NetworkSchema>;
/** How a new VPC reaches the data centre: a transit gateway attachment, or a virtual private gateway. */
export type NewVpcOnPremisesConnection = z.input<typeof NewVpcOnPremisesConnectionSchema>;
/** An existing VPC's routes to the data centre, checked at plan time. */
export type ExistingVpcOnPremisesConnection = z.input<typeof ExistingVpcOnPremisesConnectionSchema>;
/** Where a key's material lives. */
export type KeyStoreKind = z.output<typeof KeyStoreKindSchema>;
/** A customer managed KMS key with separation of duties. */
export type KeyConfig = z.input<typeof KeySchema>;
/** An asymmetric signing key (SIGN_VERIFY) in AWS KMS. */
export type SigningKeyConfig = z.input<typeof SigningKeySchema>;
/** An HMAC key (GENERATE_VERIFY_MAC) in AWS KMS. */
export type MacKeyConfig = z.input<typeof MacKeySchema>;
/** Another account allowed to use a key, and what it may do. */
export type ExternalAccountConfig = z.input<typeof ExternalAccountSchema>;
/** CloudHSM cluster and the KMS custom key store on it. */
export type CloudHsmConfig = z.input<typeof CloudHsmSchema>;
/** `generated`: a CA made by Terraform (the CA key is in state). `provided`: the operator signs the CSR offline. */
export type CloudHsmTrustConfig = z.input<typeof CloudHsmTrustSchema>;
/** External key store reached over a VPC endpoint service (PrivateLink). */
export type XksConfig = z.input<typeof XksSchema>;
/** Consumers in the `<env>-data` stack. */
export type DataConfig = z.input<typeof DataSchema>;
/** An S3 bucket encrypted with a customer key (SSE-KMS, bucket key on, versioned, private). */
export type BucketConfig = z.input<typeof BucketSchema>;
/** FSx for NetApp ONTAP deployment types. */
export type FsxDeploymentType = z.output<typeof FsxDeploymentTypeSchema>;
/** FSx for NetApp ONTAP, encrypted with a customer key. */
export type FsxOntapConfig = z.input<typeof FsxSchema>;
/** How bootstrap hooks run. */
export type HookConfig = z.input<typeof HooksSchema>;
/** CloudWatch alarms and their SNS topic. */
export type AlarmsConfig = z.input<typeof AlarmsSchema>;
/** One SNS subscription of the alarm topic. */
export type AlarmSubscriptionConfig = z.input<typeof AlarmSubscriptionSchema>;
