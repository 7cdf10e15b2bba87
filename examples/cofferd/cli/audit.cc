// `coffer audit ...`: Vault's verbs over sys/audit.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli.h"

namespace coffercli {
namespace {

// A trailing '/' as the server stores it ("file" -> "file/").
std::string DevicePath(std::string p) {
  if (p.empty() || p.back() != '/') p.push_back('/');
  return p;
}

// `coffer audit enable [-path=P] [-description=D] TYPE [k=v ...]`; the
// path defaults to the type, as in Vault.
int AuditEnable(Client& c, const Args& a) {
  if (a.positional.empty()) {
    std::fprintf(stderr,
                 "usage: coffer audit enable [-path=P] [-description=D] "
                 "TYPE [key=value ...]\n");
    return 1;
  }
  const std::string& type = a.positional[0];
  json options = json::object();
  for (size_t i = 1; i < a.positional.size(); ++i) {
    const std::string& kv = a.positional[i];
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "Invalid option (want key=value): %s\n", kv.c_str());
      return 1;
    }
    options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  const std::string path = DevicePath(a.Get("path", type));
  json body = {{"type", type}, {"options", options}};
  if (a.Has("description")) body["description"] = a.Get("description");
  const std::string api = "sys/audit/" + path;
  Reply r = c.Call("PUT", api, body);
  if (!r.ok()) return Fail(c, "enabling audit device", "PUT", api, r);
  std::printf("Success! Enabled the %s audit device at: %s\n", type.c_str(),
              path.c_str());
  return 0;
}

int AuditDisable(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer audit disable PATH\n");
    return 1;
  }
  const std::string path = DevicePath(a.positional[0]);
  const std::string api = "sys/audit/" + path;
  Reply r = c.Call("DELETE", api);
  if (!r.ok()) return Fail(c, "disabling audit device", "DELETE", api, r);
  std::printf("Success! Disabled audit device (if it was enabled) at: %s\n",
              path.c_str());
  return 0;
}

// Columns padded to their widest cell, four spaces apart (Vault's tables).
void PrintColumns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(width[i] - row[i].size() + 4, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

int AuditList(Client& c, const Args& a) {
  Reply r = c.Call("GET", "sys/audit");
  if (!r.ok()) return Fail(c, "listing audit devices", "GET", "sys/audit", r);
  const json& data = r.body["data"];
  if (a.Json()) {
    PrintJson(data);
    return 0;
  }
  if (!data.is_object() || data.empty()) {
    std::printf("No audit devices are enabled.\n");
    return 0;
  }
  const bool detailed = a.Has("detailed");
  std::vector<std::vector<std::string>> rows;
  if (detailed) {
    rows = {{"Path", "Type", "Description", "Replication", "Options"},
            {"----", "----", "-----------", "-----------", "-------"}};
  } else {
    rows = {{"Path", "Type", "Description"}, {"----", "----", "-----------"}};
  }
  for (const auto& [path, d] : data.items()) {
    std::string description = Text(d["description"]);
    if (description.empty()) description = "n/a";
    std::vector<std::string> row = {path, Text(d["type"]), description};
    if (detailed) {
      row.push_back("replicated");
      row.push_back(Text(d["options"]));
    }
    rows.push_back(std::move(row));
  }
  PrintColumns(rows);
  return 0;
}

}  // namespace

const std::vector<CommandInfo>& AuditCommands() {
  static const auto* commands = new std::vector<CommandInfo>{
      {"audit enable", AuditEnable,
       "audit enable [-path=P] [-description=D] TYPE [key=value ...]"},
      {"audit disable", AuditDisable, "audit disable PATH"},
      {"audit list", AuditList, "audit list [-detailed] [-format=json]"},
  };
  return *commands;
}

}  // namespace coffercli
