#include "acl/records.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "proto/acl.pb.h"

namespace coffer::acl {
namespace {

struct CapabilityCode {
  Capability capability;
  aclpb::Capability code;
};

// Ascending by code: the order capabilities are written in.
constexpr CapabilityCode kCodes[] = {
    {Capability::kCreate, aclpb::CAPABILITY_CREATE},
    {Capability::kRead, aclpb::CAPABILITY_READ},
    {Capability::kUpdate, aclpb::CAPABILITY_UPDATE},
    {Capability::kPatch, aclpb::CAPABILITY_PATCH},
    {Capability::kDelete, aclpb::CAPABILITY_DELETE},
    {Capability::kList, aclpb::CAPABILITY_LIST},
    {Capability::kSudo, aclpb::CAPABILITY_SUDO},
    {Capability::kDeny, aclpb::CAPABILITY_DENY},
};

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("acl: corrupt policy record: ", why));
}

void EncodeValues(
    const ParameterValues& in,
    google::protobuf::RepeatedPtrField<aclpb::ParameterValues>* out) {
  for (const auto& [name, values] : in) {  // std::map: sorted by name
    aclpb::ParameterValues* v = out->Add();
    v->set_name(name);
    for (const std::string& value : values) v->add_values(value);
  }
}

absl::Status DecodeValues(
    const google::protobuf::RepeatedPtrField<aclpb::ParameterValues>& in,
    ParameterValues* out) {
  for (int i = 0; i < in.size(); ++i) {
    if (i > 0 && in[i - 1].name() >= in[i].name()) {
      return Corrupt("parameters out of order");
    }
    (*out)[in[i].name()].assign(in[i].values().begin(), in[i].values().end());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> EncodePolicy(const Policy& policy) {
  if (policy.name == kRootPolicyName) {
    return absl::InvalidArgumentError("acl: the root policy is not stored");
  }
  COFFER_RETURN_IF_ERROR(ValidatePolicy(policy));
  aclpb::Policy record;
  record.set_format_version(kPolicyFormatVersion);
  record.set_name(policy.name);
  record.set_text(policy.text);
  for (const PathRule& r : policy.rules) {
    aclpb::PathRule* out = record.add_rules();
    out->set_path(r.path);
    for (const CapabilityCode& c : kCodes) {
      if (r.capabilities.Has(c.capability)) out->add_capabilities(c.code);
    }
    for (const std::string& name : r.required_parameters) {
      out->add_required_parameters(name);
    }
    EncodeValues(r.allowed_parameters, out->mutable_allowed_parameters());
    EncodeValues(r.denied_parameters, out->mutable_denied_parameters());
    out->set_min_wrapping_ttl_nanos(
        absl::ToInt64Nanoseconds(r.min_wrapping_ttl));
    out->set_max_wrapping_ttl_nanos(
        absl::ToInt64Nanoseconds(r.max_wrapping_ttl));
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    record.SerializeToCodedStream(&coded);
  }
  return bytes;
}

absl::StatusOr<Policy> DecodePolicy(absl::string_view bytes) {
  aclpb::Policy record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corrupt("unparseable");
  }
  if (record.format_version() != kPolicyFormatVersion) {
    return Corrupt("unknown format");
  }
  Policy policy;
  policy.name = record.name();
  policy.text = record.text();
  if (policy.name == kRootPolicyName) return Corrupt("root is never stored");
  for (const aclpb::PathRule& in : record.rules()) {
    PathRule r;
    r.path = in.path();
    int last = 0;
    for (int code : in.capabilities()) {
      if (code <= last) return Corrupt("capabilities out of order");
      last = code;
      bool known = false;
      for (const CapabilityCode& c : kCodes) {
        if (c.code == code) {
          r.capabilities.Add(c.capability);
          known = true;
        }
      }
      if (!known) return Corrupt("unknown capability");
    }
    r.required_parameters.assign(in.required_parameters().begin(),
                                 in.required_parameters().end());
    COFFER_RETURN_IF_ERROR(
        DecodeValues(in.allowed_parameters(), &r.allowed_parameters));
    COFFER_RETURN_IF_ERROR(
        DecodeValues(in.denied_parameters(), &r.denied_parameters));
    r.min_wrapping_ttl = absl::Nanoseconds(in.min_wrapping_ttl_nanos());
    r.max_wrapping_ttl = absl::Nanoseconds(in.max_wrapping_ttl_nanos());
    policy.rules.push_back(std::move(r));
  }
  absl::Status valid = ValidatePolicy(policy);
  if (!valid.ok()) return Corrupt(valid.message());
  return policy;
}

}  // namespace coffer::acl
