#include "cli.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace coffercli {
namespace {

// Flags that take a value ("-name value" is accepted for these only).
const std::set<std::string>& ValueFlags() {
  static const auto* flags = new std::set<std::string>{"key-shares",
                                                       "key-threshold",
                                                       "path",
                                                       "version",
                                                       "mount",
                                                       "cas",
                                                       "field",
                                                       "format",
                                                       "versions",
                                                       "max-versions",
                                                       "delete-version-after",
                                                       "custom-metadata",
                                                       "address",
                                                       "ca-cert",
                                                       "client-cert",
                                                       "client-key",
                                                       "description",
                                                       "unseal-key",
                                                       "policy",
                                                       "ttl",
                                                       "explicit-max-ttl",
                                                       "period",
                                                       "use-limit",
                                                       "display-name",
                                                       "metadata",
                                                       "increment",
                                                       "mode"};
  return *flags;
}

}  // namespace

std::string Args::Get(const std::string& name, const std::string& def) const {
  auto it = flags.find(name);
  return it == flags.end() ? def : it->second;
}

std::vector<std::string> Args::All(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = flags.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

bool ParseArgs(int argc, char** argv, int from, Args* out) {
  bool only_positional = false;
  for (int i = from; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-') {
      out->positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      out->flags.emplace(name.substr(0, eq), name.substr(eq + 1));
    } else if (ValueFlags().count(name) > 0) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "flag needs an argument: -%s\n", name.c_str());
        return false;
      }
      out->flags.emplace(name, argv[++i]);
    } else {
      out->flags.emplace(name, "true");
    }
  }
  return true;
}

void PrintTable(const std::vector<std::pair<std::string, std::string>>& rows,
                const std::string& left, const std::string& right) {
  size_t width = left.size();
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  auto line = [&](const std::string& k, const std::string& v) {
    std::printf("%-*s    %s\n", static_cast<int>(width), k.c_str(), v.c_str());
  };
  line(left, right);
  line(std::string(left.size(), '-'), std::string(right.size(), '-'));
  for (const auto& [k, v] : rows) line(k, v);
}

void PrintJson(const json& j) {
  std::printf("%s\n",
              j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

int Fail(const Client& c, const std::string& action, const std::string& method,
         const std::string& path, const Reply& r) {
  std::fprintf(stderr, "Error %s: %s", action.c_str(),
               c.Describe(method, path, r).c_str());
  return r.status == 0 ? 1 : 2;
}

std::string Text(const json& v) {
  if (v.is_null()) return "<nil>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.empty()) return "map[]";
  if (v.is_object()) {
    std::string out = "map[";
    bool first = true;
    for (const auto& [k, x] : v.items()) {
      out += (first ? "" : " ") + k + ":" + Text(x);
      first = false;
    }
    return out + "]";
  }
  return v.dump();
}

}  // namespace coffercli
