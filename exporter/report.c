/* report.c — placeholder */
#include "report.h"
#include <stdio.h>
int pl_report_main(int argc, char **argv, const char *default_db)
{
    (void)argc; (void)argv; (void)default_db;
    fprintf(stderr, "prompt-logger report: not implemented yet\n");
    return 1;
}
