// Shorthands for writing policies in tests.
#ifndef COFFER_TESTS_UNIT_ACL_ACL_TEST_UTIL_H_
#define COFFER_TESTS_UNIT_ACL_ACL_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "acl/acl.h"
#include "acl/policy.h"
#include "support/catch.h"

namespace coffer::acl::testing {

using C = Capability;

inline PathRule R(std::string path, CapabilitySet caps) {
  PathRule r;
  r.path = std::move(path);
  r.capabilities = caps;
  return r;
}

inline Policy P(std::string name, std::vector<PathRule> rules) {
  Policy p;
  p.name = std::move(name);
  p.rules = std::move(rules);
  return p;
}

inline std::unique_ptr<Acl> MakeAcl(std::vector<Policy> policies) {
  auto acl = Acl::Create(policies);
  INFO(acl.status().ToString());
  REQUIRE(acl.ok());
  return *std::move(acl);
}

inline bool Can(const Acl& acl, absl::string_view path, Capability c,
                std::vector<Parameter> params = {}) {
  absl::Status s = acl.Allowed(path, c, params);
  if (!s.ok()) {
    REQUIRE(absl::IsPermissionDenied(s));
    REQUIRE(s.message() == "permission denied");
  }
  return s.ok();
}

}  // namespace coffer::acl::testing

#endif  // COFFER_TESTS_UNIT_ACL_ACL_TEST_UTIL_H_
