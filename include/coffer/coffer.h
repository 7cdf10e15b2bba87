// Umbrella header: everything a host needs from coffer.
#ifndef COFFER_COFFER_H_
#define COFFER_COFFER_H_

#include "coffer/export.h"
#include "coffer/node.h"
#include "coffer/options.h"
#include "coffer/peer.h"
#include "coffer/seal.h"
#include "coffer/shamir.h"
#include "coffer/snapshot.h"
#include "coffer/transport.h"
#include "coffer/version.h"

#endif  // COFFER_COFFER_H_
