// kv put|get|patch|list|delete|undelete|destroy|metadata get|put|delete
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli.h"

namespace coffercli {
namespace {

// A kv-v2 path split into its mount and the key inside it.
struct KvPath {
  std::string mount;  // "secret" (no trailing '/')
  std::string key;    // "app/db"
};

// -mount=M names the mount; otherwise the longest enabled mount that the
// path starts with (as Vault's CLI finds it, through
// sys/internal/ui/mounts).
bool Resolve(Client& c, const Args& a, KvPath* out) {
  if (a.positional.empty()) {
    std::fprintf(stderr, "a path is required\n");
    return false;
  }
  std::string path = a.positional[0];
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  if (a.Has("mount")) {
    out->mount = a.Get("mount");
    while (!out->mount.empty() && out->mount.back() == '/') {
      out->mount.pop_back();
    }
    out->key = path;
    return true;
  }
  // As Vault's CLI: the mount that serves the path, which any token with a
  // capability under it may ask (sys/mounts needs read on sys/mounts).
  const std::string probe = "sys/internal/ui/mounts/" + path;
  Reply r = c.Call("GET", probe);
  if (r.status == 404) {
    std::fprintf(stderr,
                 "Error: no kv-v2 secrets engine is mounted at a "
                 "prefix of \"%s\"\n",
                 path.c_str());
    return false;
  }
  if (!r.ok()) {
    Fail(c, "finding the mount", "GET", probe, r);
    return false;
  }
  const std::string best = r.body["data"]["path"].is_string()
                               ? r.body["data"]["path"].get<std::string>()
                               : "";
  if (best.empty() || best.back() != '/') {
    std::fprintf(stderr, "Error: no mount for \"%s\"\n", path.c_str());
    return false;
  }
  out->mount = best.substr(0, best.size() - 1);
  out->key = path.size() > best.size() ? path.substr(best.size()) : "";
  return true;
}

std::string Api(const KvPath& p, const std::string& op) {
  return p.mount + "/" + op + "/" + p.key;
}

// "== Secret Path ==" over the path, as Vault's padEqualSigns: as wide
// as the path, the padding rounded up to even, and two signs a side when
// the path is not wider than the title.
void Header(const std::string& title, const std::string& text) {
  const size_t used = title.size() + 2;
  size_t pad = text.size() > used ? text.size() - used : 4;
  pad += pad % 2;
  const std::string bar(pad / 2, '=');
  std::printf("%s %s %s\n%s\n\n", bar.c_str(), title.c_str(), bar.c_str(),
              text.c_str());
}

void PrintMetadata(const json& m) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [k, v] : m.items()) {
    rows.emplace_back(k, k == "deletion_time" && v == "" ? "n/a" : Text(v));
  }
  const std::string bar = "=======";
  std::printf("%s Metadata %s\n", bar.c_str(), bar.c_str());
  PrintTable(rows);
}

// k=v pairs; v may be @file (its content).
bool Pairs(const Args& a, size_t from, json* data) {
  for (size_t i = from; i < a.positional.size(); ++i) {
    const std::string& kv = a.positional[i];
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "Error: expected key=value, got \"%s\"\n",
                   kv.c_str());
      return false;
    }
    std::string value = kv.substr(eq + 1);
    if (!value.empty() && value[0] == '@') {
      std::ifstream in(value.substr(1), std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "Error: cannot read %s\n", value.c_str() + 1);
        return false;
      }
      std::ostringstream s;
      s << in.rdbuf();
      value = s.str();
    }
    (*data)[kv.substr(0, eq)] = value;
  }
  return true;
}

int Write(Client& c, const Args& a, const std::string& method) {
  KvPath p;
  if (!Resolve(c, a, &p)) return 2;
  json body = {{"data", json::object()}};
  if (!Pairs(a, 1, &body["data"])) return 1;
  if (body["data"].empty()) {
    std::fprintf(stderr, "Error: must supply data\n");
    return 1;
  }
  if (a.Has("cas")) body["options"] = {{"cas", a.Get("cas")}};
  Reply r = c.Call(method, Api(p, "data"), body);
  if (!r.ok()) {
    return Fail(c, "writing data to " + Api(p, "data"), method, Api(p, "data"),
                r);
  }
  if (a.Json()) {
    PrintJson(r.body);
    return 0;
  }
  Header("Secret Path", Api(p, "data"));
  PrintMetadata(r.body["data"]);
  return 0;
}

