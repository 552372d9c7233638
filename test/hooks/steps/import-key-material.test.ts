import { constants, generateKeyPairSync, privateDecrypt } from "node:crypto";
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  type KeyMetadata,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import {
  importKeyMaterial,
  parseMaterial,
  type ImportKeyMaterialInput,
} from "../../../hooks/steps/import-key-material";
import { Readable } from "node:stream";
import { readStdin, runCli } from "../../../hooks/cli";
import { createHandler } from "../../../hooks/lambda";
import { VirtualClock } from "../../../hooks/lib/clock";
import { awsError, IDS, kmsOnly, runtime, thrown } from "../helpers";

const kms = mockClient(KMSClient);
const KEY_ARN = `arn:aws:kms:eu-west-1:123456789012:key/${IDS.keyId}`;
const DAY = 86_400_000;
// A fixed 256-bit key: every byte distinct enough to be found in any text it might leak into.
const MATERIAL = Buffer.from("9f1c2e3d4a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5", "hex");
// The wrapping key KMS would return (2048 bits keeps the test fast; KMS returns RSA_4096, same code path).
const wrapping = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PUBLIC_DER = wrapping.publicKey.export({ type: "spki", format: "der" });

const meta = (state: string, extra: Partial<KeyMetadata> = {}): { KeyMetadata: KeyMetadata } => ({
  KeyMetadata: {
    KeyId: IDS.keyId,
    Arn: KEY_ARN,
    KeyState: state as KeyMetadata["KeyState"],
    Origin: "EXTERNAL",
    KeySpec: "SYMMETRIC_DEFAULT",
    KeyManager: "CUSTOMER",
    ...extra,
  } as KeyMetadata,
});
const unwrap = (wrapped: Uint8Array) =>
  privateDecrypt(
    { key: wrapping.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    Buffer.from(wrapped),
  );

/** KMS answering like a real key: parameters valid 24 h from the virtual clock, a working round trip. */
function kmsWorks(clock: VirtualClock, firstState = "PendingImport", afterState = "Enabled"): void {
  kms
    .on(DescribeKeyCommand)
    .resolvesOnce(meta(firstState, { CurrentKeyMaterialId: firstState === "PendingImport" ? undefined : "m1" }))
    .resolves(meta(afterState, { CurrentKeyMaterialId: "m1" }));
  let token = 0;
  kms.on(GetParametersForImportCommand).callsFake(() => ({
    KeyId: KEY_ARN,
    PublicKey: new Uint8Array(PUBLIC_DER),
    ImportToken: Buffer.from(`token-${++token}`),
    ParametersValidTo: new Date(clock.now() + DAY),
  }));
  kms.on(ImportKeyMaterialCommand).resolves({ KeyId: KEY_ARN });
  kms.on(ListResourceTagsCommand).resolves({ Tags: [{ TagKey: "Name", TagValue: "staging/archive" }] });
  kms.on(EncryptCommand).callsFake((input: { Plaintext: Uint8Array }) => ({
    KeyId: KEY_ARN,
    CiphertextBlob: Buffer.concat([Buffer.from("ct:"), Buffer.from(input.Plaintext)]),
  }));
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => ({
    KeyId: KEY_ARN,
    Plaintext: Buffer.from(input.CiphertextBlob).subarray(3),
  }));
}

function input(
  rt: ReturnType<typeof runtime>,
  extra: Partial<ImportKeyMaterialInput> = {},
): ImportKeyMaterialInput & { reads: () => number } {
  let reads = 0;
  return {
    ...rt,
    clients: { kms },
    keyId: IDS.keyId,
    validDays: 180,
    readMaterial: async () => {
      reads++;
      return Buffer.from(MATERIAL);
    },
    reads: () => reads,
    ...extra,
  };
}
const importInputs = () => kms.commandCalls(ImportKeyMaterialCommand).map((c) => c.args[0].input);

beforeEach(() => kms.reset());

