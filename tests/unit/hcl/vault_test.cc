// The policy and configuration examples of Vault's documentation, in HCL and
// in JSON, give the trees their callers expect, and the same tree.
#include "test_util.h"

namespace coffer::hcl {
namespace {

using testing::MustParse;
using testing::MustParseJson;

std::vector<std::string> Strings(const Value& v) {
  std::vector<std::string> out;
  for (const Value& e : v.list) out.push_back(e.string);
  return out;
}

constexpr char kPolicy[] =
    R"(# This section grants all access on "secret/*". Further restrictions can be
# applied to this broad policy, as shown below.
path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}

# Even though we allowed secret/*, this line explicitly denies
# secret/super-secret. This takes precedence.
path "secret/super-secret" {
  capabilities = ["deny"]
}

# Policies can also specify allowed, disallowed, and required parameters. Here
# the key "secret/restricted" can only contain "foo" (any value) and "bar" (one
# of "zip" or "zap").
path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
}
)";

constexpr char kPolicyJson[] = R"({
  "path": {
    "secret/*": {
      "capabilities": ["create", "read", "update", "patch", "delete", "list"]
    },
    "secret/super-secret": {
      "capabilities": ["deny"]
    },
    "secret/restricted": {
      "capabilities": ["create"],
      "allowed_parameters": {
        "foo": [],
        "bar": ["zip", "zap"]
      }
    }
  }
})";

TEST_CASE("the policy syntax example of Vault's docs, in HCL and JSON",
          "[hcl][vault][policy]") {
  const Body b = MustParse(kPolicy);
  REQUIRE(b.attributes.empty());
  const auto paths = b.BlocksOf("path");
  REQUIRE(paths.size() == 3);
  CHECK(paths[0]->labels == std::vector<std::string>{"secret/*"});
  CHECK(paths[0]->pos.line == 3);
  CHECK(Strings(paths[0]->body.Find("capabilities")->value) ==
        std::vector<std::string>{"create", "read", "update", "patch", "delete",
                                 "list"});
  CHECK(Strings(paths[1]->body.Find("capabilities")->value) ==
        std::vector<std::string>{"deny"});
  const auto allowed = paths[2]->body.BlocksOf("allowed_parameters");
  REQUIRE(allowed.size() == 1);
  CHECK(allowed[0]->body.Find("foo")->value.list.empty());
  CHECK(Strings(allowed[0]->body.Find("bar")->value) ==
        std::vector<std::string>{"zip", "zap"});
  CHECK(Format(MustParseJson(kPolicyJson)) == Format(b));
}

TEST_CASE("policy globs, templates and parameter constraints",
          "[hcl][vault][policy]") {
  const char* hcl = R"(
# Permit reading only "secret/foo".
path "secret/foo" {
  capabilities = ["read"]
}
# Permit reading everything under "secret/bar".
path "secret/bar/*" {
  capabilities = ["read"]
}
# Permit reading everything prefixed with "zip-".
path "secret/zip-*" {
  capabilities = ["read"]
}
# Permit reading everything under "secret/*/teamb".
path "secret/+/teamb" {
  capabilities = ["read"]
}
path "secret/+/+/teamb/*" {
  capabilities = ["read"]
}
path "secret/data/{{identity.entity.id}}/*" {
  capabilities = ["create", "update", "patch", "read", "delete"]
}
path "secret/profile" {
  capabilities = ["create"]
  required_parameters = ["name", "id"]
}
path "secret/foo2" {
  capabilities = ["create"]
  allowed_parameters = {
    "bar" = ["foo-*"]
    "*"   = []
  }
  denied_parameters = {
    "baz" = ["zip", "zap"]
  }
}
path "auth/approle/role/my-role/secret-id" {
  capabilities = ["create", "update"]
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = "90s"
}
)";
  const char* json = R"({"path": {
  "secret/foo": {"capabilities": ["read"]},
  "secret/bar/*": {"capabilities": ["read"]},
  "secret/zip-*": {"capabilities": ["read"]},
  "secret/+/teamb": {"capabilities": ["read"]},
  "secret/+/+/teamb/*": {"capabilities": ["read"]},
  "secret/data/{{identity.entity.id}}/*": {
    "capabilities": ["create", "update", "patch", "read", "delete"]},
  "secret/profile": {"capabilities": ["create"],
                     "required_parameters": ["name", "id"]},
  "secret/foo2": {"capabilities": ["create"],
                  "allowed_parameters": {"bar": ["foo-*"], "*": []},
                  "denied_parameters": {"baz": ["zip", "zap"]}},
  "auth/approle/role/my-role/secret-id": {
    "capabilities": ["create", "update"],
    "min_wrapping_ttl": "1s", "max_wrapping_ttl": "90s"}
}})";
  Options o;
  o.block_labels = {{"path", 1}};
  const Body b = MustParse(hcl, o);
  const auto paths = b.BlocksOf("path");
  REQUIRE(paths.size() == 9);
  CHECK(paths[3]->labels[0] == "secret/+/teamb");
  CHECK(paths[5]->labels[0] == "secret/data/{{identity.entity.id}}/*");
  CHECK(Strings(paths[6]->body.Find("required_parameters")->value) ==
        std::vector<std::string>{"name", "id"});
  const Body& foo2 = paths[7]->body;
  CHECK(foo2.BlocksOf("allowed_parameters")[0]->body.Find("*") != nullptr);
  CHECK(
      Strings(foo2.BlocksOf("denied_parameters")[0]->body.Find("baz")->value) ==
      std::vector<std::string>{"zip", "zap"});
  CHECK(paths[8]->body.Find("max_wrapping_ttl")->value.string == "90s");
  CHECK(Format(MustParseJson(json, o)) == Format(b));
  CHECK(Format(MustParseJson(json)) == Format(b));
}

