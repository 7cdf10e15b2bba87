// Cost of an ACL check: Acl::Allowed on a token holding N policies of 10
// path rules each (N = 10, 100, 1000), over a fixed mix of request paths:
// exact hits, glob hits, `+` hits, denied paths and misses. Also the time
// to build the ACL. One thread; nanoseconds of the thread's CPU time per
// check (the shared VM's load would otherwise dominate wall time).
//
// Usage: build/bench/acl_bench [runs]   (default 7; prints medians)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "acl/acl.h"
#include "acl/policy.h"

namespace coffer::acl {
namespace {

using C = Capability;

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

PathRule Rule(std::string path, CapabilitySet caps) {
  PathRule r;
  r.path = std::move(path);
  r.capabilities = caps;
  return r;
}

// Team i's policy: ten rules of the shapes KV v2 users write.
Policy TeamPolicy(int i) {
  const std::string t = absl::StrCat("team", i);
  Policy p;
  p.name = t;
  p.rules = {
      Rule(absl::StrCat("secret/data/", t, "/app1"), {C::kRead, C::kUpdate}),
      Rule(absl::StrCat("secret/data/", t, "/app2"), {C::kRead}),
      Rule(absl::StrCat("secret/data/", t, "/shared/*"), {C::kRead}),
      Rule(absl::StrCat("secret/metadata/", t, "/*"), {C::kList, C::kRead}),
      Rule(absl::StrCat("secret/data/+/", t, "/config"), {C::kRead}),
      Rule(absl::StrCat("secret/+/", t, "/db/*"), {C::kRead, C::kCreate}),
      Rule(absl::StrCat("secret/data/", t, "/private"), {C::kDeny}),
      Rule(absl::StrCat("sys/policy/", t), {C::kRead}),
      Rule(absl::StrCat("transit/encrypt/", t, "-*"), {C::kUpdate}),
      Rule("auth/token/lookup-self", {C::kRead}),
  };
  return p;
}

// Request paths: a fifth each of exact hits, glob hits, `+` hits, denied
// (deny rule or missing capability) and misses (no rule).
std::vector<std::string> Requests(int num_policies, int count) {
  std::mt19937_64 rng(7);
  auto team = [&] {
    return absl::StrCat(
        "team", std::uniform_int_distribution<int>(0, num_policies - 1)(rng));
  };
  std::vector<std::string> paths;
  for (int i = 0; i < count; ++i) {
    switch (i % 10) {
      case 0:
        paths.push_back(absl::StrCat("secret/data/", team(), "/app1"));
        break;
      case 1:
        paths.push_back("auth/token/lookup-self");
        break;
      case 2:
        paths.push_back(absl::StrCat("secret/data/", team(), "/shared/x/y"));
        break;
      case 3:
        paths.push_back(absl::StrCat("secret/metadata/", team(), "/a/b/c"));
        break;
      case 4:
        paths.push_back(absl::StrCat("secret/data/eu/", team(), "/config"));
        break;
      case 5:
        paths.push_back(absl::StrCat("secret/kv/", team(), "/db/main"));
        break;
      case 6:
        paths.push_back(absl::StrCat("secret/data/", team(), "/private"));
        break;
      case 7:
        paths.push_back(absl::StrCat("transit/encrypt/", team(), "-key"));
        break;  // a hit for update, denied for read
      case 8:
        paths.push_back(absl::StrCat("secret/data/nobody/", i, "/x"));
        break;
      default:
        paths.push_back(absl::StrCat("pki/issue/", team()));
        break;
    }
  }
  return paths;
}

struct Result {
  double build_ms;
  double ns_per_check;
  int allowed;
};

Result RunOnce(int num_policies) {
  std::vector<Policy> policies;
  for (int i = 0; i < num_policies; ++i) policies.push_back(TeamPolicy(i));
  double t0 = CpuSeconds();
  std::unique_ptr<Acl> acl = *Acl::Create(policies);
  double t1 = CpuSeconds();
  const std::vector<std::string> paths = Requests(num_policies, 10000);
  constexpr int kPasses = 50;
  int allowed = 0;
  double t2 = CpuSeconds();
  for (int pass = 0; pass < kPasses; ++pass) {
    for (const std::string& p : paths) {
      allowed += acl->Allowed(p, C::kRead).ok() ? 1 : 0;
    }
  }
  double t3 = CpuSeconds();
  Result r;
  r.build_ms = (t1 - t0) * 1e3;
  r.ns_per_check = (t3 - t2) * 1e9 / (kPasses * paths.size());
  r.allowed = allowed / kPasses;
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace coffer::acl

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  std::printf(
      "acl_bench: Acl::Allowed(path, read), 10 rules per policy, "
      "10000 paths x 50 passes, median of %d runs\n",
      runs);
  std::printf("%10s %8s %14s %12s %14s\n", "policies", "rules", "ns/check",
              "build ms", "allowed/10000");
  for (int n : {10, 100, 1000}) {
    std::vector<double> ns, build;
    int allowed = 0;
    for (int i = 0; i < runs; ++i) {
      coffer::acl::Result r = coffer::acl::RunOnce(n);
      ns.push_back(r.ns_per_check);
      build.push_back(r.build_ms);
      allowed = r.allowed;
    }
    std::printf("%10d %8d %14.1f %12.2f %14d\n", n, n * 10,
                coffer::acl::Median(ns), coffer::acl::Median(build), allowed);
  }
  return 0;
}
