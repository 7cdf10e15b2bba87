#include "seal/envelope.h"

#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "base/status_macros.h"
#include "crypto/random.h"

namespace coffer::seal {
namespace {

absl::Status CheckHeader(absl::string_view envelope) {
  if (envelope.size() < kEnvelopeOverhead) {
    return absl::DataLossError("barrier: ciphertext is truncated");
  }
  if (static_cast<uint8_t>(envelope[4]) != kEnvelopeVersion) {
    return absl::DataLossError("barrier: unknown ciphertext version");
  }
  return absl::OkStatus();
}

absl::string_view Nonce(absl::string_view envelope) {
  return envelope.substr(5, crypto::Aes256Gcm::kNonceSize);
}

absl::string_view Body(absl::string_view envelope) {
  return envelope.substr(kEnvelopeHeaderSize);
}

absl::Status AuthFailed(absl::string_view path) {
  return absl::DataLossError(
      absl::StrCat("barrier: ciphertext at \"", path,
                   "\" failed authentication (corrupt, moved or wrong key)"));
}

}  // namespace

absl::StatusOr<std::string> SealEnvelope(const crypto::Aes256Gcm& key,
                                         uint32_t term, absl::string_view path,
                                         absl::string_view plaintext) {
  COFFER_ASSIGN_OR_RETURN(std::string nonce,
                          crypto::RandomString(crypto::Aes256Gcm::kNonceSize));
  COFFER_ASSIGN_OR_RETURN(std::string sealed, key.Seal(nonce, plaintext, path));
  std::string out;
  out.reserve(kEnvelopeHeaderSize + sealed.size());
  base::PutBigEndian32(&out, term);
  out.push_back(static_cast<char>(kEnvelopeVersion));
  out.append(nonce);
  out.append(sealed);
  return out;
}

absl::StatusOr<uint32_t> EnvelopeTerm(absl::string_view envelope) {
  COFFER_RETURN_IF_ERROR(CheckHeader(envelope));
  return base::GetBigEndian32(envelope);
}

absl::StatusOr<std::string> OpenEnvelope(const crypto::Aes256Gcm& key,
                                         absl::string_view path,
                                         absl::string_view envelope) {
  COFFER_RETURN_IF_ERROR(CheckHeader(envelope));
  absl::StatusOr<std::string> plain =
      key.Open(Nonce(envelope), Body(envelope), path);
  if (!plain.ok()) return AuthFailed(path);
  return plain;
}

absl::StatusOr<crypto::SecureBuffer> OpenSecretEnvelope(
    const crypto::Aes256Gcm& key, absl::string_view path,
    absl::string_view envelope) {
  COFFER_RETURN_IF_ERROR(CheckHeader(envelope));
  absl::StatusOr<crypto::SecureBuffer> plain =
      key.OpenSecret(Nonce(envelope), Body(envelope), path);
  if (!plain.ok()) return AuthFailed(path);
  return plain;
}

}  // namespace coffer::seal
