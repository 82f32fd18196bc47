# SPDX-License-Identifier: LGPL-2.1-or-later
"""Finding and loading libkvm-virtio, and the ctypes view of its C API.

The library is looked for, first match wins:

1. ``$KVM_VIRTIO_LIB``: the path of the shared library (nothing else is
   tried when it is set, so a wrong value is an error, not a fallback);
2. the build tree: ``$KVM_VIRTIO_BUILDDIR/lib/.libs/`` (the test runner sets
   it), or ``lib/.libs/`` of the source tree this package sits in when that
   tree was built in place;
3. the ``libdir`` the package was installed for (``_config.py``, written by
   ``make install``);
4. the installed soname ``libkvm-virtio.so.0`` through the dynamic loader's
   own search (``LD_LIBRARY_PATH``, ``ld.so.cache``);
5. ``ctypes.util.find_library("kvm-virtio")``.

Loading happens on first use, so ``import kvm_virtio`` never fails for a
missing library; the first call raises :class:`LibraryNotFoundError` listing
every place tried.
"""
import ctypes
import ctypes.util
import os
import threading

SONAME = "libkvm-virtio.so.0"


class LibraryNotFoundError(ImportError):
    """libkvm-virtio could not be loaded from any of the places searched."""


# ---- C structures (include/kvm-virtio.h) --------------------------------

class vm_config(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("vcpus", ctypes.c_uint32),
        ("mem_mib", ctypes.c_uint32),
        ("kernel", ctypes.c_char_p),
        ("initrd", ctypes.c_char_p),
        ("cmdline", ctypes.c_char_p),
        ("console_fd", ctypes.c_int),
        ("console_in_fd", ctypes.c_int),
        ("mem_path", ctypes.c_char_p),
        ("flags", ctypes.c_uint32),
        ("kick_signal", ctypes.c_int),      # since 0.2
    ]


class vm_status(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("reason", ctypes.c_int),
        ("code", ctypes.c_int),
        ("vcpu", ctypes.c_uint32),
    ]


class vm_prop(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class vm_prop_desc(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("kind", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("offset", ctypes.c_size_t),
        ("defval", ctypes.c_char_p),
        ("min", ctypes.c_uint64),
        ("max", ctypes.c_uint64),
        ("help", ctypes.c_char_p),
    ]


VM_NET_MAX_QUEUE_PAIRS = 16


class vm_net_queue_stats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
        "rx_kicks", "tx_kicks", "rx_interrupts", "tx_interrupts")]


class vm_net_stats(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t)] + \
        [(n, ctypes.c_uint32) for n in (
            "queue_pairs", "active_pairs", "link_up", "reserved")] + \
        [(n, ctypes.c_uint64) for n in (
            "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
            "rx_drop_oversize", "rx_drop_backend", "tx_drop_backend",
            "tx_drop_malformed", "tx_drop_link_down", "kicks", "kick_exits",
            "interrupts", "irqfd_interrupts", "ctrl_commands")] + \
        [("queue", vm_net_queue_stats * VM_NET_MAX_QUEUE_PAIRS),
         ("tx_batches", ctypes.c_uint64)]                  # since 0.4


class iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


NETDEV_SEND_FN = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_void_p,
                                  ctypes.c_void_p, ctypes.c_uint,
                                  ctypes.POINTER(iovec), ctypes.c_int)
NETDEV_RX_READY_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_uint)


class vm_netdev_frame(ctypes.Structure):
    _fields_ = [("iov", ctypes.POINTER(iovec)), ("iovcnt", ctypes.c_int)]


NETDEV_SEND_BATCH_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                                        ctypes.c_void_p, ctypes.c_uint,
                                        ctypes.POINTER(vm_netdev_frame),
                                        ctypes.c_uint)


class vm_netdev_ops(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("send", NETDEV_SEND_FN),
        ("send_batch", NETDEV_SEND_BATCH_FN),
        ("rx_ready", NETDEV_RX_READY_FN),
    ]


