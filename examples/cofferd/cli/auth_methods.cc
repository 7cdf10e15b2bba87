// `coffer auth enable|disable|list`, `coffer login -method=...`, and the
// generic `coffer read` and `coffer write` (Vault's verbs) that reach the
// auth methods' endpoints: `coffer write auth/approle/role/NAME k=v`,
// `coffer read auth/approle/role/NAME/role-id`, `coffer write -f
// auth/approle/role/NAME/secret-id`, `coffer write auth/approle/login
// role_id=... secret_id=...`.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli.h"

namespace coffercli {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

std::string MountPath(std::string p) {
  if (p.empty() || p.back() != '/') p.push_back('/');
  return p;
}

std::string Value(const json& v) {
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const json& e : v) parts.push_back(Text(e));
    return absl::StrCat("[", absl::StrJoin(parts, " "), "]");
  }
  if (v.is_object()) {
    std::vector<std::string> parts;
    for (const auto& [k, e] : v.items()) parts.push_back(k + ":" + Text(e));
    return absl::StrCat("map[", absl::StrJoin(parts, " "), "]");
  }
  return Text(v);
}

// key=value arguments as a JSON body (values stay strings; the server
// parses durations, lists and numbers as Vault does).
bool BodyOf(const std::vector<std::string>& args, size_t from, json* body) {
  for (size_t i = from; i < args.size(); ++i) {
    const size_t eq = args[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "Invalid argument (want key=value): %s\n",
                   args[i].c_str());
      return false;
    }
    (*body)[args[i].substr(0, eq)] = args[i].substr(eq + 1);
  }
  return true;
}

// Vault's table of an answer: the auth block's token rows, else data.
void PrintAnswer(const json& body) {
  Rows rows;
  if (body.contains("auth") && body["auth"].is_object()) {
    const json& a = body["auth"];
    rows = {{"token", Text(a["client_token"])},
            {"token_accessor", Text(a["accessor"])},
            {"token_duration", Text(a["lease_duration"])},
            {"token_renewable", Text(a["renewable"])},
            {"token_policies", Value(a["token_policies"])},
            {"identity_policies", "[]"},
            {"policies", Value(a["policies"])}};
    if (a["metadata"].is_object()) {
      for (const auto& [k, v] : a["metadata"].items()) {
        rows.emplace_back("token_meta_" + k, Text(v));
      }
    }
  } else if (body.contains("data") && body["data"].is_object()) {
    for (const auto& [k, v] : body["data"].items()) {
      rows.emplace_back(k, Value(v));
    }
  }
  PrintTable(rows);
}

int Write(Client& c, const Args& a) {
  if (a.positional.empty() ||
      (a.positional.size() == 1 && !a.Has("f") && !a.Has("force"))) {
    std::fprintf(stderr,
                 "usage: coffer write [-f] PATH [key=value ...]\n"
                 "Must supply data or use -force\n");
    return 1;
  }
  json body = json::object();
  if (!BodyOf(a.positional, 1, &body)) return 1;
  const std::string& path = a.positional[0];
  Reply r = c.Call("PUT", path, body);
  if (!r.ok()) return Fail(c, "writing", "PUT", path, r);
  if (r.status == 204 || r.body.is_null()) {
    std::printf("Success! Data written to: %s\n", path.c_str());
  } else if (a.Json()) {
    PrintJson(r.body);
  } else {
    PrintAnswer(r.body);
  }
  return 0;
}

int Read(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer read PATH\n");
    return 1;
  }
  const std::string& path = a.positional[0];
  Reply r = c.Call("GET", path);
  if (r.status == 404) {
    std::fprintf(stderr, "No value found at %s\n", path.c_str());
    return 2;
  }
  if (!r.ok()) return Fail(c, "reading", "GET", path, r);
  a.Json() ? PrintJson(r.body) : PrintAnswer(r.body);
  return 0;
}

