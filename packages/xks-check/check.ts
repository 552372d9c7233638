/**
 * The preflight itself: calls the proxy as KMS does (GetHealthStatus, then GetKeyMetadata per
 * external key), sequentially, and turns what it saw into report rows. Pure of process state:
 * options in, report out (the CLI reads flags, environments and credentials).
 */
import { randomUUID } from "node:crypto";
import { certificateRows, readProxyCertificate } from "./certificate";
import { httpProblem, networkProblem, type FixContext } from "./fixes";
import {
  KMS_BUDGET_MS,
  RECOMMENDED_ROUND_TRIP_MS,
  type CheckRow,
  type LatencyStats,
  type XksCheckDeps,
  type XksCheckOptions,
  type XksCheckReport,
  type XksKeyRef,
  XksInputError,
} from "./model";
import { keyProblems, parseHealth, parseKeyMetadata, type HealthStatus } from "./responses";
import { signXksRequest } from "./sign";
import { kmsTlsContext, xksPost, type CallResult, type CallTarget, type TlsInfo } from "./transport";

/** @default values of the options, also shown in `--help` and the README. */
export const DEFAULTS = {
  samples: 10,
  timeoutMs: 2000,
  metadataOperation: "CreateKey",
  principalArn: "AWS Internal",
} as const;

/** Runs the preflight against the proxy and resolves with the report; never rejects for a proxy problem. */
export async function runXksCheck(options: XksCheckOptions, deps: XksCheckDeps = {}): Promise<XksCheckReport> {
  const now = deps.now ?? (() => new Date());
  const requestId = deps.requestId ?? randomUUID;
  const samples = options.samples ?? DEFAULTS.samples;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const operation = options.metadataOperation ?? DEFAULTS.metadataOperation;
  const principalArn = options.principalArn ?? DEFAULTS.principalArn;
  const keys = options.keys ?? [];
  // A call cut off before KMS's budget would hide a slow proxy; samples must be whole numbers.
  if (!(Number.isInteger(timeoutMs) && timeoutMs > KMS_BUDGET_MS))
    throw new XksInputError(
      `timeoutMs must be an integer over ${KMS_BUDGET_MS} (KMS's budget). Received: ${timeoutMs}`,
    );
  if (!(Number.isInteger(samples) && samples >= 1))
    throw new XksInputError(`samples must be an integer of at least 1. Received: ${samples}`);
  const host = options.privateDnsName;
  const target: CallTarget = {
    host,
    connectHost: options.connectTo?.host ?? host,
    connectPort: options.connectTo?.port ?? 443,
    extraCaPem: options.extraCaPem ?? [],
    timeoutMs,
    secureContext: kmsTlsContext(options.extraCaPem ?? [], options.trust?.roots),
  };
  const address = `${target.connectHost.includes(":") ? `[${target.connectHost}]` : target.connectHost}:${target.connectPort}`;
  const ctx: FixContext & { principalArn: string; operation: string } = {
    host,
    address,
    uriPath: options.uriPath,
    timeoutMs,
    principalArn,
    operation,
  };
  const rows: CheckRow[] = [];
  const durations: number[] = [];
  const roundTrips: number[] = [];

  const call = async (path: string, requestMetadata: Record<string, string>, timed = true): Promise<CallResult> => {
    const body = JSON.stringify({ requestMetadata });
    const signed = await signXksRequest(options.credential, options.region, host, options.uriPath + path, body, now());
    const result = await xksPost(target, signed, deps.elapsed);
    if (!timed) return result;
    if (result.timing.connectMs !== undefined) roundTrips.push(result.timing.connectMs);
    if (result.ok) durations.push(result.timing.totalMs);
    else if (result.failure.kind === "response-timeout") durations.push(timeoutMs);
    return result;
  };
  const health = (timed = true): Promise<CallResult> =>
    call("/health", { kmsOperation: "KmsHealthCheck", kmsRequestId: requestId() }, timed);
  const skipRest = (why: string): void => {
    for (const name of ["health", ...keys.map((k) => `key ${keyLabel(k)}`), "latency"]) {
      if (!rows.some((r) => r.check === name)) rows.push({ check: name, verdict: "SKIP", detail: why });
    }
  };

  // The first call reads the certificate and warms up this process (TLS and crypto setup, JIT):
  // it is not timed, so the figures are the proxy's, not this tool's start-up.
  // The certificate is read on a handshake of its own, which accepts what it is shown: an expired,
  // untrusted or misnamed certificate is judged (names, AWS's trusted list, expiry) rather than only refused.
  const read = await readProxyCertificate({ ...target, roots: options.trust?.roots });
  const certRows = read.ok
    ? certificateRows(read.certificate, host, now(), {
        trust: options.trust,
        extraCaPem: options.extraCaPem,
        warnDays: options.certificateWarnDays,
        failDays: options.certificateFailDays,
      })
    : [];
  const first = await health(false);
  if (first.tls) rows.push(tlsVersionRow(first.tls));
  rows.push(...certRows);
  if (!first.ok) {
    const p = networkProblem(first.failure, ctx);
    // A TLS failure means TCP got through: say so, it halves the search for the cause.
    if (first.timing.connectMs !== undefined && p.check !== "connection") {
      rows.unshift({
        check: "connection",
        verdict: "PASS",
        detail: `TCP to ${address} in ${ms(first.timing.connectMs)}`,
      });
    }
    // A certificate row that already fails says it better (and names the trusted list).
    if (!rows.some((r) => r.check === p.check && r.verdict === "FAIL"))
      rows.push({ check: p.check, verdict: "FAIL", detail: p.detail, fix: p.fix });
    skipRest("not reached");
    return finish(options, target, rows, undefined);
  }
  rows.unshift({ check: "connection", verdict: "PASS", detail: `${address} in ${ms(first.timing.totalMs)}` });
  const healthRow = healthCheckRow(first, ctx);
  rows.push(healthRow);
  if (healthRow.verdict === "FAIL") {
    skipRest("health check failed");
    return finish(options, target, rows, undefined);
  }

  // The timed samples: KMS gives every call the same budget, so one slow answer counts.
  for (let i = 1; i <= samples; i++) {
    const r = await health();
    if (r.ok && r.status === 200) continue;
    if (!r.ok && r.failure.kind === "response-timeout") break; // counted as over budget below
    const p = r.ok ? httpProblem(r.status, r.body, ctx) : networkProblem(r.failure, ctx);
    rows.push({ check: `health call ${i}/${samples}`, verdict: "FAIL", detail: p.detail, fix: p.fix });
    break;
  }

  for (const key of keys) rows.push(await keyRow(key, call, ctx, operation, principalArn, requestId));

  const latency = stats(durations, roundTrips);
  rows.push(latencyRow(latency, durations));
  return finish(options, target, rows, latency);
}

