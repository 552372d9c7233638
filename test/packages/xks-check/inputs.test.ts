/** Pure parts of the preflight: certificate name rules, credential formats and sources, flag values, percentiles. */
import type { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import {
  matchNames,
  nameCovers,
  namesFromPeer,
  parseConnectTo,
  parseEndpoint,
  parseUriPath,
  percentile,
  resolveCredential,
  validateCredential,
  XksInputError,
  type SecretsClientFactory,
} from "@cmk-stacks/xks-check";
import { CREDENTIAL } from "./fake-proxy";

describe("certificate names", () => {
  test.each([
    ["xks.example.com", "xks.example.com", true],
    ["XKS.Example.COM", "xks.example.com", true],
    ["*.example.com", "xks.example.com", true],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", "example.com", false],
    ["*.com", "example.com", false],
    ["x*.example.com", "xks.example.com", false],
    ["xks.*.com", "xks.example.com", false],
    ["other.example.com", "xks.example.com", false],
    ["xks.example.com.", "xks.example.com", true],
  ])("%s covers %s: %s", (pattern, host, expected) => {
    expect(nameCovers(pattern, host)).toBe(expected);
  });

  test("SANs decide when present; the CN only counts without them, and is reported separately", () => {
    expect(matchNames({ commonNames: ["xks.example.com"], dnsSans: ["other.example.com"] }, "xks.example.com")).toEqual(
      { matches: false, matchedBy: undefined, commonNameMatches: true },
    );
    expect(matchNames({ commonNames: ["proxy"], dnsSans: ["xks.example.com"] }, "xks.example.com")).toEqual({
      matches: true,
      matchedBy: "xks.example.com",
      commonNameMatches: false,
    });
    expect(matchNames({ commonNames: ["xks.example.com"], dnsSans: [] }, "xks.example.com").matches).toBe(true);
  });

  test("reads Node's subjectaltname, ignoring IP and other entries", () => {
    expect(namesFromPeer("a", "DNS:a, IP Address:10.0.0.1, DNS:*.b.example")).toEqual({
      commonNames: ["a"],
      dnsSans: ["a", "*.b.example"],
    });
    expect(namesFromPeer(["a", "b"], undefined)).toEqual({ commonNames: ["a", "b"], dnsSans: [] });
  });
});

describe("credential formats", () => {
  const labels = { accessKeyId: "XKS_ACCESS_KEY_ID", secretAccessKey: "XKS_SECRET_ACCESS_KEY" };
  test("accepts KMS's formats", () => {
    expect(validateCredential(CREDENTIAL, labels)).toEqual(CREDENTIAL);
  });
  test.each([
    [
      "an access key id with lowercase letters",
      { ...CREDENTIAL, accessKeyId: "testxksaccesskey2345abcd" },
      "XKS_ACCESS_KEY_ID is not a valid XKS access key id (20-30 characters, A-Z and 2-7 only)",
    ],
    [
      "an access key id with 0, 1, 8 or 9",
      { ...CREDENTIAL, accessKeyId: "TESTXKSACCESSKEY0189ABCD" },
      "XKS_ACCESS_KEY_ID is not a valid XKS access key id (20-30 characters, A-Z and 2-7 only)",
    ],
    [
      "a short access key id",
      { ...CREDENTIAL, accessKeyId: "ABCDEFGHIJKLMNOPQRS" },
      "XKS_ACCESS_KEY_ID is not a valid XKS access key id (20-30 characters, A-Z and 2-7 only)",
    ],
    [
      "a short secret",
      { ...CREDENTIAL, secretAccessKey: "tooShortSecret" },
      "XKS_SECRET_ACCESS_KEY is not a valid XKS secret access key (43-64 characters: letters, digits, /, + and =)",
    ],
    [
      "a secret with other characters",
      { ...CREDENTIAL, secretAccessKey: "S3cretTestValueForXksProxy-0123456789_abcdefgh!" },
      "XKS_SECRET_ACCESS_KEY is not a valid XKS secret access key (43-64 characters: letters, digits, /, + and =)",
    ],
  ])("fails for %s, naming the variable and never the value", (_what, cred, message) => {
    expect(() => validateCredential(cred, labels)).toThrow(new XksInputError(message));
    try {
      validateCredential(cred, labels);
    } catch (e) {
      expect((e as Error).message).not.toContain(cred.secretAccessKey);
      expect((e as Error).message).not.toContain(cred.accessKeyId);
    }
  });
});

describe("credential sources", () => {
  const ARN = "arn:aws:secretsmanager:eu-west-1:222222222222:secret:xks/staging-AbCdEf";
  const fake = (
    answer: () => Promise<{ SecretString?: string }>,
  ): { factory: SecretsClientFactory; calls: { region: string; secretId?: string }[] } => {
    const calls: { region: string; secretId?: string }[] = [];
    const factory: SecretsClientFactory = (region) => ({
      send: async (cmd: GetSecretValueCommand) => {
        calls.push({ region, secretId: cmd.input.SecretId });
        return { $metadata: {}, ...(await answer()) };
      },
    });
    return { factory, calls };
  };

  test("reads the environment variables", async () => {
    await expect(
      resolveCredential({
        env: { XKS_ACCESS_KEY_ID: CREDENTIAL.accessKeyId, XKS_SECRET_ACCESS_KEY: CREDENTIAL.secretAccessKey },
      }),
    ).resolves.toEqual(CREDENTIAL);
  });

  test("reads the secret's JSON through the injected client, in the secret's Region", async () => {
    const f = fake(async () => ({ SecretString: JSON.stringify(CREDENTIAL) }));
    await expect(resolveCredential({ env: {}, secretArn: ARN, secretsClient: f.factory })).resolves.toEqual(CREDENTIAL);
    expect(f.calls).toEqual([{ region: "eu-west-1", secretId: ARN }]);
  });

  test.each([
    [
      "no credential at all",
      {},
      undefined,
      "no XKS proxy credential: set XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY in the environment, or pass --credential-secret <secret ARN>",
    ],
    [
      "only the access key id",
      { XKS_ACCESS_KEY_ID: CREDENTIAL.accessKeyId },
      undefined,
      "XKS_SECRET_ACCESS_KEY is not set: set both XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY",
    ],
    [
      "both the variables and a secret",
      { XKS_ACCESS_KEY_ID: CREDENTIAL.accessKeyId, XKS_SECRET_ACCESS_KEY: CREDENTIAL.secretAccessKey },
      ARN,
      "XKS_ACCESS_KEY_ID/XKS_SECRET_ACCESS_KEY are set and --credential-secret names a secret: unset the variables or drop the secret, so one credential is tested",
    ],
    [
      "a malformed secret ARN",
      {},
      "xks/staging",
      '--credential-secret: "xks/staging" is not a Secrets Manager secret ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<name>',
    ],
  ])("fails for %s", async (_what, env, secretArn, message) => {
    await expect(resolveCredential({ env, secretArn })).rejects.toThrow(new XksInputError(message));
  });

  test("a secret that is not JSON fails without quoting it", async () => {
    const f = fake(async () => ({
      SecretString: `accessKeyId=${CREDENTIAL.accessKeyId} secret=${CREDENTIAL.secretAccessKey}`,
    }));
    const err = await resolveCredential({ env: {}, secretArn: ARN, secretsClient: f.factory }).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `--credential-secret ${ARN}: the secret is not JSON: store {"accessKeyId": "...", "secretAccessKey": "..."}`,
    );
    expect((err as Error).message).not.toContain(CREDENTIAL.secretAccessKey);
  });

  test("a secret with a malformed field names the field only", async () => {
    const f = fake(async () => ({
      SecretString: JSON.stringify({ accessKeyId: CREDENTIAL.accessKeyId, secretAccessKey: "short" }),
    }));
    await expect(resolveCredential({ env: {}, secretArn: ARN, secretsClient: f.factory })).rejects.toThrow(
      new XksInputError(
        "secret field secretAccessKey is not a valid XKS secret access key (43-64 characters: letters, digits, /, + and =)",
      ),
    );
  });

  test("a Secrets Manager error gives its name and the next step", async () => {
    const f = fake(async () => {
      const e = new Error("User is not authorized");
      e.name = "AccessDeniedException";
      throw e;
    });
    await expect(resolveCredential({ env: {}, secretArn: ARN, secretsClient: f.factory })).rejects.toThrow(
      new XksInputError(
        `--credential-secret ${ARN}: cannot read the secret (AccessDeniedException): check it exists in eu-west-1 and this identity may call secretsmanager:GetSecretValue and kms:Decrypt on its key`,
      ),
    );
  });
});

