/*
 * report_html.h - "tcpshim report --html FILE": one self-contained page.
 */
#ifndef SHIM_CMD_REPORT_HTML_H
#define SHIM_CMD_REPORT_HTML_H

#include "cmd/report_model.h"

/* Write the page to path: 0, or -1 with the reason on stderr. */
int report_html(const struct report *r, const char *path);

#endif
