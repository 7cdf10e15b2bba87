// The barrier: everything coffer stores passes through it and is encrypted
// with the keyring's active data key, bound to its storage path.
//
// Key hierarchy (DESIGN.md): root key -> keyring -> data key per term. The
// keyring is stored at kKeyringPath, encrypted by the root key (envelope term
// 0). Initialize creates it; Unseal loads it with the root key; Seal wipes
// every key. While sealed every data operation fails with
// kFailedPrecondition and the barrier holds no key material.
//
// Rotation adds a term; old terms keep decrypting. The barrier also rotates
// by itself once the active key has encrypted `rotate_after_encryptions`
// values (a replicated barrier as StoreRotation does: see BarrierOptions),
// and persists the count every 1/64 of that limit; an unseal adds that much
// again, so a crash can only make rotation come early.
//
// Thread-compatible: the node serializes calls (one event loop).
#ifndef COFFER_LIB_SEAL_BARRIER_H_
#define COFFER_LIB_SEAL_BARRIER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secure_buffer.h"
#include "seal/keyring.h"
#include "seal/physical.h"

namespace coffer::seal {

inline constexpr absl::string_view kKeyringPath = "core/keyring";

struct BarrierOptions {
  // Encryptions under one data key before an automatic rotation. Default
  // 2^30, a quarter of the 2^32 bound for random 96-bit GCM nonces. Range
  // 64..2^32.
  uint64_t rotate_after_encryptions = uint64_t{1} << 30;
  // A node's barrier, whose writes take effect only when raft applies them:
  // its automatic rotation is stored as StoreRotation stores one (once,
  // not again while it waits) and adopted, like any rotation, by Reload
  // after it is applied. It keeps encrypting with the current key until
  // then, which the limit's margin allows. Otherwise (default) the barrier
  // adopts its rotation at once.
  bool replicated = false;
};

class Barrier {
 public:
  // `store` is borrowed and must outlive the barrier.
  explicit Barrier(PhysicalStore* store, BarrierOptions options = {});

  // Whether a keyring has been stored. Errors are the store's.
  absl::StatusOr<bool> Initialized() const;

  // Creates a keyring with one fresh key, stores it under `root_key`, and
  // leaves the barrier sealed. kFailedPrecondition if already initialized;
  // kInvalidArgument unless root_key is 32 bytes.
  absl::Status Initialize(const crypto::SecureBuffer& root_key);

  // Loads the keyring with `root_key`. kPermissionDenied if the root key does
  // not open it; kDataLoss if it opens but is malformed; kFailedPrecondition
  // if not initialized. On any error the barrier stays sealed.
  absl::Status Unseal(const crypto::SecureBuffer& root_key);

  // Wipes the root key and every data key. Idempotent.
  void Seal();
  bool sealed() const { return !keyring_.has_value(); }

  // Encrypts `plaintext` for `path` with the active key (rotating first if
  // the key reached its limit). kFailedPrecondition when sealed.
  absl::StatusOr<std::string> Encrypt(absl::string_view path,
                                      absl::string_view plaintext);
  // Decrypts what Encrypt made for the same path. kFailedPrecondition when
  // sealed; kDataLoss when the ciphertext is malformed, altered, made for
  // another path, or names a term this keyring does not have.
  absl::StatusOr<std::string> Decrypt(absl::string_view path,
                                      absl::string_view ciphertext) const;

  // Encrypt/Decrypt over the physical store. Get returns nullopt for a
  // missing path.
  absl::Status Put(absl::string_view path, absl::string_view plaintext);
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view path) const;
  absl::Status Delete(absl::string_view path);
  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix) const;

  // Re-reads the stored keyring with the root key this barrier holds and
  // adopts it when its active term is newer than ours: a rotation made by
  // another node and replicated here. kFailedPrecondition when sealed;
  // kDataLoss when the stored keyring is missing, does not open or does not
  // parse (the barrier then keeps the keys it has).
  absl::Status Reload();

  // After a snapshot restore replaced the stored keyring: re-reads it with
  // the root key this barrier holds and adopts it whatever its terms (it
  // may be older than ours). kFailedPrecondition when sealed or none is
  // stored; kPermissionDenied when the root key does not open it; kDataLoss
  // when it does not parse. On error the barrier keeps its keys.
  absl::Status AdoptStoredKeyring();

  // The keyring `other` holds, sealed under this barrier's root key as the
  // record for kKeyringPath: how a force-restore re-wraps another
  // cluster's keyring so that this cluster's root key opens it. No key
  // leaves either barrier. kFailedPrecondition unless both are unsealed.
  absl::StatusOr<std::string> SealKeyringOf(const Barrier& other) const;

  // Adds a key term and stores the keyring; returns the new term.
  absl::StatusOr<uint32_t> Rotate();
  // Stores the keyring with a new term added, but keeps encrypting with the
  // keys this barrier holds: a replicated rotation, which every node (this
  // one too) adopts with Reload() once the write is applied, so that a
  // rotation that is never applied leaves no node with a key the others
  // lack. Builds on the stored keyring, so rotations stored but not adopted
  // yet stack. Returns the new term. kFailedPrecondition when sealed;
  // kDataLoss when the stored keyring does not open or parse.
  absl::StatusOr<uint32_t> StoreRotation();
  // The active term, and the encryptions counted under it. REQUIRES:
  // unsealed.
  uint32_t active_term() const;
  uint64_t active_encryptions() const;

 private:
  absl::Status CheckUnsealed() const;
  // Reads and opens the stored keyring. kFailedPrecondition when there is
  // none, kPermissionDenied when `root` does not open it, kDataLoss when it
  // does not parse.
  absl::StatusOr<Keyring> LoadKeyring(const crypto::Aes256Gcm& root) const;
  // LoadKeyring with this barrier's root key; kDataLoss when it fails.
  absl::StatusOr<Keyring> LoadForRotation() const;
  // Stores `stored` with a term added, without adopting it; returns the
  // new term.
  absl::StatusOr<uint32_t> StoreRotated(Keyring stored);
  absl::Status StoreKeyring();

  PhysicalStore* const store_;
  const BarrierOptions options_;
  // Invariant: both set (unsealed) or both empty (sealed).
  std::optional<crypto::Aes256Gcm> root_;
  std::optional<Keyring> keyring_;
};

}  // namespace coffer::seal

#endif  // COFFER_LIB_SEAL_BARRIER_H_
