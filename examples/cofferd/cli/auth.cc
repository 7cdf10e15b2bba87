// `coffer token ...` and `coffer policy ...`: Vault's verbs over
// auth/token/* and sys/policies/acl/*.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli.h"
#include "hcl/hcl.h"

namespace coffercli {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

std::string List(const json& v) {
  if (!v.is_array()) return "[]";
  std::vector<std::string> parts;
  for (const json& e : v) parts.push_back(Text(e));
  return absl::StrCat("[", absl::StrJoin(parts, " "), "]");
}

std::string Map(const json& v) {
  if (!v.is_object()) return "<nil>";
  std::vector<std::string> parts;
  for (const auto& [k, e] : v.items()) parts.push_back(k + ":" + Text(e));
  return absl::StrCat("map[", absl::StrJoin(parts, " "), "]");
}

std::string Duration(const json& secs) {
  if (!secs.is_number_integer()) return Text(secs);
  int64_t s = secs.get<int64_t>();
  if (s == 0) return "∞";
  const int64_t h = s / 3600, m = s % 3600 / 60;
  s %= 60;
  if (h > 0) return absl::StrCat(h, "h", m, "m", s, "s");
  if (m > 0) return absl::StrCat(m, "m", s, "s");
  return absl::StrCat(s, "s");
}

// Vault's table of a create or renew answer's auth block.
void PrintAuth(const json& a) {
  Rows rows = {{"token", Text(a["client_token"])},
               {"token_accessor", Text(a["accessor"])},
               {"token_duration", Duration(a["lease_duration"])},
               {"token_renewable", Text(a["renewable"])},
               {"token_policies", List(a["token_policies"])},
               {"identity_policies", "[]"},
               {"policies", List(a["policies"])}};
  if (a["metadata"].is_object()) {
    for (const auto& [k, v] : a["metadata"].items()) {
      rows.emplace_back("token_meta_" + k, Text(v));
    }
  }
  PrintTable(rows);
}

void PrintLookup(const json& d) {
  Rows rows;
  for (const auto& [k, v] : d.items()) {
    if (k == "ttl" || k == "creation_ttl" || k == "explicit_max_ttl" ||
        k == "period") {
      rows.emplace_back(k, Duration(v));
    } else if (v.is_array()) {
      rows.emplace_back(k, List(v));
    } else if (v.is_object() || (k == "meta" && v.is_null())) {
      rows.emplace_back(k, Map(v));
    } else {
      rows.emplace_back(k, Text(v));
    }
  }
  PrintTable(rows);
}

int TokenCreate(Client& c, const Args& a) {
  json body = json::object();
  if (a.Has("policy")) body["policies"] = a.All("policy");
  if (a.Has("ttl")) body["ttl"] = a.Get("ttl");
  if (a.Has("explicit-max-ttl")) {
    body["explicit_max_ttl"] = a.Get("explicit-max-ttl");
  }
  if (a.Has("period")) body["period"] = a.Get("period");
  if (a.Has("display-name")) body["display_name"] = a.Get("display-name");
  if (a.Has("use-limit")) body["num_uses"] = a.Get("use-limit");
  if (a.Has("renewable")) body["renewable"] = a.Get("renewable") != "false";
  if (a.Has("no-default-policy")) body["no_default_policy"] = true;
  if (a.Has("metadata")) {
    json meta = json::object();
    for (const std::string& kv : a.All("metadata")) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "-metadata takes key=value\n");
        return 1;
      }
      meta[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    body["meta"] = meta;
  }
  const bool orphan = a.Has("orphan") && a.Get("orphan") != "false";
  if (orphan) body["no_parent"] = true;
  const std::string path = "auth/token/create";
  Reply r = c.Call("POST", path, body);
  if (!r.ok()) return Fail(c, "creating token", "POST", path, r);
  if (a.Json()) {
    PrintJson(r.body);
  } else {
    PrintAuth(r.body["auth"]);
  }
  return 0;
}

