import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findTerraform } from "../../../tools/terraform/find";
import { terraform } from "../../../tools/terraform/run";

/** Alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const realMirror = findTerraform();
const linux = process.platform === "linux";

(realMirror.ok && linux ? test : test.skip)(
  "a Terraform run that times out leaves none of its children behind (a provider plugin would outlive it)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmk-tf-timeout-"));
    const prior = process.env.TERRAFORM_BIN;
    try {
      // A stand-in CLI: answers `version -json`, otherwise starts a long-lived child (as Terraform starts
      // its provider) and waits for it.
      const bin = join(dir, "terraform");
      writeFileSync(
        bin,
        `#!/bin/sh\nif [ "$1" = version ]; then echo '{"terraform_version":"1.11.0"}'; exit 0; fi\nsleep 300 &\necho $! > child.pid\nwait\n`,
      );
      chmodSync(bin, 0o755);
      process.env.TERRAFORM_BIN = bin;
      const work = join(dir, "stack");
      mkdirSync(work);
      await expect(terraform(work, ["plan"], { timeoutMs: 1500 })).rejects.toThrow(
        /^terraform plan timed out after 1500 ms in /,
      );
      expect(existsSync(join(work, "child.pid"))).toBe(true);
      const child = Number(readFileSync(join(work, "child.pid"), "utf8"));
      await new Promise((r) => setTimeout(r, 200));
      expect(running(child)).toBe(false);
    } finally {
      if (prior === undefined) delete process.env.TERRAFORM_BIN;
      else process.env.TERRAFORM_BIN = prior;
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