test("happy path: wrapping key RSA_4096 / RSAES_OAEP_SHA_256, material wrapped in memory, expiry set, round trip, Enabled", async () => {
  const rt = runtime();
  rt.clock.advance(1_000_000);
  kmsWorks(rt.clock);
  const result = await importKeyMaterial(input(rt));
  expect(result).toMatchObject({ status: "DONE", state: "Enabled" });
  expect(kms.commandCalls(GetParametersForImportCommand).map((c) => c.args[0].input)).toEqual([
    { KeyId: IDS.keyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_4096" },
  ]);
  const [imp] = importInputs();
  expect(imp).toMatchObject({
    KeyId: IDS.keyId,
    ImportToken: Buffer.from("token-1"),
    ExpirationModel: "KEY_MATERIAL_EXPIRES",
    ValidTo: new Date(1_000_000 + 180 * DAY),
  });
  // First import: no ImportType (KMS takes NEW_KEY_MATERIAL for a key that never had material).
  expect(imp).not.toHaveProperty("ImportType");
  // What KMS receives unwraps, with the wrapping private key, to exactly the material.
  expect(unwrap(imp.EncryptedKeyMaterial as Uint8Array).equals(MATERIAL)).toBe(true);
  expect(kms.commandCalls(EncryptCommand)[0].args[0].input.EncryptionContext).toEqual({
    purpose: "cmk-stacks import-key-material round trip",
  });
  expect(rt.lines).toEqual([
    `[import-key-material ${IDS.keyId}] PendingImport at 0s`,
    `[import-key-material ${IDS.keyId}] wrapping key RSA_4096, RSAES_OAEP_SHA_256; import token valid until 1970-01-02T00:16:40.000Z`,
    `[import-key-material ${IDS.keyId}] imported (first or same material; KEY_MATERIAL_EXPIRES until 1970-06-30T00:16:40.000Z)`,
    `[import-key-material ${IDS.keyId}] Encrypt/Decrypt round trip: ok`,
    `[import-key-material ${IDS.keyId}] PendingImport -> Enabled after 0s`,
  ]);
});

test("the key's configured validity (tag KeyMaterialValidityDays) is enforced: another --valid-days is refused before the material is read", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  kms.on(ListResourceTagsCommand).resolves({ Tags: [{ TagKey: "KeyMaterialValidityDays", TagValue: "180" }] });
  const inp = input(rt, { validDays: 0 });
  const err = await thrown(() => importKeyMaterial(inp));
  expect(err.message).toBe(
    `[import-key-material ${IDS.keyId}] ValidityMismatch: --valid-days 0 differs from the key's configured validity (tag KeyMaterialValidityDays = 180; 0: does not expire). Next: pass --valid-days 180 (stack output key_<name>_import_command), or change keys.<name>.keyMaterialValidityDays and apply first`,
  );
  expect(inp.reads()).toBe(0);
  expect(kms.commandCalls(GetParametersForImportCommand)).toHaveLength(0);
  // The matching value goes through.
  kms.reset();
  kmsWorks(rt.clock);
  kms.on(ListResourceTagsCommand).resolves({ Tags: [{ TagKey: "KeyMaterialValidityDays", TagValue: "180" }] });
  expect(await importKeyMaterial(input(runtime(), { validDays: 180 }))).toMatchObject({ status: "DONE" });
});

test("the bytes read are zeroed once parsed (they are a copy of the key too)", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  const piped = Buffer.from(`${MATERIAL.toString("base64")}\n`);
  await importKeyMaterial(input(rt, { readMaterial: async () => piped }));
  expect(piped.every((b) => b === 0)).toBe(true);
});

test("material that does not expire: KEY_MATERIAL_DOES_NOT_EXPIRE and no ValidTo", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  await importKeyMaterial(input(rt, { validDays: 0 }));
  expect(importInputs()[0].ExpirationModel).toBe("KEY_MATERIAL_DOES_NOT_EXPIRE");
  expect(importInputs()[0]).not.toHaveProperty("ValidTo");
});

test("a key already holding material is left alone: DescribeKey only, the material is not even read", async () => {
  const rt = runtime();
  kms
    .on(DescribeKeyCommand)
    .resolves(meta("Enabled", { ExpirationModel: "KEY_MATERIAL_EXPIRES", ValidTo: new Date(Date.UTC(2027, 5, 1)) }));
  const inp = input(rt);
  expect(await importKeyMaterial(inp)).toMatchObject({ status: "ALREADY_DONE", state: "Enabled" });
  expect(kms.calls()).toHaveLength(1);
  expect(inp.reads()).toBe(0);
  expect(rt.lines.at(-1)).toBe(
    `[import-key-material ${IDS.keyId}] already holds key material (expires 2027-06-01T00:00:00.000Z); left alone (--reimport: same material, new expiry; --rotate: new material)`,
  );
});

