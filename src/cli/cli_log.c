/* cli_log.c — the command's one logger: text or JSON lines on stderr; and
 * what -q and --log-json do to stdout (nothing, or JSON lines).
 *
 * Parameters become options here. The library names parameters, not flags:
 *  - in running text between backquotes, alone or with a value:
 *    "pass `skip_bad`", "use `index=ivfflat`", "lower `nlist`";
 *  - at the very start of a message from rvcidx_*_params_set:
 *    "nlist: 'many' is not an integer in 1..16777216".
 * Every message the logger shows has each backquoted `name` or `name=value`
 * whose name is in the table below replaced by the option ("--skip-bad",
 * "--index ivfflat"); cli_param_fail turns the leading name into the option
 * (it knows which parameter failed). A backquoted word that is not exactly a
 * parameter's name (a file name, code) is left as it is, so ordinary text
 * cannot be rewritten. */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

cli_log g_cli_log = {NULL, 0, RVCIDX_LOG_INFO};
int g_cli_no_progress; /* --no-progress, with the other common options below */

int cli_exit_code(int status) { return rvcidx_exit_code(status); }

/* The demo's parameters (rvcidx/demo.h): not build parameters, so not in
 * the library's table. */
static const struct { const char *param, *flag; } demo_flags[] = {{"speakers", "--speakers"}, {"minutes", "--minutes"}};

/* The option of the parameter spelled by name[0..len), '-' or '_' alike:
 * the library's parameter table says it. */
static const char *flag_of(const char *name, size_t len) {
    char key[64];
    if (len == 0 || len >= sizeof key) return NULL;
    memcpy(key, name, len);
    key[len] = '\0';
    const rvcidx_param_info *row = rvcidx_params_find(key);
    if (row) return row->flag;
    for (size_t i = 0; i < sizeof demo_flags / sizeof *demo_flags; i++)
        if (!strcmp(key, demo_flags[i].param)) return demo_flags[i].flag;
    return NULL;
}

const char *cli_param_flag(const char *param) { return param ? flag_of(param, strlen(param)) : NULL; }

/* `name` -> --name and `name=value` -> --name value, for names in the table. */
const char *cli_with_flags(const char *msg, char *buf, size_t n) {
    if (!strchr(msg, '`')) return msg;
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < n;) {
        const char *close = *p == '`' ? strchr(p + 1, '`') : NULL;
        if (close) {
            const char *eq = memchr(p + 1, '=', (size_t)(close - p - 1));
            const char *flag = flag_of(p + 1, (size_t)((eq ? eq : close) - p - 1));
            if (flag && (!eq || eq + 1 < close)) {
                int w = eq ? snprintf(buf + o, n - o, "%s %.*s", flag, (int)(close - eq - 1), eq + 1)
                           : snprintf(buf + o, n - o, "%s", flag);
                o = w < 0 ? o : o + (size_t)w < n ? o + (size_t)w : n - 1;
                p = close + 1;
                continue;
            }
        }
        buf[o++] = *p++;
    }
    buf[o] = '\0';
    return buf;
}

static void emit_json_to(FILE *out, rvcidx_log_level level, const char *msg) {
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *obj = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", rvcidx_log_level_name(level), "msg", msg);
    char *line = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (line) fprintf(out, "%s\n", line);
    free(line);
    json_decref(obj);
}

static void emit_json(rvcidx_log_level level, const char *msg) { emit_json_to(g_cli_log.out, level, msg); }

/* Control characters from file names (a newline, an escape sequence) would
 * forge log lines or drive the terminal: shown as \xNN instead. */
static const char *printable(const char *msg, char *buf, size_t n) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < n; p++) {
        if (*p < 0x20 || *p == 0x7F) o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
        else buf[o++] = (char)*p;
    }
    buf[o] = '\0';
    return buf;
}

static void cli_sink(rvcidx_log_level level, const char *text, void *user) {
    (void)user;
    if (level > g_cli_log.level) return;
    char flagged[8192];
    const char *raw = cli_with_flags(text, flagged, sizeof flagged);
    if (g_cli_log.json) { /* JSON escapes control characters itself */
        emit_json(level, raw);
        return;
    }
    char buf[8192];
    const char *msg = printable(raw, buf, sizeof buf);
    if (level <= RVCIDX_LOG_WARN)
        fprintf(g_cli_log.out, "rvcidx: %s: %s\n", rvcidx_log_level_name(level), msg);
    else
        fprintf(g_cli_log.out, "rvcidx: %s\n", msg);
}

