/**
 * Turns flags (and the fields of a target file, `target.ts`) into the core's plain options. Every
 * check names the flag or field, the value received and what is allowed; a value is never a
 * credential (those come from `credentials.ts`).
 */
import { readFileSync, statSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { XKS } from "@cmk-stacks/aws-limits";
import { XksInputError, KMS_BUDGET_MS, type MetadataOperation } from "./model";

/**
 * A value as an input error shows it: quoted, control characters escaped (nothing pasted into a flag
 * moves the cursor or recolours the terminal), long ones cut.
 */
export const shown = (value: string): string =>
  value.length > 200 ? `${JSON.stringify(value.slice(0, 160))}... (${value.length} characters)` : JSON.stringify(value);

/** The largest --ca-file read: a bundle of every public root CA is about 200 KB. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

// KMS's constraints on the values the key store is created with come from the rulebook (XKS.URI_ENDPOINT, XKS.URI_PATH, XKS.KEY_ID).
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Checks `https://<name>` ({@link XKS.URI_ENDPOINT}: no port, no path; a DNS name, not an IP address) and returns the name. */
export function parseEndpoint(value: string, label = "--endpoint"): string {
  const host = XKS.isUriEndpoint(value) ? value.slice("https://".length) : undefined;
  if (host === undefined || isIP(host) || !/[a-zA-Z]/.test(host)) {
    throw new XksInputError(`${label}: ${shown(value)} must be ${XKS.URI_ENDPOINT.allowed}`);
  }
  return host.toLowerCase();
}

/** Checks `/<prefix>/kms/xks/v1` ({@link XKS.URI_PATH}). */
export function parseUriPath(value: string, label = "--uri-path"): string {
  if (!XKS.isUriPath(value)) throw new XksInputError(`${label}: ${shown(value)} must be ${XKS.URI_PATH.allowed}`);
  return value;
}

/** Checks an external key id ({@link XKS.KEY_ID}). */
export function parseKeyId(value: string, label = "--key"): string {
  if (!XKS.KEY_ID.regex.test(value))
    throw new XksInputError(`${label}: ${shown(value)} must be ${XKS.KEY_ID.allowed} (an xksKeyId)`);
  return value;
}

/** Checks a Region name such as `eu-west-1`. */
export function parseRegion(value: string, label = "--region"): string {
  if (!REGION.test(value)) throw new XksInputError(`${label}: ${shown(value)} is not a Region name such as eu-west-1`);
  return value;
}

/** `host:port`, `[v6]:port` or `host` (port 443). */
export function parseConnectTo(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([a-zA-Z0-9.-]+))(?::(\d{1,5}))?$/.exec(value);
  const port = m?.[3] === undefined ? 443 : Number(m[3]);
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined && isIP(m[1]) !== 6)) {
    throw new XksInputError(
      `--connect-to: ${shown(value)} must be <host>:<port> or [<IPv6>]:<port>, e.g. 192.168.10.11:443`,
    );
  }
  return { host: m[1] ?? m[2], port };
}

/** Reads PEM certificates from a file; each must parse. */
export function readCaFile(path: string): string[] {
  let text: string;
  try {
    // Only a regular file, of a CA bundle's size: never a device or pipe that would not end (/dev/zero).
    const stat = statSync(path);
    if (!stat.isFile()) throw new XksInputError(`--ca-file: ${path} is not a file`);
    if (stat.size > MAX_CA_FILE_BYTES)
      throw new XksInputError(
        `--ca-file: ${path} holds ${stat.size} bytes, more than a CA bundle (at most ${MAX_CA_FILE_BYTES})`,
      );
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof XksInputError) throw e;
    throw new XksInputError(`--ca-file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0)
    throw new XksInputError(`--ca-file: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  pems.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch {
      throw new XksInputError(`--ca-file: certificate ${i + 1} in ${path} does not parse`);
    }
  });
  return pems;
}

/** Parses a whole number flag within bounds. */
export function parseIntFlag(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new XksInputError(`${flag}: ${shown(value)} must be a whole number from ${min} to ${max}`);
  return n;
}

/** `CreateKey` (before the KMS key exists) or `DescribeKey` (after). */
export function parseOperation(value: string): MetadataOperation {
  if (value !== "CreateKey" && value !== "DescribeKey")
    throw new XksInputError(`--kms-operation: ${shown(value)} must be CreateKey or DescribeKey`);
  return value;
}

/** Minimum `--timeout-ms`: a call cut before KMS's budget would hide a slow proxy. */
export const MIN_TIMEOUT_MS = KMS_BUDGET_MS + 1;