test("--reimport imports the same material again (EXISTING_KEY_MATERIAL) with the new expiry", async () => {
  const rt = runtime();
  kmsWorks(rt.clock, "Enabled");
  expect(await importKeyMaterial(input(rt, { reimport: true, validDays: 30 }))).toMatchObject({ status: "DONE" });
  expect(importInputs()).toHaveLength(1);
  expect(importInputs()[0]).toMatchObject({
    ImportType: "EXISTING_KEY_MATERIAL",
    ExpirationModel: "KEY_MATERIAL_EXPIRES",
    ValidTo: new Date(30 * DAY),
  });
  expect(kms.commandCalls(RotateKeyOnDemandCommand)).toHaveLength(0);
});

test("re-import after the material expired (the key is PendingImport again): a plain import", async () => {
  const rt = runtime();
  kmsWorks(rt.clock, "PendingImport");
  expect(await importKeyMaterial(input(rt))).toMatchObject({ status: "DONE", state: "Enabled" });
  expect(importInputs()[0]).not.toHaveProperty("ImportType");
});

test("IncorrectKeyMaterialException (other material than the key holds) names the fix, and nothing else is called", async () => {
  const rt = runtime();
  kmsWorks(rt.clock, "Enabled");
  kms
    .on(ImportKeyMaterialCommand)
    .rejects(awsError("IncorrectKeyMaterialException", "The key material does not match"));
  const err = await thrown(() => importKeyMaterial(input(rt, { reimport: true })));
  expect(err.message).toBe(
    `[import-key-material ${IDS.keyId}] IncorrectKeyMaterialException: ImportKeyMaterial failed: The key material does not match. Next: this is not the material the key holds: re-import the same material, or pass --rotate to import new material`,
  );
  expect(kms.commandCalls(EncryptCommand)).toHaveLength(0);
});

test("--rotate imports NEW_KEY_MATERIAL, calls RotateKeyOnDemand and waits until the new material is current", async () => {
  const rt = runtime();
  kmsWorks(rt.clock, "Enabled");
  kms
    .on(DescribeKeyCommand)
    .resolvesOnce(meta("Enabled", { CurrentKeyMaterialId: "m1" }))
    .resolvesOnce(meta("Enabled", { CurrentKeyMaterialId: "m1" }))
    .resolves(meta("Enabled", { CurrentKeyMaterialId: "m2" }));
  kms.on(RotateKeyOnDemandCommand).resolves({ KeyId: KEY_ARN });
  expect(await importKeyMaterial(input(rt, { rotate: true }))).toMatchObject({ status: "DONE", state: "Enabled" });
  expect(importInputs()[0].ImportType).toBe("NEW_KEY_MATERIAL");
  expect(kms.commandCalls(RotateKeyOnDemandCommand)).toHaveLength(1);
  expect(rt.lines).toContain(`[import-key-material ${IDS.keyId}] Enabled -> Enabled, rotating after 0s`);
  expect(rt.lines.some((l) => /Enabled, rotating -> Enabled, rotated after \d/.test(l))).toBe(true);
});

