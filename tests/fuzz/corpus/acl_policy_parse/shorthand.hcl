path "secret/data/*" {
  policy = "write"
}
path "/sys/*" {
  capabilities = ["deny"]
}
path "secret/data/app" {
  capabilities        = ["create", "update"]
  required_parameters = ["Owner"]
  allowed_parameters  = { "owner" = ["alice", 7, true], "*" = [] }
  denied_parameters   = { "secret" = [] }
  min_wrapping_ttl    = "1s"
  max_wrapping_ttl    = 90
  comment             = "ignored"
}
