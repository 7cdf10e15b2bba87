// The C ABI's errors, versions, memory, sinks and Shamir functions.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capi/internal.h"
#include "coffer/c.h"
#include "coffer/shamir.h"
#include "coffer/version.h"
#include "crypto/secure_buffer.h"

namespace coffer::capi {
namespace {

constexpr size_t kMessageCap = 1024;
thread_local char last_message[kMessageCap] = "";

// Alloc's header: the block's usable size, padded to keep 16-byte alignment.
constexpr size_t kHeader = 16;

}  // namespace

int SetError(const absl::Status& status) noexcept {
  absl::string_view m = status.message();
  size_t n = std::min(m.size(), kMessageCap - 1);
  if (n > 0) std::memcpy(last_message, m.data(), n);
  last_message[n] = '\0';
  return static_cast<int>(status.code());
}

void* Alloc(size_t n) {
  if (n > SIZE_MAX - kHeader) throw std::bad_alloc();
  auto* base = static_cast<unsigned char*>(std::calloc(1, kHeader + n));
  if (base == nullptr) throw std::bad_alloc();
  std::memcpy(base, &n, sizeof(n));
  return base + kHeader;
}

char* CopyBytes(absl::string_view s) {
  char* p = static_cast<char*>(Alloc(s.size() + 1));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p;
}

void WipeString(std::string& s) { crypto::Wipe(s.data(), s.size()); }

void WipeSecretData(SecretData& data) {
  for (auto& [name, value] : data) WipeString(value);
}

absl::Status NotNull(const void* p, const char* what) {
  if (p != nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("capi: ", what, " is NULL"));
}

absl::Status CheckConsistency(int consistency) {
  if (consistency == COFFER_READ_LINEARIZABLE ||
      consistency == COFFER_READ_STALE) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("capi: consistency must be COFFER_READ_LINEARIZABLE or "
                   "COFFER_READ_STALE, not ",
                   consistency));
}

absl::Status ReadSized(const void* in, void* out, size_t out_size,
                       const char* what) {
  if (in == nullptr) return NotNull(in, what);
  size_t size;
  std::memcpy(&size, in, sizeof(size));
  if (size < sizeof(size_t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("capi: ", what, "->struct_size is not set"));
  }
  const auto* bytes = static_cast<const unsigned char*>(in);
  for (size_t i = out_size; i < size; ++i) {
    if (bytes[i] != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "capi: ", what, " has fields this library does not know (", size,
          " bytes, at most ", out_size, " known)"));
    }
  }
  // struct_size itself stays the library's.
  size_t n = std::min(size, out_size);
  std::memcpy(static_cast<unsigned char*>(out) + sizeof(size_t),
              bytes + sizeof(size_t), n - sizeof(size_t));
  return absl::OkStatus();
}

absl::StatusOr<SecretData> ToSecretData(const coffer_kv_field_t* fields,
                                        size_t num_fields, const char* what) {
  SecretData data;
  if (num_fields > 0 && fields == nullptr) return NotNull(fields, what);
  for (size_t i = 0; i < num_fields; ++i) {
    const coffer_kv_field_t& f = fields[i];
    absl::Status bad;
    if (f.name == nullptr) {
      bad = absl::InvalidArgumentError(
          absl::StrCat("capi: ", what, "[", i, "].name is NULL"));
    } else if (f.value == nullptr && f.value_len != 0) {
      bad = absl::InvalidArgumentError(
          absl::StrCat("capi: ", what, "[", i, "].value is NULL"));
    } else if (!data.emplace(f.name,
                             std::string(f.value == nullptr ? "" : f.value,
                                         f.value_len))
                    .second) {
      bad = absl::InvalidArgumentError(absl::StrCat(
          "capi: ", what, " names the field \"", f.name, "\" twice"));
    }
    if (!bad.ok()) {
      WipeSecretData(data);
      return bad;
    }
  }
  return data;
}

coffer_kv_field_t* FromSecretData(const SecretData& data) {
  auto* fields = NewArray<coffer_kv_field_t>(data.size());
  size_t i = 0;
  try {
    for (const auto& [name, value] : data) {
      fields[i].name = CopyBytes(name);
      fields[i].value = CopyBytes(value);
      fields[i].value_len = value.size();
      ++i;
    }
  } catch (...) {
    FreeFields(fields, data.size());
    throw;
  }
  return fields;
}

void FreeFields(coffer_kv_field_t* fields, size_t num_fields) {
  if (fields == nullptr) return;
  for (size_t i = 0; i < num_fields; ++i) {
    coffer_free(const_cast<char*>(fields[i].name));
    coffer_free(const_cast<char*>(fields[i].value));
  }
  coffer_free(fields);
}

}  // namespace coffer::capi

using coffer::capi::Run;

