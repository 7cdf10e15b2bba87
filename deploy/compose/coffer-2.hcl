# coffer-2 of docker-compose.ha.yml, in Vault's configuration format.
# coffer-2 joins through retry_join: unseal it once coffer-1 is
# initialized (`coffer operator unseal`), which answers the join challenge.

storage "raft" {
  path    = "/coffer/data"
  node_id = "2"
  retry_join {
    leader_api_addr = "http://coffer-1:8200"
  }
  retry_join {
    leader_api_addr = "http://coffer-2:8200"
  }
  retry_join {
    leader_api_addr = "http://coffer-3:8200"
  }
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_disable     = true
}

api_addr      = "http://coffer-2:8200"
cluster_addr  = "http://coffer-2:8201"
ui            = true
# The containers get IPC_LOCK (cap_add) and an unlimited memlock ulimit.
disable_mlock = false