function finish(
  options: XksCheckOptions,
  target: CallTarget,
  rows: CheckRow[],
  latency: LatencyStats | undefined,
): XksCheckReport {
  return {
    target: `https://${options.privateDnsName}${options.uriPath}`,
    via: options.connectTo ? `${target.connectHost}:${target.connectPort}` : undefined,
    rows,
    latency,
    exitCode: rows.some((r) => r.verdict === "FAIL") ? 1 : 0,
  };
}

const keyLabel = (k: XksKeyRef): string => (k.name ? `${k.name} (${k.xksKeyId})` : k.xksKeyId);
const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

/** The TLS version of a completed call (the certificate rows come from `certificate.ts`). */
function tlsVersionRow(tls: TlsInfo): CheckRow {
  const modern = tls.protocol === "TLSv1.2" || tls.protocol === "TLSv1.3";
  return modern
    ? { check: "tls version", verdict: "PASS", detail: `${tls.protocol}, ${tls.cipher}` }
    : {
        check: "tls version",
        verdict: "FAIL",
        detail: tls.protocol,
        fix: "the proxy does not offer TLS 1.2 or later: enable TLS 1.2 or 1.3 on the proxy (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)",
      };
}

/** The health row from the first call's answer. */
function healthCheckRow(
  r: Extract<CallResult, { ok: true }>,
  ctx: FixContext & { principalArn: string; operation: string },
): CheckRow {
  if (r.status !== 200) {
    const p = httpProblem(r.status, r.body, ctx);
    return { check: "health", verdict: "FAIL", detail: p.detail, fix: p.fix };
  }
  const parsed = parseHealth(r.body);
  if (!parsed.ok) {
    return {
      check: "health",
      verdict: "FAIL",
      detail: `invalid answer (${parsed.why})`,
      fix: `the proxy's health answer is not valid (${parsed.why}): make the proxy answer GetHealthStatus as XKS proxy API v1 specifies (KMS error XKS_PROXY_INVALID_RESPONSE)`,
    };
  }
  return healthVerdict(parsed.value);
}

/** ACTIVE / DEGRADED / UNAVAILABLE of the fleet, with the availability warnings KMS itself watches. */
export function healthVerdict(h: HealthStatus): CheckRow {
  const fleet = h.ekmFleetDetails.map((e) => `${e.id} ${e.healthStatus}`).join(", ");
  const detail = `proxy ${h.xksProxyModel} (${h.xksProxyVendor}) x${h.xksProxyFleetSize}; key manager ${h.ekmVendor}: ${fleet}`;
  const active = h.ekmFleetDetails.filter((e) => e.healthStatus === "ACTIVE");
  const usable = h.ekmFleetDetails.filter((e) => e.healthStatus !== "UNAVAILABLE");
  if (usable.length === 0) {
    return {
      check: "health",
      verdict: "FAIL",
      detail: `UNAVAILABLE; ${detail}`,
      fix: `every external key manager is UNAVAILABLE (${h.ekmFleetDetails.map((e) => e.id).join(", ")}): bring the key manager back and check the proxy reaches it (KMS error XKS_PROXY_NOT_REACHABLE)`,
    };
  }
  const notActive = h.ekmFleetDetails.filter((e) => e.healthStatus !== "ACTIVE");
  if (notActive.length > 0) {
    return {
      check: "health",
      verdict: "WARN",
      detail: `${active.length > 0 ? "ACTIVE" : "DEGRADED"} with problems; ${detail}`,
      fix: `external key manager ${notActive.map((e) => `${e.id} is ${e.healthStatus}`).join(", ")}: restore it while the others still serve (availability risk)`,
    };
  }
  if (h.xksProxyFleetSize < 2 || h.ekmFleetDetails.length < 2) {
    return {
      check: "health",
      verdict: "WARN",
      detail: `ACTIVE; ${detail}`,
      fix: `only ${h.xksProxyFleetSize < 2 ? "1 proxy" : "1 external key manager"} in the fleet: add a second for availability (KMS flags a fleet of one as an availability risk)`,
    };
  }
  return { check: "health", verdict: "PASS", detail: `ACTIVE; ${detail}` };
}

