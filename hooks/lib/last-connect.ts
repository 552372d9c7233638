import { CLOUDTRAIL } from "@cmk-stacks/aws-limits";
import { LookupEventsCommand, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import type { Clock } from "./clock";
import { awsErrorCode, errorMessage } from "./errors";
import { RateLimiter } from "./rate-limiter";
import type { Sender } from "./runtime";

/** When a key store last connected, as far as CloudTrail's event history tells, and how that was found. */
export interface LastConnect {
  /** The newest ConnectCustomKeyStore event of the store; undefined: unknown. */
  readonly at?: Date;
  /** One line for the step's output: where the time came from, or why it is unknown. */
  readonly note: string;
}

export interface LastConnectLookup {
  readonly cloudtrail: Sender;
  readonly keyStoreId: string;
  readonly clock: Clock;
  /** Wraps each request with the step's retry (throttling, transient errors). */
  readonly retrying: <T>(what: string, fn: () => Promise<unknown>) => Promise<T>;
  /** At most {@link CLOUDTRAIL.LOOKUP_EVENTS_REQUESTS_PER_SECOND} LookupEvents a second (per account and Region). */
  readonly limiter?: RateLimiter;
}

/** The LookupEvents rate: the rulebook's {@link CLOUDTRAIL.LOOKUP_EVENTS_REQUESTS_PER_SECOND}. */
export const LOOKUP_EVENTS_RPS = CLOUDTRAIL.LOOKUP_EVENTS_REQUESTS_PER_SECOND.value;

/** The store a ConnectCustomKeyStore event names (`requestParameters.customKeyStoreId`), or undefined. */
export function connectedStoreOf(cloudTrailEvent: string | undefined): string | undefined {
  if (!cloudTrailEvent) return undefined;
  try {
    const parsed = JSON.parse(cloudTrailEvent) as { requestParameters?: { customKeyStoreId?: unknown } | null };
    const id = parsed?.requestParameters?.customKeyStoreId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The store's last connect from CloudTrail's event history: LookupEvents with EventName
 * ConnectCustomKeyStore, newest first, over all the history holds ({@link CLOUDTRAIL.EVENT_HISTORY_DAYS}
 * days, so no StartTime is sent)
 * ("LookupEvents", https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html),
 * paged until the first event whose `requestParameters.customKeyStoreId` is the store. Every such
 * event counts, a rejected request too: a later time can only lead to a reset, the safe path.
 *
 * Never fails: no event in the history, a denied lookup or any other error gives an unknown time
 * (the caller resets the kmsuser password), with the reason in {@link LastConnect.note}.
 */
export async function lastConnectFromCloudTrail(q: LastConnectLookup): Promise<LastConnect> {
  const days = CLOUDTRAIL.EVENT_HISTORY_DAYS.value;
  const limiter = q.limiter ?? new RateLimiter(q.clock, LOOKUP_EVENTS_RPS);
  let NextToken: string | undefined;
  let seen = 0;
  try {
    do {
      const page = await q.retrying<LookupEventsCommandOutput>("CloudTrail LookupEvents", () =>
        limiter.run(() =>
          q.cloudtrail.send(
            new LookupEventsCommand({
              LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "ConnectCustomKeyStore" }],
              MaxResults: CLOUDTRAIL.LOOKUP_EVENTS_MAX_RESULTS.value,
              NextToken,
            }),
          ),
        ),
      );
      for (const e of page?.Events ?? []) {
        seen++;
        if (e.EventName !== "ConnectCustomKeyStore" || connectedStoreOf(e.CloudTrailEvent) !== q.keyStoreId) continue;
        if (!e.EventTime) continue;
        return {
          at: e.EventTime,
          note: `the store last connected at ${e.EventTime.toISOString()} (CloudTrail ConnectCustomKeyStore event ${e.EventId ?? "?"})`,
        };
      }
      NextToken = page?.NextToken;
    } while (NextToken);
  } catch (err) {
    const code = awsErrorCode(err);
    const denied = code === "AccessDeniedException" || code === "AccessDenied" || code === "UnauthorizedOperation";
    return {
      note: denied
        ? `the store's last connect time is unknown: CloudTrail LookupEvents was denied (${code}); grant the operator cloudtrail:LookupEvents (resource "*") or pass --last-connected to skip needless resets`
        : `the store's last connect time is unknown: CloudTrail LookupEvents failed (${code}: ${errorMessage(err)}); pass --last-connected to skip needless resets`,
    };
  }
  return {
    note: `the store's last connect time is unknown: CloudTrail's event history (the last ${days} days) holds no ConnectCustomKeyStore event of ${q.keyStoreId}${seen ? ` (${seen} of other stores)` : ""}; pass --last-connected to skip the reset when the backup is newer`,
  };
}
