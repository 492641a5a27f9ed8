# A month earlier: a bucket for exports left public and SSH open to the world.

resource "alicloud_oss_bucket" "exports" {
  bucket = "settlement-exports"
  acl    = "public-read"
}

resource "alicloud_security_group_rule" "ssh" {
  type              = "ingress"
  ip_protocol       = "tcp"
  policy            = "accept"
  port_range        = "22/22"
  cidr_ip           = "0.0.0.0/0"
  security_group_id = "sg-settlement"
}
