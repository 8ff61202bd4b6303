import { beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../settings";
import { LAYER_OUTPUTS } from "../stacks/contract";
import { settingsWith, shipped } from "./support/settings";
import { inventoryOf, resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

const ref = (type: string, name: string, attr = "id") => `\${${type}.${name}.${attr}}`;
const values = (stack: StackJson, type: string) => Object.values(resourcesOf(stack, type));

/** The subnet resource of a kind in an AZ. */
function subnet(stack: StackJson, kind: "public" | "private", az: string) {
  return values(stack, "aws_subnet").find((x) => x.availability_zone === az && x.tags.Name.endsWith(`-${kind}-${az}`));
}

/** name → resource of a type, for following references. */
function byRef(stack: StackJson, type: string, attr = "id"): Map<string, Record<string, any>> {
  return new Map(Object.entries(resourcesOf(stack, type)).map(([name, r]) => [ref(type, name, attr), r]));
}

describe("GIVEN prod settings", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "10-network");
  });

  it("WHEN synthesized THEN the VPC has the settings' CIDR with DNS support and hostnames", () => {
    const vpc = resourceOf(stack, "aws_vpc");
    expect(vpc.cidr_block).toBe("10.40.0.0/16");
    expect(vpc.enable_dns_support).toBe(true);
    expect(vpc.enable_dns_hostnames).toBe(true);
    expect(vpc.tags.Name).toBe("lgtm-prod-vpc");
  });

  it("WHEN synthesized THEN there is one public and one private subnet per AZ with the listed CIDRs", () => {
    expect(values(stack, "aws_subnet")).toHaveLength(6);
    expect(subnet(stack, "public", "ap-northeast-2a")?.cidr_block).toBe("10.40.0.0/24");
    expect(subnet(stack, "public", "ap-northeast-2c")?.cidr_block).toBe("10.40.1.0/24");
    expect(subnet(stack, "private", "ap-northeast-2a")?.cidr_block).toBe("10.40.16.0/20");
    expect(subnet(stack, "private", "ap-northeast-2c")?.cidr_block).toBe("10.40.32.0/20");
    // 2b was added after 2a and 2c (three AZs, so a 3-task ring survives an AZ loss): new ranges, so
    // the subnets of 2a and 2c keep theirs.
    expect(subnet(stack, "public", "ap-northeast-2b")?.cidr_block).toBe("10.40.2.0/24");
    expect(subnet(stack, "private", "ap-northeast-2b")?.cidr_block).toBe("10.40.48.0/20");
    expect(subnet(stack, "public", "ap-northeast-2a")?.tags.Name).toBe("lgtm-prod-public-ap-northeast-2a");
  });

  it("WHEN synthesized THEN no subnet gives launched resources a public IP", () => {
    for (const x of values(stack, "aws_subnet")) expect(x.map_public_ip_on_launch).toBe(false);
  });

  it("WHEN synthesized THEN the default security group is managed with no rules", () => {
    const sg = resourceOf(stack, "aws_default_security_group");
    expect(sg.vpc_id).toBe(ref("aws_vpc", "network_vpc"));
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });

  it("WHEN synthesized THEN per_az NAT gives each AZ its own NAT gateway and EIP, in that AZ's public subnet", () => {
    const nats = Object.entries(resourcesOf(stack, "aws_nat_gateway"));
    expect(nats).toHaveLength(3);
    expect(values(stack, "aws_eip")).toHaveLength(3);
    const subnets = byRef(stack, "aws_subnet");
    const natAzs = nats.map(([, n]) => subnets.get(n.subnet_id)?.availability_zone).sort();
    expect(natAzs).toEqual(["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]);
    for (const [, n] of nats) expect(subnets.get(n.subnet_id)?.tags.Name).toMatch(/-public-/);
  });

  it("WHEN synthesized THEN each private subnet routes to the NAT gateway of its own AZ", () => {
    const subnets = byRef(stack, "aws_subnet");
    const nats = byRef(stack, "aws_nat_gateway");
    const routes = values(stack, "aws_route").filter((r) => r.nat_gateway_id);
    expect(routes).toHaveLength(3);
    for (const assoc of values(stack, "aws_route_table_association")) {
      const sub = subnets.get(assoc.subnet_id)!;
      if (!sub.tags.Name.includes("-private-")) continue;
      const route = routes.find((r) => r.route_table_id === assoc.route_table_id)!;
      const natSubnet = subnets.get(nats.get(route.nat_gateway_id)!.subnet_id)!;
      expect(natSubnet.availability_zone).toBe(sub.availability_zone);
    }
  });

  it("WHEN synthesized THEN the public route table sends 0.0.0.0/0 to the internet gateway and serves every public subnet", () => {
    const publicRoutes = ref("aws_route_table", "network_public_routes");
    const route = values(stack, "aws_route").find((r) => r.route_table_id === publicRoutes)!;
    expect(route.gateway_id).toBe(ref("aws_internet_gateway", "network_internet_gateway"));
    const assoc = values(stack, "aws_route_table_association").filter((a) => a.route_table_id === publicRoutes);
    expect(assoc).toHaveLength(3);
    expect(values(stack, "aws_route_table")).toHaveLength(4);
  });

  it("WHEN synthesized THEN the S3 gateway endpoint is on the private route tables only", () => {
    const s3 = values(stack, "aws_vpc_endpoint").find((e) => e.vpc_endpoint_type === "Gateway")!;
    expect(s3.service_name).toBe("com.amazonaws.ap-northeast-2.s3");
    expect(s3.route_table_ids).toEqual([
      ref("aws_route_table", "network_private_routes_ap-northeast-2a"),
      ref("aws_route_table", "network_private_routes_ap-northeast-2b"),
      ref("aws_route_table", "network_private_routes_ap-northeast-2c"),
    ]);
  });

  it("WHEN synthesized THEN the listed interface endpoints sit in the private subnets with private DNS", () => {
    const endpoints = values(stack, "aws_vpc_endpoint").filter((e) => e.vpc_endpoint_type === "Interface");
    expect(endpoints.map((e) => e.service_name).sort()).toEqual(
      ["ecr.api", "ecr.dkr", "logs", "secretsmanager"].map((x) => `com.amazonaws.ap-northeast-2.${x}`),
    );
    const sg = ref("aws_security_group", "network_endpoints_security_group");
    for (const e of endpoints) {
      expect(e.private_dns_enabled).toBe(true);
      expect(e.security_group_ids).toEqual([sg]);
      expect(e.subnet_ids).toEqual([
        ref("aws_subnet", "network_private_subnet_ap-northeast-2a"),
        ref("aws_subnet", "network_private_subnet_ap-northeast-2b"),
        ref("aws_subnet", "network_private_subnet_ap-northeast-2c"),
      ]);
    }
  });

  it("WHEN synthesized THEN the endpoint security group allows only 443 from the VPC CIDR", () => {
    expect(values(stack, "aws_security_group_rule")).toHaveLength(0);
    expect(values(stack, "aws_vpc_security_group_egress_rule")).toHaveLength(0);
    const rules = values(stack, "aws_vpc_security_group_ingress_rule");
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      security_group_id: ref("aws_security_group", "network_endpoints_security_group"),
      ip_protocol: "tcp",
      from_port: 443,
      to_port: 443,
      cidr_ipv4: ref("aws_vpc", "network_vpc", "cidr_block"),
    });
    expect(resourceOf(stack, "aws_security_group").ingress).toBeUndefined();
  });

  it("WHEN synthesized THEN every output of the 10-network contract is published, subnets in AZ order", () => {
    expect(Object.keys(stack.output ?? {}).sort()).toEqual(Object.keys(LAYER_OUTPUTS["10-network"]).sort());
    expect(stack.output?.availability_zones.value).toEqual(["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]);
    expect(stack.output?.private_subnet_ids.value).toEqual([
      ref("aws_subnet", "network_private_subnet_ap-northeast-2a"),
      ref("aws_subnet", "network_private_subnet_ap-northeast-2b"),
      ref("aws_subnet", "network_private_subnet_ap-northeast-2c"),
    ]);
    expect(stack.output?.public_subnet_ids.value).toEqual([
      ref("aws_subnet", "network_public_subnet_ap-northeast-2a"),
      ref("aws_subnet", "network_public_subnet_ap-northeast-2b"),
      ref("aws_subnet", "network_public_subnet_ap-northeast-2c"),
    ]);
    expect(stack.output?.private_route_table_ids.value).toEqual([
      ref("aws_route_table", "network_private_routes_ap-northeast-2a"),
      ref("aws_route_table", "network_private_routes_ap-northeast-2b"),
      ref("aws_route_table", "network_private_routes_ap-northeast-2c"),
    ]);
    expect(stack.output?.vpc_cidr.value).toBe(ref("aws_vpc", "network_vpc", "cidr_block"));
  });

  it("WHEN synthesized THEN no data source looks anything up in AWS (the partition, for the flow log's bucket ARN, is answered by the provider itself)", () => {
    expect(Object.keys(stack.data ?? {})).toEqual(["aws_partition"]);
  });

  it("WHEN synthesized THEN it holds the VPC, three AZs of subnets with a NAT gateway each, the five endpoints and the flow log, and nothing else", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_default_security_group": 1,
      "aws_eip": 3,
      "aws_flow_log": 1,
      "aws_internet_gateway": 1,
      "aws_nat_gateway": 3,
      "aws_route": 4,
      "aws_route_table": 4,
      "aws_route_table_association": 6,
      "aws_security_group": 1,
      "aws_subnet": 6,
      "aws_vpc": 1,
      "aws_vpc_endpoint": 5,
      "aws_vpc_security_group_ingress_rule": 1,
      "data.aws_partition": 1,
    });
  });
});