// The endpoint and body of a call on TOKEN (or -accessor ACCESSOR, or the
// caller's own without either).
std::pair<std::string, json> Target(const Args& a, const std::string& verb) {
  const bool accessor = a.Has("accessor") && a.Get("accessor") != "false";
  if (a.positional.empty() || a.Has("self")) {
    return {absl::StrCat("auth/token/", verb, "-self"), json::object()};
  }
  if (accessor) {
    return {absl::StrCat("auth/token/", verb, "-accessor"),
            json{{"accessor", a.positional[0]}}};
  }
  return {absl::StrCat("auth/token/", verb), json{{"token", a.positional[0]}}};
}

int TokenLookup(Client& c, const Args& a) {
  auto [path, body] = Target(a, "lookup");
  Reply r =
      a.positional.empty() ? c.Call("GET", path) : c.Call("POST", path, body);
  if (!r.ok()) return Fail(c, "looking up token", "POST", path, r);
  if (a.Json()) {
    PrintJson(r.body);
  } else {
    PrintLookup(r.body["data"]);
  }
  return 0;
}

int TokenRenew(Client& c, const Args& a) {
  auto [path, body] = Target(a, "renew");
  if (a.Has("increment")) body["increment"] = a.Get("increment");
  Reply r = c.Call("POST", path, body);
  if (!r.ok()) return Fail(c, "renewing token", "POST", path, r);
  if (a.Json()) {
    PrintJson(r.body);
  } else {
    PrintAuth(r.body["auth"]);
  }
  return 0;
}

int TokenRevoke(Client& c, const Args& a) {
  auto [path, body] = Target(a, "revoke");
  if (a.Get("mode") == "orphan") {
    if (a.positional.empty() || a.Has("accessor")) {
      std::fprintf(stderr, "-mode=orphan takes a token\n");
      return 1;
    }
    path = "auth/token/revoke-orphan";
  } else if (a.positional.empty() && !a.Has("self")) {
    std::fprintf(stderr,
                 "usage: coffer token revoke [-self] [-accessor] "
                 "[-mode=orphan] [TOKEN]\n");
    return 1;
  }
  Reply r = c.Call("POST", path, body);
  if (!r.ok()) return Fail(c, "revoking token", "POST", path, r);
  std::printf("Success! Revoked token (if it existed)\n");
  return 0;
}

int TokenCapabilities(Client& c, const Args& a) {
  if (a.positional.empty() || a.positional.size() > 2) {
    std::fprintf(stderr, "usage: coffer token capabilities [TOKEN] PATH\n");
    return 1;
  }
  const std::string target = a.positional.back();
  std::string path = "sys/capabilities-self";
  json body = {{"paths", json::array({target})}};
  if (a.positional.size() == 2) {
    const bool accessor = a.Has("accessor");
    path = accessor ? "sys/capabilities-accessor" : "sys/capabilities";
    body[accessor ? "accessor" : "token"] = a.positional[0];
  }
  Reply r = c.Call("POST", path, body);
  if (!r.ok()) return Fail(c, "reading capabilities", "POST", path, r);
  if (a.Json()) {
    PrintJson(r.body["capabilities"]);
    return 0;
  }
  std::vector<std::string> caps;
  for (const json& e : r.body["capabilities"]) caps.push_back(Text(e));
  std::printf("%s\n", absl::StrJoin(caps, ", ").c_str());
  return 0;
}

