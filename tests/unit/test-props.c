/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-props.c: vm_props_parse() and the typed parsers.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <kvm-virtio.h>

#include "core/prop.h"
#include "check-main.h"

START_TEST(test_parse_pairs_flags_and_escapes)
{
	struct vm_prop *p = NULL;
	int found;

	ck_assert_int_eq(vm_props_parse("a=1,flag,b=x,,y,c=", &p, NULL), 4);
	ck_assert_str_eq(p[0].key, "a");
	ck_assert_str_eq(p[0].value, "1");
	ck_assert_str_eq(p[1].key, "flag");
	ck_assert_ptr_null(p[1].value);
	ck_assert_str_eq(p[2].value, "x,y");
	ck_assert_str_eq(p[3].value, "");
	ck_assert_ptr_null(p[4].key);
	ck_assert_ptr_null(vm_props_get(p, "flag", &found));
	ck_assert_int_eq(found, 1);
	ck_assert_ptr_null(vm_props_get(p, "zz", &found));
	ck_assert_int_eq(found, 0);
	vm_props_free(p);
}
END_TEST

START_TEST(test_parse_empty_text)
{
	struct vm_prop *p = NULL;

	ck_assert_int_eq(vm_props_parse("", &p, NULL), 0);
	ck_assert_ptr_null(p[0].key);
	vm_props_free(p);
	vm_props_free(NULL);
}
END_TEST

START_TEST(test_parse_rejects_empty_keys)
{
	struct vm_prop *p = NULL;
	struct vm_error *err = NULL;

	ck_assert_int_eq(vm_props_parse("=v", &p, &err), -EINVAL);
	ck_assert(strstr(vm_error_message(err), "empty key"));
	vm_error_free(err);
	ck_assert_int_eq(vm_props_parse("a=1,,", &p, NULL), 1); /* ",," is a comma */
	vm_props_free(p);
	ck_assert_int_eq(vm_props_parse(",a=1", &p, NULL), -EINVAL);
	ck_assert_int_eq(vm_props_parse("a=1,,,", &p, NULL), 1);
	vm_props_free(p);
	ck_assert_int_eq(vm_props_parse(NULL, &p, NULL), -EINVAL);
}
END_TEST

START_TEST(test_typed_parsers)
{
	uint8_t b, mac[6];
	uint64_t v;

	ck_assert_int_eq(prop_parse_bool("ON", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(prop_parse_bool("false", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(prop_parse_bool(NULL, &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(prop_parse_bool("2", &b), -EINVAL);
	ck_assert_int_eq(prop_parse_u64("0x10", &v), 0);
	ck_assert_uint_eq(v, 16);
	ck_assert_int_eq(prop_parse_u64("18446744073709551615", &v), 0);
	ck_assert_int_eq(prop_parse_u64("18446744073709551616", &v), -EINVAL);
	ck_assert_int_eq(prop_parse_u64(" 1", &v), -EINVAL);
	ck_assert_int_eq(prop_parse_u64("", &v), -EINVAL);
	ck_assert_int_eq(prop_parse_mac("52:54:00:AB:cd:ef", mac), 0);
	ck_assert_uint_eq(mac[3], 0xab);
	ck_assert_int_eq(prop_parse_mac("52-54-00-ab-cd-ef", mac), -EINVAL);
	ck_assert_int_eq(prop_parse_mac("52:54:00:ab:cd:eg", mac), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("props");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_parse_pairs_flags_and_escapes);
	tcase_add_test(tc, test_parse_empty_text);
	tcase_add_test(tc, test_parse_rejects_empty_keys);
	tcase_add_test(tc, test_typed_parsers);
	suite_add_tcase(s, tc);
	return check_run(s);
}