describe("--rotate re-run after RotateKeyOnDemand failed: the material PENDING_ROTATION is rotated to, never imported again", () => {
  /** A key holding m1 whose NEW_KEY_MATERIAL import leaves m2 PENDING_ROTATION until RotateKeyOnDemand. */
  function rotatingKey(clock: VirtualClock): { current: string; pending?: string } {
    const world: { current: string; pending?: string } = { current: "m1" };
    kmsWorks(clock, "Enabled");
    kms.on(DescribeKeyCommand).callsFake(() => meta("Enabled", { CurrentKeyMaterialId: world.current }));
    kms.on(ImportKeyMaterialCommand).callsFake(() => {
      world.pending = "m2";
      return { KeyId: KEY_ARN, KeyMaterialId: "m2" };
    });
    kms.on(ListKeyRotationsCommand).callsFake(() => ({
      Rotations: [
        {
          KeyId: KEY_ARN,
          KeyMaterialId: "m1",
          KeyMaterialState: world.current === "m1" ? "CURRENT" : "NON_CURRENT",
          ImportState: "IMPORTED",
        },
        ...(world.pending
          ? [
              {
                KeyId: KEY_ARN,
                KeyMaterialId: world.pending,
                KeyMaterialState: "PENDING_ROTATION",
                ImportState: "IMPORTED",
              },
            ]
          : []),
      ],
      Truncated: false,
    }));
    return world;
  }

  test("the first run imports m2 and fails at RotateKeyOnDemand; the re-run rotates to m2 without reading or importing material", async () => {
    const rt = runtime();
    const world = rotatingKey(rt.clock);
    kms
      .on(RotateKeyOnDemandCommand)
      .rejectsOnce(awsError("AccessDeniedException", "not allowed to rotate"))
      .callsFake(() => {
        world.current = world.pending as string;
        world.pending = undefined;
        return { KeyId: KEY_ARN };
      });
    const first = input(rt, { rotate: true });
    expect((await thrown(() => importKeyMaterial(first))).message).toContain(
      "AccessDeniedException: RotateKeyOnDemand failed: not allowed to rotate.",
    );
    expect(importInputs()).toHaveLength(1);

    const again = input(rt, { rotate: true });
    expect(await importKeyMaterial(again)).toMatchObject({ status: "DONE", state: "Enabled" });
    expect(again.reads()).toBe(0);
    expect(importInputs()).toHaveLength(1);
    expect(kms.commandCalls(GetParametersForImportCommand)).toHaveLength(1);
    expect(kms.commandCalls(RotateKeyOnDemandCommand)).toHaveLength(2);
    expect(kms.commandCalls(ListKeyRotationsCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: IDS.keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" },
      { KeyId: IDS.keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" },
    ]);
    expect(rt.lines).toContain(
      `[import-key-material ${IDS.keyId}] key material m2 is already imported and PENDING_ROTATION (an earlier run's import): not imported again; rotating to it (if it is not the material meant, delete it first: aws kms delete-imported-key-material --key-id ${IDS.keyId} --key-material-id m2)`,
    );
    expect(world.current).toBe("m2");
  });

  test("--rotate with material the key already holds: KMS's IncorrectKeyMaterialException says so, not 'pass --rotate'", async () => {
    const rt = runtime();
    rotatingKey(rt.clock);
    kms
      .on(ImportKeyMaterialCommand)
      .rejects(awsError("IncorrectKeyMaterialException", "The key material is already associated with the key"));
    expect((await thrown(() => importKeyMaterial(input(rt, { rotate: true })))).message).toBe(
      `[import-key-material ${IDS.keyId}] IncorrectKeyMaterialException: ImportKeyMaterial failed: The key material is already associated with the key. Next: --rotate needs material the key has never held: export the new version from the key manager (not one already imported), or drop --rotate`,
    );
    expect(kms.commandCalls(RotateKeyOnDemandCommand)).toHaveLength(0);
  });

  test("the rotation waits for the very material KMS named, not merely another one", async () => {
    const rt = runtime();
    const world = rotatingKey(rt.clock);
    world.pending = "m2";
    let describes = 0;
    kms.on(DescribeKeyCommand).callsFake(() => {
      describes++;
      return meta("Enabled", { CurrentKeyMaterialId: describes < 3 ? "m1" : describes < 5 ? "m9" : "m2" });
    });
    kms.on(RotateKeyOnDemandCommand).resolves({ KeyId: KEY_ARN });
    await importKeyMaterial(input(rt, { rotate: true }));
    expect(describes).toBe(6); // the first, two answers naming m1, two naming m9, then m2 ends the wait; one after the round trip
  });

  test("material imported into a multi-Region primary but not its replicas is not rotated to nor imported again", async () => {
    const rt = runtime();
    rotatingKey(rt.clock);
    kms.on(ListKeyRotationsCommand).resolves({
      Rotations: [
        { KeyMaterialId: "m1", KeyMaterialState: "CURRENT", ImportState: "IMPORTED" },
        { KeyMaterialId: "m2", KeyMaterialState: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", ImportState: "IMPORTED" },
      ],
    });
    const inp = input(rt, { rotate: true });
    expect((await thrown(() => importKeyMaterial(inp))).message).toBe(
      `[import-key-material ${IDS.keyId}] ReplicasMissingMaterial: key material m2 is imported into this primary key but not into every replica key (PENDING_MULTI_REGION_IMPORT_AND_ROTATION). Next: import the same material into each replica key (ImportType EXISTING_KEY_MATERIAL), then run this step again with --rotate: it rotates without importing again`,
    );
    expect(inp.reads()).toBe(0);
    expect(importInputs()).toHaveLength(0);
    expect(kms.commandCalls(RotateKeyOnDemandCommand)).toHaveLength(0);
  });
});

test("--rotate on a key without material is refused before the material is read", async () => {
  const rt = runtime();
  kms.on(DescribeKeyCommand).resolves(meta("PendingImport"));
  const inp = input(rt, { rotate: true });
  const err = await thrown(() => importKeyMaterial(inp));
  expect(err.message).toBe(
    `[import-key-material ${IDS.keyId}] NoMaterialYet: the key has no material to rotate from. Next: import its first material without --rotate`,
  );
  expect(inp.reads()).toBe(0);
});

test("throttling on GetParametersForImport (1 request/s): backoff on the clock, then the import goes through", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  let calls = 0;
  const times: number[] = [];
  kms.on(GetParametersForImportCommand).callsFake(() => {
    calls++;
    times.push(rt.clock.now());
    if (calls <= 2) throw awsError("ThrottlingException", "Rate exceeded", 400);
    return {
      KeyId: KEY_ARN,
      PublicKey: new Uint8Array(PUBLIC_DER),
      ImportToken: Buffer.from("token-3"),
      ParametersValidTo: new Date(rt.clock.now() + DAY),
    };
  });
  expect(await importKeyMaterial(input(rt))).toMatchObject({ status: "DONE" });
  expect(calls).toBe(3);
  expect(rt.clock.now()).toBeGreaterThanOrEqual(1_000);
  expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([
    `WARN [import-key-material ${IDS.keyId}] GetParametersForImport failed with ThrottlingException (Rate exceeded); retry 1/4 in 1s`,
    `WARN [import-key-material ${IDS.keyId}] GetParametersForImport failed with ThrottlingException (Rate exceeded); retry 2/4 in 2s`,
  ]);
  // Never more than one GetParametersForImport per second (its quota).
  expect(
    times
      .slice(1)
      .map((t, i) => t - times[i])
      .every((gap) => gap >= 1_000),
  ).toBe(true);
  expect(importInputs()[0].ImportToken).toEqual(Buffer.from("token-3"));
});

test("the 24-hour import token expired before the import: one new wrapping key and token, wrapped again, imported", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  kms
    .on(ImportKeyMaterialCommand)
    .rejectsOnce(awsError("ExpiredImportTokenException", "The import token has expired"))
    .resolves({ KeyId: KEY_ARN });
  expect(await importKeyMaterial(input(rt))).toMatchObject({ status: "DONE" });
  expect(kms.commandCalls(GetParametersForImportCommand)).toHaveLength(2);
  expect(importInputs().map((i) => Buffer.from(i.ImportToken as Uint8Array).toString())).toEqual([
    "token-1",
    "token-2",
  ]);
  expect(unwrap(importInputs()[1].EncryptedKeyMaterial as Uint8Array).equals(MATERIAL)).toBe(true);
  expect(rt.lines).toContain(
    `[import-key-material ${IDS.keyId}] the import token expired before the import: fetching a new wrapping key`,
  );
});

