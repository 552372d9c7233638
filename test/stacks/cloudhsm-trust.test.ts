/**
 * The two trust modes, the first apply of `provided` (no certificate yet), the synth-time checks of
 * the certificate files, and that no password or private key ever lands in cdktf.out.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { configErrorLines, only, resources, synthEnvs, type StackJson } from "../helpers/synth";
import { composeApp, composeEnvironment } from "../../stacks/compose";
import { environments } from "../../environments";
import { byPath, prodCloudHsmOnly, ref } from "../modules/cloudhsm/fixtures";
import { REPO_ROOT } from "../../stacks/cloudhsm-trust-files";

const P = (env: string) => `${env}-keys/cloudhsm`;
/** The environment in another account, its principals with it (principals of another account are refused). */
const inAccount = <T extends { account: string }>(env: T, account: string): T => ({
  ...(JSON.parse(JSON.stringify(env).replaceAll(env.account, account)) as T),
});

describe("trust `provided`, first apply (no certificate files yet)", () => {
  const env = prodCloudHsmOnly((e) => {
    e.name = "first";
    (e.cloudHsm as { trust: unknown }).trust = { mode: "provided" };
  });
  /** What each synthesis printed on stderr. */
  const notes: string[] = [];
  let stacks: Record<string, StackJson>;
  beforeAll(() => {
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      notes[notes.length - 1] += String(s);
      return true;
    });
    notes.push("");
    stacks = synthEnvs({ first: env }).stacks;
    notes.push("");
    synthEnvs({ first: env, second: { ...inAccount(env, "444444444444"), name: "second" } });
    spy.mockRestore();
  });

  test("stops after the first HSM: no hooks, no other HSM, no key store, no cloudhsm key", () => {
    const keys = stacks["first-keys"];
    expect(Object.keys(byPath(keys, `${P("first")}/hsm/hsm-`))).toEqual([`${P("first")}/hsm/hsm-eu-west-1a-1`]);
    expect(
      Object.keys(byPath(keys, P("first"))).filter((p) =>
        /initialize-cluster|activate-cluster|create-kmsuser|wait-hsms-active|key-store/.test(p),
      ),
    ).toEqual([]);
    expect(resources(keys, "aws_kms_custom_key_store")).toEqual({});
    expect(resources(keys, "aws_ssm_parameter")).toEqual({});
    expect(
      Object.values(byPath(keys, "first-keys/key-"))
        .map((k) => k.body.alias ?? k.body.name)
        .filter(Boolean),
    ).toEqual(["alias/prod/ebs"]);
    expect(resources(stacks["first-data"], "aws_fsx_ontap_file_system")).toEqual({});
  });

  test("outputs the CSR (read after HSM 1 exists) and what to do with it", () => {
    const keys = stacks["first-keys"];
    const [name, cluster] = Object.entries(keys.data?.aws_cloudhsm_v2_cluster ?? {})[0];
    expect(cluster).toMatchObject({
      cluster_id: ref(keys, `${P("first")}/hsm/cluster`, "cluster_id"),
      depends_on: [ref(keys, `${P("first")}/hsm/hsm-eu-west-1a-1`, "x").replace(/^\$\{|\.x\}$/g, "")],
    });
    expect(keys.output?.cloudhsm_cluster_csr?.value).toBe(
      `\${data.aws_cloudhsm_v2_cluster.${name}.cluster_certificates[0].cluster_csr}`,
    );
    expect(keys.output?.cloudhsm_next_steps?.value).toContain(
      "set cloudHsm.trust.signedCertificateFile and cloudHsm.trust.trustAnchorFile, then apply again",
    );
  });

  test("the cluster, secrets, endpoints and admin host are already there, so the second apply only adds", () => {
    const keys = stacks["first-keys"];
    expect(Object.keys(resources(keys, "aws_cloudhsm_v2_cluster"))).toHaveLength(1);
    expect(Object.keys(resources(keys, "aws_secretsmanager_secret"))).toHaveLength(2);
    expect(Object.keys(resources(keys, "aws_instance"))).toHaveLength(1);
  });

  test("prints one NOTE per environment and synthesis (the keys and the data stack both read the phase) naming what waits for the second apply", () => {
    expect(notes[0]).toBe(
      "NOTE first: CloudHSM trust files not set (first apply): the stack stops after the first HSM and outputs the CSR; skipped until the second apply: keys.fileShares, data.fsx\n",
    );
    expect(notes[1].match(/^NOTE \w+:/gm)).toEqual(["NOTE first:", "NOTE second:"]);
  });

  test("fails when a bucket uses the cloudhsm key before the certificate is provided", () => {
    const withBucket = JSON.parse(JSON.stringify(env));
    withBucket.data.buckets = { shares: { bucketName: "northwind-first-shares-333333333333", key: "fileShares" } };
    expect(configErrorLines(() => composeApp({ first: withBucket }, composeEnvironment, "/tmp/unused"))).toEqual([
      'environments.first.data.buckets.shares.key: "fileShares" is a cloudhsm key, which exists only after the cluster certificate is provided (cloudHsm.trust.signedCertificateFile and trustAnchorFile): use another key until then',
    ]);
  });
});

