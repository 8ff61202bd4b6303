# Development: same catalog, smaller and cheaper. Overrides environments/common.tfvars.
# One NAT gateway, one task per ring member (an accepted risk), smaller disks, Spot for the stateless
# services.

aws = {
  region              = "ap-northeast-2"
  allowed_account_ids = ["222222222222"]
}

state_backend = {
  bucket = "jsj-lgtm-dev-tfstate"
}

network = {
  vpc_cidr             = "10.41.0.0/16"
  availability_zones   = ["ap-northeast-2a", "ap-northeast-2c"]
  public_subnet_cidrs  = ["10.41.0.0/24", "10.41.1.0/24"]
  private_subnet_cidrs = ["10.41.16.0/20", "10.41.32.0/20"]
  nat_gateways         = "single"
  interface_endpoints  = []
}

load_balancer = {
  ui_allowed_cidrs = {
    anywhere = "0.0.0.0/0"
  }
  deletion_protection = false
}

storage = {
  data_bucket_name = "jsj-lgtm-dev-data-s3"
  force_destroy    = true
}


# One task per ring member: none survives the loss of its task or AZ with writes going on, which dev
# accepts (settings/quorum.ts would refuse it otherwise).
accept_risks = {
  reduced_redundancy = ["mimir", "loki", "tempo", "pyroscope"]
}

services = {
  mimir = {
    cpu                   = 1024
    memory                = 2048
    desired_count         = 1
    retention_days        = 30
    ephemeral_storage_gib = 40
  }
  loki = {
    desired_count         = 1
    retention_days        = 30
    ephemeral_storage_gib = 30
  }
  tempo = {
    ephemeral_storage_gib = 30
  }
  pyroscope = {
    desired_count         = 1
    ephemeral_storage_gib = 30
  }
  grafana = {
    spot_weight = 1
  }
  alloy = {
    spot_weight = 1
  }
  gateway = {
    desired_count = 1
    spot_weight   = 1
  }
}