# enum vm_prop_kind and VM_PROP_F_REQUIRED
VM_PROP_STR, VM_PROP_BOOL, VM_PROP_U32, VM_PROP_U64, VM_PROP_MAC, \
    VM_PROP_LINK = 1, 2, 3, 4, 5, 6
VM_PROP_F_REQUIRED = 1 << 0

VM_NETDEV_RX_FRAMES = 256
VM_NETDEV_MAX_FRAME = 65536

VM_CONFIG_F_HUGETLB = 1 << 0
VM_CONFIG_F_PREALLOC = 1 << 1
VM_CONFIG_F_DROP_CAPS = 1 << 4
VM_CONFIG_F_SECCOMP = 1 << 5

vm_p = ctypes.c_void_p          # struct vm *
obj_p = ctypes.c_void_p         # struct vm_obj *
err_p = ctypes.c_void_p         # struct vm_error *
errpp = ctypes.POINTER(err_p)   # struct vm_error **

LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int,
                          ctypes.c_char_p, ctypes.c_char_p)
CONSOLE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p,
                              ctypes.POINTER(ctypes.c_char), ctypes.c_size_t)
VISIT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, obj_p)
CLASS_INIT_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
OBJ_HOOK_FN = ctypes.CFUNCTYPE(None, obj_p)
REALIZE_FN = ctypes.CFUNCTYPE(ctypes.c_int, obj_p, errpp)


class vm_type_info(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("name", ctypes.c_char_p),
        ("parent", ctypes.c_char_p),
        ("priv_size", ctypes.c_size_t),
        ("class_init", CLASS_INIT_FN),
        ("instance_init", OBJ_HOOK_FN),
        ("realize", REALIZE_FN),
        ("unrealize", OBJ_HOOK_FN),
        ("finalize", OBJ_HOOK_FN),
        ("props", ctypes.POINTER(vm_prop_desc)),
        ("opaque", ctypes.c_void_p),
        ("netdev_ops", ctypes.POINTER(vm_netdev_ops)),   # since 0.3
    ]


_PROTOS = {
    "vm_version": (ctypes.c_uint, []),
    "vm_version_string": (ctypes.c_char_p, []),
    "vm_error_code": (ctypes.c_int, [err_p]),
    "vm_error_message": (ctypes.c_char_p, [err_p]),
    "vm_error_free": (None, [err_p]),
    "vm_set_log_fn": (None, [vm_p, LOG_FN, ctypes.c_void_p, ctypes.c_int]),
    "vm_set_console_fn": (ctypes.c_int, [vm_p, CONSOLE_FN, ctypes.c_void_p]),
    "vm_props_parse": (ctypes.c_int, [ctypes.c_char_p,
                                      ctypes.POINTER(ctypes.POINTER(vm_prop)),
                                      errpp]),
    "vm_props_free": (None, [ctypes.POINTER(vm_prop)]),
    "vm_create": (ctypes.c_int, [ctypes.POINTER(vm_config),
                                 ctypes.POINTER(vm_p), errpp]),
    "vm_add_netdev": (ctypes.c_int, [vm_p, ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.POINTER(vm_prop), errpp]),
    "vm_add_chardev": (ctypes.c_int, [vm_p, ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.POINTER(vm_prop), errpp]),
    "vm_add_device": (ctypes.c_int, [vm_p, ctypes.c_char_p,
                                     ctypes.POINTER(vm_prop), errpp]),
    "vm_start": (ctypes.c_int, [vm_p, errpp]),
    "vm_wait": (ctypes.c_int, [vm_p, ctypes.POINTER(vm_status), ctypes.c_int]),
    "vm_stop": (None, [vm_p]),
    "vm_destroy": (None, [vm_p]),
    "vm_host_kvm": (ctypes.c_int, []),
    "vm_foreach_obj": (ctypes.c_int, [vm_p, VISIT_FN, ctypes.c_void_p]),
    "vm_obj_find": (obj_p, [vm_p, ctypes.c_char_p]),
    "vm_obj_id": (ctypes.c_char_p, [obj_p]),
    "vm_obj_type": (ctypes.c_char_p, [obj_p]),
    "vm_obj_kind": (ctypes.c_int, [obj_p]),
    "vm_obj_is_realized": (ctypes.c_int, [obj_p]),
    "vm_obj_get_prop": (ctypes.c_int, [obj_p, ctypes.c_char_p,
                                       ctypes.c_char_p, ctypes.c_size_t]),
    "vm_type_exists": (ctypes.c_int, [vm_p, ctypes.c_char_p]),
    "vm_release_wait": (ctypes.c_int, [ctypes.c_int]),
    "vm_release_pending": (ctypes.c_uint, []),
    "vm_net_set_link": (ctypes.c_int, [vm_p, ctypes.c_char_p, ctypes.c_int,
                                       errpp]),
    "vm_net_get_stats": (ctypes.c_int, [vm_p, ctypes.c_char_p,
                                        ctypes.POINTER(vm_net_stats), errpp]),
    "vm_type_prop": (ctypes.POINTER(vm_prop_desc), [vm_p, ctypes.c_char_p,
                                                     ctypes.c_uint]),
    "vm_netdev_set_ops": (ctypes.c_int, [obj_p, ctypes.POINTER(vm_netdev_ops),
                                         ctypes.c_void_p]),
    "vm_netdev_push": (ctypes.c_int, [obj_p, ctypes.c_uint, ctypes.c_char_p,
                                      ctypes.c_size_t]),
    "vm_type_register": (ctypes.c_int, [vm_p, ctypes.POINTER(vm_type_info),
                                        errpp]),
    # variadic in C; called with a format that has no conversion left
    "vm_error_set": (ctypes.c_int, [errpp, ctypes.c_int, ctypes.c_char_p]),
    "vm_obj_priv_of": (ctypes.c_void_p, [obj_p, ctypes.c_char_p]),
}


