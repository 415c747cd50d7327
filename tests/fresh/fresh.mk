# make check-fresh: included by the top Makefile.
#
# What a newcomer sees: the README's first commands on a fresh Debian 12
# root (debootstrap), as root and as a plain user.  FRESH_VARIANT=minbase
# for the smallest root.
#
# tests/fresh/fresh.sh          builds the root and enters it
# tests/fresh/fresh_machine.sh  the newcomer's commands, run inside it
.PHONY: check-fresh
check-fresh:
	@sh tests/fresh/fresh.sh
