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
  # Grafana's login page is the only thing reachable from anywhere.
  ui_allowed_cidrs = {
    anywhere = "0.0.0.0/0"
  }
  # Ingestion and query paths through the public ALB: nobody until listed here.
  ingest_allowed_cidrs  = {}
  internal_client_cidrs = {}
  deletion_protection   = true
}

storage = {
  data_bucket_name = "jsj-lgtm-data-s3"
}

ecs = {
  container_insights = "enabled"
}

accept_risks = {
  # Tempo 3 monolithic (target all, no Kafka) runs one task with no replication: its backend
  # scheduler is a singleton. When that task stops, trace ingestion pauses until the replacement is
  # up (Alloy retries meanwhile) and spans received in its last ~minute can be lost (README, "When a
  # task dies"). Scaling Tempo past that needs microservices mode with Kafka.
  # Pyroscope is not here: it runs 3 tasks with replication factor 3 (environments/common.tfvars).
  reduced_redundancy = ["tempo"]
}

# The query cache (settings/cache.ts, README "Query cache"): memcached tasks in front of S3 for Mimir's
# and Loki's queries. Prod keeps a year of metrics and logs in S3, and dashboards re-read the same
# recent chunks and index every refresh; without a cache every one of those reads is an S3 GET. Sizes
# are derived (Grafana's recommended figures until a load block is declared): 3 ARM64 tasks of
# 1 vCPU / 6 GiB, about 138 USD/month (npm run cost). Dev leaves it off (cost; one task per ring).
cache = {
  enabled = true
}