test("a token that expires twice stops with the AWS code and the next action (bounded: two wrapping keys at most)", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  kms.on(ImportKeyMaterialCommand).rejects(awsError("ExpiredImportTokenException", "The import token has expired"));
  const err = await thrown(() => importKeyMaterial(input(rt)));
  expect(err.message).toBe(
    `[import-key-material ${IDS.keyId}] ExpiredImportTokenException: ImportKeyMaterial failed: The import token has expired. Next: run the step again (a fresh wrapping key and token)`,
  );
  expect(kms.commandCalls(GetParametersForImportCommand)).toHaveLength(2);
});

test("a token already at its end when returned (a clock far off): a second fetch, then a clear stop", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  kms.on(GetParametersForImportCommand).resolves({
    KeyId: KEY_ARN,
    PublicKey: new Uint8Array(PUBLIC_DER),
    ImportToken: Buffer.from("t"),
    ParametersValidTo: new Date(rt.clock.now() + 60_000),
  });
  const err = await thrown(() => importKeyMaterial(input(rt)));
  expect(err.message).toBe(
    `[import-key-material ${IDS.keyId}] ExpiredImportTokenException: the import token is valid until 1970-01-01T00:01:00.000Z, too close to now. Next: check this machine's clock and run the step again`,
  );
  expect(kms.commandCalls(GetParametersForImportCommand)).toHaveLength(2);
  expect(importInputs()).toHaveLength(0);
});

