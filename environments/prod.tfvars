# Production, ap-northeast-2 (the seeds' live stack). Overrides environments/common.tfvars.

aws = {
  region = "ap-northeast-2"
  # Replace with the production account: the provider refuses to run against any other.
  allowed_account_ids = ["111111111111"]
}

state_backend = {
  bucket = "jsj-lgtm-prod-tfstate"
}

network = {
  vpc_cidr = "10.40.0.0/16"
  # Three AZs: a ring of 3 tasks with replication factor 3 (Mimir, Loki, Pyroscope) then has at most
  # one task per AZ, so losing an AZ leaves 2 of 3 copies, still a write quorum (settings/quorum.ts).
  # 2b came after 2a and 2c: it takes new ranges, and the existing subnets keep theirs.
  availability_zones   = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
  public_subnet_cidrs  = ["10.40.0.0/24", "10.40.2.0/24", "10.40.1.0/24"]
  private_subnet_cidrs = ["10.40.16.0/20", "10.40.48.0/20", "10.40.32.0/20"]
  # One NAT gateway per AZ: losing an AZ does not cut the other AZs' tasks off S3/ECR.
  nat_gateways        = "per_az"
  interface_endpoints = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]
}

load_balancer = {
  # TLS (Security Hub ELB.1): an ACM certificate for this name, validated in this Route 53 zone, the
  # alias record to the ALB and Grafana's root_url. PLACEHOLDERS: replace both with the production
  # name and the id of the public hosted zone that holds it before the first apply of 50-loadbalancer.
  domain = {
    name    = "grafana.example.com"
    zone_id = "Z0REPLACEWITHZONEID"
  }
  # Grafana's login page is the only thing reachable from anywhere.
  ui_allowed_cidrs = {
    anywhere = "0.0.0.0/0"
  }
  # Ingestion and query paths through the public ALB: nobody until listed here.
  ingest_allowed_cidrs  = {}
  internal_client_cidrs = {}
  deletion_protection   = true
  # An AWS WAF web ACL (Security Hub ELB.16): Grafana's login is open to 0.0.0.0/0 above, so a
  # password-guessing limit per address, AWS's IP reputation list and its managed rules in front of
  # it are worth about 11 USD a month plus 0.60 per million requests (npm run cost). Shipped limits:
  # 6000 requests and 100 login requests per address per 5 minutes (docs/security.md).
  waf = {
    enabled = true
  }
}

storage = {
  data_bucket_name = "jsj-lgtm-data-s3"
}

# Images through the account's ECR pull-through cache (Docker Hub and ECR Public), scanned on push and
# pulled through the ecr.api/ecr.dkr interface endpoints instead of anonymously through NAT.
image_source = "pull_through"
ecr = {
  # PLACEHOLDER: replace with the ARN of the Secrets Manager secret holding a Docker Hub username and
  # access token ({"username": "...", "accessToken": "..."}); AWS requires the name prefix
  # "ecr-pullthroughcache/". Create it before the first apply of 30-storage.
  docker_hub_credential_arn = "arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
}

# The audit trail (Security Hub ELB.5, EC2.6, S3.9): ALB access logs, VPC flow logs and the S3 server
# access logs of the data and state buckets, into this bucket (created by 00-bootstrap), kept a year.
audit_logs = {
  enabled        = true
  bucket_name    = "jsj-lgtm-prod-logs"
  retention_days = 365
}

ecs = {
  container_insights = "enabled"
}

accept_risks = {
  # Tempo 3 monolithic (target all, no Kafka) runs one task with no replication: its backend
  # scheduler is a singleton. When that task stops, trace ingestion pauses until the replacement is
  # up (Alloy retries meanwhile) and spans received in its last ~minute can be lost (docs/operating.md, "When a
  # task dies"). Scaling Tempo past that needs microservices mode with Kafka.
  # Pyroscope is not here: it runs 3 tasks with replication factor 3 (environments/common.tfvars).
  reduced_redundancy = ["tempo"]
  # Findings of the synth-time policy pack (policy/, docs/security.md "Policy pack") accepted here, each with
  # its reason (printed by synth). Remove a waiver as soon as its finding is fixed. No ECS.20:
  # the gateway runs as the nginx image's unprivileged user.
  waivers = {
    "Image.1" = { reason = "the shipped images are pinned by tag only: these settings were written where no registry is reachable. Run npm run pin-images -- --env prod where Docker Hub and public.ecr.aws answer, commit the digests it writes, then remove this waiver" }
  }
}

# The team's hand-built stack (seeds 000-004) already holds the data bucket under the name this
# project uses: import it instead of creating it (nothing is recreated; the data, prefixes and tenant
# stay). docs/migration.md has the order of operations. Its six lgtm-<service> ECR repositories are
# not adopted: with image_source = "pull_through" the tasks pull from the cache's repositories and
# this project creates no lgtm-<service> repository; the old ones stay in the account untouched.
adopt = {
  data_bucket = true
  # Names the previous stack used (seed logs): synth warns when this project would create one of them.
  previous_names = [
    "sys-lgtm-s3", "jsj-lgtm-data-s3", "lgtm-cluster", "lgtm-prod-cluster", "lgtm-prod-alb",
    "lgtm-mimir", "lgtm-loki", "lgtm-tempo", "lgtm-pyroscope", "lgtm-grafana", "lgtm-alloy",
    "/ecs/lgtm-mimir", "/ecs/lgtm-loki", "/ecs/lgtm-tempo", "/ecs/lgtm-pyroscope", "/ecs/lgtm-grafana", "/ecs/lgtm-alloy",
  ]
}

# The query cache (settings/cache.ts, docs/cost.md "Query cache"): memcached tasks in front of S3 for Mimir's
# and Loki's queries. Prod keeps a year of metrics and logs in S3, and dashboards re-read the same
# recent chunks and index every refresh; without a cache every one of those reads is an S3 GET. Sizes
# are derived (Grafana's recommended figures until a load block is declared): 3 ARM64 tasks of
# 1 vCPU / 6 GiB, about 138 USD/month (npm run cost). Dev leaves it off (cost; one task per ring).
cache = {
  enabled = true
}
