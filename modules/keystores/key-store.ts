import type { ITerraformDependable } from "cdktf";

/** A KMS custom key store that keys can be created in. */
export interface IKeyStore {
  /** `cloudhsm` (AWS_CLOUDHSM) or `xks` (EXTERNAL_KEY_STORE). */
  readonly kind: "cloudhsm" | "xks";
  /** The custom key store id. */
  readonly keyStoreId: string;
  /**
   * What must have finished before a key can be created in the store: the store connected
   * (CreateKey fails on a store that is not CONNECTED).
   */
  readonly readyWhen: readonly ITerraformDependable[];
}