test("the round trip failing (Decrypt returns other bytes) is a failure, not a success", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  kms.on(DecryptCommand).resolves({ KeyId: KEY_ARN, Plaintext: Buffer.alloc(32, 7) });
  const err = await thrown(() => importKeyMaterial(input(rt)));
  expect(err.message).toBe(
    `[import-key-material ${IDS.keyId}] RoundTripFailed: Decrypt did not return what Encrypt was given. Next: do not use the key: check it with DescribeKey and ListKeyRotations, and report it to AWS Support`,
  );
});

test("the round trip refused (the runner is not an importer) names the IAM fix", async () => {
  const rt = runtime();
  kmsWorks(rt.clock);
  kms.on(EncryptCommand).rejects(awsError("AccessDeniedException", "not authorized to perform kms:Encrypt"));
  const err = await thrown(() => importKeyMaterial(input(rt)));
  expect(err.message).toBe(
    `[import-key-material ${IDS.keyId}] AccessDeniedException: the Encrypt/Decrypt round trip failed: not authorized to perform kms:Encrypt. Next: run the step as one of the key's importers (keys.<name>.importers) with kms:GetParametersForImport, kms:ImportKeyMaterial, kms:Encrypt and kms:Decrypt on the key (with --rotate also kms:ListKeyRotations and kms:RotateKeyOnDemand)`,
  );
});

test.each([
  [
    "a KMS-generated key",
    meta("Enabled", { Origin: "AWS_KMS" }),
    "NotAnImportedKey: the key's origin is AWS_KMS, not EXTERNAL: KMS imports material only into keys created without it",
  ],
  ["a key pending deletion", meta("PendingDeletion"), "KeyPendingDeletion: the key is PendingDeletion"],
  ["a disabled key", meta("Disabled"), "KeyDisabled: the key is Disabled"],
])("fails before reading the material for %s", async (_, described, start) => {
  const rt = runtime();
  kms.on(DescribeKeyCommand).resolves(described);
  const inp = input(rt);
  const err = await thrown(() => importKeyMaterial(inp));
  expect(err.message.startsWith(`[import-key-material ${IDS.keyId}] ${start}. Next: `)).toBe(true);
  expect(inp.reads()).toBe(0);
  expect(kms.commandCalls(GetParametersForImportCommand)).toHaveLength(0);
});

describe("the material's forms", () => {
  test.each([
    ["32 raw bytes", MATERIAL],
    ["base64 on one line", Buffer.from(`${MATERIAL.toString("base64")}\n`)],
    [
      "a Vault transit export of one version",
      Buffer.from(
        JSON.stringify({ data: { keys: { "3": MATERIAL.toString("base64") }, name: "archive", type: "aes256-gcm96" } }),
      ),
    ],
  ])("%s", (_, bytes) => expect(parseMaterial(bytes).equals(MATERIAL)).toBe(true));

  test.each([
    [
      "31 bytes",
      Buffer.alloc(31, 1),
      "stdin is not a 256-bit symmetric key (31 bytes read; expected 32 raw bytes, their base64 on one line, or the JSON of 'vault read -format=json transit/export/encryption-key/<name>/<version>')",
    ],
    [
      "a Vault export of two versions",
      Buffer.from(
        JSON.stringify({ data: { keys: { "1": MATERIAL.toString("base64"), "2": MATERIAL.toString("base64") } } }),
      ),
      "the Vault export on stdin holds 2 key versions; export exactly one (transit/export/encryption-key/<name>/<version>)",
    ],
  ])("refuses %s without quoting it", (_, bytes, message) => expect(() => parseMaterial(bytes)).toThrow(message));
});

