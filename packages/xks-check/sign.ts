/**
 * SigV4 as KMS signs XKS proxy calls (XKS proxy API spec, appendix A): service `kms-xks-proxy`,
 * the key store's Region, signed headers exactly `host;x-amz-date`, the body's SHA-256 in the
 * canonical request. Uses the Smithy signer the AWS SDK uses, so a proxy that accepts this accepts KMS.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { XksCredential } from "./model";

/** The SigV4 service name of the XKS proxy API. */
export const XKS_SIGNING_SERVICE = "kms-xks-proxy";

/** A request ready to send: the headers to put on the wire, in addition to the body. */
export interface SignedXksRequest {
  readonly path: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Signs `POST https://<host><path>` with `body`. Content-Type and Content-Length are added after
 * signing, so they are sent but not signed (KMS signs only Host and X-Amz-Date).
 */
export async function signXksRequest(
  credential: XksCredential,
  region: string,
  host: string,
  path: string,
  body: string,
  signingDate: Date,
): Promise<SignedXksRequest> {
  // applyChecksum off: KMS does not send x-amz-content-sha256; the payload hash is still signed.
  const signer = new SignatureV4({
    service: XKS_SIGNING_SERVICE,
    region,
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  });
  const request = new HttpRequest({
    method: "POST",
    protocol: "https:",
    hostname: host,
    path,
    headers: { host },
    body,
  });
  const signed = await signer.sign(request, { signingDate });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k] = v;
  headers["content-type"] = "application/json";
  headers["content-length"] = String(Buffer.byteLength(body));
  return { path, body, headers };
}
