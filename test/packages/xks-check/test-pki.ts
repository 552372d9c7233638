/**
 * Certificates made in the test (selfsigned, EC keys) and a bare TLS server on 127.0.0.1 that only
 * presents them: for the certificate checks of xks-check and of the health step. Nothing leaves
 * loopback.
 */
import { createServer, type Server, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";

/** A key and its certificate (PEM). */
export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

const DAY = 86_400_000;

/** A date `days` from `from` (negative: in the past). */
export const daysFrom = (from: Date, days: number): Date => new Date(from.getTime() + days * DAY);

/** A CA certificate: self-signed (a root) or signed by `issuer` (an intermediate). */
export async function makeCa(
  cn: string,
  issuer?: KeyPair,
  validity: { notBefore?: Date; notAfter?: Date } = {},
): Promise<KeyPair> {
  const pems = await generate([{ name: "commonName", value: cn }], {
    keyType: "ec",
    algorithm: "sha256",
    ...(issuer ? { ca: issuer } : {}),
    // Valid from yesterday unless told otherwise: "now" in a test is taken before the certificate is made.
    notBeforeDate: validity.notBefore ?? daysFrom(new Date(), -1),
    ...(validity.notAfter ? { notAfterDate: validity.notAfter } : {}),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A server certificate for `cn` and `sans`, signed by `issuer` (self-signed without one). */
export async function makeLeaf(
  cn: string,
  sans: readonly string[],
  issuer: KeyPair | undefined,
  validity: { notBefore?: Date; notAfter?: Date } = {},
): Promise<KeyPair> {
  const pems = await generate([{ name: "commonName", value: cn }], {
    keyType: "ec",
    algorithm: "sha256",
    ...(issuer ? { ca: issuer } : {}),
    // Valid from yesterday unless told otherwise: "now" in a test is taken before the certificate is made.
    notBeforeDate: validity.notBefore ?? daysFrom(new Date(), -1),
    ...(validity.notAfter ? { notAfterDate: validity.notAfter } : {}),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      ...(sans.length > 0
        ? [{ name: "subjectAltName" as const, altNames: sans.map((value) => ({ type: 2 as const, value })) }]
        : []),
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A TLS server on 127.0.0.1 presenting `leaf` and `chain` (intermediates), counting connections. */
export interface CertServer {
  readonly port: number;
  /** TCP connections; application bytes received (the checks send none). */
  readonly stats: { connections: number; bytesReceived: number };
  close(): Promise<void>;
}

export async function serveCertificate(leaf: KeyPair, chain: readonly string[] = []): Promise<CertServer> {
  const stats = { connections: 0, bytesReceived: 0 };
  const sockets = new Set<TLSSocket>();
  const server: Server = createServer({ key: leaf.key, cert: [leaf.cert, ...chain].join("\n") }, (socket) => {
    sockets.add(socket);
    socket.on("data", (d: Buffer) => {
      stats.bytesReceived += d.length;
    });
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => undefined);
  server.on("connection", () => {
    stats.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
