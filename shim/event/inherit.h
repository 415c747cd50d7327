/*
 * inherit.h - TCP connections a process has from the start, passed
 * across exec.
 */
#ifndef SHIM_EVENT_INHERIT_H
#define SHIM_EVENT_INHERIT_H

/* Track them: called once by the constructor, before events go out. */
void inherit_adopt(void);

#endif
