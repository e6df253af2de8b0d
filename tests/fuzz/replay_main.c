/*
 * replay_main - runs the fuzz target over files, without libFuzzer: every
 * file named, and every file in every directory named (the committed
 * corpus in ctest). A crash or sanitizer report fails the test, as the
 * fuzzer would; a clean run ends with the ledger verified once more.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    uint8_t chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            uint8_t *p = realloc(buf, cap);
            if (p == NULL) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = p;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf != NULL ? buf : (const uint8_t *)"", len);
    free(buf);
    return 0;
}

/* In name order, so that a replay is the same sequence everywhere (the
 * inputs share one ledger). */
static int replay_dir(const char *path, size_t *count)
{
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        perror(path);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char file[4096];
        struct stat st;
        snprintf(file, sizeof file, "%s/%s", path, names[i]->d_name);
        if (rc == 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = replay_file(file);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
                     ? replay_dir(argv[i], &count)
                     : (count++, replay_file(argv[i]));
        if (rc != 0)
            return 1;
    }
    printf("replayed %zu inputs\n", count);
    return count > 0 ? 0 : 1;
}
