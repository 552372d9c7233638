/**
 * Turns flags (and the fields of a target file, `target.ts`) into the core's plain options. Every
 * check names the flag or field, the value received and what is allowed; a value is never a
 * credential (those come from `credentials.ts`).
 */
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { XksInputError, KMS_BUDGET_MS, type MetadataOperation } from "./model";

/** KMS's constraints on the values the key store is created with (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateCustomKeyStore.html). */
const ENDPOINT = /^https:\/\/([a-zA-Z0-9.-]+)$/;
const URI_PATH = /^(\/[a-zA-Z0-9/_-]+\/kms\/xks\/v\d{1,2}|\/kms\/xks\/v\d{1,2})$/;
const KEY_ID = /^[a-zA-Z0-9\-_.]{1,128}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Checks `https://<name>` (no port, no path, 10-128 chars) and returns the name. */
export function parseEndpoint(value: string, label = "--endpoint"): string {
  const m = ENDPOINT.exec(value);
  if (!m || value.length < 10 || value.length > 128 || isIP(m[1]) || !/[a-zA-Z]/.test(m[1])) {
    throw new XksInputError(`${label}: "${value}" must be https://<private DNS name>, 10-128 characters, with no port and no path`);
  }
  return m[1].toLowerCase();
}

/** Checks `/<prefix>/kms/xks/v1` (10-128 chars). */
export function parseUriPath(value: string, label = "--uri-path"): string {
  if (!URI_PATH.test(value) || value.length < 10 || value.length > 128) {
    throw new XksInputError(`${label}: "${value}" must be /<prefix>/kms/xks/v1 (or /kms/xks/v1), 10-128 characters of letters, digits, /, _ and -`);
  }
  return value;
}

/** Checks an external key id (1-128 letters, digits, `-`, `_`, `.`). */
export function parseKeyId(value: string, label = "--key"): string {
  if (!KEY_ID.test(value)) throw new XksInputError(`${label}: "${value}" must be 1-128 letters, digits, -, _ or . (an xksKeyId)`);
  return value;
}

/** Checks a Region name such as `eu-west-1`. */
export function parseRegion(value: string, label = "--region"): string {
  if (!REGION.test(value)) throw new XksInputError(`${label}: "${value}" is not a Region name such as eu-west-1`);
  return value;
}

/** `host:port`, `[v6]:port` or `host` (port 443). */
export function parseConnectTo(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([a-zA-Z0-9.-]+))(?::(\d{1,5}))?$/.exec(value);
  const port = m?.[3] === undefined ? 443 : Number(m[3]);
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined && isIP(m[1]) !== 6)) {
    throw new XksInputError(`--connect-to: "${value}" must be <host>:<port> or [<IPv6>]:<port>, e.g. 192.168.10.11:443`);
  }
  return { host: m[1] ?? m[2], port };
}

/** Reads PEM certificates from a file; each must parse. */
export function readCaFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new XksInputError(`--ca-file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new XksInputError(`--ca-file: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
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
  if (!/^\d+$/.test(value) || n < min || n > max) throw new XksInputError(`${flag}: "${value}" must be a whole number from ${min} to ${max}`);
  return n;
}

/** `CreateKey` (before the KMS key exists) or `DescribeKey` (after). */
export function parseOperation(value: string): MetadataOperation {
  if (value !== "CreateKey" && value !== "DescribeKey") throw new XksInputError(`--kms-operation: "${value}" must be CreateKey or DescribeKey`);
  return value;
}

/** Minimum `--timeout-ms`: a call cut before KMS's budget would hide a slow proxy. */
export const MIN_TIMEOUT_MS = KMS_BUDGET_MS + 1;