describe("GIVEN dev settings", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await shipped("dev"), "10-network");
  });

  it("WHEN synthesized THEN a single NAT gateway in the first public subnet serves every private route table", () => {
    const nats = Object.entries(resourcesOf(stack, "aws_nat_gateway"));
    expect(nats).toHaveLength(1);
    expect(values(stack, "aws_eip")).toHaveLength(1);
    const [name, nat] = nats[0];
    expect(nat.subnet_id).toBe(ref("aws_subnet", "network_public_subnet_ap-northeast-2a"));
    const routes = values(stack, "aws_route").filter((r) => r.nat_gateway_id);
    expect(routes).toHaveLength(2);
    for (const r of routes) expect(r.nat_gateway_id).toBe(ref("aws_nat_gateway", name));
    // Still one private route table per AZ, so switching to per_az changes routes, not tables.
    expect(values(stack, "aws_route_table")).toHaveLength(3);
  });

  it("WHEN synthesized THEN no interface endpoint and no endpoint security group exist, only the S3 gateway", () => {
    const endpoints = values(stack, "aws_vpc_endpoint");
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0].vpc_endpoint_type).toBe("Gateway");
    expect(values(stack, "aws_security_group")).toHaveLength(0);
    expect(values(stack, "aws_vpc_security_group_ingress_rule")).toHaveLength(0);
  });

  it("WHEN synthesized THEN the subnets use dev's CIDRs", () => {
    expect(subnet(stack, "private", "ap-northeast-2c")?.cidr_block).toBe("10.41.32.0/20");
    expect(resourceOf(stack, "aws_vpc").cidr_block).toBe("10.41.0.0/16");
  });

  it("WHEN synthesized THEN it holds the VPC, two AZs of subnets sharing one NAT gateway and the S3 gateway endpoint, no flow log, and nothing else", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_default_security_group": 1,
      "aws_eip": 1,
      "aws_internet_gateway": 1,
      "aws_nat_gateway": 1,
      "aws_route": 3,
      "aws_route_table": 3,
      "aws_route_table_association": 4,
      "aws_subnet": 4,
      "aws_vpc": 1,
      "aws_vpc_endpoint": 1,
    });
  });
});

