/**
 * The admin-host scripts run for real here (bash, python3), against fakes of `aws`,
 * `configure-cli` and `cloudhsm-cli` put first on PATH: one `cloudhsm-cli` that refuses to read a
 * password unless its standard input is a terminal, one that reads standard input. Each fake
 * records the SHA-256 of the password it received and its own and its parent's argv.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { activationScript, TRUST_ANCHOR_PATH } from "../../hooks/steps/activate-cluster";
import { kmsuserScript, verifyKmsuserOutput } from "../../hooks/steps/create-kmsuser";
import { resetPasswordScript } from "../../hooks/steps/reset-kmsuser-password";
import { IDS } from "./helpers";

const ADMIN_PW = "AdminPw0123456789abcdefABCDEF012";
const KMSUSER_PW = "KmsuserPw0123456789abcdefABCDEF";
const NEW_PW = "NewKmsuserPw0123456789abcdefABC";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const hsms = [
  { id: "hsm-ak1234567", az: "eu-west-1a", ip: "10.0.1.10" },
  { id: "hsm-bl1234567", az: "eu-west-1b", ip: "10.0.2.10" },
];

const FAKE_CLI = String.raw`#!/bin/bash
# Fake cloudhsm-cli. Records argv (its own and its parent's), never what it is told.
set -u
{ tr '\0' ' ' < /proc/$$/cmdline; echo; tr '\0' ' ' < /proc/$PPID/cmdline; echo; } >> "$FAKE_DIR/argv.log"
users() {
  local extra=""
  [ -f "$FAKE_DIR/kmsuser" ] && extra=',{"username":"kmsuser","role":"crypto-user","locked":"false"}'
  local admin_role="unactivated-admin"
  [ -f "$FAKE_DIR/activated" ] && admin_role="admin"
  printf '{"error_code":0,"data":{"users":[{"username":"admin","role":"%s","locked":"false"}%s]}}\n' "$admin_role" "$extra"
}
case "$*" in
  "user list") users; exit 0 ;;
  "cluster activate") what=activate ;;
  "user create --username kmsuser --role crypto-user") what=create ;;
  "user change-password --username kmsuser --role crypto-user") what=change ;;
  *) echo "fake: unexpected command $*" >&2; exit 64 ;;
esac
if [ "$FAKE_MODE" = tty ] && ! [ -t 0 ]; then echo "fake: standard input is not a terminal" >&2; exit 1; fi
printf 'Enter password: '
IFS= read -r first || { echo "fake: no password" >&2; exit 2; }
printf '\nConfirm password: '
IFS= read -r second || { echo "fake: no confirmation" >&2; exit 2; }
printf '\n'
[ "$first" = "$second" ] || { echo "fake: passwords differ" >&2; exit 3; }
printf '%s' "$first" | sha256sum | cut -d' ' -f1 > "$FAKE_DIR/received-$what"
printf '%s' "${"${CLOUDHSM_PIN:-}"}" | sha256sum | cut -d' ' -f1 > "$FAKE_DIR/pin-$what"
case $what in activate) touch "$FAKE_DIR/activated" ;; create) touch "$FAKE_DIR/kmsuser" ;; esac
echo '{"error_code":0,"data":"done"}'
`;

const FAKE_AWS = String.raw`#!/bin/bash
# Fake AWS CLI: the trust anchor for ssm get-parameter, the stored value for secretsmanager get-secret-value.
set -u
case "$1 $2" in
  "ssm get-parameter") echo "-----BEGIN CERTIFICATE-----"; echo "-----END CERTIFICATE-----" ;;
  "secretsmanager get-secret-value")
    id=""; version=""
    while [ $# -gt 0 ]; do case "$1" in --secret-id) id="$2"; shift ;; --version-id) version="$2"; shift ;; esac; shift; done
    file="$FAKE_DIR/secrets/$(printf '%s' "$id$version" | sha256sum | cut -d' ' -f1)"
    [ -f "$file" ] || { echo "fake aws: no value for $id $version" >&2; exit 254; }
    cat "$file" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 252 ;;
esac
`;

interface Run {
  readonly status: number | null;
  readonly output: string;
  readonly dir: string;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fakeHost(mode: "tty" | "stdin", secrets: Record<string, string>, state: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "cloudhsm-cli-"));
  dirs.push(dir);
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "secrets"));
  const exe = (name: string, text: string) => {
    writeFileSync(join(dir, "bin", name), text);
    chmodSync(join(dir, "bin", name), 0o755);
  };
  exe("cloudhsm-cli", FAKE_CLI);
  exe("aws", FAKE_AWS);
  exe("configure-cli", "#!/bin/bash\nexit 0\n");
  for (const [key, value] of Object.entries(secrets)) writeFileSync(join(dir, "secrets", sha(key)), value);
  for (const s of state) writeFileSync(join(dir, s), "");
  writeFileSync(join(dir, "mode"), mode);
  return dir;
}

function run(script: string, dir: string, mode: "tty" | "stdin"): Run {
  // The only change to the generated script: the trust anchor lands in the scratch folder.
  const text = script.split(TRUST_ANCHOR_PATH).join(join(dir, "customerCA.crt"));
  const r = spawnSync("bash", ["-c", text], {
    encoding: "utf8",
    // No terminal anywhere, like SSM Run Command: stdin is /dev/null, output is piped.
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: hostPath(dir), FAKE_DIR: dir, FAKE_MODE: mode, HOME: dir },
    timeout: 60_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, dir };
}

function argvLog(dir: string): string {
  return existsSync(join(dir, "argv.log")) ? readFileSync(join(dir, "argv.log"), "utf8") : "";
}

const available = ["bash", "python3", "sha256sum", "base64"].every(
  (c) => spawnSync("bash", ["-c", `command -v ${c}`]).status === 0,
);
// The interpreter's own folder first: version-manager shims (pyenv) cost seconds per start.
const pythonDir = available
  ? dirname(execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim())
  : "";
const hostPath = (dir: string) => [join(dir, "bin"), pythonDir, process.env.PATH].filter(Boolean).join(":");
const describeIf = available ? describe : describe.skip;

describeIf.each(["tty", "stdin"] as const)("with a cloudhsm-cli that reads the password from %s", (mode) => {
  test("activate-cluster: the admin password reaches the CLI twice, never in argv or output", () => {
    const dir = fakeHost(mode, { [IDS.adminSecretArn]: ADMIN_PW });
    const r = run(
      activationScript({
        region: IDS.region,
        trustAnchorParameter: IDS.trustAnchorParameter,
        adminSecretArn: IDS.adminSecretArn,
        hsmIp: "10.0.1.10",
      }),
      dir,
      mode,
    );
    expect(r.output).toContain("HOOK_RESULT ACTIVATED");
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "received-activate"), "utf8").trim()).toBe(sha(ADMIN_PW));
    expect(argvLog(dir)).toContain("cluster activate");
    for (const text of [r.output, argvLog(dir)]) expect(text).not.toContain(ADMIN_PW);
  });

  test("create-kmsuser: admin login through CLOUDHSM_PIN, the kmsuser password through the prompt, verified on every HSM", () => {
    const dir = fakeHost(mode, { [IDS.adminSecretArn]: ADMIN_PW, [IDS.kmsuserSecretArn]: KMSUSER_PW }, ["activated"]);
    const r = run(
      kmsuserScript({
        region: IDS.region,
        trustAnchorParameter: IDS.trustAnchorParameter,
        adminSecretArn: IDS.adminSecretArn,
        kmsuserSecretArn: IDS.kmsuserSecretArn,
        hsms,
      }),
      dir,
      mode,
    );
    expect(r.status).toBe(0);
    expect(r.output).toContain("HOOK_RESULT KMSUSER_CREATED");
    expect(verifyKmsuserOutput(r.output, hsms)).toEqual([]);
    expect(readFileSync(join(dir, "received-create"), "utf8").trim()).toBe(sha(KMSUSER_PW));
    expect(readFileSync(join(dir, "pin-create"), "utf8").trim()).toBe(sha(`admin:${ADMIN_PW}`));
    for (const text of [r.output, argvLog(dir)]) {
      expect(text).not.toContain(ADMIN_PW);
      expect(text).not.toContain(KMSUSER_PW);
    }
  });

  test("reset-kmsuser-password: the new password (read by version id) reaches change-password, never in argv or output", () => {
    const version = "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b";
    const dir = fakeHost(mode, { [IDS.adminSecretArn]: ADMIN_PW, [`${IDS.kmsuserSecretArn}${version}`]: NEW_PW }, [
      "activated",
      "kmsuser",
    ]);
    const r = run(
      resetPasswordScript({
        region: IDS.region,
        trustAnchorParameter: IDS.trustAnchorParameter,
        adminSecretArn: IDS.adminSecretArn,
        kmsuserSecretArn: IDS.kmsuserSecretArn,
        versionId: version,
        hsms,
      }),
      dir,
      mode,
    );
    expect(r.status).toBe(0);
    expect(r.output).toContain("HOOK_RESULT PASSWORD_CHANGED");
    expect(verifyKmsuserOutput(r.output, hsms)).toEqual([]);
    expect(readFileSync(join(dir, "received-change"), "utf8").trim()).toBe(sha(NEW_PW));
    expect(readFileSync(join(dir, "pin-change"), "utf8").trim()).toBe(sha(`admin:${ADMIN_PW}`));
    for (const text of [r.output, argvLog(dir)]) {
      expect(text).not.toContain(ADMIN_PW);
      expect(text).not.toContain(NEW_PW);
    }
  });
});

describeIf("the prompt helper", () => {
  test("the tty-only fake fails when the password is piped without a terminal (what the scripts did before)", () => {
    const dir = fakeHost("tty", {});
    const r = spawnSync("bash", ["-c", `printf '%s\\n%s\\n' "$PW" "$PW" | cloudhsm-cli cluster activate`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: `${join(dir, "bin")}:${process.env.PATH}`, FAKE_DIR: dir, FAKE_MODE: "tty", PW: ADMIN_PW },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("standard input is not a terminal");
  });

  test("an unexpected extra prompt stops the command with exit 125 instead of hanging", () => {
    const dir = fakeHost("tty", { [IDS.adminSecretArn]: ADMIN_PW });
    // Only one answer for a command that asks twice.
    const script = activationScript({
      region: IDS.region,
      trustAnchorParameter: IDS.trustAnchorParameter,
      adminSecretArn: IDS.adminSecretArn,
      hsmIp: "10.0.1.10",
    }).replace(`printf '%s\\n%s\\n' "$ADMIN_PW" "$ADMIN_PW"`, `printf '%s\\n' "$ADMIN_PW"`);
    const r = run(script, dir, "tty");
    expect(r.status).toBe(125);
    expect(r.output).toContain("cmk-pty: cloudhsm-cli asked for more passwords than the script provides");
    expect(r.output).not.toContain("HOOK_RESULT");
    expect(r.output).not.toContain(ADMIN_PW);
  });
});

test("python3 on this machine can run the helper (else the tests above are skipped, and say so)", () => {
  if (!available) {
    console.warn("SKIPPED the admin-host script tests: bash, python3, sha256sum or base64 missing");
    return;
  }
  expect(execFileSync("python3", ["-c", "import pty, termios; print('ok')"], { encoding: "utf8" }).trim()).toBe("ok");
});
