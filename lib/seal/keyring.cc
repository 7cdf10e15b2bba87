#include "seal/keyring.h"

#include <cstring>
#include <utility>

#include "base/check.h"
#include "base/coding.h"
#include "base/status_macros.h"
#include "crypto/random.h"

namespace coffer::seal {
namespace {

constexpr absl::string_view kMagic = "CKR1";
constexpr size_t kKeySize = crypto::Aes256Gcm::kKeySize;
constexpr size_t kTermRecordSize = 4 + 8 + kKeySize;

void PutBig(uint8_t* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = v & 0xff;
}

uint64_t GetBig(const uint8_t* in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | in[i];
  return v;
}

}  // namespace

absl::StatusOr<Keyring> Keyring::Create() {
  Keyring ring;
  COFFER_RETURN_IF_ERROR(ring.Rotate());
  return ring;
}

absl::Status Keyring::AddTerm(uint32_t term, crypto::SecureBuffer key,
                              uint64_t encryptions) {
  COFFER_ASSIGN_OR_RETURN(crypto::Aes256Gcm cipher,
                          crypto::Aes256Gcm::Create(key.view()));
  terms_.insert_or_assign(term,
                          Term{std::move(key), std::move(cipher), encryptions});
  return absl::OkStatus();
}

absl::Status Keyring::Rotate() {
  COFFER_ASSIGN_OR_RETURN(crypto::SecureBuffer key,
                          crypto::RandomSecret(kKeySize));
  COFFER_RETURN_IF_ERROR(AddTerm(active_term_ + 1, std::move(key), 0));
  ++active_term_;
  return absl::OkStatus();
}

crypto::SecureBuffer Keyring::Serialize() const {
  crypto::SecureBuffer out(12 + terms_.size() * kTermRecordSize);
  uint8_t* p = out.data();
  std::memcpy(p, kMagic.data(), 4);
  PutBig(p + 4, active_term_, 4);
  PutBig(p + 8, terms_.size(), 4);
  p += 12;
  for (const auto& [term, t] : terms_) {
    PutBig(p, term, 4);
    PutBig(p + 4, t.encryptions, 8);
    std::memcpy(p + 12, t.key.data(), kKeySize);
    p += kTermRecordSize;
  }
  return out;
}

absl::StatusOr<Keyring> Keyring::Parse(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() < 12 || bytes.substr(0, 4) != kMagic) {
    return absl::DataLossError("barrier: keyring has a bad header");
  }
  const uint32_t active = static_cast<uint32_t>(GetBig(p + 4, 4));
  const uint64_t count = GetBig(p + 8, 4);
  if (count == 0 || bytes.size() != 12 + count * kTermRecordSize) {
    return absl::DataLossError("barrier: keyring has a bad length");
  }
  Keyring ring;
  p += 12;
  uint32_t previous = 0;
  for (uint64_t i = 0; i < count; ++i, p += kTermRecordSize) {
    const uint32_t term = static_cast<uint32_t>(GetBig(p, 4));
    if (term <= previous) {
      return absl::DataLossError("barrier: keyring terms are out of order");
    }
    previous = term;
    COFFER_RETURN_IF_ERROR(
        ring.AddTerm(term,
                     crypto::SecureBuffer::CopyOf(absl::string_view(
                         reinterpret_cast<const char*>(p + 12), kKeySize)),
                     GetBig(p + 4, 8)));
  }
  if (ring.terms_.find(active) == ring.terms_.end() || active != previous) {
    return absl::DataLossError(
        "barrier: keyring's active term is not its last");
  }
  ring.active_term_ = active;
  return ring;
}

const crypto::Aes256Gcm& Keyring::active() const {
  auto it = terms_.find(active_term_);
  COFFER_CHECK(it != terms_.end());
  return it->second.cipher;
}

const crypto::Aes256Gcm* Keyring::ForTerm(uint32_t term) const {
  auto it = terms_.find(term);
  return it == terms_.end() ? nullptr : &it->second.cipher;
}

uint64_t Keyring::active_encryptions() const {
  auto it = terms_.find(active_term_);
  return it == terms_.end() ? 0 : it->second.encryptions;
}

void Keyring::CountEncryption() { AddEncryptions(1); }

void Keyring::AddEncryptions(uint64_t n) {
  auto it = terms_.find(active_term_);
  COFFER_CHECK(it != terms_.end());
  it->second.encryptions += n;
}

}  // namespace coffer::seal
