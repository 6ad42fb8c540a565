/* test_eval_choice.c — eval's pure functions: the cost model, the recall
 * target's tests, the choice among measured settings (with a time budget,
 * a forced nprobe, and the no-margin fallback), the plateau rule, nlist for
 * a forced nprobe, and RVC's blend and its error. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "test_util.h"

#include "eval/eval_blend.h"
#include "eval/eval_choice.h"

static rvcidx_eval_point point(int nprobe, int k_factor, double recall, double bound, double cost) {
    rvcidx_eval_point p;
    memset(&p, 0, sizeof p);
    p.nprobe = nprobe, p.k_factor = k_factor, p.recall_k = recall, p.recall_k_bound = bound, p.cost = cost;
    return p;
}

static void cost_model(void **state) {
    (void)state;
    rvcidx__index_info flat = {.type = RVCIDX_INDEX_IVFFLAT, .dim = 768, .nlist = 1000, .ntotal = 1000000};
    /* coarse 1000*768, then nprobe lists of 1000 vectors of 768 floats */
    assert_true(rvcidx__eval_cost(&flat, 8, 16, 0) == 1000.0 * 768 + 16 * 1000.0 * 768);
    rvcidx__index_info pq = {.type = RVCIDX_INDEX_IVFPQ4FS, .dim = 768, .nlist = 1000, .ntotal = 1000000, .pq_m = 384};
    double want = 1000.0 * 768 + 16 * (1000.0 * 384 / 8.0 + 384 * 16.0) + 8.0 * 4 * 768;
    assert_true(rvcidx__eval_cost(&pq, 8, 16, 4) == want);
    assert_true(rvcidx__eval_cost(&pq, 8, 32, 4) > rvcidx__eval_cost(&pq, 8, 16, 4)); /* more lists cost more */
    assert_true(rvcidx__eval_cost(&pq, 8, 16, 8) > rvcidx__eval_cost(&pq, 8, 16, 4)); /* so do more candidates */
}

static void recall_target(void **state) {
    (void)state;
    rvcidx_eval_point p = point(16, 4, 0.97, 0.955, 1);
    assert_true(rvcidx__eval_meets_recall(&p, 0.95));
    assert_false(rvcidx__eval_meets_recall(&p, 0.96));  /* the bound, not the mean, must reach it */
    assert_true(rvcidx__eval_meets_recall_on_mean(&p, 0.96));
    p.empty_share = 0.001; /* an empty result slot fails it whatever the recall */
    assert_false(rvcidx__eval_meets_recall(&p, 0.5));
    assert_false(rvcidx__eval_meets_recall_on_mean(&p, 0.5));
    rvcidx_eval_point a = point(16, 4, 0, 0, 10), b = point(8, 8, 0, 0, 10), c = point(8, 4, 0, 0, 10);
    assert_true(rvcidx__eval_cheaper(&b, &a));  /* equal cost: the smaller nprobe */
    assert_true(rvcidx__eval_cheaper(&c, &b));  /* then the smaller k_factor */
    a.cost = 9;
    assert_true(rvcidx__eval_cheaper(&a, &b));  /* cost first */
}

static rvcidx_eval_report *report_of(const rvcidx_eval_point *pts, size_t n) {
    static rvcidx_eval_point points[16];
    static rvcidx_eval_report r;
    memset(&r, 0, sizeof r);
    memcpy(points, pts, n * sizeof *pts);
    r.points = points;
    r.n_points = n;
    r.target_recall = 0.95;
    r.nlist = 1000;
    return &r;
}

static void choice(void **state) {
    (void)state;
    rvcidx_eval_point pts[4] = {point(64, 8, 0.99, 0.98, 40), point(16, 4, 0.96, 0.955, 10),
                                point(8, 4, 0.93, 0.92, 5), point(32, 4, 0.97, 0.965, 20)};
    for (int i = 0; i < 4; i++) pts[i].reaches_target = pts[i].recall_k_bound >= 0.95;
    for (int i = 0; i < 4; i++) pts[i].reaches_mean = pts[i].recall_k >= 0.95;
    rvcidx_eval_report *r = report_of(pts, 4);
    rvcidx__eval_choose(r);
    assert_int_equal(r->chosen, 1); /* the cheapest that reaches the target */
    assert_int_equal(r->no_margin, 0);
    r->max_block_ms = 5; /* under a time budget (each point fits it): the best recall */
    rvcidx__eval_choose(r);
    assert_int_equal(r->chosen, 0);
    r->budget_cheapest = 1; /* under a realtime app's limit: the cheapest that fits */
    rvcidx__eval_choose(r);
    assert_int_equal(r->chosen, 1);
    r->budget_cheapest = 0;
    /* no bound reaches it, one mean does: that one, with no margin left */
    rvcidx_eval_point weak[2] = {point(16, 4, 0.951, 0.94, 10), point(8, 4, 0.93, 0.92, 5)};
    weak[0].reaches_mean = 1;
    r = report_of(weak, 2);
    rvcidx__eval_choose(r);
    assert_int_equal(r->chosen, 0);
    assert_int_equal(r->no_margin, 1);
    r->fixed_nprobe = 12; /* an app forcing nprobe retrains with fewer lists instead */
    rvcidx__eval_choose(r);
    assert_int_equal(r->chosen, -1);
}

