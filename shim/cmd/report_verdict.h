/*
 * report_verdict.h - a row's verdict: what happened, in words, from
 * what the logs hold of its ends and layers.
 */
#ifndef SHIM_CMD_REPORT_VERDICT_H
#define SHIM_CMD_REPORT_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/report_model.h"

/* An end's value, its program's (the preload's) where it has one, else
 * its kernel's: these pick the layer. */
const struct rev *report_program(const struct report *r, uint32_t i);
const struct rev *report_kernel(const struct report *r, uint32_t i);

/* The row headed by event i: who sent the reset (the head, or REV_NONE
 * when only the receiver is known) and who received it (REV_NONE when
 * not known). */
void report_row_ends(const struct report *r, uint32_t i, uint32_t *sender,
		     uint32_t *receiver);

/* The row's cause as "SENDER/RECEIVER" (each "-" when not known), or the
 * one end's. */
void report_row_cause(const struct report *r, uint32_t i, char *buf,
		      size_t size);

/* The verdict of the row headed by event i into buf. */
void report_verdict(const struct report *r, uint32_t i, char *buf,
		    size_t size);

/* When the receiving end's program saw the reset (the preload's time),
 * else when its kernel took it; INT64_MIN when not known. */
int64_t report_seen_time(const struct report *r, uint32_t x);

/* The length of s[0..len) without a last UTF-8 character cut short. */
size_t report_utf8_whole(const char *s, size_t len);

/* A duration as "0.4 ms", "2.1 s", "2 min 3 s" into buf (32 bytes). */
char *report_duration(int64_t ns, char *buf);

#endif
