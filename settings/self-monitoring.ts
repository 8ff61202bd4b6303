/**
 * Self-monitoring: what Alloy scrapes of the stack itself, answered from the catalog so the rendered
 * config.alloy, the security groups (settings/components.ts CONSUMERS) and the synth-time checks
 * (templates/config-checks.ts) agree on every port and path.
 *
 * Every task of a service registers an A record under its Cloud Map name; Alloy resolves the name
 * (discovery.dns, type A) and scrapes each address at the service's HTTP port and metrics path. A
 * task is labelled with its ENI address (`task`), and with its availability zone (`az`), found by
 * matching that address against the private subnet of each AZ (every task runs in the private
 * subnets, one per AZ of `network.availability_zones`).
 */
import { SCRAPED_SERVICES, servedMetricsPath, type ServiceName } from "./components";
import { serviceHost } from "./catalog";
import type { Settings } from "./schema";

export interface ScrapeTarget {
  readonly service: ServiceName;
  /** The Cloud Map name resolved for A records: one per running task. */
  readonly dnsName: string;
  readonly port: number;
  readonly metricsPath: string;
  /** `az` label rules: an `<ip>:<port>` address matching `regex` is in `az`. */
  readonly azRules: readonly { readonly az: string; readonly regex: string }[];
}

/** The services Alloy scrapes: every one of the catalog that serves Prometheus metrics (not the gateway). */
export function selfScrapeTargets(s: Settings): ScrapeTarget[] {
  const azRules = s.network.availability_zones.map((az, i) => ({ az, regex: `${cidrRegex(s.network.private_subnet_cidrs[i])}:[0-9]+` }));
  // A service switched off (services.<name>.enabled = false) is not scraped.
  return SCRAPED_SERVICES.filter((service) => s.services[service].enabled).map((service) => ({
    service,
    dnsName: serviceHost(s, service),
    port: s.services[service].http_port,
    metricsPath: servedMetricsPath(service, s.services[service].path_prefix),
    azRules,
  }));
}

/**
 * An RE2 regular expression (anchored by Prometheus relabeling) matching exactly the IPv4 addresses
 * of `cidr`: fixed octets literally, the octet the prefix ends in as an alternation of its values,
 * the rest as any octet.
 */
export function cidrRegex(cidr: string): string {
  const [ip, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const octets = ip.split(".").map(Number);
  const anyOctet = "[0-9]{1,3}";
  const parts = octets.map((octet, i) => {
    const lo = i * 8;
    if (bits >= lo + 8) return String(octet);
    if (bits <= lo) return anyOctet;
    const hostBits = lo + 8 - bits;
    const base = octet & ~((1 << hostBits) - 1) & 0xff;
    const values = Array.from({ length: 1 << hostBits }, (_, k) => base + k);
    return `(${values.join("|")})`;
  });
  return parts.join("\\.");
}
