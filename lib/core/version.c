/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/core/version.c: the version of the library actually loaded. */
#include <kvm-virtio.h>

unsigned int vm_version(void)
{
	return VM_VERSION_HEX;
}

const char *vm_version_string(void)
{
	return VM_VERSION_STRING;
}