describe("flag values", () => {
  test.each([
    [
      () => parseEndpoint("https://xks.example.com:443"),
      '--endpoint: "https://xks.example.com:443" must be https://<private DNS name>, 10-128 characters, with no port and no path',
    ],
    [
      () => parseEndpoint("https://10.0.0.1"),
      '--endpoint: "https://10.0.0.1" must be https://<private DNS name>, 10-128 characters, with no port and no path',
    ],
    [
      () => parseUriPath("/p/kms/xks/v1/"),
      '--uri-path: "/p/kms/xks/v1/" must be 10-128 chars matching /<prefix>/kms/xks/v<1-2 digits> or /kms/xks/v<1-2 digits> (version 1: ends /kms/xks/v1)',
    ],
    [
      () => parseConnectTo("127.0.0.1:99999"),
      '--connect-to: "127.0.0.1:99999" must be <host>:<port> or [<IPv6>]:<port>, e.g. 192.168.10.11:443',
    ],
  ])("fails with the flag, the value and what is allowed (%#)", (f, message) => {
    expect(f).toThrow(new XksInputError(message));
  });

  test("--connect-to takes host:port, [v6]:port and a bare host (443)", () => {
    expect(parseConnectTo("127.0.0.1:8443")).toEqual({ host: "127.0.0.1", port: 8443 });
    expect(parseConnectTo("[::1]:8443")).toEqual({ host: "::1", port: 8443 });
    expect(parseConnectTo("proxy1.dc.example")).toEqual({ host: "proxy1.dc.example", port: 443 });
  });
});

test("nearest-rank percentiles (p95 of fewer than 20 samples is the maximum)", () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  expect([percentile(ten, 50), percentile(ten, 95), percentile([], 50)]).toEqual([5, 10, 0]);
  const forty = Array.from({ length: 40 }, (_, i) => i + 1);
  expect(percentile(forty, 95)).toBe(38);
});
