// The one place tests include Catch2 from, so that a move to Catch2 v3 is a
// change to this file alone.
#ifndef COFFER_TESTS_SUPPORT_CATCH_H_
#define COFFER_TESTS_SUPPORT_CATCH_H_

#include <catch2/catch.hpp>

#endif  // COFFER_TESTS_SUPPORT_CATCH_H_
