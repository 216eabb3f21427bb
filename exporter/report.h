/* report.h — `prompt-logger report -o report.html`: one self-contained HTML file (inline CSS,
 * JS and SVG, no network) with the overview, per-model table, conversations, prompt versions
 * with their diffs, and the slowest, most expensive and failed calls. */
#ifndef PL_REPORT_H
#define PL_REPORT_H

/* The CLI entry point: argv[0] is "report". Returns the exit status (0, 1 failure, 2 usage). */
int pl_report_main(int argc, char **argv, const char *default_db);

#endif
