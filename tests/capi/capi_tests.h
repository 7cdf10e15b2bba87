/* The C ABI test cases, run by capi_test_main.c. */
#ifndef COFFER_TESTS_CAPI_CAPI_TESTS_H_
#define COFFER_TESTS_CAPI_CAPI_TESTS_H_

void test_versions(void);
void test_free_functions_accept_null(void);
void test_null_node_is_an_invalid_argument(void);
void test_open_checks_its_options(void);
void test_last_error_is_per_call_and_cleared_by_success(void);
void test_shamir_split_and_combine(void);
void test_sink_rejects_null(void);
void test_token_create_options_init(void);

void test_cluster_of_three(void);
void test_sealed_node_and_wrong_shares(void);
void test_auto_unseal_with_kms_callbacks(void);

void test_join_with_unseal_shares(void);

void test_snapshot_save_inspect_restore(void);

void test_operator_operations_and_hooks(void);

void test_tokens_and_policies(void);
void test_token_trees_and_orphans(void);
void test_membership_before_initialize_takes_any_token(void);
void test_after_initialize_every_call_needs_a_token(void);

void test_audit_devices(void);

#endif /* COFFER_TESTS_CAPI_CAPI_TESTS_H_ */