bool ReadInput(const std::string& file, std::string* out) {
  if (file == "-") {
    out->assign(std::istreambuf_iterator<char>(std::cin), {});
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

int PolicyWrite(Client& c, const Args& a) {
  if (a.positional.size() != 2) {
    std::fprintf(stderr, "usage: coffer policy write NAME FILE|-\n");
    return 1;
  }
  std::string text;
  if (!ReadInput(a.positional[1], &text)) {
    std::fprintf(stderr, "Error opening policy file: %s\n",
                 a.positional[1].c_str());
    return 1;
  }
  const std::string path = "sys/policies/acl/" + a.positional[0];
  Reply r = c.Call("PUT", path, json{{"policy", text}});
  if (!r.ok()) return Fail(c, "uploading policy", "PUT", path, r);
  std::printf("Success! Uploaded policy: %s\n", a.positional[0].c_str());
  return 0;
}

int PolicyRead(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer policy read NAME\n");
    return 1;
  }
  const std::string path = "sys/policies/acl/" + a.positional[0];
  Reply r = c.Call("GET", path);
  if (!r.ok()) return Fail(c, "reading policy", "GET", path, r);
  if (a.Json()) {
    PrintJson(r.body["data"]);
  } else {
    std::printf("%s", Text(r.body["data"]["policy"]).c_str());
  }
  return 0;
}

int PolicyList(Client& c, const Args& a) {
  const std::string path = "sys/policies/acl?list=true";
  Reply r = c.Call("GET", path);
  if (!r.ok()) return Fail(c, "listing policies", "GET", path, r);
  if (a.Json()) {
    PrintJson(r.body["data"]["keys"]);
    return 0;
  }
  for (const json& k : r.body["data"]["keys"]) {
    std::printf("%s\n", Text(k).c_str());
  }
  return 0;
}

int PolicyDelete(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer policy delete NAME\n");
    return 1;
  }
  const std::string path = "sys/policies/acl/" + a.positional[0];
  Reply r = c.Call("DELETE", path);
  if (!r.ok()) return Fail(c, "deleting policy", "DELETE", path, r);
  std::printf("Success! Deleted policy: %s\n", a.positional[0].c_str());
  return 0;
}

// Vault's `policy fmt`: parses FILE as HCL (lib/hcl, the parser the
// server's policy language uses) and rewrites it in lib/hcl's canonical
// form; malformed HCL is refused with the parser's line:column and the
// file left as it was. Syntax only: the policy's keys and capabilities are
// checked by the server on `policy write` (lib/acl cannot be linked into
// the CLI beside libcoffer: its protobuf descriptors would register
// twice).
int PolicyFmt(Client&, const Args& a) {
  if (a.positional.size() != 1 || a.positional[0] == "-") {
    std::fprintf(stderr, "usage: coffer policy fmt FILE\n");
    return 1;
  }
  const std::string& file = a.positional[0];
  std::string text;
  if (!ReadInput(file, &text)) {
    std::fprintf(stderr, "Error opening policy file: %s\n", file.c_str());
    return 1;
  }
  coffer::hcl::Options options;
  options.block_labels["path"] = 1;
  absl::StatusOr<coffer::hcl::Body> p = coffer::hcl::Parse(text, options);
  if (!p.ok()) {
    std::fprintf(stderr, "Error parsing policy: %s\n",
                 std::string(p.status().message()).c_str());
    return 1;
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << coffer::hcl::Format(*p);
  if (!out.flush()) {
    std::fprintf(stderr, "Error writing policy file: %s\n", file.c_str());
    return 1;
  }
  std::printf("Success! Formatted policy: %s\n", file.c_str());
  return 0;
}

}  // namespace

const std::vector<CommandInfo>& AuthCommands() {
  static const auto* commands = new std::vector<CommandInfo>{
      {"token create", TokenCreate,
       "token create [-policy=P ...] [-ttl=] [-explicit-max-ttl=] "
       "[-period=] [-use-limit=] [-orphan] [-display-name=] "
       "[-metadata=k=v ...] [-format=json]"},
      {"token lookup", TokenLookup,
       "token lookup [-accessor] [TOKEN] [-format=json]"},
      {"token renew", TokenRenew,
       "token renew [-increment=] [-accessor] [TOKEN] [-format=json]"},
      {"token revoke", TokenRevoke,
       "token revoke [-self] [-accessor] [-mode=orphan] [TOKEN]"},
      {"token capabilities", TokenCapabilities,
       "token capabilities [-accessor] [TOKEN] PATH [-format=json]"},
      {"policy write", PolicyWrite, "policy write NAME FILE|-"},
      {"policy read", PolicyRead, "policy read NAME [-format=json]"},
      {"policy list", PolicyList, "policy list [-format=json]"},
      {"policy delete", PolicyDelete, "policy delete NAME"},
      {"policy fmt", PolicyFmt, "policy fmt FILE"},
  };
  return *commands;
}

}  // namespace coffercli
