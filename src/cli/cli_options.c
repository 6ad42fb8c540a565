/* cli_options.c — the command's options made from the library's parameter
 * table (rvcidx/params.h): getopt's long options, which parameter each one
 * sets, and their --help lines. An option is a table row: adding a
 * parameter to the library adds its option to every command that takes
 * the row's group. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* 1 when word is one of the space-separated words of list. */
static int in_list(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list ? list : ""; *p;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, " ");
        if (len == n && !strncmp(p, word, n)) return 1;
        p += len;
    }
    return 0;
}

static int wanted(const rvcidx_param_info *row, const char *groups, const char *skip) {
    return in_list(groups, row->group) && !in_list(skip, row->name) && row->flag[0] == '-' && row->flag[1] == '-';
}

void cli_options_add(cli_options *o, const char *name, int has_arg, int val) {
    if (o->n + 1 >= (int)(sizeof o->longopts / sizeof *o->longopts)) return; /* the table has far fewer rows */
    o->longopts[o->n++] = (struct option){name, has_arg, NULL, val};
    o->longopts[o->n] = (struct option){0, 0, 0, 0};
}

void cli_options_params(cli_options *o, const char *groups, const char *skip) {
    for (size_t i = 0; i < rvcidx_params_count(); i++) {
        const rvcidx_param_info *row = rvcidx_params_info(i);
        if (wanted(row, groups, skip))
            cli_options_add(o, row->flag + 2, row->type == RVCIDX_PARAM_FLAG ? no_argument : required_argument,
                            CLI_OPT_PARAM + (int)i);
    }
}

void cli_options_common(cli_options *o) {
    cli_options_add(o, "quiet", no_argument, 'q');
    cli_options_add(o, "verbose", no_argument, 'v');
    cli_options_add(o, "log-json", no_argument, CLI_OPT_LOG_JSON);
    cli_options_add(o, "no-progress", no_argument, CLI_OPT_NO_PROGRESS);
    cli_options_add(o, "help", no_argument, 'h');
}

const rvcidx_param_info *cli_option_param(int opt) {
    return opt >= CLI_OPT_PARAM ? rvcidx_params_info((size_t)(opt - CLI_OPT_PARAM)) : NULL;
}

int cli_option_set(const rvcidx_param_info *row, const char *arg, cli_param_setter set, void *params) {
    const char *value = row->type == RVCIDX_PARAM_FLAG ? "1" : arg;
    return set(params, row->name, value) ? cli_param_fail(row->name) : CLI_EXIT_OK;
}

/* "  -o, --output OUTDIR" or "      --nlist N|auto", padded to the help's column. */
static void print_row(FILE *out, const rvcidx_param_info *row) {
    enum { COLUMN = 27 };
    char left[128];
    if (!strcmp(row->flag, "-o"))
        snprintf(left, sizeof left, "  -o, --output %s", row->metavar);
    else
        snprintf(left, sizeof left, "      %s%s%s", row->flag, row->metavar[0] ? " " : "", row->metavar);
    if (strlen(left) < COLUMN) fprintf(out, "%-*s %s\n", COLUMN, left, row->help);
    else fprintf(out, "%s\n%-*s %s\n", left, COLUMN, "", row->help);
    for (const char *p = row->more; *p;) {
        size_t len = strcspn(p, "\n");
        fprintf(out, "%-*s %.*s\n", COLUMN, "", (int)len, p);
        p += len + (p[len] == '\n');
    }
}

void cli_print_param_help(FILE *out, const char *groups, const char *skip) {
    for (size_t i = 0; i < rvcidx_params_count(); i++) {
        const rvcidx_param_info *row = rvcidx_params_info(i);
        if (in_list(groups, row->group) && !in_list(skip, row->name)) print_row(out, row);
    }
}