describe("trust `generated` (tls provider: synthesized and asserted here; cannot be planned offline, the mirror has no tls provider)", () => {
  const env = prodCloudHsmOnly((e) => {
    e.name = "gen";
    (e.cloudHsm as { trust: unknown }).trust = { mode: "generated" };
  });
  const { stacks } = synthEnvs({ gen: env });
  const keys = stacks["gen-keys"];

  test("an RSA 4096 CA key, a self-signed CA certificate (the trust anchor) and the CSR signed by it, CSR changes ignored", () => {
    expect(only(keys, "tls_private_key")).toMatchObject({ algorithm: "RSA", rsa_bits: 4096 });
    const ca = only(keys, "tls_self_signed_cert");
    expect(ca).toMatchObject({
      is_ca_certificate: true,
      private_key_pem: ref(keys, `${P("gen")}/trust/ca-key`, "private_key_pem"),
      allowed_uses: expect.arrayContaining(["cert_signing"]),
    });
    const [csrName] = Object.keys(keys.data?.aws_cloudhsm_v2_cluster ?? {});
    expect(only(keys, "tls_locally_signed_cert")).toMatchObject({
      cert_request_pem: `\${data.aws_cloudhsm_v2_cluster.${csrName}.cluster_certificates[0].cluster_csr}`,
      ca_private_key_pem: ref(keys, `${P("gen")}/trust/ca-key`, "private_key_pem"),
      ca_cert_pem: ref(keys, `${P("gen")}/trust/ca`, "cert_pem"),
      lifecycle: { ignore_changes: ["cert_request_pem"] },
    });
    expect(Object.keys(keys.provider ?? {})).toEqual(expect.arrayContaining(["aws", "tls"]));
  });

  test("the parameters and the key store take the generated certificates; the whole chain is still synthesized", () => {
    expect(byPath(keys, `${P("gen")}/trust/certificate`)[`${P("gen")}/trust/certificate`].body.value).toBe(
      ref(keys, `${P("gen")}/trust/cluster-cert`, "cert_pem"),
    );
    expect(byPath(keys, `${P("gen")}/trust/trust-anchor`)[`${P("gen")}/trust/trust-anchor`].body.value).toBe(
      ref(keys, `${P("gen")}/trust/ca`, "cert_pem"),
    );
    expect(only(keys, "aws_kms_custom_key_store").trust_anchor_certificate).toBe(
      ref(keys, `${P("gen")}/trust/ca`, "cert_pem"),
    );
    expect(Object.keys(byPath(keys, `${P("gen")}/hsm/hsm-`))).toHaveLength(3);
  });
});

