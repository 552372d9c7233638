/**
 * The environment layer and the constructs check some of the same AWS limits independently (the
 * environment layer may not import from modules/, nor modules/ from environments/). For the keys,
 * these tests hold the two to the same verdict on the same values, so neither can drift: a value
 * validation accepts is never refused later by a construct, and the reverse.
 */
import { Testing } from "cdktf";
import { environments } from "../../environments";
import { validationMessages } from "../../environments/validation";
import type { EnvironmentConfig } from "../../environments/types";
import { EnvironmentStack } from "../../modules/core/environment-stack";
import { PropsError } from "../../modules/core/errors";
import { CustomerKey, type CustomerKeyProps } from "../../modules/keys/customer-key";
import { variant } from "../helpers/synth";

const ACCOUNT = "111111111111";
const testStack = (region = "eu-west-1") => new EnvironmentStack(Testing.app(), "test", { name: "dev", account: ACCOUNT, region });
/** Whether validation of dev with `changes` reports a problem on `field`. */
const validationRefuses = (changes: Record<string, unknown>, field: string, base: EnvironmentConfig = environments.dev) => validationMessages({ dev: variant(base, changes) }).some((m) => m.includes(`.${field}:`));
/** Whether building `fn` throws a PropsError naming `prop`. */
const constructRefuses = (fn: () => unknown, prop: string) => {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof PropsError) return e.lines.some((l) => l.includes(`.${prop}:`));
    throw e;
  }
};
const keyProps: CustomerKeyProps = { alias: "alias/dev/app-data", administrators: [`arn:aws:iam::${ACCOUNT}:role/KeyAdministrators`], users: [`arn:aws:iam::${ACCOUNT}:role/AppDataWriters`] };

describe("keys", () => {
  const aliases = ["alias/dev/app", "alias/a", "alias/", "alias/aws/s3", "alias/awsome", "dev/app", "alias/a b", "alias/a.b", `alias/${"a".repeat(250)}`, `alias/${"a".repeat(251)}`];
  test.each(aliases)("alias %s", (alias) => {
    expect(constructRefuses(() => new CustomerKey(testStack(), "appData", { ...keyProps, alias }), "alias")).toBe(validationRefuses({ "keys.appData.alias": alias }, "keys.appData.alias"));
  });

  test.each([6, 7, 8, 30, 31, 45, 7.5, 0])("deletion window %s days", (days) => {
    expect(constructRefuses(() => new CustomerKey(testStack(), "appData", { ...keyProps, deletionWindowDays: days }), "deletionWindowDays")).toBe(validationRefuses({ "keys.appData.deletionWindowDays": days }, "keys.appData.deletionWindowDays"));
  });

  const principals = [
    `arn:aws:iam::${ACCOUNT}:role/Ops`,
    `arn:aws:iam::${ACCOUNT}:user/alice`,
    `arn:aws:iam::${ACCOUNT}:role/path/to/Ops`,
    `arn:aws:iam::${ACCOUNT}:root`,
    `arn:aws-cn:iam::${ACCOUNT}:role/Ops`,
    `arn:aws:iam::12345:role/Ops`,
    "Ops",
    `arn:aws:iam::${ACCOUNT}:group/Ops`,
    "arn:aws:iam::999999999999:role/Ops",
    "arn:aws:iam::999999999999:user/path/alice",
  ];
  test.each(principals)("user %s", (user) => {
    expect(constructRefuses(() => new CustomerKey(testStack(), "appData", { ...keyProps, users: [user] }), "users.0")).toBe(validationRefuses({ "keys.appData.users": [user] }, "keys.appData.users.0"));
  });

  test.each([`arn:aws:iam::${ACCOUNT}:role/Admins`, "arn:aws:iam::999999999999:role/Admins"])("administrator %s", (admin) => {
    expect(constructRefuses(() => new CustomerKey(testStack(), "appData", { ...keyProps, administrators: [admin] }), "administrators.0")).toBe(validationRefuses({ "keys.appData.administrators": [admin] }, "keys.appData.administrators.0"));
  });

  test.each(["use", "grantsForAwsResources"])("a user of an account declared with %s", (allow) => {
    const user = "arn:aws:iam::555555555555:role/Analytics";
    const externalAccounts = [{ account: "555555555555", allow: [allow] as ("use" | "grantsForAwsResources")[] }];
    const refusedByConstruct = constructRefuses(() => new CustomerKey(testStack(), "appData", { ...keyProps, users: [user], externalAccounts }), "users.0");
    expect(refusedByConstruct).toBe(validationRefuses({ "keys.appData.users": [user], "keys.appData.externalAccounts": externalAccounts }, "keys.appData.users.0"));
    expect(refusedByConstruct).toBe(allow !== "use");
  });

  test.each(["administrators", "users"] as const)("an empty %s list", (list) => {
    expect(constructRefuses(() => new CustomerKey(testStack(), "appData", { ...keyProps, [list]: [] }), list)).toBe(validationRefuses({ [`keys.appData.${list}`]: [] }, `keys.appData.${list}`));
    expect(constructRefuses(() => new CustomerKey(testStack(), "appData", { ...keyProps, [list]: [] }), list)).toBe(true);
  });
});