describe("GIVEN prod settings with the CIDRs listed in AZ order and one interface endpoint", () => {
  let stack: StackJson;
  beforeAll(async () => {
    const s = await settingsWith({
      network: {
        availability_zones: ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"],
        public_subnet_cidrs: ["10.40.0.0/24", "10.40.1.0/24", "10.40.2.0/24"],
        private_subnet_cidrs: ["10.40.16.0/20", "10.40.32.0/20", "10.40.48.0/20"],
        interface_endpoints: ["sts"],
      },
    });
    stack = synthLayer(s, "10-network");
  });

  it("WHEN synthesized THEN every AZ gets its subnets, NAT gateway and private route table", () => {
    expect(values(stack, "aws_subnet")).toHaveLength(6);
    // The CIDR lists follow the AZ list: the second AZ gets the second CIDR.
    expect(subnet(stack, "private", "ap-northeast-2b")?.cidr_block).toBe("10.40.32.0/20");
    expect(values(stack, "aws_nat_gateway")).toHaveLength(3);
    expect(values(stack, "aws_route_table")).toHaveLength(4);
    const s3 = values(stack, "aws_vpc_endpoint").find((e) => e.vpc_endpoint_type === "Gateway")!;
    expect(s3.route_table_ids).toHaveLength(3);
  });

  it("WHEN synthesized THEN only the listed interface endpoint exists", () => {
    const endpoints = values(stack, "aws_vpc_endpoint").filter((e) => e.vpc_endpoint_type === "Interface");
    expect(endpoints.map((e) => e.service_name)).toEqual(["com.amazonaws.ap-northeast-2.sts"]);
    expect(endpoints[0].subnet_ids).toHaveLength(3);
  });

  it("WHEN synthesized THEN the existing AZs keep their Terraform addresses", () => {
    expect(Object.keys(resourcesOf(stack, "aws_nat_gateway")).sort()).toEqual([
      "network_nat_ap-northeast-2a",
      "network_nat_ap-northeast-2b",
      "network_nat_ap-northeast-2c",
    ]);
  });
});
