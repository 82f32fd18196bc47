/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/task-walk.h: this process's threads by name, for the tests
 * and benches that pin or measure the library's threads ("kvm-vcpu*",
 * "vnet-*"): @fn is called with each thread's id (the /proc/self/task
 * entry) and its comm (as the kernel keeps it, newline included) whose
 * comm starts with one of @prefixes (NULL-terminated). Returns false
 * when /proc/self/task cannot be read.
 */
#ifndef KVM_VIRTIO_TASK_WALK_H
#define KVM_VIRTIO_TASK_WALK_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static inline bool task_each(const char *const *prefixes,
			     void (*fn)(const char *tid, const char *comm,
					void *arg),
			     void *arg)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		for (const char *const *p = prefixes; *p; p++)
			if (!strncmp(comm, *p, strlen(*p))) {
				fn(e->d_name, comm, arg);
				break;
			}
	}
	closedir(d);
	return true;
}

#endif
