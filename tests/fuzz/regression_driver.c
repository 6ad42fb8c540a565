/* regression_driver.c — replays a fuzz corpus through LLVMFuzzerTestOneInput
 * without libFuzzer, so every ctest run re-checks the seeds and every crasher
 * the fuzzer ever found (a crash or failed invariant aborts the run).
 *
 * File names carry the expected outcome: "ok_*" must be accepted whole,
 * "bad_*" must be rejected; other names (fuzzer finds) only must not crash.
 *
 * Usage: fuzz_npy_regression DIR_OR_FILE...   Prints "N passed, M failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern int fuzz_npy_last_rc;

static int passed, failed;

static unsigned char *read_whole(const char *path, size_t *size) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n;
    unsigned char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = grown;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    int ok = !ferror(fp);
    fclose(fp);
    if (!ok) {
        free(buf);
        return NULL;
    }
    *size = len;
    return buf ? buf : malloc(1); /* an empty file is a valid input */
}

static void replay(const char *path) {
    size_t size = 0;
    unsigned char *data = read_whole(path, &size);
    if (!data) {
        fprintf(stderr, "FAIL %s: cannot read\n", path);
        failed++;
        return;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int accepted = fuzz_npy_last_rc == 0;
    if ((strncmp(base, "ok_", 3) == 0 && !accepted) || (strncmp(base, "bad_", 4) == 0 && accepted)) {
        fprintf(stderr, "FAIL %s: %s\n", path, accepted ? "accepted, expected rejection" : "rejected, expected acceptance");
        failed++;
        return;
    }
    passed++;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_dir(const char *dir) {
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "FAIL %s: cannot list\n", dir);
        failed++;
        return;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        struct stat st;
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) replay(path);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) replay_dir(argv[i]);
        else replay(argv[i]);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
