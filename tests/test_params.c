/* test_params.c — the parameter table (rvcidx/params.h) against the setters
 * that parse the values: every row's key is taken, its range's ends are
 * taken and the values past them refused, each choice is taken, its default
 * gives the default parameters, and the command's option for it is the
 * row's. A row that says something the setter does not do fails here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

#include "cli/cli.h"
#include "rvcidx/rvcidx.h"

static int set(const char *key, const char *value) {
    rvcidx_build_params p = rvcidx_build_default_params();
    return rvcidx_build_params_set(&p, key, value);
}

/* v as text; the top of a 64-bit range (a double rounds it up) as the
 * largest unsigned 64-bit integer. */
static void number(char *buf, size_t n, double v, rvcidx_param_type type) {
    if (type == RVCIDX_PARAM_INT && v >= 18446744073709551615.0) snprintf(buf, n, "18446744073709551615");
    else if (type == RVCIDX_PARAM_INT) snprintf(buf, n, "%.0f", v);
    else snprintf(buf, n, "%.17g", v);
}

/* The setter's status for name=text, failing with the row named when it is not want. */
static void expect(const char *name, const char *text, int want) {
    int got = set(name, text);
    if (got != want) fail_msg("%s=%s: status %d, the table says %d", name, text, got, want);
}

static void every_key_is_taken(void **state) {
    (void)state;
    assert_true(rvcidx_params_count() >= 39);
    assert_null(rvcidx_params_info(rvcidx_params_count()));
    for (size_t i = 0; i < rvcidx_params_count(); i++) {
        const rvcidx_param_info *r = rvcidx_params_info(i);
        const char *probe = r->type == RVCIDX_PARAM_FLAG ? "1" : r->type == RVCIDX_PARAM_SIZE ? "1G"
                          : r->type == RVCIDX_PARAM_TEXT || r->type == RVCIDX_PARAM_PATH ? "x" : NULL;
        if (probe) assert_int_equal(set(r->name, probe), 0);
        assert_ptr_equal(rvcidx_params_find(r->name), r);
        char dashed[64];
        snprintf(dashed, sizeof dashed, "%s", r->name);
        for (char *c = dashed; *c; c++) *c = *c == '_' ? '-' : *c;
        assert_ptr_equal(rvcidx_params_find(dashed), r);
        assert_true(r->help[0] && r->flag[0] == '-');
        assert_true(strcmp(rvcidx_param_type_name(r->type), "?") != 0);
    }
    assert_null(rvcidx_params_find("no_such_parameter"));
}

static void ranges_are_the_setters(void **state) {
    (void)state;
    char text[64];
    for (size_t i = 0; i < rvcidx_params_count(); i++) {
        const rvcidx_param_info *r = rvcidx_params_info(i);
        if (r->type != RVCIDX_PARAM_INT && r->type != RVCIDX_PARAM_NUMBER) continue;
        assert_true(r->min < r->max);
        number(text, sizeof text, r->min, r->type);
        expect(r->name, text, 0);
        number(text, sizeof text, r->max, r->type);
        expect(r->name, text, 0);
        double below = r->type == RVCIDX_PARAM_INT ? r->min - 1 : r->min / 2 - 1;
        number(text, sizeof text, below, r->type);
        expect(r->name, text, RVCIDX_EINVAL);
        if (r->max < 1.8e19) { /* a u64 seed's top has nothing above it */
            number(text, sizeof text, r->type == RVCIDX_PARAM_INT ? r->max + 1 : r->max * 2 + 1, r->type);
            expect(r->name, text, RVCIDX_EINVAL);
        }
        expect(r->name, "not-a-number", RVCIDX_EINVAL);
    }
}

static void choices_are_the_setters(void **state) {
    (void)state;
    for (size_t i = 0; i < rvcidx_params_count(); i++) {
        const rvcidx_param_info *r = rvcidx_params_info(i);
        for (const char *c = r->choices; *c;) {
            size_t len = strcspn(c, "|");
            char word[64];
            snprintf(word, sizeof word, "%.*s", (int)len, c);
            expect(r->name, word, 0);
            c += len + (c[len] == '|');
        }
        if (r->type == RVCIDX_PARAM_CHOICE) {
            assert_true(r->choices[0] != '\0');
            expect(r->name, "no-such-choice", RVCIDX_EINVAL);
        }
        if (r->type == RVCIDX_PARAM_SIZE) expect(r->name, "2X", RVCIDX_EINVAL);
    }
}

/* Setting a row's default leaves the defaults as they were (but for the
 * record that it was given). */
static void defaults_are_the_defaults(void **state) {
    (void)state;
    for (size_t i = 0; i < rvcidx_params_count(); i++) {
        const rvcidx_param_info *r = rvcidx_params_info(i);
        if (!r->default_value[0]) continue;
        rvcidx_build_params want = rvcidx_build_default_params(), got = rvcidx_build_default_params();
        assert_int_equal(rvcidx_build_params_set(&got, r->name, r->default_value), 0);
        got.given = want.given;
        if (memcmp(&want, &got, sizeof want) != 0) fail_msg("%s: its default '%s' changes the defaults", r->name, r->default_value);
    }
}

static void options_are_the_rows(void **state) {
    (void)state;
    for (size_t i = 0; i < rvcidx_params_count(); i++) {
        const rvcidx_param_info *r = rvcidx_params_info(i);
        assert_string_equal(cli_param_flag(r->name), r->flag);
        for (size_t j = 0; j < i; j++) assert_string_not_equal(rvcidx_params_info(j)->flag, r->flag);
    }
    cli_options o = {.n = 0};
    cli_options_params(&o, "build run reduce eval ingest index", NULL);
    assert_int_equal(o.n, (int)rvcidx_params_count() - 1); /* all but outdir, which is -o */
    for (int k = 0; k < o.n; k++) {
        const rvcidx_param_info *r = cli_option_param(o.longopts[k].val);
        assert_non_null(r);
        assert_string_equal(o.longopts[k].name, r->flag + 2);
        assert_int_equal(o.longopts[k].has_arg == no_argument, r->type == RVCIDX_PARAM_FLAG);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_is_taken),
        cmocka_unit_test(ranges_are_the_setters),
        cmocka_unit_test(choices_are_the_setters),
        cmocka_unit_test(defaults_are_the_defaults),
        cmocka_unit_test(options_are_the_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
