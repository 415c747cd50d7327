# make deb and make check-deb: included by the top Makefile.
#
# debian/make-deb.sh   builds the packages with dpkg-buildpackage in a
#                      copy of the tree under build/deb/ (dh clean would
#                      wipe the developer's build/, and the packages land
#                      beside the tree they were built from)
# tests/deb.sh         make check-deb: two builds in two directories,
#                      compared byte for byte; lintian; what each package
#                      holds
.PHONY: deb check-deb
deb:
	@sh debian/make-deb.sh

check-deb:
	@sh tests/deb.sh