async function keyRow(
  key: XksKeyRef,
  call: (path: string, md: Record<string, string>) => Promise<CallResult>,
  ctx: FixContext & { principalArn: string; operation: string },
  operation: string,
  principalArn: string,
  requestId: () => string,
): Promise<CheckRow> {
  const label = keyLabel(key);
  const check = `key ${label}`;
  const r = await call(`/keys/${key.xksKeyId}/metadata`, {
    awsPrincipalArn: principalArn,
    kmsOperation: operation,
    kmsRequestId: requestId(),
  });
  if (!r.ok) {
    const p = networkProblem(r.failure, ctx);
    return { check, verdict: "FAIL", detail: p.detail, fix: p.fix };
  }
  if (r.status !== 200) {
    const p = httpProblem(r.status, r.body, ctx, { label, id: key.xksKeyId });
    return { check, verdict: "FAIL", detail: p.detail, fix: p.fix };
  }
  const parsed = parseKeyMetadata(r.body);
  if (!parsed.ok) {
    return {
      check,
      verdict: "FAIL",
      detail: `invalid answer (${parsed.why})`,
      fix: `the proxy's metadata answer for key ${label} is not valid (${parsed.why}): make the proxy answer GetKeyMetadata as XKS proxy API v1 specifies (KMS error XksKeyInvalidResponseException on CreateKey)`,
    };
  }
  const m = parsed.value;
  const detail = `${m.keySpec}, ${m.keyUsage.join(" ") || "no usage"}, ${m.keyStatus} (${ms(r.timing.totalMs)})`;
  const problems = keyProblems(m);
  if (problems.length === 0) return { check, verdict: "PASS", detail };
  return {
    check,
    verdict: "FAIL",
    detail,
    fix: `key ${label} ${problems.map((p) => p.problem).join(", ")}: ${problems.map((p) => p.action).join(" and ")} in the key manager (KMS error XksKeyInvalidConfigurationException on CreateKey)`,
  };
}

/** Nearest-rank percentile (with fewer than 20 samples, p95 is the maximum). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function stats(durations: readonly number[], roundTrips: readonly number[]): LatencyStats | undefined {
  if (durations.length === 0) return undefined;
  const d = [...durations].sort((a, b) => a - b);
  const rt = [...roundTrips].sort((a, b) => a - b);
  return {
    count: d.length,
    p50: percentile(d, 50),
    p95: percentile(d, 95),
    max: d[d.length - 1],
    roundTripP50: rt.length > 0 ? percentile(rt, 50) : undefined,
  };
}

/**
 * FAIL when any call took over KMS's {@link KMS_BUDGET_MS} (each such call is a failed KMS request), WARN when the
 * round trip (TCP connect) is over the recommended {@link RECOMMENDED_ROUND_TRIP_MS}.
 */
function latencyRow(l: LatencyStats | undefined, durations: readonly number[]): CheckRow {
  if (!l) return { check: "latency", verdict: "SKIP", detail: "no completed call" };
  const rt = l.roundTripP50 !== undefined ? `; round trip ${ms(l.roundTripP50)}` : "";
  const detail = `p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, max ${ms(l.max)} over ${l.count} calls${rt} (budget ${KMS_BUDGET_MS} ms)`;
  const slow = durations.filter((d) => d > KMS_BUDGET_MS).length;
  if (slow > 0) {
    return {
      check: "latency",
      verdict: "FAIL",
      detail,
      fix: `${slow} of ${l.count} calls took over KMS's ${KMS_BUDGET_MS} ms budget (p95 ${ms(l.p95)}, max ${ms(l.max)}): speed up the proxy and its key manager and keep the round trip under ${RECOMMENDED_ROUND_TRIP_MS} ms (KMS error XKS_PROXY_TIMED_OUT)`,
    };
  }
  if (l.roundTripP50 !== undefined && l.roundTripP50 > RECOMMENDED_ROUND_TRIP_MS) {
    return {
      check: "latency",
      verdict: "WARN",
      detail,
      fix: `the round trip to the proxy is ${ms(l.roundTripP50)}, over the recommended ${RECOMMENDED_ROUND_TRIP_MS} ms: bring the key manager closer to the Region or shorten the link (else KMS error XKS_PROXY_TIMED_OUT under load)`,
    };
  }
  return { check: "latency", verdict: "PASS", detail };
}
