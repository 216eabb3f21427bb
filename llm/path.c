/* path.c — the segment compares the providers' path rules are written in (provider.h). Paths are
 * (pointer, length) views without query string: no allocation, no copies. */
#include "provider.h"

#include <ctype.h>
#include <string.h>

int pl_path_ends(const char *p, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(p + n - k, suffix, k) == 0;
}

void pl_path_seg_before(const char *p, size_t end, const char **seg, size_t *len)
{
    size_t s = end;
    while (s > 0 && p[s - 1] != '/')
        s--;
    *seg = p + s;
    *len = end - s;
}

int pl_path_seg_is(const char *seg, size_t len, const char *word)
{
    size_t k = strlen(word);
    return len == k && memcmp(seg, word, k) == 0;
}

int pl_path_version_seg(const char *seg, size_t len)
{
    if (len < 2 || seg[0] != 'v' || !isdigit((unsigned char)seg[1]))
        return 0;
    for (size_t i = 2; i < len; i++)
        if (!isalnum((unsigned char)seg[i]))
            return 0;
    return 1;
}

void pl_path_copy(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int pl_path_model_verb(const char *p, size_t n, pl_model_verb *mv)
{
    const char *seg;
    size_t len;
    pl_path_seg_before(p, n, &seg, &len);
    const char *colon = memchr(seg, ':', len);
    if (!colon || seg == p)
        return 0;
    const char *parent;
    size_t plen;
    pl_path_seg_before(p, (size_t)(seg - p) - 1, &parent, &plen);
    if (colon == seg || !pl_path_seg_is(parent, plen, "models"))
        return 0;
    mv->model = seg;
    mv->model_len = (size_t)(colon - seg);
    mv->verb = colon + 1;
    mv->verb_len = (size_t)(seg + len - mv->verb);
    mv->models_seg = parent;
    return 1;
}