int Put(Client& c, const Args& a) { return Write(c, a, "POST"); }
int Patch(Client& c, const Args& a) { return Write(c, a, "PATCH"); }

int Get(Client& c, const Args& a) {
  KvPath p;
  if (!Resolve(c, a, &p)) return 2;
  std::string path = Api(p, "data");
  if (a.Has("version")) path += "?version=" + a.Get("version");
  Reply r = c.Call("GET", path);
  if (r.status == 404 && (r.body.is_null() || !r.body.contains("data"))) {
    std::fprintf(stderr, "No value found at %s\n", Api(p, "data").c_str());
    return 2;
  }
  if (!r.ok() && r.status != 404) {
    return Fail(c, "reading " + path, "GET", path, r);
  }
  const json& data = r.body["data"]["data"];
  if (a.Has("field")) {
    const std::string f = a.Get("field");
    if (!data.is_object() || !data.contains(f)) {
      std::fprintf(stderr, "Field \"%s\" not present in secret\n", f.c_str());
      return 1;
    }
    std::printf("%s\n", Text(data[f]).c_str());
    return 0;
  }
  if (a.Json()) {
    PrintJson(r.body);
    return 0;
  }
  Header("Secret Path", Api(p, "data"));
  PrintMetadata(r.body["data"]["metadata"]);
  if (data.is_object()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& [k, v] : data.items()) rows.emplace_back(k, Text(v));
    std::printf("\n====== Data ======\n");
    PrintTable(rows);
  }
  return 0;
}

int List(Client& c, const Args& a) {
  KvPath p;
  if (!Resolve(c, a, &p)) return 2;
  const std::string path = Api(p, "metadata") + "?list=true";
  Reply r = c.Call("GET", path);
  if (r.status == 404) {
    std::fprintf(stderr, "No value found at %s\n", Api(p, "metadata").c_str());
    return 2;
  }
  if (!r.ok()) return Fail(c, "listing " + path, "GET", path, r);
  if (a.Json()) {
    PrintJson(r.body["data"]["keys"]);
    return 0;
  }
  std::printf("Keys\n----\n");
  for (const json& k : r.body["data"]["keys"]) {
    std::printf("%s\n", Text(k).c_str());
  }
  return 0;
}

// -versions=1,2,3 as a JSON list of numbers.
bool VersionList(const Args& a, json* out) {
  *out = json::array();
  std::stringstream s(a.Get("versions"));
  std::string item;
  while (std::getline(s, item, ',')) {
    if (item.empty() || item.size() > 19 ||
        item.find_first_not_of("0123456789") != std::string::npos) {
      std::fprintf(stderr, "Error: -versions takes numbers: 1,2,3\n");
      return false;
    }
    out->push_back(std::stoull(item));
  }
  return true;
}

int Versions(Client& c, const Args& a, const std::string& op,
             const std::string& done) {
  KvPath p;
  if (!Resolve(c, a, &p)) return 2;
  json versions;
  if (!VersionList(a, &versions)) return 1;
  if (op == "delete" && versions.empty()) {
    Reply r = c.Call("DELETE", Api(p, "data"));
    if (!r.ok()) {
      return Fail(c, "deleting " + Api(p, "data"), "DELETE", Api(p, "data"), r);
    }
    std::printf("Success! Data deleted (if it existed) at: %s\n",
                Api(p, "data").c_str());
    return 0;
  }
  if (versions.empty()) {
    std::fprintf(stderr,
                 "Error: no versions provided, use the -versions "
                 "flag\n");
    return 1;
  }
  Reply r = c.Call("POST", Api(p, op), json{{"versions", versions}});
  if (!r.ok()) return Fail(c, op + " " + Api(p, op), "POST", Api(p, op), r);
  std::printf("Success! Data %s (if it existed) at: %s\n", done.c_str(),
              Api(p, op).c_str());
  return 0;
}

