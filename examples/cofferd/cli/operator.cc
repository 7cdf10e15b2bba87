// status, operator ..., secrets ...
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli.h"

namespace coffercli {
namespace {

std::string Bool(const json& v) { return v == true ? "true" : "false"; }

std::vector<std::pair<std::string, std::string>> SealRows(const json& s) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Seal Type", Text(s.value("type", json(nullptr)))},
      {"Initialized", Bool(s["initialized"])},
      {"Sealed", Bool(s["sealed"])},
      {"Total Shares", Text(s["n"])},
      {"Threshold", Text(s["t"])}};
  if (s["sealed"] == true) {
    rows.emplace_back("Unseal Progress",
                      Text(s["progress"]) + "/" + Text(s["t"]));
    rows.emplace_back("Unseal Nonce",
                      s["nonce"] == "" ? "n/a" : Text(s["nonce"]));
  }
  rows.emplace_back("Version", Text(s["version"]));
  rows.emplace_back("Storage Type", Text(s.value("storage_type", "raft")));
  rows.emplace_back("HA Enabled", "true");
  return rows;
}

int Status(Client& c, const Args& a) {
  Reply r = c.Call("GET", "sys/seal-status");
  if (!r.ok())
    return Fail(c, "checking seal status", "GET", "sys/seal-status", r);
  json out = r.body;
  std::vector<std::pair<std::string, std::string>> rows = SealRows(r.body);
  if (r.body["sealed"] == false) {
    Reply l = c.Call("GET", "sys/leader");
    if (l.ok()) {
      out["leader"] = l.body;
      rows.emplace_back("HA Mode",
                        l.body["is_self"] == true ? "active" : "standby");
      rows.emplace_back("Active Node Address",
                        l.body["leader_address"] == ""
                            ? "<none>"
                            : Text(l.body["leader_address"]));
      rows.emplace_back("Raft Term", Text(l.body["raft_term"]));
    }
  }
  if (a.Json()) {
    PrintJson(out);
  } else {
    PrintTable(rows);
  }
  return r.body["sealed"] == true ? 2 : 0;
}

int Init(Client& c, const Args& a) {
  json body = {{"secret_shares", a.Get("key-shares", "5")},
               {"secret_threshold", a.Get("key-threshold", "3")}};
  Reply r = c.Call("PUT", "sys/init", body);
  if (!r.ok()) return Fail(c, "initializing", "PUT", "sys/init", r);
  if (a.Json()) {
    PrintJson(r.body);
    return 0;
  }
  const json& keys = r.body["keys_base64"];
  for (size_t i = 0; i < keys.size(); ++i) {
    std::printf("Unseal Key %zu: %s\n", i + 1, Text(keys[i]).c_str());
  }
  std::printf(
      "\nInitial Root Token: %s\n\n"
      "coffer initialized with %zu key shares and a key threshold of %s. "
      "Please\nsecurely distribute the key shares printed above. Every node "
      "is unsealed on\nits own: give each node %s of these keys with "
      "\"coffer operator unseal\".\n\nThe root token cannot be shown again. "
      "Keep it, and the keys, safe.\n",
      Text(r.body["root_token"]).c_str(), keys.size(),
      Text(body["secret_threshold"]).c_str(),
      Text(body["secret_threshold"]).c_str());
  return 0;
}

// Reads a key from the terminal without echo, or a line from stdin.
std::string ReadKey() {
  const bool tty = isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::fprintf(stderr, "Unseal Key (will be hidden): ");
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string key;
  std::getline(std::cin, key);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  return key;
}

int Unseal(Client& c, const Args& a) {
  std::string key = a.positional.empty() ? ReadKey() : a.positional[0];
  Reply r = c.Call("PUT", "sys/unseal", json{{"key", key}});
  key.assign(key.size(), '\0');
  if (!r.ok()) return Fail(c, "unsealing", "PUT", "sys/unseal", r);
  if (a.Json()) {
    PrintJson(r.body);
  } else {
    PrintTable(SealRows(r.body));
  }
  return 0;
}

int Seal(Client& c, const Args&) {
  Reply r = c.Call("PUT", "sys/seal");
  if (!r.ok()) return Fail(c, "sealing", "PUT", "sys/seal", r);
  std::printf("Success! coffer is sealed.\n");
  return 0;
}

std::vector<std::pair<std::string, std::string>> KeyRows(const json& k) {
  return {{"Key Term", Text(k["term"])},
          {"Install Time", Text(k["install_time"])},
          {"Encryption Count", Text(k["encryptions"])}};
}

int StepDown(Client& c, const Args&) {
  Reply r = c.Call("PUT", "sys/step-down");
  if (!r.ok()) return Fail(c, "stepping down", "PUT", "sys/step-down", r);
  std::printf("Success! Stepped down\n");
  return 0;
}

int Rotate(Client& c, const Args&) {
  Reply r = c.Call("PUT", "sys/rotate");
  if (!r.ok()) return Fail(c, "rotating the key", "PUT", "sys/rotate", r);
  r = c.Call("GET", "sys/key-status");
  if (!r.ok()) {
    return Fail(c, "reading the key status", "GET", "sys/key-status", r);
  }
  std::printf("Success! Rotated key\n\n");
  PrintTable(KeyRows(r.body));
  return 0;
}

