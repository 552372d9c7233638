/**
 * Terraform Cloud (HCP Terraform) runs for workspaces in remote or agent execution mode, where
 * Terraform runs in TFC with the workspace's own (dynamic) AWS credentials and CI only uploads
 * the synthesized configuration, reads the run's JSON plan for the plan guard, and confirms the
 * apply. API: https://developer.hashicorp.com/terraform/cloud-docs/api-docs (workspaces,
 * configuration-versions, runs, plans). The token comes from `TF_TOKEN_<host>` (the variable the
 * Terraform CLI itself reads), is sent only to that host, and is never printed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STATE_BACKEND } from "@cmk-stacks/aws-limits";

/** Where a stack's state lives in TFC, read from its synthesized `terraform.cloud` block. */
export interface CloudWorkspace {
  readonly hostname: string;
  readonly organization: string;
  readonly workspace: string;
}

export type ExecutionMode = "remote" | "local" | "agent";

/** A one-line failure the CLI prints as is (no stack trace, no token, no plan content). */
export class TfcError extends Error {}

/** The `cloud` block of a synthesized stack, or undefined for another backend. */
export function cloudWorkspaceOf(stackDir: string): CloudWorkspace | undefined {
  const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
    terraform?: { cloud?: { hostname?: string; organization?: string; workspaces?: { name?: string } } };
  };
  const c = json.terraform?.cloud;
  if (!c) return undefined;
  if (!c.organization || !c.workspaces?.name)
    throw new TfcError(`${stackDir}: the cloud block names no organization or workspace`);
  return {
    hostname: c.hostname ?? STATE_BACKEND.CLOUD_HOSTNAME.value,
    organization: c.organization,
    workspace: c.workspaces.name,
  };
}

/** `TF_TOKEN_app_terraform_io` for `app.terraform.io` (dots to underscores, as the CLI expects). */
export function tokenVariable(hostname: string): string {
  return `TF_TOKEN_${hostname.replace(/\./g, "_").replace(/-/g, "__")}`;
}

export interface TfcClientOptions {
  /** `https://<hostname>` unless a test points it at a loopback server. */
  readonly baseUrl: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
  /** Milliseconds between polls. @default 5000 */
  readonly pollMs?: number;
  /** Give up after this long. @default 60 minutes */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

type JsonApi = {
  data: { id: string; attributes: Record<string, unknown>; relationships?: Record<string, { data?: { id: string } }> };
};

/** Run states after which the plan is complete and its JSON can be read. */
const PLANNED = new Set([
  "planned",
  "planned_and_finished",
  "planned_and_saved",
  "cost_estimated",
  "policy_checked",
  "post_plan_completed",
]);
/**
 * Run states in which the run waits for its confirmation (`POST /runs/:id/actions/apply`):
 * https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run#run-states
 */
export const CONFIRMABLE = new Set(["planned", "cost_estimated", "policy_checked", "post_plan_completed"]);
/** Run states that end a run without a usable plan or apply. */
const FAILED = new Set([
  "errored",
  "canceled",
  "force_canceled",
  "discarded",
  "policy_soft_failed",
  "post_plan_errored",
]);

export class TfcClient {
  private readonly fetch: typeof fetch;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly o: TfcClientOptions) {
    this.fetch = o.fetch ?? fetch;
    this.pollMs = o.pollMs ?? 5000;
    this.timeoutMs = o.timeoutMs ?? 60 * 60 * 1000;
    this.log = o.log ?? (() => undefined);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.fetch(`${this.o.baseUrl}/api/v2${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.o.token}`, "Content-Type": "application/vnd.api+json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      // The status and the API's own error titles only: never the request (it carries the token).
      let detail = "";
      try {
        const e = (await res.json()) as { errors?: { title?: string; detail?: string }[] };
        detail = (e.errors ?? [])
          .map((x) => x.detail ?? x.title ?? "")
          .filter(Boolean)
          .join("; ");
      } catch {
        /* not JSON */
      }
      const hint =
        res.status === 401 || res.status === 404 ? " (is the token set, and may it read this workspace?)" : "";
      throw new TfcError(`TFC ${method} ${path}: HTTP ${res.status}${detail ? `: ${detail}` : ""}${hint}`);
    }
    return res.status === 204 ? undefined : res.json();
  }

