/* curl_xfer.h — one captured libcurl transfer: the tees that replace the program's callbacks
 * while it runs, and its start (options mirrored into an exchange, tees installed) and finish
 * (the program's options restored exactly, libcurl's info gathered, the exchange committed).
 * Shared by the easy (hook_curl_easy.c) and multi (hook_curl_multi.c) hooks. */
#ifndef PL_CURL_XFER_H
#define PL_CURL_XFER_H

#include "../proto/body.h"
#include "curl_shadow.h"

typedef struct pl_curl_xfer {
    pl_curl_shadow *sh;
    pl_exchange *x;
    pl_endpoint ep;
    size_t max_body;
    int multi;          /* armed by curl_multi_add_handle */
    int wrapped_read;   /* READFUNCTION/READDATA replaced */
    int wrapped_seek;   /* SEEKFUNCTION/SEEKDATA replaced */
    int body_started;   /* the first body byte arrived: the final response head is known */
    pl_body body;       /* the response body as stored: decoded when the program gets it encoded */
} pl_curl_xfer;

typedef CURLcode (*pl_curl_setopt_fn)(CURL *, CURLoption, ...);

/* The real curl_easy_setopt, or NULL. */
PL_HIDDEN pl_curl_setopt_fn pl_curl_real_setopt(void);

/* Returns the armed transfer when the handle's request is one we record, else NULL; multi: armed
 * by curl_multi_add_handle (finished by CURLMSG_DONE or removal, not by perform). */
PL_HIDDEN pl_curl_xfer *pl_curl_xfer_begin(CURL *h, pl_curl_shadow *sh, int multi);
/* Drops an armed transfer without recording it (curl_multi_add_handle failed). */
PL_HIDDEN void pl_curl_xfer_abandon(CURL *h, pl_curl_shadow *sh);
/* Restores the program's options, gathers what libcurl knows and commits. have_rc: the
 * transfer finished with rc (perform returned, CURLMSG_DONE); otherwise it was removed or
 * cleaned up without a DONE message and its completeness is judged from the byte counts. */
PL_HIDDEN void pl_curl_xfer_finish(CURL *h, pl_curl_shadow *sh, CURLcode rc, int have_rc);

#endif
