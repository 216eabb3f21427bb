/* doctor_report.h — what `prompt-logger doctor --run` learns from inside the program: counters
 * the hooks bump, written as one line per process to $PROMPTLOG_DOCTOR_REPORT at exit.
 *
 * Contract: the note functions are lock-free (relaxed atomics), never fail, never allocate, and
 * cost one load when the variable is unset. The line is appended with one write(2) (O_APPEND),
 * so the processes of one run never interleave. Format, space-separated key=value:
 *   pid exe patched_entry got_slots sessions_openssl sessions_gnutls sessions_socket
 *   tls_sockets captured_curl captured_openssl captured_gnutls captured_socket sessions_go captured_go */
#ifndef PL_DOCTOR_REPORT_H
#define PL_DOCTOR_REPORT_H

#include <stddef.h>

#include "../proto/exchange.h"
#include "runtime.h"

/* conn.c: a connection's first bytes were classified (http: HTTP/1 or HTTP/2, else ignored);
 * sniff is what the program wrote first (a TLS record on a plain socket means TLS that no TLS
 * hook decrypted, unless a TLS-layer session accounts for it). */
PL_HIDDEN void pl_doctor_note_sniff(pl_source src, int http, const void *sniff, size_t n);
/* capture.c: one row committed by this layer. */
PL_HIDDEN void pl_doctor_note_captured(pl_source src);
/* patch_exe.c: functions entry-patched at start-up. */
PL_HIDDEN void pl_doctor_note_patched(int functions);
/* patch_dlopen.c: import slots rewritten. */
PL_HIDDEN void pl_doctor_note_got(int slots);
/* process.c's fork-child step: the child's counters start from zero. */
PL_HIDDEN void pl_doctor_fork_child(void);

#endif
