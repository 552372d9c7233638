/** The CloudHSM first-apply phase, decided once: resolved from the trust settings, a cross-field rule, the NOTE line. */
import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";
import { validationMessages } from "../../environments/validation";
import {
  asConfigInput,
  cloudHsmPhase,
  firstApplyNote,
  keysAwaitingCertificate,
  resolveEnvironment,
} from "../../environments/resolve";
import { variant } from "../helpers/synth";

const { prod } = environments;
/** prod on its first apply: provided trust, no certificate files yet. */
const firstApply = variant(prod, { "cloudHsm.trust": { mode: "provided" } });
const BLOCKED =
  "is a cloudhsm key, which exists only after the cluster certificate is provided (cloudHsm.trust.signedCertificateFile and trustAnchorFile): use another key until then";

describe("the phase", () => {
  test.each([
    [
      "provided trust with both files",
      { mode: "provided", signedCertificateFile: "a.pem", trustAnchorFile: "b.pem" },
      "ready",
    ],
    ["generated trust", { mode: "generated" }, "ready"],
    ["provided trust without files", { mode: "provided" }, "awaiting-certificate"],
  ])("%s", (_name, trust, phase) => {
    expect(cloudHsmPhase(trust)).toBe(phase);
    expect(resolveEnvironment(variant(prod, { "cloudHsm.trust": trust })).cloudHsm?.phase).toBe(phase);
  });

  test("keys in the cloudhsm store wait while awaiting the certificate, none otherwise", () => {
    expect(keysAwaitingCertificate(resolveEnvironment(firstApply))).toEqual(["fileShares"]);
    expect(keysAwaitingCertificate(resolveEnvironment(prod))).toEqual([]);
  });

  test("npm run config prints the resolved form without the derived phase, in the input's field order", () => {
    const printed = asConfigInput(resolveEnvironment(firstApply));
    expect(Object.keys(printed.cloudHsm ?? {})).toEqual([
      "hsmType",
      "mode",
      "hsmAzs",
      "backupRetentionDays",
      "trust",
      "keyStoreName",
      "adminHost",
    ]);
    expect(Object.keys(printed)).toEqual([
      "name",
      "account",
      "region",
      "tags",
      "backend",
      "network",
      "keys",
      "cloudHsm",
      "xks",
      "data",
      "hooks",
      "alarms",
    ]);
  });
});

describe("the cross-field rule while awaiting the certificate", () => {
  test("fails when a bucket or EBS default encryption uses the cloudhsm key, one line each, as before (now from validation)", () => {
    const env = variant(firstApply, {
      "data.buckets.shares": { bucketName: "northwind-prod-shares-333333333333", key: "fileShares" },
      "data.ebs.key": "fileShares",
    });
    expect(validationMessages({ prod: env })).toEqual([
      `environments.prod.data.buckets.shares.key: "fileShares" ${BLOCKED}`,
      `environments.prod.data.ebs.key: "fileShares" ${BLOCKED}`,
    ]);
  });

  test("accepts FSx on the cloudhsm key (it waits for the second apply) and buckets on other keys", () => {
    expect(resolveEnvironment(firstApply).data.fsx?.key).toBe("fileShares");
    expect(validationMessages({ prod: firstApply })).toEqual([]);
  });

  test("accepts a bucket on the cloudhsm key once the certificate is provided", () => {
    const env = variant(prod, {
      "data.buckets.shares": { bucketName: "northwind-prod-shares-333333333333", key: "fileShares" },
    });
    expect(validationMessages({ prod: env })).toEqual([]);
  });
});

describe("the NOTE line (printed once per environment by the composer)", () => {
  test("names what waits for the second apply", () => {
    expect(firstApplyNote(resolveEnvironment(firstApply))).toBe(
      "NOTE prod: CloudHSM trust files not set (first apply): the stack stops after the first HSM and outputs the CSR; skipped until the second apply: keys.fileShares, data.fsx",
    );
  });

  test("says nothing waits when no key is in the store; no line once ready", () => {
    const noHsmKeys = variant(firstApply, {
      "keys.fileShares.store": "aws-kms",
      "keys.fileShares.xksKeyId": undefined,
    }) as EnvironmentConfig;
    expect(firstApplyNote(resolveEnvironment(noHsmKeys))).toMatch(/skipped until the second apply: nothing$/);
    expect(firstApplyNote(resolveEnvironment(prod))).toBeUndefined();
  });
});
