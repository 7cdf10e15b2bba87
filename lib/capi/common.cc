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

void SecureWipe(void* p, size_t n) noexcept {
  // Each store through a volatile lvalue is observable behaviour
  // ([intro.abstract]), so the compiler may not drop these as dead stores
  // the way it may drop a memset before a free.
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) v[i] = 0;
}

void Wipe(std::string& s) noexcept { SecureWipe(s.data(), s.size()); }

void Wipe(std::vector<std::string>& v) noexcept {
  for (std::string& s : v) Wipe(s);
}

void Wipe(SecretData& data) noexcept {
  for (auto& [name, value] : data) Wipe(value);
}

Bytes::Bytes(char** out, size_t* out_len) noexcept
    : out_(out), out_len_(out_len) {
  if (out_ != nullptr) *out_ = nullptr;
  if (out_len_ != nullptr) *out_len_ = 0;
}

Bytes::~Bytes() { coffer_free(copy_); }

absl::Status Bytes::Start() {
  COFFER_RETURN_IF_ERROR(NotNull(out_, "out"));
  return NotNull(out_len_, "out_len");
}

void Bytes::Set(std::string& value) {
  WipeOnExit<std::string> wipe(value);
  coffer_free(copy_);
  copy_ = nullptr;
  copy_ = CopyBytes(value);
  len_ = value.size();
}

void Bytes::Finish() {
  *out_ = copy_;
  *out_len_ = len_;
  copy_ = nullptr;
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

absl::StatusOr<std::vector<std::string>> CopyStrings(const char* const* items,
                                                     size_t num,
                                                     const char* what) {
  std::vector<std::string> out;
  if (num > 0) COFFER_RETURN_IF_ERROR(NotNull(items, what));
  for (size_t i = 0; i < num; ++i) {
    if (items[i] == nullptr) {
      Wipe(out);
      return absl::InvalidArgumentError(
          absl::StrCat("capi: ", what, "[", i, "] is NULL"));
    }
    try {
      out.emplace_back(items[i]);
    } catch (...) {
      Wipe(out);
      throw;
    }
  }
  return out;
}

char** NewStringArray(const std::vector<std::string>& items) {
  auto** out = NewArray<char*>(items.size());
  try {
    for (size_t i = 0; i < items.size(); ++i) out[i] = CopyBytes(items[i]);
  } catch (...) {
    FreeArray(out, items.size(), FreeBytes);  // the entries not made are NULL
    throw;
  }
  return out;
}

void FillStringList(coffer_string_list_t& list,
                    const std::vector<std::string>& items) {
  list.items = NewArray<char*>(items.size());
  list.lens = NewArray<size_t>(items.size());
  list.num_items = items.size();
  for (size_t i = 0; i < items.size(); ++i) {
    list.items[i] = CopyBytes(items[i]);
    list.lens[i] = items[i].size();
  }
}

absl::Status CallbackError(int rc, const char* what) {
  auto code = rc > 0 && rc <= COFFER_UNAUTHENTICATED
                  ? static_cast<absl::StatusCode>(rc)
                  : absl::StatusCode::kUnknown;
  return absl::Status(code, absl::StrCat("capi: the ", what,
                                         " callback failed with code ", rc));
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
      Wipe(data);
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
  coffer::capi::SecureWipe(base, coffer::capi::kHeader + n);
  std::free(base);
}

void coffer_string_list_free(coffer_string_list_t* list) {
  if (list == nullptr) return;
  coffer::capi::FreeArray(list->items, list->num_items,
                          coffer::capi::FreeBytes);
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
      coffer::capi::Wipe(s);
      s.swap(bigger);
    }
    s.append(static_cast<const char*>(data), len);
    return absl::OkStatus();
  });
}

int coffer_shamir_split(coffer_string_list_t** out, const void* secret,
                        size_t secret_len, int shares, int threshold) {
  using namespace coffer::capi;
  return Run(
      Result(out, coffer_string_list_free),
      [&](Result<coffer_string_list_t>& r) -> absl::Status {
        if (secret == nullptr && secret_len != 0) {
          return NotNull(secret, "secret");
        }
        absl::string_view in(static_cast<const char*>(secret), secret_len);
        COFFER_ASSIGN_OR_RETURN(std::vector<std::string> parts,
                                coffer::ShamirSplit(in, shares, threshold));
        WipeOnExit<std::vector<std::string>> wipe(parts);
        FillStringList(*r.get(), parts);
        return absl::OkStatus();
      });
}

int coffer_shamir_combine(char** out, size_t* out_len, const void* const* parts,
                          const size_t* part_lens, size_t num_parts) {
  using namespace coffer::capi;
  return Run(Bytes(out, out_len), [&](Bytes& r) -> absl::Status {
    if (num_parts > 0) {
      COFFER_RETURN_IF_ERROR(NotNull(parts, "parts"));
      COFFER_RETURN_IF_ERROR(NotNull(part_lens, "part_lens"));
    }
    std::vector<std::string> copies;
    WipeOnExit<std::vector<std::string>> wipe(copies);
    copies.reserve(num_parts);
    for (size_t i = 0; i < num_parts; ++i) {
      if (parts[i] == nullptr && part_lens[i] != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("capi: parts[", i, "] is NULL"));
      }
      copies.emplace_back(static_cast<const char*>(parts[i]), part_lens[i]);
    }
    COFFER_ASSIGN_OR_RETURN(std::string secret, coffer::ShamirCombine(copies));
    r.Set(secret);
    return absl::OkStatus();
  });
}

}  // extern "C"