describe("certificate files of `provided` (checked at synth)", () => {
  const withFiles = (cert: string, anchor: string) =>
    prodCloudHsmOnly((e) => {
      (e.cloudHsm as { trust: unknown }).trust = {
        mode: "provided",
        signedCertificateFile: cert,
        trustAnchorFile: anchor,
      };
    });
  const compose = (cert: string, anchor: string) => () =>
    composeApp({ prod: withFiles(cert, anchor) }, composeEnvironment, "/tmp/unused");
  const F = "test/hooks/fixtures";

  test("accepts a certificate signed by a self-signed trust anchor", () => {
    expect(() => compose(`${F}/cluster-cert.pem`, `${F}/trust-anchor.pem`)()).not.toThrow();
  });

  test.each([
    [
      "fails when both files are missing",
      "environments/certs/none/cluster.crt",
      "environments/certs/none/customerCA.crt",
      [
        "environments.prod.cloudHsm.trust.signedCertificateFile: environments/certs/none/cluster.crt does not exist (put the PEM file there, or remove both file fields for the first apply, which outputs the cluster CSR)",
        "environments.prod.cloudHsm.trust.trustAnchorFile: environments/certs/none/customerCA.crt does not exist (put the PEM file there, or remove both file fields for the first apply, which outputs the cluster CSR)",
      ],
    ],
    [
      "fails when the certificate was not signed by the trust anchor",
      `${F}/cluster-cert.pem`,
      `${F}/other-ca.pem`,
      [
        "environments.prod.cloudHsm.trust.signedCertificateFile: test/hooks/fixtures/cluster-cert.pem was not signed by the trust anchor in test/hooks/fixtures/other-ca.pem",
      ],
    ],
    [
      "fails when the trust anchor is not self-signed",
      `${F}/trust-anchor.pem`,
      `${F}/cluster-cert.pem`,
      [
        "environments.prod.cloudHsm.trust.trustAnchorFile: test/hooks/fixtures/cluster-cert.pem is not self-signed (InitializeCluster needs the root CA certificate as trust anchor)",
      ],
    ],
  ])("%s", (_name, cert, anchor, expected) => {
    expect(configErrorLines(compose(cert, anchor))).toEqual(expected);
  });

  test("fails when a file is not a PEM certificate (a CSR saved as .pem)", () => {
    mkdirSync(join(REPO_ROOT, ".scratch"), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, ".scratch", "cmk-pem-"));
    const csrAsPem = join(relative(REPO_ROOT, dir), "cluster.pem");
    writeFileSync(join(REPO_ROOT, csrAsPem), readFileSync(join(REPO_ROOT, F, "cluster.csr"), "utf8"));
    try {
      expect(configErrorLines(compose(csrAsPem, `${F}/trust-anchor.pem`))).toEqual([
        `environments.prod.cloudHsm.trust.signedCertificateFile: ${csrAsPem} is not a PEM certificate (one -----BEGIN CERTIFICATE----- block expected)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("certificate files that are not plain files inside the repository (checked at synth, never a crash)", () => {
  const withFiles = (cert: string, anchor: string) =>
    prodCloudHsmOnly((e) => {
      (e.cloudHsm as { trust: unknown }).trust = {
        mode: "provided",
        signedCertificateFile: cert,
        trustAnchorFile: anchor,
      };
    });
  const compose = (cert: string, anchor: string) => () =>
    composeApp({ prod: withFiles(cert, anchor) }, composeEnvironment, "/tmp/unused");
  const F = "test/hooks/fixtures";
  let dir = "";
  let rel = "";
  let outside = "";
  beforeAll(() => {
    mkdirSync(join(REPO_ROOT, ".scratch"), { recursive: true });
    dir = mkdtempSync(join(REPO_ROOT, ".scratch", "cmk-files-"));
    rel = relative(REPO_ROOT, dir);
    outside = mkdtempSync(join(tmpdir(), "cmk-outside-"));
    mkdirSync(join(dir, "folder.crt"));
    writeFileSync(join(outside, "ca.pem"), readFileSync(join(REPO_ROOT, F, "trust-anchor.pem")));
    symlinkSync(join(outside, "ca.pem"), join(dir, "link.pem"));
    writeFileSync(join(dir, "copy-of-cluster.pem"), readFileSync(join(REPO_ROOT, F, "cluster-cert.pem")));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  test("fails when a certificate path is a directory", () => {
    expect(configErrorLines(compose(`${rel}/folder.crt`, `${F}/trust-anchor.pem`))).toEqual([
      `environments.prod.cloudHsm.trust.signedCertificateFile: ${rel}/folder.crt is not a file (a PEM certificate file expected)`,
    ]);
  });

  test("fails when a path leads outside the repository through a symbolic link", () => {
    expect(configErrorLines(compose(`${F}/cluster-cert.pem`, `${rel}/link.pem`))).toEqual([
      `environments.prod.cloudHsm.trust.trustAnchorFile: ${rel}/link.pem leads outside the repository (through a symbolic link or '..'); keep certificate files inside it`,
    ]);
  });

  test("fails when the trust anchor file holds the cluster certificate itself", () => {
    expect(configErrorLines(compose(`${F}/cluster-cert.pem`, `${rel}/copy-of-cluster.pem`))).toEqual([
      `environments.prod.cloudHsm.trust.trustAnchorFile: ${rel}/copy-of-cluster.pem holds the same certificate as ${F}/cluster-cert.pem (the trust anchor is the issuing CA's certificate, not the cluster's)`,
    ]);
  });
});

describe("no password and no private key in cdktf.out", () => {
  const envs = {
    ...environments,
    prod: prodCloudHsmOnly(),
    gen: inAccount(
      prodCloudHsmOnly((e) => {
        e.name = "gen";
        (e.cloudHsm as { trust: unknown }).trust = { mode: "generated" };
      }),
      // Another account: aliases and key store names are unique per account and Region.
      "444444444444",
    ),
  };
  const { outdir } = synthEnvs(envs);
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
  const texts = files(outdir)
    .filter((f) => /\.(json|tf|txt)$/.test(f))
    .map((f) => [f, readFileSync(f, "utf8")] as const);

  test("no PEM private key anywhere", () => {
    expect(texts.length).toBeGreaterThan(5);
    for (const [f, text] of texts) expect([f, /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)]).toEqual([f, false]);
  });

  test("every password-like attribute is a reference, never a literal", () => {
    const found: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
          if (
            /password|secret_string|private_key_pem|pin$/i.test(k) &&
            typeof x === "string" &&
            !/^\$\{[^}]+\}$/.test(x)
          )
            found.push(`${path}.${k}`);
          walk(x, `${path}.${k}`);
        }
    };
    for (const [f, text] of texts.filter(([f]) => f.endsWith("cdk.tf.json")))
      walk(JSON.parse(text), f.replace(outdir, ""));
    expect(found).toEqual([]);
    expect(texts.some(([, t]) => t.includes("key_store_password"))).toBe(true);
  });

  test("hook commands carry no password flag", () => {
    for (const [, text] of texts) expect(/--(admin-|kmsuser-)?password\b|CLOUDHSM_PIN=/.test(text)).toBe(false);
  });
});
