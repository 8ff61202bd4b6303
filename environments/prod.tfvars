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
  vpc_cidr             = "10.40.0.0/16"
  availability_zones   = ["ap-northeast-2a", "ap-northeast-2c"]
  public_subnet_cidrs  = ["10.40.0.0/24", "10.40.1.0/24"]
  private_subnet_cidrs = ["10.40.16.0/20", "10.40.32.0/20"]
  # One NAT gateway per AZ: losing an AZ does not cut the other AZ's tasks off S3/ECR.
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