def _candidates():
    """(path, where) pairs in search order; see the module docstring."""
    env = os.environ.get("KVM_VIRTIO_LIB")
    if env:
        yield env, "$KVM_VIRTIO_LIB"
        return
    builddir = os.environ.get("KVM_VIRTIO_BUILDDIR")
    if builddir:
        yield (os.path.join(builddir, "lib", ".libs", SONAME),
               "$KVM_VIRTIO_BUILDDIR")
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.join(here, os.pardir, os.pardir, os.pardir)
    intree = os.path.normpath(os.path.join(tree, "lib", ".libs", SONAME))
    if os.path.exists(intree):
        yield intree, "the source tree built in place"
    try:
        from . import _config
        yield os.path.join(_config.LIBDIR, SONAME), "the installed libdir"
    except ImportError:
        pass
    yield SONAME, "the dynamic loader's search path"
    found = ctypes.util.find_library("kvm-virtio")
    if found:
        yield found, "ctypes.util.find_library"


_lock = threading.Lock()
_lib = None


def _declare(lib):
    for name, (restype, argtypes) in _PROTOS.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def lib():
    """The loaded library (loaded and declared on first call)."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            tried = []
            for path, where in _candidates():
                try:
                    # CDLL releases the GIL around every call, so vm_wait()
                    # does not block the vCPU threads' Python callbacks.
                    cand = ctypes.CDLL(path)
                except OSError as e:
                    tried.append("%s (%s): %s" % (path, where, e))
                    continue
                _declare(cand)
                _lib = cand
                break
            else:
                raise LibraryNotFoundError(
                    "libkvm-virtio not found; tried:\n  " + "\n  ".join(tried)
                    + "\nset KVM_VIRTIO_LIB to the path of " + SONAME)
    return _lib


def path():
    """The file the library was loaded from (resolved through
    /proc/self/maps when it was loaded by soname)."""
    name = lib()._name
    if os.path.isabs(name):
        return name
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                f = line.split(None, 5)
                if len(f) == 6 and "/libkvm-virtio.so" in f[5]:
                    return f[5].strip()
    except OSError:
        pass
    return name
