/* fuzz_manifest.c — fuzzes what rvcidx reads back from an output directory:
 * manifest.json through rvcidx__manifest_read_request (the no-op check of a
 * nightly build) and rvcidx_verify. The input becomes OUTDIR/manifest.json
 * beside one real file; nothing it says may crash the reader, and no output
 * path it names may lead outside OUTDIR.
 *
 * Built as a libFuzzer target with -DRVCIDX_FUZZ=ON (clang); with
 * -DRVCIDX_FUZZ_REPLAY it has a main() that replays a corpus directory
 * (ctest: fuzz_manifest_regression), printing "N passed, 0 failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outdir/manifest.h"

static char dir[256];

static void setup_dir(void) {
    if (dir[0]) return;
    snprintf(dir, sizeof dir, "/tmp/rvcidx-fuzz-manifest.%ld", (long)getpid());
    char path[700];
    snprintf(path, sizeof path, "mkdir -p %s && printf 'data' > %s/store.h5", dir, dir);
    if (system(path) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    setup_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fwrite(data, 1, size, f);
    fclose(f);
    char *request = NULL;
    rvcidx__manifest_read_request(dir, &request);
    free(request);
    size_t bad = 0, checked = 0;
    rvcidx_verify(dir, 1, &bad, &checked);
    rvcidx_verify(dir, 0, &bad, &checked);
    return 0;
}

#ifdef RVCIDX_FUZZ_REPLAY
int main(int argc, char **argv) {
    int passed = 0;
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
            FILE *f = fopen(path, "rb");
            if (!f) continue;
            static uint8_t buf[1 << 20];
            size_t n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            LLVMFuzzerTestOneInput(buf, n);
            passed++;
        }
        if (d) closedir(d);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (dir[0] && system(cmd) != 0) return 1;
    printf("%d passed, 0 failed\n", passed);
    return passed > 0 ? 0 : 1;
}
#endif
