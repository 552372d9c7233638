/**
 * A local XKS proxy for the preflight's tests: HTTPS on 127.0.0.1 with certificates made here by
 * `selfsigned` (a test CA, a server certificate for xks.example.com and a wrong-name one), SigV4
 * verified by recomputing the signature with the Smithy signer from the known test credential,
 * and knobs to make it slow or wrong.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { generate } from "selfsigned";
import type { XksCredential } from "@cmk-stacks/xks-check";

export const HOST = "xks.example.com";
export const URI_PATH = "/test/kms/xks/v1";
export const REGION = "eu-west-1";
/** The credential the proxy accepts (valid KMS formats; test-only values). */
export const CREDENTIAL: XksCredential = {
  accessKeyId: "TESTXKSACCESSKEY2345ABCD",
  secretAccessKey: "S3cretTestValueForXksProxy/0123456789+abcdefgh=",
};

/** A CA and leaf certificates signed by it (EC keys: fast to make). */
export interface TestCerts {
  readonly caPem: string;
  readonly good: { readonly key: string; readonly cert: string };
  readonly wrongName: { readonly key: string; readonly cert: string };
  readonly wildcard: { readonly key: string; readonly cert: string };
}

async function leaf(
  cn: string,
  sans: string[],
  ca: { key: string; cert: string },
): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: "commonName", value: cn }], {
    keyType: "ec",
    algorithm: "sha256",
    ca,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: sans.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/**
 * Makes the test CA and the server certificates. The CA is valid for ten years, the leaves for one
 * (selfsigned's default), as a real CA outlives what it signs: the expiry checks then always name the
 * leaf. With both at one year the CA, made a moment earlier, expired first whenever its creation and
 * the leaf's fell in different seconds, and a test that expects the leaf's expiry flaked.
 */
export async function makeCerts(): Promise<TestCerts> {
  const notAfterDate = new Date();
  notAfterDate.setFullYear(notAfterDate.getFullYear() + 10);
  const ca = await generate([{ name: "commonName", value: "xks-check test CA" }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const caPair = { key: ca.private, cert: ca.cert };
  return {
    caPem: ca.cert,
    good: await leaf(HOST, [HOST], caPair),
    wrongName: await leaf("proxy.internal.example.net", ["proxy.internal.example.net"], caPair),
    wildcard: await leaf("*.example.com", ["*.example.com"], caPair),
  };
}

/** What the fake proxy answers. */
export interface FakeBehaviour {
  /** Credential it verifies signatures with. @default CREDENTIAL */
  credential?: XksCredential;
  /** Delay before every answer. @default 0 */
  delayMs?: number;
  /** GetHealthStatus answer. @default two ACTIVE key managers */
  health?: { status: number; body: unknown };
  /** External keys by id: metadata, or a full answer. Unknown ids get KeyNotFoundException. */
  keys?: Record<string, { status: number; body: unknown }>;
}

/** One request the proxy received. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** A running fake proxy. */
export interface FakeProxy {
  readonly port: number;
  readonly requests: Received[];
  behaviour: FakeBehaviour;
  close(): Promise<void>;
}

export const HEALTHY = {
  xksProxyFleetSize: 2,
  xksProxyVendor: "Test Vendor",
  xksProxyModel: "Test XKS Proxy 1.0",
  ekmVendor: "Test HSM Vendor",
  ekmFleetDetails: [
    { id: "hsm-1", model: "HSM 5.0", healthStatus: "ACTIVE" },
    { id: "hsm-2", model: "HSM 5.0", healthStatus: "ACTIVE" },
  ],
};

export const AES_KEY = {
  status: 200,
  body: { keySpec: "AES_256", keyUsage: ["ENCRYPT", "DECRYPT"], keyStatus: "ENABLED" },
};

function parseAmzDate(v: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return new Date(NaN);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/**
 * Verifies the request as an XKS proxy must (spec appendix A): known access key id, scope for the
 * Region and `kms-xks-proxy`, signed headers host;x-amz-date, a recent date, and the signature
 * recomputed over method, path, Host, date and body.
 */
async function signatureValid(req: IncomingMessage, body: string, credential: XksCredential): Promise<boolean> {
  const auth = req.headers.authorization ?? "";
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (
    !m ||
    m[1] !== credential.accessKeyId ||
    m[3] !== REGION ||
    m[4] !== "kms-xks-proxy" ||
    m[5] !== "host;x-amz-date"
  )
    return false;
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const date = parseAmzDate(amzDate);
  if (Number.isNaN(date.getTime()) || Math.abs(Date.now() - date.getTime()) > 5 * 60_000) return false;
  const host = String(req.headers.host ?? "");
  const signer = new SignatureV4({
    service: "kms-xks-proxy",
    region: REGION,
    credentials: credential,
    sha256: Sha256,
    applyChecksum: false,
  });
  const expected = await signer.sign(
    new HttpRequest({
      method: req.method ?? "",
      protocol: "https:",
      hostname: host,
      path: req.url ?? "",
      headers: { host },
      body,
    }),
    { signingDate: date },
  );
  return expected.headers.authorization === auth;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the fake proxy on 127.0.0.1 (random port) with `cert`. */
export async function startFakeProxy(
  cert: { key: string; cert: string },
  behaviour: FakeBehaviour = {},
  tlsOptions: { maxVersion?: "TLSv1.1" } = {},
): Promise<FakeProxy> {
  const requests: Received[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const state: { behaviour: FakeBehaviour } = { behaviour };
  const server: Server = createServer(
    {
      key: cert.key,
      cert: cert.cert,
      ...(tlsOptions.maxVersion ? { maxVersion: tlsOptions.maxVersion, minVersion: "TLSv1" } : {}),
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
        const b = state.behaviour;
        const answer = async (): Promise<void> => {
          if (req.method !== "POST") return send(res, 405, { errorName: "ValidationException" });
          if (!(await signatureValid(req, body, b.credential ?? CREDENTIAL)))
            return send(res, 401, { errorName: "AuthenticationFailedException", errorMessage: "signature mismatch" });
          const path = req.url ?? "";
          if (!path.startsWith(`${URI_PATH}/`)) return send(res, 404, { errorName: "InvalidUriPathException" });
          const rest = path.slice(URI_PATH.length);
          let md: Record<string, unknown> = {};
          try {
            md = (JSON.parse(body) as { requestMetadata: Record<string, unknown> }).requestMetadata ?? {};
          } catch {
            return send(res, 400, { errorName: "ValidationException" });
          }
          if (typeof md.kmsRequestId !== "string" || typeof md.kmsOperation !== "string")
            return send(res, 400, { errorName: "ValidationException" });
          if (rest === "/health") {
            const h = b.health ?? { status: 200, body: HEALTHY };
            return send(res, h.status, h.body);
          }
          const km = /^\/keys\/([^/]+)\/metadata$/.exec(rest);
          if (!km) return send(res, 404, { errorName: "InvalidUriPathException" });
          if (typeof md.awsPrincipalArn !== "string") return send(res, 400, { errorName: "ValidationException" });
          const k = (b.keys ?? {})[km[1]];
          if (!k) return send(res, 404, { errorName: "KeyNotFoundException" });
          return send(res, k.status, k.body);
        };
        const go = (): void => void answer();
        if (b.delayMs) {
          const t = setTimeout(() => {
            timers.delete(t);
            go();
          }, b.delayMs);
          timers.add(t);
        } else go();
      });
    },
  );
  // Handshake failures (wrong TLS version, untrusted client) are expected in some tests.
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(v: FakeBehaviour) {
      state.behaviour = v;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
