import { CLOUDTRAIL } from "@cmk-stacks/aws-limits";
import { describeShape } from "./rules";

describeShape("CLOUDTRAIL", CLOUDTRAIL, ["docs.aws.amazon.com"]);

test("LookupEvents: 2 requests per second, 90 days of history, 50 events a page (API_LookupEvents.html)", () => {
  expect(CLOUDTRAIL.LOOKUP_EVENTS_REQUESTS_PER_SECOND.value).toBe(2);
  expect(CLOUDTRAIL.EVENT_HISTORY_DAYS.value).toBe(90);
  expect(CLOUDTRAIL.LOOKUP_EVENTS_MAX_RESULTS.value).toBe(50);
  for (const rule of Object.values(CLOUDTRAIL))
    expect(rule.doc).toBe("https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html");
});
