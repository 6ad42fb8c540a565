/* test_error.c — status codes, their names, and the per-thread last error. */
#include "test_util.h"

#include <pthread.h>

#include "../src/base/internal.h"
#include "rvcidx/error.h"

static void every_code_has_a_name_and_description(void **state) {
    (void)state;
#define CHECK_CODE(name, value, desc)                                          \
    assert_string_equal(rvcidx_strerror(value), desc);                         \
    assert_string_equal(rvcidx_err_name(value), "RVCIDX_" #name);
    RVCIDX_ERRNO_MAP(CHECK_CODE)
#undef CHECK_CODE
    assert_string_equal(rvcidx_strerror(12345), "unknown error");
    assert_string_equal(rvcidx_err_name(-999), "RVCIDX_UNKNOWN");
}

static void fail_records_message_and_returns_code(void **state) {
    (void)state;
    assert_int_equal(rvcidx__fail(RVCIDX_EINPUT, "%s: row %d is NaN", "a.npy", 7), RVCIDX_EINPUT);
    assert_string_equal(rvcidx_last_error(), "a.npy: row 7 is NaN");
}

static void *fail_in_thread(void *arg) {
    (void)arg;
    rvcidx__fail(RVCIDX_EIO, "other thread");
    return NULL;
}

static void last_error_is_per_thread(void **state) {
    (void)state;
    rvcidx__fail(RVCIDX_EINVAL, "main thread");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fail_in_thread, NULL), 0);
    pthread_join(t, NULL);
    assert_string_equal(rvcidx_last_error(), "main thread");
}

static void long_messages_are_truncated_not_overflowed(void **state) {
    (void)state;
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rvcidx__fail(RVCIDX_EIO, "%s", big);
    assert_true(strlen(rvcidx_last_error()) < sizeof big - 1);
    assert_true(strlen(rvcidx_last_error()) > 1000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_a_name_and_description),
        cmocka_unit_test(fail_records_message_and_returns_code),
        cmocka_unit_test(last_error_is_per_thread),
        cmocka_unit_test(long_messages_are_truncated_not_overflowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
