/* Runs the C ABI tests: `capi_test [name-substring]`. */
#include "capi_tests.h"
#include "harness.h"

static const TestCase kCases[] = {
    {"basics/versions", test_versions},
    {"basics/free functions accept NULL", test_free_functions_accept_null},
    {"basics/a NULL node is an invalid argument",
     test_null_node_is_an_invalid_argument},
    {"basics/open checks its options", test_open_checks_its_options},
    {"basics/the last error is per call",
     test_last_error_is_per_call_and_cleared_by_success},
    {"basics/shamir split and combine", test_shamir_split_and_combine},
    {"basics/a NULL sink is an invalid argument", test_sink_rejects_null},
    {"basics/token create options have defaults",
     test_token_create_options_init},
    {"cluster/three nodes through the C ABI", test_cluster_of_three},
    {"cluster/a sealed node and wrong shares",
     test_sealed_node_and_wrong_shares},
    {"cluster/auto-unseal with kms callbacks",
     test_auto_unseal_with_kms_callbacks},
    {"join/a node joins with the unseal shares", test_join_with_unseal_shares},
    {"snapshot/save inspect and restore", test_snapshot_save_inspect_restore},
    {"ops/operator operations and host hooks",
     test_operator_operations_and_hooks},
    {"auth/tokens and policies", test_tokens_and_policies},
    {"auth/token trees and orphans", test_token_trees_and_orphans},
    {"auth/after initialize every call needs a token",
     test_after_initialize_every_call_needs_a_token},
    {"audit/devices record requests with secrets hashed", test_audit_devices},
    {"pending/membership before initialize takes any token",
     test_membership_before_initialize_takes_any_token},
};

int main(int argc, char** argv) {
  return harness_main(argc, argv, kCases, sizeof kCases / sizeof kCases[0]);
}