TEST_CASE("the sys/ policy examples with sudo", "[hcl][vault][policy]") {
  const char* hcl = R"(
# Manage auth methods broadly across Vault
path "auth/*"
{
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
# Create, update, and delete auth methods
path "sys/auth/*"
{
  capabilities = ["create", "update", "delete", "sudo"]
}
# List auth methods
path "sys/auth"
{
  capabilities = ["read"]
}
# Create and manage ACL policies
path "sys/policies/acl/*"
{
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
# Manage secrets engines
path "sys/mounts/*"
{
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
# Read health checks
path "sys/health"
{
  capabilities = ["read", "sudo"]
}
)";
  const Body b = MustParse(hcl);
  const auto paths = b.BlocksOf("path");
  REQUIRE(paths.size() == 6);
  CHECK(paths[5]->labels[0] == "sys/health");
  CHECK(Strings(paths[5]->body.Find("capabilities")->value) ==
        std::vector<std::string>{"read", "sudo"});
  const Body j = MustParseJson(
      R"({"path": {
      "auth/*": {"capabilities": ["create", "read", "update", "delete", "list", "sudo"]},
      "sys/auth/*": {"capabilities": ["create", "update", "delete", "sudo"]},
      "sys/auth": {"capabilities": ["read"]},
      "sys/policies/acl/*": {"capabilities": ["create", "read", "update", "delete", "list", "sudo"]},
      "sys/mounts/*": {"capabilities": ["create", "read", "update", "delete", "list", "sudo"]},
      "sys/health": {"capabilities": ["read", "sudo"]}}})");
  CHECK(Format(j) == Format(b));
}

constexpr char kConfig[] = R"(storage "raft" {
  path    = "/opt/vault/data"
  node_id = "raft_node_1"

  retry_join {
    leader_api_addr = "https://node2.vault.local:8200"
    leader_ca_cert_file = "/opt/vault/tls/ca.pem"
  }
  retry_join {
    leader_api_addr = "https://node3.vault.local:8200"
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

seal "awskms" {
  region     = "us-east-1"
  kms_key_id = "19ec80b0-dfdd-4d97-8164-c6examplekey"
}

api_addr      = "http://127.0.0.1:8200"
cluster_addr  = "https://127.0.0.1:8201"
ui            = true
disable_mlock = true
max_lease_ttl = "768h"
default_lease_ttl = 3600
)";

