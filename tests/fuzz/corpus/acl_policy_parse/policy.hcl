path "secret/data/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
  allowed_parameters = {
    "bar" = ["zip", "zap"]
    "*"   = []
  }
  min_wrapping_ttl = "1s"
}
/* sudo */ path "sys/health" { capabilities = ["read", "sudo"] } // end
