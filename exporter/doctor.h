/* doctor.h — `prompt-logger doctor`: will this program be captured, and how?
 *
 *   doctor [--json] PROGRAM           reads PROGRAM's ELF file and the libraries it needs
 *                                     (without running it) and says, per capture path, whether
 *                                     it applies and why; a verdict last.
 *   doctor [--json] --run -- CMD ...  also runs CMD under libpromptlog.so (found next to this
 *                                     executable, or $PROMPTLOG_LIB) and reports what the
 *                                     library saw: TLS sessions per layer, LLM calls captured,
 *                                     sockets that carried TLS records no hook decrypted.
 *                                     CMD's stdout goes to stderr so stdout holds the report.
 * Returns the exit status: 0 done, 1 PROGRAM unreadable or CMD could not run, 2 usage. */
#ifndef PL_DOCTOR_H
#define PL_DOCTOR_H

/* argv[0] is "doctor". */
int pl_doctor_main(int argc, char **argv);

#endif
