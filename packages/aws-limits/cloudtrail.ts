/**
 * CloudTrail event history (LookupEvents), which the restore step reads to find when a key store
 * last connected. "LookupEvents", AWS CloudTrail API Reference:
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
import type { Limit } from "./rule";

const LOOKUP_EVENTS = "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html";

/** LookupEvents requests per second, per account and Region (exceeding it throttles): 2. */
export const LOOKUP_EVENTS_REQUESTS_PER_SECOND: Limit = {
  value: 2,
  unit: "requests per second",
  doc: LOOKUP_EVENTS,
};

/** How far back the event history reaches: the last 90 days of management events in a Region. */
export const EVENT_HISTORY_DAYS: Limit = {
  value: 90,
  unit: "days",
  doc: LOOKUP_EVENTS,
};

/** Events per LookupEvents page (MaxResults): at most 50. */
export const LOOKUP_EVENTS_MAX_RESULTS: Limit = {
  value: 50,
  unit: "events",
  doc: LOOKUP_EVENTS,
};