  private async wait<T>(what: string, poll: () => Promise<T | undefined>): Promise<T> {
    const start = Date.now();
    for (;;) {
      const v = await poll();
      if (v !== undefined) return v;
      if (Date.now() - start > this.timeoutMs)
        throw new TfcError(`TFC: gave up waiting for ${what} after ${Math.round(this.timeoutMs / 60000)} min`);
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** The workspace's id and execution mode. */
  async workspace(w: CloudWorkspace): Promise<{ id: string; mode: ExecutionMode }> {
    const r = (await this.call(
      "GET",
      `/organizations/${encodeURIComponent(w.organization)}/workspaces/${encodeURIComponent(w.workspace)}`,
    )) as JsonApi;
    const mode = r.data.attributes["execution-mode"];
    if (mode !== "remote" && mode !== "local" && mode !== "agent")
      throw new TfcError(`TFC workspace ${w.workspace}: unknown execution mode ${JSON.stringify(mode)}`);
    return { id: r.data.id, mode };
  }

  /**
   * Uploads the configuration (a .tar.gz of the stack directory), starts a run and waits for its
   * plan. `speculative` runs (pull requests) can never be applied.
   */
  async plan(
    workspaceId: string,
    tarball: Buffer,
    opts: { speculative: boolean; message: string },
  ): Promise<{ runId: string; planId: string; status: string }> {
    const cv = (await this.call("POST", `/workspaces/${workspaceId}/configuration-versions`, {
      data: { type: "configuration-versions", attributes: { "auto-queue-runs": false, speculative: opts.speculative } },
    })) as JsonApi;
    const uploadUrl = cv.data.attributes["upload-url"];
    if (typeof uploadUrl !== "string") throw new TfcError("TFC: the configuration version has no upload URL");
    // The upload URL is pre-signed: no token goes with it.
    const up = await this.fetch(uploadUrl, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: tarball,
    });
    if (!up.ok) throw new TfcError(`TFC: configuration upload failed: HTTP ${up.status}`);
    await this.wait("the configuration upload", async () => {
      const s = (await this.call("GET", `/configuration-versions/${cv.data.id}`)) as JsonApi;
      const status = s.data.attributes.status;
      if (status === "errored") throw new TfcError("TFC: the uploaded configuration was refused (errored)");
      return status === "uploaded" ? true : undefined;
    });
    const run = (await this.call("POST", "/runs", {
      data: {
        type: "runs",
        attributes: { message: opts.message, "plan-only": opts.speculative, "auto-apply": false },
        relationships: {
          workspace: { data: { type: "workspaces", id: workspaceId } },
          "configuration-version": { data: { type: "configuration-versions", id: cv.data.id } },
        },
      },
    })) as JsonApi;
    const runId = run.data.id;
    this.log(`TFC run ${runId} started`);
    let last = "";
    const done = await this.wait(`run ${runId}'s plan`, async () => {
      const r = (await this.call("GET", `/runs/${runId}`)) as JsonApi;
      const status = String(r.data.attributes.status);
      if (status !== last) this.log(`TFC run ${runId}: ${status}`);
      last = status;
      if (FAILED.has(status)) throw new TfcError(`TFC run ${runId} ended ${status}: see the run in Terraform Cloud`);
      const planId = r.data.relationships?.plan?.data?.id;
      return PLANNED.has(status) && planId ? { planId, status } : undefined;
    });
    return { runId, ...done };
  }

  /** A run's status and the id of its plan. */
  async run(runId: string): Promise<{ status: string; planId?: string }> {
    const r = (await this.call("GET", `/runs/${encodeURIComponent(runId)}`)) as JsonApi;
    return { status: String(r.data.attributes.status), planId: r.data.relationships?.plan?.data?.id };
  }

  /** The run's plan as `terraform show -json` would print it (sensitive values in cleartext: keep it in the job). */
  async planJson(planId: string): Promise<unknown> {
    return this.call("GET", `/plans/${planId}/json-output`);
  }

  /** Discards a planned run the plan guard refused, so it does not hold the workspace's queue. */
  async discard(runId: string, comment: string): Promise<void> {
    await this.call("POST", `/runs/${runId}/actions/discard`, { comment });
  }

  /** Confirms a planned run and waits until it is applied. */
  async apply(runId: string, comment: string): Promise<void> {
    await this.call("POST", `/runs/${runId}/actions/apply`, { comment });
    let last = "";
    await this.wait(`run ${runId}'s apply`, async () => {
      const r = (await this.call("GET", `/runs/${runId}`)) as JsonApi;
      const status = String(r.data.attributes.status);
      if (status !== last) this.log(`TFC run ${runId}: ${status}`);
      last = status;
      if (FAILED.has(status)) throw new TfcError(`TFC run ${runId} ended ${status}: see the run in Terraform Cloud`);
      return status === "applied" ? true : undefined;
    });
  }
}
