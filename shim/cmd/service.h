/*
 * service.h - tcpshim service SERVICE [options] [--print | --remove]:
 * a systemd drop-in that runs the service under tcpshim.
 */
#ifndef SHIM_CMD_SERVICE_H
#define SHIM_CMD_SERVICE_H

/* argv[0] is "service"; returns the exit status: 0 done, 1 refused or
 * failed (said why), 2 bad usage. */
int service_main(int argc, char **argv);

#endif
