// coffer: a command-line client for cofferd's (Vault's) HTTP API.
//
//   coffer <command> [flags] [args]     e.g. coffer kv get secret/app/db
//
// Address and token from COFFER_ADDR / COFFER_TOKEN (or VAULT_ADDR /
// VAULT_TOKEN); -address, -ca-cert, -client-cert, -client-key and
// -tls-skip-verify override them. A 412 or 5xx answer (but 501) is
// retried COFFER_MAX_RETRIES (VAULT_MAX_RETRIES) times, default 2, as
// Vault's CLI does. Exit codes as Vault's CLI: 0 success,
// 1 a local error (usage, files, connection), 2 an error from the server
// (and `status` of a sealed node).
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"

namespace coffercli {
namespace {

std::vector<CommandInfo> AllCommands() {
  std::vector<CommandInfo> all = OperatorCommands();
  for (const CommandInfo& c : SnapshotCommands()) all.push_back(c);
  for (const CommandInfo& c : KvCommands()) all.push_back(c);
  for (const CommandInfo& c : AuthCommands()) all.push_back(c);
  for (const CommandInfo& c : AuditCommands()) all.push_back(c);
  for (const CommandInfo& c : AuthMethodCommands()) all.push_back(c);
  return all;
}

int Usage(const std::vector<CommandInfo>& commands) {
  std::fprintf(stderr, "usage: coffer <command> [flags] [args]\n\n");
  for (const CommandInfo& c : commands) {
    std::fprintf(stderr, "  coffer %s\n", c.usage);
  }
  std::fprintf(stderr,
               "\nEnvironment: COFFER_ADDR, COFFER_TOKEN, COFFER_CACERT, "
               "COFFER_CLIENT_CERT,\nCOFFER_CLIENT_KEY, COFFER_SKIP_VERIFY, "
               "COFFER_MAX_RETRIES (or the same with\nVAULT_).\n");
  return 1;
}

}  // namespace

int Main(int argc, char** argv) {
  const std::vector<CommandInfo> commands = AllCommands();
  // The longest command name that the leading words spell.
  const CommandInfo* found = nullptr;
  int words = 0;
  std::string name;
  for (int i = 1; i < argc && i <= 5; ++i) {
    if (argv[i][0] == '-') break;
    name += (i == 1 ? "" : " ") + std::string(argv[i]);
    for (const CommandInfo& c : commands) {
      if (name == c.name) {
        found = &c;
        words = i;
      }
    }
  }
  if (found == nullptr) return Usage(commands);
  Args args;
  if (!ParseArgs(argc, argv, words + 1, &args)) return 1;
  if (args.Has("h") || args.Has("help")) {
    std::fprintf(stderr, "usage: coffer %s\n", found->usage);
    return 0;
  }
  ClientOptions o = OptionsFromEnvironment();
  if (args.Has("address")) o.address = args.Get("address");
  if (args.Has("ca-cert")) o.ca_cert = args.Get("ca-cert");
  if (args.Has("client-cert")) o.client_cert = args.Get("client-cert");
  if (args.Has("client-key")) o.client_key = args.Get("client-key");
  if (args.Has("tls-skip-verify")) {
    o.skip_verify = args.Get("tls-skip-verify") != "false";
  }
  Client client(o);
  return found->run(client, args);
}

}  // namespace coffercli

int main(int argc, char** argv) { return coffercli::Main(argc, argv); }
