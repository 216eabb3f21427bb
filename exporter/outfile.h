/* outfile.h — an export's output file, replaced atomically: lines go to a temporary file in the
 * same directory, renamed over FILE only when the export succeeded, so a failed export leaves
 * an existing FILE byte-identical. "-" is stdout; an existing FILE that is not a regular file
 * (a FIFO, /dev/null, a terminal) is written in place, since renaming over it would replace it. */
#ifndef PL_OUTFILE_H
#define PL_OUTFILE_H

#include <stdio.h>

typedef struct pl_outfile {
    FILE *f;
    const char *file;   /* as given; NULL or "-" = stdout */
    char *tmp;          /* the temporary file's path while one is in use */
} pl_outfile;

/* Returns 0, or 1 after reporting on stderr why FILE cannot be written. */
int pl_outfile_open(pl_outfile *o, const char *file);
/* ok: flush, sync and rename into place. !ok: discard the temporary file. Returns 0, or 1 after
 * reporting a write error (full disk, closed pipe...) or when !ok. */
int pl_outfile_finish(pl_outfile *o, int ok);

#endif