/* A budget judges the longer of one thread's and the app's threads' p99. */
static void block_time_judged(void **state) {
    (void)state;
    rvcidx_eval_point p = point(16, 4, 0.97, 0.96, 10);
    assert_true(rvcidx__eval_block_p99(&p) == 0); /* not timed */
    p.block_ms_p99 = 7, p.app_block_ms_p99 = 4; /* 4 threads on enough cores: one thread is the longer */
    assert_true(rvcidx__eval_block_p99(&p) == 7);
    p.app_block_ms_p99 = 12; /* 4 threads on 2 cores can be the longer */
    assert_true(rvcidx__eval_block_p99(&p) == 12);
}

static void plateau_and_fewer_lists(void **state) {
    (void)state;
    rvcidx_eval_point done[5] = {point(16, 8, 0.5, 0, 0), point(8, 4, 0.90, 0, 0), point(16, 4, 0.95, 0, 0),
                                 point(32, 4, 0.96, 0, 0), point(64, 4, 0.9615, 0, 0)};
    assert_false(rvcidx__eval_plateaued(done, 3, 4)); /* two settings of k_factor 4 measured: too few to tell */
    assert_false(rvcidx__eval_plateaued(done, 4, 4)); /* the last step gained 0.01 */
    assert_true(rvcidx__eval_plateaued(done, 5, 4));  /* the last step gained 0.0015 */
    assert_false(rvcidx__eval_plateaued(done, 5, 8)); /* done[0], the stored setting, is not counted */
    rvcidx_eval_point pts[2] = {point(64, 4, 0.97, 0.96, 1), point(32, 4, 0.94, 0.93, 1)};
    rvcidx_eval_report *r = report_of(pts, 2);
    assert_int_equal(rvcidx_eval_nlist_for_nprobe(r, 16), 250); /* nprobe 64 of 1000 reached it: 16 of 250 */
    assert_int_equal(rvcidx_eval_nlist_for_nprobe(r, 64), 500);  /* at most half */
    assert_int_equal(rvcidx_eval_nlist_for_nprobe(r, 2000), 0);  /* nlist is already at most nprobe */
}

static void rvc_blend(void **state) {
    (void)state;
    enum { D = 4 };
    const float base[3 * D] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
    const float query[D] = {0.9f, 0.9f, 0.9f, 0.9f};
    const int64_t ids[2] = {1, 2};
    double out[D];
    rvcidx__blend_rows(base, 3, query, ids, 2, D, out);
    /* weights 1/score^2: row 1 at 0.04, row 2 at 4.84 */
    double w1 = 1.0 / pow(rvcidx__squared_l2(query, base + D, D), 2), w2 = 1.0 / pow(rvcidx__squared_l2(query, base + 2 * D, D), 2);
    for (int j = 0; j < D; j++) assert_true(fabs(out[j] - (w1 * 1 + w2 * 2) / (w1 + w2)) < 1e-12);
    const int64_t empty[2] = {1, -1}; /* an empty slot is the last row at FLT_MAX: it weighs nothing */
    rvcidx__blend_rows(base, 3, query, empty, 2, D, out);
    for (int j = 0; j < D; j++) assert_true(fabs(out[j] - 1.0) < 1e-12);
    const double want[D] = {1, 1, 1, 1}, got[D] = {1, 1, 1, 2};
    assert_true(rvcidx__blend_error(want, want, D) == 0);
    assert_true(fabs(rvcidx__blend_error(got, want, D) - 0.5) < 1e-15); /* |(0,0,0,1)| / |(1,1,1,1)| */
    const double zero[D] = {0, 0, 0, 0};
    assert_true(rvcidx__blend_error(got, zero, D) == 0);
    double xs[4] = {3, 1, 2, 0};
    qsort(xs, 4, sizeof *xs, rvcidx__compare_double);
    assert_true(xs[0] == 0 && xs[3] == 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cost_model),
        cmocka_unit_test(recall_target),
        cmocka_unit_test(choice),
        cmocka_unit_test(block_time_judged),
        cmocka_unit_test(plateau_and_fewer_lists),
        cmocka_unit_test(rvc_blend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
