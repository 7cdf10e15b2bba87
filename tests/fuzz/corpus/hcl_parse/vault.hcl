storage "raft" {
  path    = "/opt/vault/data"
  node_id = "node1"
  retry_join {
    leader_api_addr = "https://127.0.0.1:8200"
  }
}
listener "tcp" {
  address         = "127.0.0.1:8200"
  cluster_address = "127.0.0.1:8201"
  tls_disable     = true
}
telemetry {
  prometheus_retention_time = "30s"
  disable_hostname          = true
}
api_addr = "http://127.0.0.1:8200"
ui = true
n = [-1.5e3, 0, 42,]
doc = <<-EOT
    text "quoted" \u00e9
  EOT
