#include "auth/random.h"

#include "base/status_macros.h"
#include "crypto/random.h"

namespace coffer::auth {

absl::StatusOr<TokenRandom> DrawTokenRandom() {
  TokenRandom r;
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.id)));
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.accessor)));
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.salt)));
  return r;
}

}  // namespace coffer::auth
