import { createPublicKey, X509Certificate } from "node:crypto";

const CERT_PEM = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;
const CSR_PEM =
  /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/;

/** True when `text` is exactly one PEM certificate block. */
export function isPemCertificate(text: string): boolean {
  return CERT_PEM.test(text.trim() + "\n");
}

/** Parses a PEM certificate, undefined when it does not parse. */
export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/**
 * SubjectPublicKeyInfo (DER) of a PKCS#10 CSR. Node has no CSR parser; the structure is
 * SEQUENCE { SEQUENCE { INTEGER version, Name subject, SubjectPublicKeyInfo, [0] attrs }, ... },
 * so walking three DER headers is enough.
 */
export function csrPublicKeyDer(csrPem: string): Buffer | undefined {
  const m = CSR_PEM.exec(csrPem);
  if (!m) return undefined;
  const der = Buffer.from(m[1].replace(/\s+/g, ""), "base64");
  try {
    const outer = readTlv(der, 0);
    const info = readTlv(der, outer.contentStart);
    const version = readTlv(der, info.contentStart);
    const subject = readTlv(der, version.end);
    const spki = readTlv(der, subject.end);
    if (outer.tag !== 0x30 || info.tag !== 0x30 || version.tag !== 0x02 || subject.tag !== 0x30 || spki.tag !== 0x30)
      return undefined;
    return der.subarray(spki.start, spki.end);
  } catch {
    return undefined;
  }
}

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

function readTlv(buf: Buffer, start: number): Tlv {
  if (start + 2 > buf.length) throw new Error("truncated DER");
  const tag = buf[start];
  let len = buf[start + 1];
  let offset = start + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + i];
    offset += n;
  }
  if (offset + len > buf.length) throw new Error("truncated DER");
  return { tag, start, contentStart: offset, end: offset + len };
}

/** True when the certificate carries the same public key as the CSR. */
export function certificateMatchesCsr(cert: X509Certificate, csrPem: string): boolean | undefined {
  const spki = csrPublicKeyDer(csrPem);
  if (!spki) return undefined;
  try {
    const csrKey = createPublicKey({ key: spki, format: "der", type: "spki" }).export({ format: "der", type: "spki" });
    const certKey = cert.publicKey.export({ format: "der", type: "spki" });
    return Buffer.compare(csrKey, certKey) === 0;
  } catch {
    return undefined;
  }
}
