/*
 * unit_nextsym.c - nextsym() agrees with dlsym(RTLD_NEXT) on every name
 * the library binds, and on names it must leave to dlsym (an indirect
 * function, a name nobody defines).  Linked into this program, "this
 * library" is the program itself, and the objects after it are the
 * same ones for both.
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>

#include "os/nextsym.h"
#include "os/real.h"

START_TEST(nextsym_finds_what_dlsym_finds)
{
	static const char *const names[] = {
#define NAME(name) #name,
		SHIM_REAL_SYMBOLS(NAME)
#undef NAME
		"getpid", "gettid", "clock_gettime", "secure_getenv",
	};
	int found = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		void *fast = nextsym(names[i]);
		void *slow = dlsym(RTLD_NEXT, names[i]);

		ck_assert_msg(fast == NULL || fast == slow,
			      "%s: nextsym %p, dlsym %p", names[i], fast, slow);
		found += fast != NULL;
	}
	/* It does the work, not dlsym: every one of them is a plain
	 * function of libc. */
	ck_assert_int_eq(found, (int)(sizeof(names) / sizeof(*names)));
}
END_TEST

START_TEST(nextsym_leaves_the_rest_to_dlsym)
{
	/* memcpy is an indirect function in libc: its address is the
	 * resolver's choice, dlsym's to make.  (A sanitizer runtime loaded
	 * first defines a plain one, which both then find.) */
	void *fast = nextsym("memcpy");

	ck_assert_msg(fast == NULL || fast == dlsym(RTLD_NEXT, "memcpy"),
		      "memcpy: nextsym %p", fast);
	ck_assert_ptr_null(nextsym("no_such_function_anywhere"));
	ck_assert_ptr_null(nextsym(""));
}
END_TEST

Suite *unit_nextsym_suite(void)
{
	Suite *s = suite_create("nextsym");
	TCase *tc = tcase_create("lookup");

	tcase_add_test(tc, nextsym_finds_what_dlsym_finds);
	tcase_add_test(tc, nextsym_leaves_the_rest_to_dlsym);
	suite_add_tcase(s, tc);
	return s;
}