int Delete(Client& c, const Args& a) {
  return Versions(c, a, "delete", "deleted");
}
int Undelete(Client& c, const Args& a) {
  return Versions(c, a, "undelete", "written");
}
int Destroy(Client& c, const Args& a) {
  return Versions(c, a, "destroy", "written");
}

int MetadataGet(Client& c, const Args& a) {
  KvPath p;
  if (!Resolve(c, a, &p)) return 2;
  Reply r = c.Call("GET", Api(p, "metadata"));
  if (r.status == 404) {
    std::fprintf(stderr, "No value found at %s\n", Api(p, "metadata").c_str());
    return 2;
  }
  if (!r.ok()) {
    return Fail(c, "reading " + Api(p, "metadata"), "GET", Api(p, "metadata"),
                r);
  }
  if (a.Json()) {
    PrintJson(r.body);
    return 0;
  }
  json m = r.body["data"];
  json versions = m["versions"];
  m.erase("versions");
  Header("Metadata Path", Api(p, "metadata"));
  std::printf("========== Metadata ==========\n");
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [k, v] : m.items()) rows.emplace_back(k, Text(v));
  PrintTable(rows);
  for (const auto& [n, v] : versions.items()) {
    std::printf("\n====== Version %s ======\n", n.c_str());
    std::vector<std::pair<std::string, std::string>> vr;
    for (const auto& [k, x] : v.items()) {
      vr.emplace_back(k, k == "deletion_time" && x == "" ? "n/a" : Text(x));
    }
    PrintTable(vr);
  }
  return 0;
}

int MetadataPut(Client& c, const Args& a) {
  KvPath p;
  if (!Resolve(c, a, &p)) return 2;
  json body = json::object();
  if (a.Has("max-versions")) body["max_versions"] = a.Get("max-versions");
  if (a.Has("cas-required")) {
    body["cas_required"] = a.Get("cas-required") == "true";
  }
  if (a.Has("delete-version-after")) {
    body["delete_version_after"] = a.Get("delete-version-after");
  }
  if (a.Has("custom-metadata")) {
    json cm = json::object();
    for (const std::string& kv : a.All("custom-metadata")) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "Error: -custom-metadata takes key=value\n");
        return 1;
      }
      cm[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    body["custom_metadata"] = cm;
  }
  Reply r = c.Call("POST", Api(p, "metadata"), body);
  if (!r.ok()) {
    return Fail(c, "writing " + Api(p, "metadata"), "POST", Api(p, "metadata"),
                r);
  }
  std::printf("Success! Data written to: %s\n", Api(p, "metadata").c_str());
  return 0;
}

int MetadataDelete(Client& c, const Args& a) {
  KvPath p;
  if (!Resolve(c, a, &p)) return 2;
  Reply r = c.Call("DELETE", Api(p, "metadata"));
  if (!r.ok()) {
    return Fail(c, "deleting " + Api(p, "metadata"), "DELETE",
                Api(p, "metadata"), r);
  }
  std::printf("Success! Data deleted (if it existed) at: %s\n",
              Api(p, "metadata").c_str());
  return 0;
}

}  // namespace

const std::vector<CommandInfo>& KvCommands() {
  static const auto* commands = new std::vector<CommandInfo>{
      {"kv put", Put, "kv put [-mount=M] [-cas=N] <path> k=v [k=@file ...]"},
      {"kv patch", Patch, "kv patch [-mount=M] [-cas=N] <path> k=v ..."},
      {"kv get", Get, "kv get [-mount=M] [-version=N] [-field=F] <path>"},
      {"kv list", List, "kv list [-mount=M] <path>"},
      {"kv delete", Delete, "kv delete [-mount=M] [-versions=1,2] <path>"},
      {"kv undelete", Undelete, "kv undelete -versions=1,2 <path>"},
      {"kv destroy", Destroy, "kv destroy -versions=1,2 <path>"},
      {"kv metadata get", MetadataGet, "kv metadata get <path>"},
      {"kv metadata put", MetadataPut,
       "kv metadata put [-max-versions=N] [-cas-required=true] "
       "[-delete-version-after=1h] [-custom-metadata=k=v ...] <path>"},
      {"kv metadata delete", MetadataDelete, "kv metadata delete <path>"},
  };
  return *commands;
}

}  // namespace coffercli
