# /etc/coffer/coffer.hcl: one node of a three-node coffer cluster, in
# Vault's own configuration format (cofferd reads vault.hcl files).
#
# Hosts coffer-1, coffer-2 and coffer-3 (10.0.0.11 to .13 here), each with
# this file; change node_id, the addresses and the certificate names on
# each. Paths are the systemd unit's (deploy/cofferd.service).
#
# The first node: no retry_join. It starts a cluster of one, which
# `coffer operator init` initializes. The others carry the retry_join
# blocks: they ask for admission until a node of the cluster admits them,
# and are unsealed with the cluster's keys (`coffer operator unseal`),
# which also answers Vault's join challenge.

storage "raft" {
  path    = "/var/lib/coffer"
  node_id = "1"

  # On coffer-2 and coffer-3 only:
  # retry_join {
  #   leader_api_addr = "https://10.0.0.11:8200"
  # }
  # retry_join {
  #   leader_api_addr = "https://10.0.0.12:8200"
  # }
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  cluster_address = "10.0.0.11:8201"
  # One certificate for the API and for peer traffic. With a client CA,
  # every peer and every API client must present a certificate that it
  # signed (mutual TLS): the coffer CLI then takes VAULT_CACERT,
  # VAULT_CLIENT_CERT and VAULT_CLIENT_KEY.
  tls_cert_file      = "/etc/coffer/tls/coffer-1.pem"
  tls_key_file       = "/etc/coffer/tls/coffer-1-key.pem"
  tls_client_ca_file = "/etc/coffer/tls/ca.pem"
}

api_addr     = "https://10.0.0.11:8200"
cluster_addr = "https://10.0.0.11:8201"

# The unit grants CAP_IPC_LOCK and lifts the memlock limit: keep key
# material out of swap.
disable_mlock = false
