/*
 * service_unit.h - a systemd service as its files say it is, read
 * without a running systemd: the unit file found in the unit paths, its
 * drop-ins in systemd's order, and the [Service] settings they make.
 */
#ifndef SHIM_CMD_SERVICE_UNIT_H
#define SHIM_CMD_SERVICE_UNIT_H

#include <limits.h>
#include <stddef.h>

/* The drop-in tcpshim service writes, in /etc/systemd/system/NAME.d/. */
#define SERVICE_DROPIN "tcpshim.conf"

/* One "Key=value" of a [Service] section, and the file it is in. */
struct unit_setting {
	char *key;
	char *value;
	const char *file;
};

struct unit {
	const char *root;        /* "" or the --root directory */
	char name[256];          /* nginx.service */
	char path[PATH_MAX];     /* the unit file, as systemd names it */
	char dropin[PATH_MAX];   /* tcpshim's drop-in, as systemd names it */
	struct unit_setting *set;
	size_t nset;
	char **files;            /* the drop-ins read, in order */
	size_t nfiles;
	/* The settings read before where tcpshim's drop-in sorts. */
	size_t nbefore;
	/* A drop-in read after tcpshim's that sets LD_PRELOAD, or NULL. */
	const char *preload_after;
};

/*
 * Find SERVICE ("nginx" or "nginx.service", "getty@tty1") under root
 * and read it with its drop-ins, all but tcpshim's own.  0, or -1 with
 * the reason in err.
 */
int unit_load(struct unit *u, const char *root, const char *service,
	      char *err, size_t errlen);

/* The value of key after every assignment (NULL if never set); values
 * that accumulate are read with unit_each. */
const char *unit_last(const struct unit *u, const char *key);

/* The index of the next assignment of key from index i on, or -1. */
long unit_next(const struct unit *u, const char *key, size_t i);

/* path as the file system under root has it: root's prefix added, a
 * final symbolic link followed inside root.  Into buf; 0 or -1. */
int unit_rooted(const char *root, const char *path, char *buf, size_t len);

#endif
