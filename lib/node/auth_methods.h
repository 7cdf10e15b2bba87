// AuthMethodService: the auth methods of a node (Vault's sys/auth) and
// their calls: AppRole and userpass (lib/auth/approle.h, userpass.h), the
// logins, and the leader's purge of disabled methods' records.
//
//   Caller threads: the public coffer::AuthMethods calls. Each builds its
//     op with the Caller's token and address and hands it to the node's
//     Submit function (the request pipeline). A userpass password is
//     hashed here, on the caller's thread, never on the loop: the op
//     carries the scrypt output (secret), which the leader compares.
//   Loop thread: Run (an op, on the state the access check saw), Exists
//     (the existence check of role and user writes), OnTick (the purge).
//
// Records: lib/auth/methods.h. Tokens from logins are the token store's
// (lib/auth), checked by AuthService like every token, plus their method
// and CIDR bindings (auth::CheckTokenBindings).
//
// Thread-safety: the public calls are thread-safe (they only call
// `submit`); everything else is loop-thread only.
#ifndef COFFER_LIB_NODE_AUTH_METHODS_H_
#define COFFER_LIB_NODE_AUTH_METHODS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/token_store.h"
#include "coffer/auth_methods.h"
#include "kv/txn.h"
#include "node/loop_state.h"
#include "proto/node.pb.h"

namespace coffer::node {

class AuthMethodService final : public AuthMethods {
 public:
  using Submit = std::function<absl::StatusOr<nodepb::OpResult>(nodepb::Op op)>;
  using Enqueue = std::function<void(
      nodepb::Op op, std::function<void(absl::StatusOr<nodepb::OpResult>)>)>;

  // `loop` is borrowed and outlives the service.
  AuthMethodService(LoopState* loop, Submit submit, Enqueue enqueue);
  AuthMethodService(const AuthMethodService&) = delete;
  AuthMethodService& operator=(const AuthMethodService&) = delete;

  // --- Loop thread.

  // Runs `op` (an AuthMethodOp) with its writes buffered in `txn`, at the
  // leader's time for a write. kInvalidArgument for a mount or name that
  // is not canonical (the access check used them as they are).
  absl::StatusOr<nodepb::AuthMethodResult> Run(const nodepb::Op& op,
                                               kv::BufferedTxn* txn);
  // Whether the role or user a WRITE_ROLE or WRITE_USER names exists.
  absl::StatusOr<bool> Exists(const nodepb::AuthMethodOp& op, kv::Reader* txn);
  // Every tick: an unsealed leader purges the records of disabled methods,
  // a bounded batch per proposal, after a disable and after it is elected.
  void OnTick();

  // --- Caller threads (coffer::AuthMethods).
  absl::Status Enable(const Caller& caller, const AuthMethod& method) override;
  absl::Status Disable(const Caller& caller, absl::string_view path) override;
  absl::StatusOr<std::vector<AuthMethod>> List(const Caller& caller) override;
  absl::Status WriteRole(const Caller& caller, absl::string_view mount,
                         absl::string_view name, const AppRole& role) override;
  absl::StatusOr<AppRole> ReadRole(const Caller& caller,
                                   absl::string_view mount,
                                   absl::string_view name) override;
  absl::StatusOr<std::vector<std::string>> ListRoles(
      const Caller& caller, absl::string_view mount) override;
  absl::Status DeleteRole(const Caller& caller, absl::string_view mount,
                          absl::string_view name) override;
  absl::StatusOr<std::string> ReadRoleId(const Caller& caller,
                                         absl::string_view mount,
                                         absl::string_view name) override;
  absl::StatusOr<SecretId> GenerateSecretId(
      const Caller& caller, absl::string_view mount, absl::string_view name,
      const std::map<std::string, std::string>& metadata,
      const std::vector<std::string>& cidr_list) override;
  absl::StatusOr<SecretIdInfo> LookupSecretIdAccessor(
      const Caller& caller, absl::string_view mount, absl::string_view name,
      absl::string_view accessor) override;
  absl::Status DestroySecretIdAccessor(const Caller& caller,
                                       absl::string_view mount,
                                       absl::string_view name,
                                       absl::string_view accessor) override;
  absl::StatusOr<LoginAuth> AppRoleLogin(const Caller& caller,
                                         absl::string_view mount,
                                         absl::string_view role_id,
                                         absl::string_view secret_id) override;
  absl::Status WriteUser(const Caller& caller, absl::string_view mount,
                         absl::string_view name,
                         const LoginTokenSettings& settings,
                         std::optional<absl::string_view> password) override;
  absl::StatusOr<LoginTokenSettings> ReadUser(const Caller& caller,
                                              absl::string_view mount,
                                              absl::string_view name) override;
  absl::StatusOr<std::vector<std::string>> ListUsers(
      const Caller& caller, absl::string_view mount) override;
  absl::Status DeleteUser(const Caller& caller, absl::string_view mount,
                          absl::string_view name) override;
  absl::Status UpdatePassword(const Caller& caller, absl::string_view mount,
                              absl::string_view name,
                              absl::string_view password) override;
  absl::StatusOr<LoginAuth> UserpassLogin(const Caller& caller,
                                          absl::string_view mount,
                                          absl::string_view name,
                                          absl::string_view password) override;

 private:
  absl::StatusOr<nodepb::AuthMethodResult> SubmitMethod(const Caller& caller,
                                                        nodepb::Op op);
  // A userpass password hashed for `mount` and `name` (a fresh salt when
  // `fresh`, else the one the user has; see auth/userpass.h).
  absl::StatusOr<nodepb::AuthMethodOp> HashPassword(const Caller& caller,
                                                    const std::string& mount,
                                                    const std::string& name,
                                                    absl::string_view password,
                                                    bool fresh);

  LoopState* const loop_;
  const Submit submit_;
  const Enqueue enqueue_;
  const auth::TokenStore store_;

  // Loop thread only.
  bool purge_wanted_ = true;  // once per leadership, and after a disable
  bool purge_queued_ = false;
  bool was_leading_ = false;
  uint64_t next_purge_tick_ = 0;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_AUTH_METHODS_H_
