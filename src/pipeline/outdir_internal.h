/* outdir_internal.h — private: OUTDIR checks the build stages share. */
#ifndef RVCIDX_OUTDIR_INTERNAL_H
#define RVCIDX_OUTDIR_INTERNAL_H

/* RVCIDX_EINPUT when a directory sits at a name rvcidx replaces in dir
 * (top: OUTDIR's names, else an index folder's). */
int rvcidx__outdir_check_replaceable(const char *dir, int top);

#endif