// `coffer auth enable [-path=P] [-description=D] TYPE [k=v ...]`: the
// path defaults to the type; k=v are the method's options.
int AuthEnable(Client& c, const Args& a) {
  if (a.positional.empty()) {
    std::fprintf(stderr,
                 "usage: coffer auth enable [-path=P] [-description=D] TYPE "
                 "[option=value ...]\n");
    return 1;
  }
  const std::string& type = a.positional[0];
  json options = json::object();
  if (!BodyOf(a.positional, 1, &options)) return 1;
  const std::string path = MountPath(a.Get("path", type));
  json body = {{"type", type}, {"options", options}};
  if (a.Has("description")) body["description"] = a.Get("description");
  const std::string api = "sys/auth/" + path;
  Reply r = c.Call("POST", api, body);
  if (!r.ok()) return Fail(c, "enabling auth method", "POST", api, r);
  std::printf("Success! Enabled %s auth method at: %s\n", type.c_str(),
              path.c_str());
  return 0;
}

int AuthDisable(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer auth disable PATH\n");
    return 1;
  }
  const std::string path = MountPath(a.positional[0]);
  const std::string api = "sys/auth/" + path;
  Reply r = c.Call("DELETE", api);
  if (!r.ok()) return Fail(c, "disabling auth method", "DELETE", api, r);
  std::printf("Success! Disabled the auth method (if it existed) at: %s\n",
              path.c_str());
  return 0;
}

int AuthList(Client& c, const Args& a) {
  Reply r = c.Call("GET", "sys/auth");
  if (!r.ok()) return Fail(c, "listing auth methods", "GET", "sys/auth", r);
  const json& data = r.body["data"];
  if (a.Json()) {
    PrintJson(data);
    return 0;
  }
  Rows rows;
  for (const auto& [path, m] : data.items()) {
    rows.emplace_back(
        path, absl::StrCat(Text(m["type"]), "    ", Text(m["accessor"]), "    ",
                           Text(m["description"])));
  }
  PrintTable(rows, "Path", "Type    Accessor    Description");
  return 0;
}

// `coffer login -method=userpass [-path=P] username=U password=W` or
// `coffer login -method=approle [-path=P] role_id=R secret_id=S`. Prints
// the token's table (or the token alone with -token-only).
int Login(Client& c, const Args& a) {
  const std::string method = a.Get("method", "token");
  if (method != "userpass" && method != "approle") {
    std::fprintf(stderr,
                 "usage: coffer login -method=userpass|approle [-path=P] "
                 "key=value ...\n");
    return 1;
  }
  json body = json::object();
  if (!BodyOf(a.positional, 0, &body)) return 1;
  std::string api = "auth/" + MountPath(a.Get("path", method)) + "login";
  if (method == "userpass") {
    if (!body.contains("username")) {
      std::fprintf(stderr, "Missing username=...\n");
      return 1;
    }
    api += "/" + body["username"].get<std::string>();
    body.erase("username");
  }
  Reply r = c.Call("POST", api, body);
  if (!r.ok()) return Fail(c, "logging in", "POST", api, r);
  if (a.Has("token-only")) {
    std::printf("%s\n", Text(r.body["auth"]["client_token"]).c_str());
  } else if (a.Json()) {
    PrintJson(r.body);
  } else {
    std::printf("Success! You are now authenticated.\n\n");
    PrintAnswer(r.body);
  }
  return 0;
}

}  // namespace

const std::vector<CommandInfo>& AuthMethodCommands() {
  static const auto* commands = new std::vector<CommandInfo>{
      {"auth enable", AuthEnable,
       "auth enable [-path=P] [-description=D] TYPE [option=value ...]"},
      {"auth disable", AuthDisable, "auth disable PATH"},
      {"auth list", AuthList, "auth list [-format=json]"},
      {"login", Login,
       "login -method=userpass|approle [-path=P] [-token-only] key=value ..."},
      {"write", Write, "write [-f] PATH [key=value ...]"},
      {"read", Read, "read PATH [-format=json]"},
  };
  return *commands;
}

}  // namespace coffercli
