// The `coffer` command-line client: shared pieces of its commands.
#ifndef COFFER_EXAMPLES_COFFERD_CLI_CLI_H_
#define COFFER_EXAMPLES_COFFERD_CLI_CLI_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "client.h"

namespace coffercli {

// A command line after the verbs: -name=value flags (also "-name value"
// for flags that take a value, and "-name" alone for booleans) and
// positional arguments, in any order.
struct Args {
  std::multimap<std::string, std::string> flags;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const;
  std::vector<std::string> All(const std::string& name) const;
  bool Json() const { return Get("format") == "json"; }
};

// Parses argv[from..]; on a malformed flag prints an error and returns
// false.
bool ParseArgs(int argc, char** argv, int from, Args* out);

// Vault's two-column table ("Key  Value" then rows).
void PrintTable(const std::vector<std::pair<std::string, std::string>>& rows,
                const std::string& left = "Key",
                const std::string& right = "Value");
// Prints `j` indented, as -format=json.
void PrintJson(const json& j);
// Prints the API error and returns 2 (usage: 2 as Vault uses for errors
// in the request; 1 for others).
int Fail(const Client& c, const std::string& action, const std::string& method,
         const std::string& path, const Reply& r);
// A JSON scalar as Vault's CLI prints it (strings bare, null as <nil>).
std::string Text(const json& v);

// Every command: "status", "operator init", "kv metadata get", ...
using Command = int (*)(Client& c, const Args& a);
struct CommandInfo {
  const char* name;
  Command run;
  const char* usage;
};
// Defined in operator.cc, kv.cc, snapshot.cc, auth.cc and audit.cc.
extern const std::vector<CommandInfo>& OperatorCommands();
extern const std::vector<CommandInfo>& KvCommands();
extern const std::vector<CommandInfo>& SnapshotCommands();
extern const std::vector<CommandInfo>& AuthCommands();
extern const std::vector<CommandInfo>& AuditCommands();
extern const std::vector<CommandInfo>& AuthMethodCommands();  // auth_methods.cc

}  // namespace coffercli

#endif  // COFFER_EXAMPLES_COFFERD_CLI_CLI_H_