extern "C" {

int coffer_abi_version(void) { return COFFER_ABI_VERSION; }

const char* coffer_version(void) { return COFFER_VERSION_STRING; }

const char* coffer_last_error_message(void) {
  return coffer::capi::last_message;
}

const char* coffer_error_name(int code) {
  static const char* const kNames[] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  if (code < 0 || code > COFFER_UNAUTHENTICATED) return "UNKNOWN";
  return kNames[code];
}

void coffer_free(void* p) {
  if (p == nullptr) return;
  auto* base = static_cast<unsigned char*>(p) - coffer::capi::kHeader;
  size_t n;
  std::memcpy(&n, base, sizeof(n));
  coffer::crypto::Wipe(base, coffer::capi::kHeader + n);
  std::free(base);
}

void coffer_string_list_free(coffer_string_list_t* list) {
  if (list == nullptr) return;
  if (list->items != nullptr) {
    for (size_t i = 0; i < list->num_items; ++i) coffer_free(list->items[i]);
  }
  coffer_free(list->items);
  coffer_free(list->lens);
  coffer_free(list);
}

int coffer_sink_write(coffer_sink_t* sink, const void* data, size_t len) {
  return Run([&]() -> absl::Status {
    if (sink == nullptr) return coffer::capi::NotNull(sink, "sink");
    if (len == 0) return absl::OkStatus();
    if (data == nullptr) return coffer::capi::NotNull(data, "data");
    // Grow by hand so that no copy of earlier (secret) bytes is left behind
    // unwiped in a freed buffer.
    std::string& s = sink->data;
    if (s.size() + len > s.capacity()) {
      std::string bigger;
      bigger.reserve(std::max(s.size() + len, 2 * s.capacity()));
      bigger.append(s);
      coffer::capi::WipeString(s);
      s.swap(bigger);
    }
    s.append(static_cast<const char*>(data), len);
    return absl::OkStatus();
  });
}

int coffer_shamir_split(coffer_string_list_t** out, const void* secret,
                        size_t secret_len, int shares, int threshold) {
  if (out != nullptr) *out = nullptr;
  return Run([&]() -> absl::Status {
    using namespace coffer::capi;
    if (absl::Status s = NotNull(out, "out"); !s.ok()) return s;
    if (secret == nullptr && secret_len != 0) return NotNull(secret, "secret");
    absl::string_view in(static_cast<const char*>(secret), secret_len);
    absl::StatusOr<std::vector<std::string>> parts =
        coffer::ShamirSplit(in, shares, threshold);
    if (!parts.ok()) return parts.status();
    Owned<coffer_string_list_t, coffer_string_list_free> list(
        New<coffer_string_list_t>());
    try {
      list->items = NewArray<char*>(parts->size());
      list->lens = NewArray<size_t>(parts->size());
      list->num_items = parts->size();
      for (size_t i = 0; i < parts->size(); ++i) {
        list->items[i] = CopyBytes((*parts)[i]);
        list->lens[i] = (*parts)[i].size();
      }
    } catch (...) {
      for (std::string& p : *parts) WipeString(p);
      throw;
    }
    for (std::string& p : *parts) WipeString(p);
    *out = list.release();
    return absl::OkStatus();
  });
}

int coffer_shamir_combine(char** out, size_t* out_len, const void* const* parts,
                          const size_t* part_lens, size_t num_parts) {
  if (out != nullptr) *out = nullptr;
  if (out_len != nullptr) *out_len = 0;
  return Run([&]() -> absl::Status {
    using namespace coffer::capi;
    if (absl::Status s = NotNull(out, "out"); !s.ok()) return s;
    if (absl::Status s = NotNull(out_len, "out_len"); !s.ok()) return s;
    if (num_parts > 0) {
      if (absl::Status s = NotNull(parts, "parts"); !s.ok()) return s;
      if (absl::Status s = NotNull(part_lens, "part_lens"); !s.ok()) return s;
    }
    std::vector<std::string> copies;
    copies.reserve(num_parts);
    absl::Status status;
    for (size_t i = 0; i < num_parts && status.ok(); ++i) {
      if (parts[i] == nullptr && part_lens[i] != 0) {
        status = absl::InvalidArgumentError(
            absl::StrCat("capi: parts[", i, "] is NULL"));
      } else {
        copies.emplace_back(static_cast<const char*>(parts[i]), part_lens[i]);
      }
    }
    absl::StatusOr<std::string> secret = absl::InternalError("unset");
    if (status.ok()) secret = coffer::ShamirCombine(copies);
    for (std::string& c : copies) WipeString(c);
    if (!status.ok()) return status;
    if (!secret.ok()) return secret.status();
    try {
      *out = CopyBytes(*secret);
    } catch (...) {
      WipeString(*secret);
      throw;
    }
    *out_len = secret->size();
    WipeString(*secret);
    return absl::OkStatus();
  });
}

}  // extern "C"
