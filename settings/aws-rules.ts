/**
 * What AWS and the Grafana backends accept, for the single-field rules in ./schema.ts: the regions
 * the pinned provider knows, ELB's TLS policy names, tag-key rules, tenant-id rules and the longest
 * retention a component can represent. Each list says where it comes from so it can be refreshed
 * when a pin moves.
 */

/**
 * Regions hashicorp/aws 5.100.0 (the version @cdktf/provider-aws 20.1.0 pins) knows: the region ids
 * in the provider binary's partition data (aws, aws-cn, aws-us-gov, aws-iso*). test/settings.test.ts
 * compares this list with the binary in the offline provider mirror when it is present.
 */
export const AWS_REGIONS = [
  "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
  "ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-isoe-west-1",
  "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
  "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1",
  "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isof-east-1", "us-isof-south-1", "us-west-1", "us-west-2",
] as const;

/**
 * AZ names a region offers, for the replication checks' "what would work in this region" hint
 * (settings/quorum.ts). Only regions whose set is well known; AZ names are mapped per account, and
 * an older account may see fewer (`aws ec2 describe-availability-zones` is the authority). A region
 * not listed here gets the hint without a count. As of 2026-12.
 */
export const REGION_AVAILABILITY_ZONES: Readonly<Record<string, readonly string[]>> = {
  "ap-northeast-1": ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"],
  "ap-northeast-2": ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"],
  "ap-southeast-1": ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"],
  "ap-southeast-2": ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"],
  "eu-central-1": ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
  "eu-west-1": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  "us-east-1": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
  "us-east-2": ["us-east-2a", "us-east-2b", "us-east-2c"],
  "us-west-2": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
};

/**
 * ELB's predefined TLS security policies for HTTPS listeners of Application Load Balancers
 * (Elastic Load Balancing user guide, "Security policies for your Application Load Balancer").
 */
export const ELB_SSL_POLICIES = [
  "ELBSecurityPolicy-TLS13-1-2-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
  "ELBSecurityPolicy-TLS13-1-1-2021-06",
  "ELBSecurityPolicy-TLS13-1-0-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
  "ELBSecurityPolicy-FS-1-2-Res-2020-10",
  "ELBSecurityPolicy-FS-1-2-Res-2019-08",
  "ELBSecurityPolicy-FS-1-2-2019-08",
  "ELBSecurityPolicy-FS-1-1-2019-08",
  "ELBSecurityPolicy-FS-2018-06",
  "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
  "ELBSecurityPolicy-TLS-1-2-2017-01",
  "ELBSecurityPolicy-TLS-1-1-2017-01",
  "ELBSecurityPolicy-2016-08",
  "ELBSecurityPolicy-2015-05",
] as const;

/**
 * AWS tag rules (Tagging AWS resources, "Tag naming limits and requirements"): keys are 1-128
 * characters, values at most 256, both of letters, digits, spaces and `_ . : / = + - @`; keys that
 * start with `aws:` (any case) are reserved for AWS.
 */
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
export const TAG_CHARS_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/**
 * Tenant ids every backend accepts (dskit's tenant.ValidTenantID, used by Mimir, Loki, Tempo and
 * Pyroscope): 1-150 characters of letters, digits and `!-_.*'()`, and not `.` or `..` (they would
 * be path segments in the object store).
 */
export const TENANT_ID_RE = /^[A-Za-z0-9!_.*'()-]{1,150}$/;
export const UNSAFE_TENANT_IDS = [".", ".."] as const;

/**
 * The longest retention the components represent: they hold it as a Go time.Duration (int64
 * nanoseconds), which ends at 2562047h47m16s, just under 106,752 days (about 292 years).
 */
export const MAX_RETENTION_DAYS = 106_751;
