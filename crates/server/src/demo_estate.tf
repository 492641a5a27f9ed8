# The demo's cloud estate: the settlement system of the demo customer on Alibaba Cloud,
# as scanned by the server when `cloudward serve --demo` first starts. Written for the
# demo; the first scan also sees `demo_estate_before.tf`, the state a month earlier.

provider "alicloud" {
  region = "cn-shanghai"
}

resource "alicloud_kms_key" "settlement" {
  description            = "settlement data key"
  automatic_rotation     = "Enabled"
  rotation_interval      = "365d"
  pending_window_in_days = 30
}

resource "alicloud_oss_bucket" "claims" {
  bucket = "settlement-claims"
  acl    = "private"

  server_side_encryption_rule {
    sse_algorithm     = "KMS"
    kms_master_key_id = alicloud_kms_key.settlement.id
  }

  versioning {
    status = "Enabled"
  }

  logging {
    target_bucket = "settlement-logs"
    target_prefix = "claims/"
  }
}

resource "alicloud_db_instance" "settlement" {
  engine               = "MySQL"
  engine_version       = "8.0"
  instance_type        = "rds.mysql.s3.large"
  instance_storage     = 200
  security_ips         = ["10.20.0.0/16"]
  ssl_action           = "Open"
  tde_status           = "Enabled"
  encryption_key       = alicloud_kms_key.settlement.id
  db_instance_storage_type = "cloud_essd"
}

resource "alicloud_security_group_rule" "https" {
  type              = "ingress"
  ip_protocol       = "tcp"
  policy            = "accept"
  port_range        = "443/443"
  cidr_ip           = "0.0.0.0/0"
  security_group_id = "sg-settlement"
}

resource "alicloud_instance" "app" {
  instance_type        = "ecs.g7.large"
  image_id             = "aliyun_3_x64_20G_alibase_20240819.vhd"
  security_groups      = ["sg-settlement"]
  system_disk_category = "cloud_essd"
  internet_max_bandwidth_out = 0
}
