# coffer-1 of docker-compose.ha.yml, in Vault's configuration format.
# coffer-1 has no retry_join: it starts a cluster of one, which
# `coffer operator init` initializes; coffer-2 and coffer-3 join it.

storage "raft" {
  path    = "/coffer/data"
  node_id = "1"
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_disable     = true
}

api_addr      = "http://coffer-1:8200"
cluster_addr  = "http://coffer-1:8201"
ui            = true
# The containers get IPC_LOCK (cap_add) and an unlimited memlock ulimit.
disable_mlock = false
