/* curl_shadow.h — our private copy of the options a program set on each libcurl easy handle,
 * because libcurl offers no way to read options back. Internal to the libcurl hooks.
 *
 * Contract: a shadow mirrors libcurl's own setopt semantics (last call wins, POST/HTTPGET/NOBODY/
 * UPLOAD interplay, POSTFIELDS not copied, COPYPOSTFIELDS copied) for the options the capture
 * needs, and always holds the PROGRAM's callbacks, even while ours are installed. One handle is
 * used by one thread at a time (libcurl's rule), so a shadow's fields need no lock; the table
 * that maps handles to shadows is locked. */
#ifndef PL_CURL_SHADOW_H
#define PL_CURL_SHADOW_H

/* Programs still use deprecated options (HTTPPOST, IOCTLFUNCTION); we must recognise them. */
#ifndef CURL_DISABLE_DEPRECATION
#define CURL_DISABLE_DEPRECATION
#endif
#include <curl/curl.h>
#include <stdio.h>

#include "capture.h"
#include "runtime.h"

#ifndef CURL_WRITEFUNC_ERROR
#define CURL_WRITEFUNC_ERROR 0xFFFFFFFF
#endif

enum pl_curl_method { PL_CM_GET = 0, PL_CM_POST, PL_CM_PUT, PL_CM_HEAD, PL_CM_FORM };

struct pl_curl_xfer;

typedef struct pl_curl_shadow {
    CURL *handle;
    struct pl_curl_shadow *next;    /* hash chain */

    char *url;
    CURLU *curlu;
    char *customrequest;
    int method;                     /* enum pl_curl_method, as libcurl's data->set.method */
    int no_body;                    /* CURLOPT_NOBODY */
    int include_header;             /* CURLOPT_HEADER: headers also reach the write callback */
    struct curl_slist *httpheader;  /* the program's list; libcurl does not copy it either */
    const void *postfields;         /* the program's buffer, or copypostfields */
    char *copypostfields;           /* our copy of CURLOPT_COPYPOSTFIELDS */
    curl_off_t postfieldsize;       /* -1: strlen(postfields) */
    char *useragent;
    int has_userpwd;                /* CURLOPT_USERPWD / USERNAME: Authorization: Basic */
    int has_bearer;                 /* CURLOPT_XOAUTH2_BEARER */
    int accept_encoding;            /* CURLOPT_ACCEPT_ENCODING set: libcurl decodes bodies */
    int no_decoding;                /* CURLOPT_HTTP_CONTENT_DECODING 0: it does not after all */

    /* The program's callbacks and their data: NULL function = libcurl's default. */
    curl_write_callback writefn;
    void *writedata;                /* default stdout */
    curl_read_callback readfn;
    void *readdata;                 /* default stdin */
    curl_seek_callback seekfn;
    void *seekdata;
    int has_ioctl;                  /* CURLOPT_IOCTLFUNCTION (libcurl's rewind fallback) */
    curl_write_callback headerfn;
    void *headerdata;

    struct pl_curl_xfer *xfer;      /* capture in progress (our callbacks installed), or NULL */
} pl_curl_shadow;

/* Finds the shadow of h, creating it when create is set. NULL when absent (or out of memory). */
PL_HIDDEN pl_curl_shadow *pl_curl_shadow_get(CURL *h, int create);
/* Unlinks and frees the shadow of h (its xfer must already be finished). */
PL_HIDDEN void pl_curl_shadow_drop(CURL *h);
/* Back to libcurl's defaults (curl_easy_reset). */
PL_HIDDEN void pl_curl_shadow_reset(pl_curl_shadow *s);
/* A shadow for dst copying src's options as curl_easy_duphandle copies them. */
PL_HIDDEN pl_curl_shadow *pl_curl_shadow_dup(const pl_curl_shadow *src, CURL *dst);

/* Records a successful curl_easy_setopt. arg holds the one argument, read by option type. */
typedef union pl_curl_arg {
    long l;
    void *p;
    void (*fn)(void);
    curl_off_t off;
} pl_curl_arg;
PL_HIDDEN void pl_curl_shadow_record(pl_curl_shadow *s, CURLoption opt, pl_curl_arg arg);

/* 1 when opt is one of the callbacks/data we replace during a capture. */
PL_HIDDEN int pl_curl_shadow_is_wrapped(CURLoption opt);

/* The request method libcurl will send ("POST"); static or the shadow's own string. */
PL_HIDDEN const char *pl_curl_shadow_method(const pl_curl_shadow *s);
/* The body libcurl will send from POSTFIELDS/COPYPOSTFIELDS, or NULL (read callback or none). */
PL_HIDDEN const void *pl_curl_shadow_body(const pl_curl_shadow *s, size_t *len);
/* Adds the request headers libcurl will send that we can know: HTTPHEADER, plus Content-Type
 * for a form POST, User-Agent and (value redacted) Authorization the program set by option. */
PL_HIDDEN void pl_curl_shadow_headers(const pl_curl_shadow *s, pl_headers *out);

/* Fork steps (process.c): the table lock is held across fork, released in parent and child. */
PL_HIDDEN void pl_curl_shadow_fork_prepare(void);
PL_HIDDEN void pl_curl_shadow_fork_release(void);

#endif