void cli_log_install(void) {
    if (!g_cli_log.out) g_cli_log.out = stderr;
    rvcidx_log_set_sink(cli_sink, NULL, g_cli_log.level);
}

void cli_logf(rvcidx_log_level level, const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (!g_cli_log.out) g_cli_log.out = stderr;
    cli_sink(level, line, NULL);
}

int cli_param_fail(const char *key) {
    const char *msg = rvcidx_last_error(), *flag = cli_param_flag(key);
    size_t len = strlen(key);
    if (flag && !strncmp(msg, key, len) && (msg[len] == ':' || msg[len] == ' '))
        cli_logf(RVCIDX_LOG_ERROR, "%s%s", flag, msg + len);
    else
        cli_logf(RVCIDX_LOG_ERROR, "%s", msg);
    return CLI_EXIT_USAGE;
}

int cli_fail(int status, const char *what) {
    const char *msg = rvcidx_last_error();
    cli_logf(RVCIDX_LOG_ERROR, "%s", msg[0] ? msg : (what ? what : rvcidx_strerror(status)));
    return cli_exit_code(status);
}

/* ---- stdout under -q and --log-json ------------------------------------- *
 * Every command prints its results with printf; rather than route each call
 * through the logger, stdout itself is replaced by a stream that drops what
 * is written (-q: errors only, and they go to stderr) or turns each line
 * into a JSON object like the log's (--log-json: stdout parses as JSON lines). */
static FILE *real_stdout;
static char *pending;
static size_t pending_len, pending_cap;

static void emit_stdout_line(const char *line) {
    if (line[0]) emit_json_to(real_stdout, RVCIDX_LOG_INFO, line);
}

static ssize_t filtered_write(void *cookie, const char *buf, size_t n) {
    (void)cookie;
    if (!g_cli_log.json) return (ssize_t)n; /* -q: nothing */
    for (size_t i = 0; i < n; i++) {
        if (pending_len + 1 >= pending_cap) {
            size_t cap = pending_cap ? 2 * pending_cap : 256;
            char *grown = realloc(pending, cap);
            if (!grown) return -1;
            pending = grown, pending_cap = cap;
        }
        if (buf[i] != '\n') {
            pending[pending_len++] = buf[i];
            continue;
        }
        pending[pending_len] = '\0';
        emit_stdout_line(pending);
        pending_len = 0;
    }
    fflush(real_stdout);
    return (ssize_t)n;
}

/* A last line without its newline. */
static void flush_pending(void) {
    fflush(stdout);
    if (pending_len && g_cli_log.json) {
        pending[pending_len] = '\0';
        emit_stdout_line(pending);
        fflush(real_stdout);
    }
    pending_len = 0;
    free(pending);
    pending = NULL, pending_cap = 0;
}

void cli_stdout_filter_install(void) {
    if (real_stdout || (!g_cli_log.json && g_cli_log.level != RVCIDX_LOG_ERROR)) return;
    cookie_io_functions_t io = {NULL, filtered_write, NULL, NULL};
    FILE *f = fopencookie(NULL, "w", io);
    if (!f) return; /* stdout stays as it is */
    fflush(stdout);
    setvbuf(f, NULL, _IOLBF, 0);
    real_stdout = stdout;
    stdout = f;
    atexit(flush_pending);
}

/* -q, -v, --log-json and --no-progress: every command takes them. */
int cli_common_option(int opt) {
    switch (opt) {
    case 'q': g_cli_log.level = RVCIDX_LOG_ERROR; break;
    case 'v': g_cli_log.level = RVCIDX_LOG_DEBUG; break;
    case CLI_OPT_LOG_JSON: g_cli_log.json = 1; break;
    case CLI_OPT_NO_PROGRESS: g_cli_no_progress = 1; break;
    default: return 0;
    }
    cli_log_install();
    if (opt == 'q' || opt == CLI_OPT_LOG_JSON) cli_stdout_filter_install();
    return 1;
}