constexpr char kConfigJson[] = R"({
  "storage": {
    "raft": {
      "path": "/opt/vault/data",
      "node_id": "raft_node_1",
      "retry_join": [
        {"leader_api_addr": "https://node2.vault.local:8200",
         "leader_ca_cert_file": "/opt/vault/tls/ca.pem"},
        {"leader_api_addr": "https://node3.vault.local:8200"}
      ]
    }
  },
  "listener": [{
    "tcp": {
      "address": "127.0.0.1:8200",
      "cluster_address": "127.0.0.1:8201",
      "tls_disable": true
    }
  }],
  "telemetry": {
    "prometheus_retention_time": "30s",
    "disable_hostname": true
  },
  "seal": {"awskms": {"region": "us-east-1",
                      "kms_key_id": "19ec80b0-dfdd-4d97-8164-c6examplekey"}},
  "api_addr": "http://127.0.0.1:8200",
  "cluster_addr": "https://127.0.0.1:8201",
  "ui": true,
  "disable_mlock": true,
  "max_lease_ttl": "768h",
  "default_lease_ttl": 3600
})";

TEST_CASE("Vault's raft server configuration, in HCL and JSON",
          "[hcl][vault][config]") {
  const Body b = MustParse(kConfig);
  REQUIRE(b.attributes.size() == 6);
  CHECK(b.Find("ui")->value.boolean);
  CHECK(b.Find("disable_mlock")->value.boolean);
  CHECK(b.Find("api_addr")->value.string == "http://127.0.0.1:8200");
  CHECK(b.Find("default_lease_ttl")->value.integer == 3600);
  CHECK(b.Find("cluster_addr")->pos.line == 31);
  const auto storage = b.BlocksOf("storage");
  REQUIRE(storage.size() == 1);
  CHECK(storage[0]->labels == std::vector<std::string>{"raft"});
  const Body& raft = storage[0]->body;
  CHECK(raft.Find("node_id")->value.string == "raft_node_1");
  const auto joins = raft.BlocksOf("retry_join");
  REQUIRE(joins.size() == 2);
  CHECK(joins[0]->pos.line == 5);
  CHECK(joins[1]->body.Find("leader_api_addr")->value.string ==
        "https://node3.vault.local:8200");
  const auto listener = b.BlocksOf("listener");
  REQUIRE(listener.size() == 1);
  CHECK(listener[0]->labels[0] == "tcp");
  CHECK(listener[0]->body.Find("tls_disable")->value.boolean);
  const auto telemetry = b.BlocksOf("telemetry");
  REQUIRE(telemetry.size() == 1);
  CHECK(telemetry[0]->labels.empty());
  CHECK(telemetry[0]->body.Find("prometheus_retention_time")->value.string ==
        "30s");
  CHECK(b.BlocksOf("seal")[0]->labels[0] == "awskms");

  const Body j = MustParseJson(kConfigJson);
  CHECK(Format(j) == Format(b));
  CHECK(j.BlocksOf("storage")[0]->body.BlocksOf("retry_join")[1]->pos.line ==
        9);
}

TEST_CASE("block_labels keeps a block of only blocks from being flattened",
          "[hcl][vault][config]") {
  const char* json = R"({"storage": {"raft": {"retry_join":
      {"leader_api_addr": "http://a:8200"}}}})";
  // HCL 1's guess: every member is an object, so "retry_join" is a label.
  const Body guessed = MustParseJson(json);
  CHECK(guessed.blocks[0].labels ==
        std::vector<std::string>{"raft", "retry_join"});
  Options o;
  o.block_labels = {{"storage", 1}, {"retry_join", 0}};
  const Body exact = MustParseJson(json, o);
  CHECK(Format(exact) ==
        Format(MustParse("storage \"raft\" { retry_join { leader_api_addr = "
                         "\"http://a:8200\" } }")));
}

}  // namespace
}  // namespace coffer::hcl
