/* test_progress.c — the CLI's progress display: plain lines at an interval
 * (log files), rate and ETA figures, JSON events, and number formatting. */
#include "test_util.h"

#include "cli/cli.h"

static char *render_to_string(cli_progress *cp, const rvcidx_progress *reports, const double *times,
                              int n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cp->out = out;
    for (int i = 0; i < n; i++) cli_progress_render(cp, &reports[i], times[i]);
    fclose(out);
    return buf;
}

static cli_progress plain_progress(double interval) {
    cli_progress cp;
    memset(&cp, 0, sizeof cp);
    cp.enabled = 1;
    cp.interval = interval;
    return cp;
}

static void plain_lines_throttled_with_rate_and_eta(void **state) {
    (void)state;
    cli_progress cp = plain_progress(10.0);
    rvcidx_progress r[] = {
        {"ingest", "rows", 0, 1000, 0, 0},     /* starts the clock at t=100 */
        {"ingest", "rows", 100, 1000, 0, 0},   /* t=105: within the interval, silent */
        {"ingest", "rows", 250, 1000, 0, 0},   /* t=110: 25 rows/s, 750 left: ETA 0:30 */
        {"ingest", "rows", 1000, 1000, 0, 1},  /* finished: always printed */
    };
    double t[] = {100.0, 105.0, 110.0, 140.0};
    char *text = render_to_string(&cp, r, t, 4);
    assert_non_null(strstr(text, "ingest 250/1.00k rows (25.0%), 25 rows/s, ETA 0:30, elapsed 0:10\n"));
    assert_null(strstr(text, "100/"));
    assert_non_null(strstr(text, "1.00k/1.00k rows (100.0%)"));
    assert_non_null(strstr(text, "took 0:40"));
    int lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 2);
    free(text);
}

static void bytes_give_megabytes_per_second(void **state) {
    (void)state;
    cli_progress cp = plain_progress(0.0);
    rvcidx_progress r[] = {{"ingest", "rows", 0, 10, 0, 0}, {"ingest", "rows", 5, 10, 50000000, 0}};
    double t[] = {0.0, 2.0};
    char *text = render_to_string(&cp, r, t, 2);
    assert_non_null(strstr(text, "25.0 MB/s"));
    free(text);
}

static void json_events_carry_counts(void **state) {
    (void)state;
    cli_progress cp = plain_progress(0.0);
    cp.json = 1;
    rvcidx_progress r[] = {{"train", "iterations", 0, 25, 0, 0}, {"train", "iterations", 5, 25, 0, 0}};
    double t[] = {0.0, 1.0};
    char *text = render_to_string(&cp, r, t, 2);
    assert_non_null(strstr(text, "\"event\":\"progress\""));
    assert_non_null(strstr(text, "\"stage\":\"train\""));
    assert_non_null(strstr(text, "\"done\":5"));
    assert_non_null(strstr(text, "\"eta_s\":4.0"));
    free(text);
}

static void disabled_progress_prints_nothing(void **state) {
    (void)state;
    cli_progress cp = plain_progress(0.0);
    cp.enabled = 0;
    rvcidx_progress r[] = {{"x", "rows", 1, 2, 0, 1}};
    double t[] = {1.0};
    char *text = render_to_string(&cp, r, t, 1);
    assert_string_equal(text, "");
    free(text);
}

static void formats_counts_and_durations(void **state) {
    (void)state;
    char buf[32];
    cli_format_count(999, buf, sizeof buf);
    assert_string_equal(buf, "999");
    cli_format_count(1234567, buf, sizeof buf);
    assert_string_equal(buf, "1.23M");
    cli_format_duration(59.6, buf, sizeof buf);
    assert_string_equal(buf, "1:00");
    cli_format_duration(3725, buf, sizeof buf);
    assert_string_equal(buf, "1:02:05");
    cli_format_duration(-1, buf, sizeof buf);
    assert_string_equal(buf, "--:--");
}

/* A stage with nothing to count (k-means inside faiss) says it is running,
 * with the time elapsed; its last report gives the totals. */
static void running_stage_shows_elapsed_time(void **state) {
    (void)state;
    cli_progress cp = plain_progress(10.0);
    rvcidx_progress r[] = {
        {"k-means", "running", 0, 0, 0, 0},       /* starts the clock at t=0 */
        {"k-means", "running", 0, 0, 0, 0},       /* t=12 */
        {"k-means", "iterations", 10, 10, 0, 1},  /* t=20 */
    };
    double t[] = {0.0, 12.0, 20.0};
    char *text = render_to_string(&cp, r, t, 3);
    assert_non_null(strstr(text, "rvcidx: progress: k-means running, elapsed 0:12 (no steps to count)\n"));
    assert_non_null(strstr(text, "k-means 10/10 iterations (100.0%)"));
    assert_non_null(strstr(text, "took 0:20"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_lines_throttled_with_rate_and_eta),
        cmocka_unit_test(bytes_give_megabytes_per_second),
        cmocka_unit_test(json_events_carry_counts),
        cmocka_unit_test(disabled_progress_prints_nothing),
        cmocka_unit_test(formats_counts_and_durations),
        cmocka_unit_test(running_stage_shows_elapsed_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