int KeyStatus(Client& c, const Args& a) {
  Reply r = c.Call("GET", "sys/key-status");
  if (!r.ok()) {
    return Fail(c, "reading the key status", "GET", "sys/key-status", r);
  }
  if (a.Json()) {
    PrintJson(r.body);
    return 0;
  }
  PrintTable(KeyRows(r.body));
  return 0;
}

int ListPeers(Client& c, const Args& a) {
  const std::string path = "sys/storage/raft/configuration";
  Reply r = c.Call("GET", path);
  if (!r.ok()) return Fail(c, "listing peers", "GET", path, r);
  if (a.Json()) {
    PrintJson(r.body);
    return 0;
  }
  const json& servers = r.body["data"]["config"]["servers"];
  size_t w[3] = {4, 7, 5};
  for (const json& s : servers) {
    w[0] = std::max(w[0], Text(s["node_id"]).size());
    w[1] = std::max(w[1], Text(s["address"]).size());
  }
  auto row = [&](const std::string& a1, const std::string& a2,
                 const std::string& a3, const std::string& a4) {
    std::printf("%-*s    %-*s    %-*s    %s\n", static_cast<int>(w[0]),
                a1.c_str(), static_cast<int>(w[1]), a2.c_str(),
                static_cast<int>(w[2]) + 3, a3.c_str(), a4.c_str());
  };
  row("Node", "Address", "State", "Voter");
  row("----", "-------", "-----", "-----");
  for (const json& s : servers) {
    row(Text(s["node_id"]), Text(s["address"]),
        s["leader"] == true ? "leader" : "follower", Bool(s["voter"]));
  }
  return 0;
}

int RemovePeer(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer operator raft remove-peer <id>\n");
    return 1;
  }
  const std::string path = "sys/storage/raft/remove-peer";
  Reply r = c.Call("POST", path, json{{"server_id", a.positional[0]}});
  if (!r.ok()) return Fail(c, "removing the peer", "POST", path, r);
  std::printf("Peer removed successfully!\n");
  return 0;
}

int AddPeer(Client& c, const Args& a) {
  if (a.positional.size() != 2) {
    std::fprintf(stderr,
                 "usage: coffer operator raft add-peer [-voter] "
                 "<node id> <cluster address>\n");
    return 1;
  }
  const std::string path = "sys/storage/raft/add-peer";
  Reply r = c.Call("POST", path,
                   json{{"server_id", a.positional[0]},
                        {"address", a.positional[1]},
                        {"voter", a.Get("voter", "false") == "true"}});
  if (!r.ok()) return Fail(c, "adding the peer", "POST", path, r);
  std::printf("Peer added successfully!\n");
  return 0;
}

int SecretsEnable(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer secrets enable [-path=P] kv-v2\n");
    return 1;
  }
  std::string type = a.positional[0];
  json body = {{"type", type}};
  if (a.Has("version")) body["options"] = {{"version", a.Get("version")}};
  std::string path = a.Get("path", type);
  while (!path.empty() && path.back() == '/') path.pop_back();
  Reply r = c.Call("POST", "sys/mounts/" + path, body);
  if (!r.ok()) {
    return Fail(c, "enabling", "POST", "sys/mounts/" + path, r);
  }
  std::printf("Success! Enabled the %s secrets engine at: %s/\n", type.c_str(),
              path.c_str());
  return 0;
}

int SecretsList(Client& c, const Args& a) {
  Reply r = c.Call("GET", "sys/mounts");
  if (!r.ok())
    return Fail(c, "listing secrets engines", "GET", "sys/mounts", r);
  if (a.Json()) {
    PrintJson(r.body["data"]);
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [path, m] : r.body["data"].items()) {
    rows.emplace_back(path, "kv (version 2)    " + Text(m["accessor"]));
  }
  PrintTable(rows, "Path", "Type              Accessor");
  return 0;
}

int SecretsDisable(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer secrets disable <path>\n");
    return 1;
  }
  std::string path = a.positional[0];
  while (!path.empty() && path.back() == '/') path.pop_back();
  Reply r = c.Call("DELETE", "sys/mounts/" + path);
  if (!r.ok()) return Fail(c, "disabling", "DELETE", "sys/mounts/" + path, r);
  std::printf(
      "Success! Disabled the secrets engine (if it existed) at: "
      "%s/\n",
      path.c_str());
  return 0;
}

}  // namespace

const std::vector<CommandInfo>& OperatorCommands() {
  static const auto* commands = new std::vector<CommandInfo>{
      {"status", Status, "status [-format=json]"},
      {"operator init", Init,
       "operator init [-key-shares=5] [-key-threshold=3] [-format=json]"},
      {"operator unseal", Unseal, "operator unseal [key]"},
      {"operator seal", Seal, "operator seal"},
      {"operator step-down", StepDown, "operator step-down"},
      {"operator rotate", Rotate, "operator rotate"},
      {"operator key-status", KeyStatus, "operator key-status [-format=json]"},
      {"operator raft list-peers", ListPeers,
       "operator raft list-peers [-format=json]"},
      {"operator raft remove-peer", RemovePeer,
       "operator raft remove-peer <node id>"},
      {"operator raft add-peer", AddPeer,
       "operator raft add-peer [-voter] <node id> <cluster address>"},
      {"secrets enable", SecretsEnable,
       "secrets enable [-path=secret] kv-v2   (or -version=2 kv)"},
      {"secrets list", SecretsList, "secrets list [-format=json]"},
      {"secrets disable", SecretsDisable, "secrets disable <path>"},
  };
  return *commands;
}

}  // namespace coffercli
