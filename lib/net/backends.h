/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/net/backends.h: the built-in netdev types, for the type table. */
#ifndef LIB_NET_BACKENDS_H
#define LIB_NET_BACKENDS_H

#include "../core/type.h"

extern const struct type netdev_host_type;
extern const struct type netdev_null_type;
extern const struct type netdev_stream_type;
extern const struct type netdev_tap_type;
extern const struct type netdev_vhost_user_type;

#endif