describe("runners", () => {
  test("CLI: material on stdin, one final line; the material is never in any output", async () => {
    const clock = new VirtualClock(0);
    kmsWorks(clock);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      ["import-key-material", "--region", IDS.region, "--key-id", IDS.keyId, "--valid-days", "180"],
      {
        clients: kmsOnly(kms),
        clock,
        stdout: (l) => out.push(l),
        stderr: (l) => err.push(l),
        stdin: async () => Buffer.from(`${MATERIAL.toString("base64")}\n`),
      },
    );
    expect(code).toBe(0);
    expect(out).toEqual(["import-key-material: done (Enabled) in 0s"]);
    const all = [...out, ...err].join("\n");
    for (const form of [MATERIAL.toString("base64"), MATERIAL.toString("hex")]) expect(all).not.toContain(form);
  });

  test("CLI: a malformed --key-id is bad input (exit 2) before any call", async () => {
    const err: string[] = [];
    const code = await runCli(["import-key-material", "--region", IDS.region, "--key-id", "alias/archive"], {
      clients: kmsOnly(kms),
      stderr: (l) => err.push(l),
      stdout: () => undefined,
      stdin: async () => MATERIAL,
    });
    expect(code).toBe(2);
    expect(err[0]).toMatch(/^error: 'kmsKeyId' value must match /);
    expect(kms.calls()).toHaveLength(0);
  });

  test("Lambda: refused, the material would have to travel in an invocation payload", async () => {
    const clock = new VirtualClock(0);
    kms.on(DescribeKeyCommand).resolves(meta("PendingImport"));
    const handler = createHandler({ clients: kmsOnly(kms), clock, sink: () => undefined });
    const err = await thrown(() =>
      handler(
        { step: "import-key-material", region: IDS.region, keyId: IDS.keyId },
        { getRemainingTimeInMillis: () => 900_000 },
      ),
    );
    expect(err.message).toBe(
      `[import-key-material ${IDS.keyId}] NoMaterialSource: this step reads the key material from standard input, which this runner does not have. Next: run it on an importer's machine: <export of the key> | npm run -s hook -- import-key-material --region <region> --key-id <id> (stack output key_<name>_import_command)`,
    );
    expect(kms.commandCalls(GetParametersForImportCommand)).toHaveLength(0);
  });
});

describe("secrets: the plaintext material never appears in a line, an error or a request other than wrapped", () => {
  const forms = [MATERIAL.toString("base64"), MATERIAL.toString("base64").replace(/=+$/, ""), MATERIAL.toString("hex")];
  const leaks = (texts: string[]) => texts.filter((t) => forms.some((f) => t.includes(f)));

  test.each([
    [
      "ImportKeyMaterial fails with an error that (absurdly) quotes the material",
      () =>
        kms
          .on(ImportKeyMaterialCommand)
          .rejects(
            awsError(
              "InvalidCiphertextException",
              `bad material ${MATERIAL.toString("base64")} / ${MATERIAL.toString("hex")}`,
            ),
          ),
    ],
    [
      "Encrypt fails quoting it",
      () =>
        kms.on(EncryptCommand).rejects(awsError("KMSInternalException", `internal ${MATERIAL.toString("hex")}`, 400)),
    ],
  ])("%s", async (_, arrange) => {
    const rt = runtime();
    kmsWorks(rt.clock);
    arrange();
    const err = (await thrown(() => importKeyMaterial(input(rt)))) as Error & { detail?: string; action?: string };
    const sent = kms
      .calls()
      .map((c) =>
        JSON.stringify(c.args[0].input, (_k, v: unknown) =>
          v && typeof v === "object" && (v as { type?: string }).type === "Buffer"
            ? Buffer.from((v as { data: number[] }).data).toString("hex")
            : v,
        ),
      );
    expect(
      leaks([
        ...rt.lines,
        err.message,
        String(err.stack),
        err.detail ?? "",
        err.action ?? "",
        JSON.stringify(err),
        ...sent,
      ]),
    ).toEqual([]);
    expect(err.message).toContain("****");
  });
});

describe("reading standard input (the CLI's material source)", () => {
  const stream = (chunks: Buffer[], isTTY = false) =>
    Object.assign(Readable.from(chunks), { isTTY }) as unknown as NodeJS.ReadStream;

  test("reads a pipe to its end", async () => {
    expect(
      Buffer.from(await readStdin(stream([MATERIAL.subarray(0, 10), MATERIAL.subarray(10)]))).equals(MATERIAL),
    ).toBe(true);
  });
  test("refuses a terminal (typed material would be echoed)", async () => {
    await expect(readStdin(stream([], true))).rejects.toThrow(
      "standard input is a terminal; pipe the secret from your key manager instead of typing it (docs/byok.md, docs/xks.md)",
    );
  });
  test("refuses more than 64 KiB", async () => {
    await expect(readStdin(stream([Buffer.alloc(40_000), Buffer.alloc(40_000)]))).rejects.toThrow(
      "standard input holds more than 65536 bytes; pipe one key only",
    );
  });
});
