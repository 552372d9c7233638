import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { awsErrorCode } from "../../hooks/lib/errors";
import type { ResolvedEnvironment } from "../../environments/resolve";
import type { OpsClients } from "./clients";
import { isAccessDenied, notChecked, type Finding } from "./findings";

/**
 * The operator's session, checked first: undefined when it is in the environment's account,
 * else the one finding to report (every other check would describe another account, or fail).
 */
export async function checkSession(env: ResolvedEnvironment, c: OpsClients): Promise<Finding | undefined> {
  try {
    const who = await c.sts.send(new GetCallerIdentityCommand({}));
    if (who.Account === env.account) return undefined;
    return {
      check: "session",
      subject: who.Account ?? "unknown",
      severity: "broken",
      detail: `the session is in account ${who.Account ?? "unknown"}, the environment in ${env.account}: nothing else checked`,
      fix: `use a profile or role of account ${env.account} (AWS_PROFILE=...)`,
    };
  } catch (e) {
    if (!isAccessDenied(e) && awsErrorCode(e) !== "CredentialsProviderError")
      return notChecked("session", env.account, "sts:GetCallerIdentity", e);
    return {
      check: "session",
      subject: env.account,
      severity: "unknown",
      detail: `no usable AWS session (${awsErrorCode(e)}): nothing checked`,
      fix: "sign in (aws sso login, or AWS_PROFILE=...) and re-run",
    };
  }
}
