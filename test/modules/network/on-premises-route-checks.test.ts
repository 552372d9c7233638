/**
 * The plan-time route checks' HCL (modules/network/on-premises-connection.ts), evaluated by the real
 * Terraform CLI (`terraform console`, no provider needed): an integration suite
 * (test/helpers/projects.js). What the connection synthesizes is tested in-process:
 * test/modules/network/on-premises-connection.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findTerraform } from "../../../tools/terraform/offline";
import { natDefaultRoute, routeCovers, routeTableUsedBy } from "../../../modules/network/on-premises-connection";

// The plan-time checks' HCL, evaluated by Terraform itself (`terraform console`, no provider needed).
const tf = findTerraform();
const skip = process.env.CMK_SKIP_TERRAFORM ? "CMK_SKIP_TERRAFORM is set" : tf.ok ? undefined : tf.reason;
(skip ? describe.skip : describe)(
  `the plan-time route checks, evaluated by Terraform${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    /** A route as `data.aws_route_table` lists it: every attribute present, "" when unset. */
    const route = (r: Record<string, string>) => ({
      cidr_block: "",
      ipv6_cidr_block: "",
      destination_prefix_list_id: "",
      gateway_id: "",
      nat_gateway_id: "",
      transit_gateway_id: "",
      vpc_peering_connection_id: "",
      network_interface_id: "",
      ...r,
    });
    const cases: [string, string, unknown, boolean][] = [
      [
        "the same range",
        routeCovers("local.v", "192.168.0.0/16"),
        [route({ cidr_block: "192.168.0.0/16", transit_gateway_id: "tgw-1" })],
        true,
      ],
      [
        "a wider range",
        routeCovers("local.v", "192.168.10.0/24"),
        [route({ cidr_block: "192.168.0.0/16", gateway_id: "vgw-1" })],
        true,
      ],
      [
        "a default route to the transit gateway",
        routeCovers("local.v", "192.168.0.0/16"),
        [route({ cidr_block: "0.0.0.0/0", transit_gateway_id: "tgw-1" })],
        true,
      ],
      [
        "a narrower route only",
        routeCovers("local.v", "192.168.0.0/16"),
        [route({ cidr_block: "192.168.0.0/17", transit_gateway_id: "tgw-1" })],
        false,
      ],
      [
        "another range only",
        routeCovers("local.v", "192.168.0.0/16"),
        [route({ cidr_block: "10.0.0.0/8", transit_gateway_id: "tgw-1" })],
        false,
      ],
      [
        "a default route to a NAT gateway",
        routeCovers("local.v", "192.168.0.0/16"),
        [route({ cidr_block: "0.0.0.0/0", nat_gateway_id: "nat-1" })],
        false,
      ],
      [
        "a default route to an internet gateway",
        routeCovers("local.v", "192.168.0.0/16"),
        [route({ cidr_block: "0.0.0.0/0", gateway_id: "igw-1" })],
        false,
      ],
      [
        "IPv6 and prefix-list routes beside the one that covers",
        routeCovers("local.v", "192.168.0.0/16"),
        [
          route({ ipv6_cidr_block: "::/0", gateway_id: "igw-1" }),
          route({ destination_prefix_list_id: "pl-1", transit_gateway_id: "tgw-1" }),
          route({ cidr_block: "192.168.0.0/16", transit_gateway_id: "tgw-1" }),
        ],
        true,
      ],
      ["no routes", routeCovers("local.v", "192.168.0.0/16"), [], false],
      [
        "NAT: default route to a NAT gateway",
        natDefaultRoute("local.v"),
        [route({ cidr_block: "0.0.0.0/0", nat_gateway_id: "nat-1" })],
        true,
      ],
      [
        "NAT: default route to a transit gateway",
        natDefaultRoute("local.v"),
        [route({ cidr_block: "0.0.0.0/0", transit_gateway_id: "tgw-1" })],
        true,
      ],
      [
        "NAT: only an on-premises route",
        natDefaultRoute("local.v"),
        [route({ cidr_block: "192.168.0.0/16", nat_gateway_id: "nat-1" })],
        false,
      ],
      [
        "NAT: default route to an internet gateway",
        natDefaultRoute("local.v"),
        [route({ cidr_block: "0.0.0.0/0", gateway_id: "igw-1" })],
        false,
      ],
      [
        "used by: explicit associations",
        routeTableUsedBy("local.v", ["subnet-a", "subnet-b"]),
        [
          { subnet_id: "subnet-a", main: false },
          { subnet_id: "subnet-b", main: false },
        ],
        true,
      ],
      [
        "used by: the main route table",
        routeTableUsedBy("local.v", ["subnet-a"]),
        [{ subnet_id: "", main: true }],
        true,
      ],
      [
        "used by: another subnet's table",
        routeTableUsedBy("local.v", ["subnet-a"]),
        [{ subnet_id: "subnet-b", main: false }],
        false,
      ],
    ];
    let results: boolean[] = [];
    beforeAll(() => {
      const dir = mkdtempSync(join(tmpdir(), "cmk-route-checks-"));
      try {
        // One local per case (its own input) and one expression per case, printed as a JSON list.
        const locals = Object.fromEntries(cases.map(([, , input], i) => [`v${i}`, input]));
        writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ locals }));
        const expr = `jsonencode([${cases.map(([, e], i) => e.replace(/local\.v\b/g, `local.v${i}`)).join(", ")}])`;
        const run = spawnSync((tf as { bin: string }).bin, ["console"], {
          cwd: dir,
          input: `${expr}\n`,
          encoding: "utf8",
          env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
        });
        if (run.status !== 0) throw new Error(`terraform console failed: ${run.stderr}`);
        results = JSON.parse(JSON.parse(run.stdout.trim()) as string) as boolean[];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    test.each(cases.map((c, i) => [c[0], i, c[3]] as const))("%s", (_title, i, expected) => {
      expect(results[i]).toBe(expected);
    });
  },
);
