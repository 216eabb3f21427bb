/* outfile.c — atomic export output (see outfile.h): a temporary file beside FILE, fsync'ed and
 * renamed into place on success, unlinked on failure. */
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_stdout(const char *file)
{
    return !file || strcmp(file, "-") == 0;
}

int pl_outfile_open(pl_outfile *o, const char *file)
{
    memset(o, 0, sizeof *o);
    o->file = file;
    static char stdout_buf[1 << 16];
    if (is_stdout(file)) {
        o->f = stdout;
        setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);   /* JSON lines, not a terminal */
        return 0;
    }
    struct stat st;
    int exists = stat(file, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        o->f = fopen(file, "w");
        if (!o->f) {
            fprintf(stderr, "prompt-logger: cannot write %s: %s\n", file, strerror(errno));
            return 1;
        }
        return 0;
    }
    size_t n = strlen(file);
    o->tmp = malloc(n + 16);
    if (!o->tmp) {
        fprintf(stderr, "prompt-logger: out of memory\n");
        return 1;
    }
    snprintf(o->tmp, n + 16, "%s.tmp-XXXXXX", file);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        fprintf(stderr, "prompt-logger: cannot write %s: %s\n", file, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return 1;
    }
    /* mkstemp makes 0600; the result gets the mode the file had, or what fopen would give. */
    mode_t mode;
    if (exists) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(fd, mode) != 0) {
        /* not fatal: the export is still correct, only its mode differs */
    }
    o->f = fdopen(fd, "w");
    if (o->f)
        setvbuf(o->f, NULL, _IOFBF, 1 << 16);
    if (!o->f) {
        fprintf(stderr, "prompt-logger: cannot write %s: %s\n", file, strerror(errno));
        close(fd);
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        return 1;
    }
    return 0;
}

int pl_outfile_finish(pl_outfile *o, int ok)
{
    const char *name = is_stdout(o->file) ? "stdout" : o->file;
    int bad = fflush(o->f) != 0 || ferror(o->f);
    int saved = errno;
    if (!bad && o->tmp && fsync(fileno(o->f)) != 0) {
        bad = 1;
        saved = errno;
    }
    if (o->f != stdout && fclose(o->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    o->f = NULL;
    if (!bad && ok && o->tmp && rename(o->tmp, o->file) != 0) {
        bad = 1;
        saved = errno;
    }
    if (o->tmp && (bad || !ok))
        unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    if (bad) {
        fprintf(stderr, "prompt-logger: error writing %s: %s\n", name, strerror(saved));
        return 1;
    }
    return ok ? 0 : 1;
}
