# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python bindings of libkvm-virtio (ctypes, standard library only).

    import kvm_virtio

    with kvm_virtio.VM("bzImage", mem_mib=256, cmdline="console=ttyS0",
                       console=sys.stdout) as vm:
        vm.add_netdev("tap", "n0", ifname="tap0")
        vm.add_device("virtio-net-pci", id="net0", netdev="n0",
                      mac="52:54:00:12:34:56", disable_legacy=True)
        vm.start()
        st = vm.wait()              # Status(reason='poweroff', code=0, vcpu=0)

Property values may be str, int, bool (True/False -> "on"/"off") or None (a
bare flag, as QEMU's "vhostforce"). A Python keyword may use "_" where the
property's name has "-" (disable_legacy= for "disable-legacy"); names the
type spells with "_" (rx_queue_size) are passed as they are.

A VM's host program may add netdev and device types of its own, written in
Python: VM.register_type() (kvm_virtio.types says how the hooks, their
exceptions and the typed properties work; VM.add_host_netdev() is the
one-instance shortcut for frames alone).

Every failure raises a VMError subclass (see kvm_virtio.errors) carrying the
library's errno and message. Where the library is looked for: kvm_virtio._lib.
"""
import ctypes
import io
import os
import threading

from . import _lib
from ._lib import LibraryNotFoundError
from .types import Prop, TypeRegistry, send_trampolines, read_value
from .errors import (VMError, VMInvalidError, VMRangeError, VMNotFoundError,
                     VMExistsError, VMBusyError, VMNotSupportedError,
                     VMTimeoutError, VMCancelledError, VMPermissionError,
                     error_for)

__all__ = [
    "VM", "VMObject", "HostNetdev", "HostObject", "Prop", "Status", "props_parse", "version", "version_info",
    "host_kvm", "library_path", "LibraryNotFoundError", "VMError",
    "VMInvalidError", "VMRangeError", "VMNotFoundError", "VMExistsError",
    "VMBusyError", "VMNotSupportedError", "VMTimeoutError",
    "VMCancelledError", "VMPermissionError",
    "LOG_ERR", "LOG_WARN", "LOG_INFO", "LOG_DEBUG",
]

LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG = 3, 4, 6, 7
_LOG_LEVELS = {"err": LOG_ERR, "error": LOG_ERR, "warn": LOG_WARN,
               "warning": LOG_WARN, "info": LOG_INFO, "debug": LOG_DEBUG}
_LOG_NAMES = {LOG_ERR: "err", LOG_WARN: "warn", LOG_INFO: "info",
              LOG_DEBUG: "debug"}

# enum vm_exit_reason
_REASONS = {0: "none", 1: "poweroff", 2: "reset", 3: "shutdown",
            4: "internal", 5: "stopped", 6: "debug"}
_HOST_KVM = {0: "none", 1: "hardware", 2: "pvm"}
_KINDS = {1: "netdev", 2: "device", 3: "chardev"}


def _b(s):
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode()


def _s(b):
    return None if b is None else b.decode("utf-8", "replace")


def _raise(rc, err):
    """Raise the error stored in @err (freed here), or one made from @rc."""
    lib = _lib.lib()
    if err.value:
        code = lib.vm_error_code(err) or rc
        msg = _s(lib.vm_error_message(err))
        lib.vm_error_free(err)
        err.value = None
    else:
        code, msg = rc, None
    raise error_for(code, msg)


def _call(fn, *args):
    """Call a vm_* function whose last parameter is errp; raise on < 0."""
    err = _lib.err_p()
    rc = fn(*args, ctypes.byref(err))
    if rc < 0:
        _raise(rc, err)
    return rc


def version():
    """The loaded library's version string, e.g. "0.1.0"."""
    return _s(_lib.lib().vm_version_string())


def version_info():
    """The loaded library's version as (major, minor, patch)."""
    v = _lib.lib().vm_version()
    return (v >> 16, (v >> 8) & 0xff, v & 0xff)


def library_path():
    """The file the library was loaded from."""
    return _lib.path()


def host_kvm():
    """What this host's /dev/kvm offers: "none", "hardware" or "pvm"."""
    return _HOST_KVM.get(_lib.lib().vm_host_kvm(), "none")


def release_wait(timeout=None):
    """Wait until every VM closed so far has its resources back (fds,
    guest RAM, threads): VM.close() hands them to the library's release
    threads. @timeout in seconds (None: as long as it takes, 0: only
    look); raises VMTimeoutError when releases still run at the timeout."""
    ms = -1 if timeout is None else max(0, int(timeout * 1000))
    rc = _lib.lib().vm_release_wait(ms)
    if rc < 0:
        raise error_for(rc, "vm_release_wait: %s" % (
            "releases still running" if rc == -110 else "failed"))


def release_pending():
    """How many closed VMs are not released yet."""
    return int(_lib.lib().vm_release_pending())


def props_parse(text):
    """Parse QEMU-style "k=v,k=v,flag" text into [(key, value), ...].

    A bare flag has value None; ",," is a literal comma. Raises VMError
    (VMInvalidError for an empty key such as "=v").
    """
    lib = _lib.lib()
    arr = ctypes.POINTER(_lib.vm_prop)()
    n = _call(lib.vm_props_parse, _b(text), ctypes.byref(arr))
    try:
        return [(_s(arr[i].key), _s(arr[i].value)) for i in range(n)]
    finally:
        lib.vm_props_free(arr)


class Status:
    """Why a VM stopped: reason name ("poweroff", "reset", "shutdown",
    "internal", "stopped", "debug"), its number, the code (for "debug":
    what the guest wrote to the debug-exit port) and the vCPU."""

    __slots__ = ("reason", "reason_code", "code", "vcpu")

    def __init__(self, reason_code, code, vcpu):
        self.reason_code = reason_code
        self.reason = _REASONS.get(reason_code, str(reason_code))
        self.code = code
        self.vcpu = vcpu

    def __eq__(self, other):
        if isinstance(other, Status):
            return (self.reason_code, self.code, self.vcpu) == \
                (other.reason_code, other.code, other.vcpu)
        return NotImplemented

    def __repr__(self):
        return "Status(reason=%r, code=%#x, vcpu=%d)" % (self.reason,
                                                         self.code, self.vcpu)


class VMObject:
    """A netdev or device of a VM (valid while the VM is open)."""

    def __init__(self, vm, id):
        self._vm = vm
        self.id = id

    def _ptr(self):
        p = _lib.lib().vm_obj_find(self._vm._handle(), _b(self.id))
        if not p:
            raise VMNotFoundError(-2, "no object with id '%s'" % self.id)
        return p

    @property
    def type(self):
        return _s(_lib.lib().vm_obj_type(self._ptr()))

    @property
    def kind(self):
        """ "netdev" or "device"."""
        return _KINDS.get(_lib.lib().vm_obj_kind(self._ptr()))

    @property
    def realized(self):
        return bool(_lib.lib().vm_obj_is_realized(self._ptr()))

    def get(self, prop):
        """A property's current value as the library formats it (str)."""
        lib, p, key = _lib.lib(), self._ptr(), _b(prop)
        n = lib.vm_obj_get_prop(p, key, None, 0)
        if n < 0:
            raise error_for(n, "%s '%s': no property '%s'"
                            % (self.kind, self.id, prop))
        buf = ctypes.create_string_buffer(n + 1)
        lib.vm_obj_get_prop(p, key, buf, n + 1)
        return _s(buf.value)

    def __repr__(self):
        return "VMObject(%r)" % self.id


class HostNetdev(VMObject):
    """A "callback" netdev (VM.add_host_netdev()): the guest's frames go
    to a Python callable, push() hands frames to the guest."""

    def push(self, frame, queue=0):
        """Queue one Ethernet frame (bytes-like, 1..65536 bytes) for the
        guest on queue pair @queue (0); any thread, while the VM is
        started. Returns True when it was queued, False when the netdev
        already holds 256 frames the guest has not taken (nothing queued:
        retry once rx_ready was called). Raises VMError otherwise (errno
        ENODEV before start(), EMSGSIZE for an empty or too large frame,
        EINVAL for a queue out of range or a netdev that is not a host
        netdev)."""
        data = bytes(frame)
        rc = _lib.lib().vm_netdev_push(self._ptr(), queue, data, len(data))
        if rc == -11:  # EAGAIN
            return False
        if rc < 0:
            raise error_for(rc, "netdev '%s': push: %s" % (
                self.id, os.strerror(-rc)))
        return True


class HostObject(HostNetdev):
    """An instance of a type registered from Python (VM.register_type()),
    as its hooks get it and as VM.add_netdev()/add_device()/find() return
    it. Valid until the VM is closed (its finalize ran).

    state    -- a dict for the hooks' own per-instance data
    value(n) -- property @n, typed (str/None, bool, int, "aa:bb:..."),
                read from the storage of the level that declares it
    push()   -- for a netdev type: a frame to the guest (HostNetdev.push)
    """

    def __init__(self, vm, id, p, pytype):
        super().__init__(vm, id)
        self._p = p
        self._pytype = pytype
        self._pending = []   # (hook, exception) of instance_init
        self.state = {}

    def _ptr(self):
        if self._p is None:
            return super()._ptr()
        return self._p

    def value(self, name):
        return read_value(self, name)

    def __repr__(self):
        return "HostObject(%r, type=%r)" % (self.id, self._pytype.name)


def _value(v):
    if v is True:
        return b"on"
    if v is False:
        return b"off"
    return _b(v)


class VM:
    """One virtual machine; a context manager that destroys it on exit.

    kernel      -- path of a bzImage, vmlinux ELF or test ELF (may be None
                   until start(), which then fails with VMInvalidError)
    vcpus, mem_mib, initrd, cmdline, mem_path -- as struct vm_config
    hugetlb, prealloc -- VM_CONFIG_F_HUGETLB / VM_CONFIG_F_PREALLOC
    drop_caps, seccomp -- VM_CONFIG_F_DROP_CAPS / VM_CONFIG_F_SECCOMP: the
                   VM's own threads keep no capabilities / run under the
                   library's syscall allow-list once start() has realized
                   the netdevs and devices (include/kvm-virtio.h lists
                   both); console and log callables run on those threads
    kick_signal -- the real-time signal the library sends to its vCPU
                   threads to make them leave KVM_RUN (vm_config's
                   kick_signal): 0 for the default (SIGRTMAX - 3), else
                   SIGRTMIN..SIGRTMAX (VMInvalidError otherwise). The
                   library installs no handler and changes no mask but its
                   own threads': the host may use the signal itself.
    console     -- where COM1 output goes: None (discarded), an int fd, a
                   file object (its fileno() if it has one, else its
                   write()), or a callable taking bytes. A callable runs on
                   a vCPU thread: keep it short and call no method of this
                   VM from it. Exceptions it raises are kept in
                   console_errors, never lost.
    console_in  -- an int fd or file object read for COM1 input, or None
    log         -- callable(level, object, message): level "err", "warn",
                   "info" or "debug"; called from library threads
    log_level   -- least important level delivered ("info", or LOG_*)
    """

    def __init__(self, kernel=None, *, vcpus=1, mem_mib=256, initrd=None,
                 cmdline=None, console=None, console_in=None, mem_path=None,
                 hugetlb=False, prealloc=False, drop_caps=False,
                 seccomp=False, kick_signal=0, log=None, log_level="info"):
        lib = _lib.lib()
        self._vm = None
        self._keep = []          # ctypes callbacks and files kept alive
        self.console_errors = []
        self.log_errors = []
        self.netdev_errors = []
        self.hook_errors = []
        self._types = TypeRegistry(self)
        cfg = _lib.vm_config()
        cfg.size = ctypes.sizeof(_lib.vm_config)
        cfg.vcpus = vcpus
        cfg.mem_mib = mem_mib
        cfg.kernel = _b(kernel)
        cfg.initrd = _b(initrd)
        cfg.cmdline = _b(cmdline)
        cfg.mem_path = _b(mem_path)
        cfg.flags = ((_lib.VM_CONFIG_F_HUGETLB if hugetlb else 0) |
                     (_lib.VM_CONFIG_F_PREALLOC if prealloc else 0) |
                     (_lib.VM_CONFIG_F_DROP_CAPS if drop_caps else 0) |
                     (_lib.VM_CONFIG_F_SECCOMP if seccomp else 0))
        cfg.kick_signal = int(kick_signal)
        cfg.console_fd = -1
        cfg.console_in_fd = self._fd_of(console_in, "console_in")
        console_fn = None
        if console is not None:
            fd = self._fd_of(console, None)
            if fd is not None:
                cfg.console_fd = fd
            else:
                console_fn = self._console_sink(console)
        handle = _lib.vm_p()
        _call(lib.vm_create, ctypes.byref(cfg), ctypes.byref(handle))
        self._vm = handle
        if console_fn is not None:
            rc = lib.vm_set_console_fn(self._vm, console_fn, None)
            if rc < 0:
                self.close()
                raise error_for(rc, "vm: vm_set_console_fn failed")
        if log is not None:
            self.set_log(log, log_level)

    # -- configuration helpers ------------------------------------------

    @staticmethod
    def _fd_of(f, what):
        """An fd for an int or a file object with a working fileno();
        None when @f has none (and @what is None) or is None."""
        if f is None:
            return -1 if what else None
        if isinstance(f, bool):
            raise TypeError("%s: not a file" % (what or "console"))
        if isinstance(f, int):
            return f
        try:
            fd = f.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            if what:
                raise TypeError("%s: needs an fd or a file with fileno()"
                                % what)
            return None
        if hasattr(f, "flush"):
            f.flush()
        return fd

    def _console_sink(self, console):
        if callable(console) and not hasattr(console, "write"):
            write = console
        elif hasattr(console, "write"):
            def write(data, f=console):
                f.write(data if isinstance(f, (io.RawIOBase,
                                               io.BufferedIOBase))
                        else data.decode("utf-8", "replace"))
        else:
            raise TypeError("console: an fd, a file or a callable")

        def trampoline(opaque, buf, n):
            try:
                write(ctypes.string_at(buf, n))
            except BaseException as e:  # never unwind into C
                self.console_errors.append(e)

        fn = _lib.CONSOLE_FN(trampoline)
        self._keep.append(fn)
        return fn

    def set_log(self, fn, level="info"):
        """Send the library's log to fn(level, object, message), or
        silence it with fn=None. Call before start()."""
        lib = _lib.lib()
        if isinstance(level, str):
            level = _LOG_LEVELS[level.lower()]
        if fn is None:
            lib.vm_set_log_fn(self._handle(), _lib.LOG_FN(), None, level)
            return

        def trampoline(opaque, lvl, obj, msg):
            try:
                fn(_LOG_NAMES.get(lvl, str(lvl)), _s(obj), _s(msg))
            except BaseException as e:
                self.log_errors.append(e)

        cb = _lib.LOG_FN(trampoline)
        self._keep.append(cb)
        lib.vm_set_log_fn(self._handle(), cb, None, level)

    def _handle(self):
        if not self._vm:
            raise VMInvalidError(-22, "vm: already destroyed")
        return self._vm

    # -- objects ----------------------------------------------------------

    def _props(self, type, props):
        """A {NULL, NULL}-terminated vm_prop array for @props, with Python
        names mapped to the type's own spelling."""
        lib = _lib.lib()
        names = set()
        i = 0
        while True:
            d = lib.vm_type_prop(self._handle(), _b(type), i)
            if not d:
                break
            names.add(_s(d.contents.name))
            i += 1
        arr = (_lib.vm_prop * (len(props) + 1))()
        for i, (k, v) in enumerate(props.items()):
            if k not in names and k.replace("_", "-") in names:
                k = k.replace("_", "-")
            arr[i].key = _b(k)
            arr[i].value = _value(v)
        return arr

    def register_type(self, name, parent, *, props=(), class_init=None,
                      instance_init=None, realize=None, unrealize=None,
                      finalize=None, send=None, send_batch=None,
                      rx_ready=None):
        """Register a type written in Python on this VM (vm_type_register).

        parent   -- "netdev" or "device", a type registered before (Python
                    or C), or a concrete built-in type
        props    -- Prop objects: the level's typed properties
        class_init()          -- once, on first use of the type
        instance_init(obj)    -- every level's, parents first, at add_*()
        realize(obj)          -- at start(); raise to fail it (VMError
                                 keeps its errno, OSError gives its errno,
                                 anything else EINVAL); the most derived
                                 Python realize runs alone
        unrealize(obj)        -- undoes realize (most derived one)
        finalize(obj)         -- every level's, child first, at close()
        send(obj, frame, queue)      -- netdev types: a frame the guest
                                 sent; None/True taken, False not now
        send_batch(obj, frames, queue) -- optional: a TX burst (list of
                                 bytes) in one call; returns how many
                                 were taken (None: all, False: none now)
        rx_ready(obj, queue)  -- push() said False and there is room again
        obj is a HostObject. Hooks must not call this VM's methods, except
        obj.push() from send/send_batch/rx_ready. Raises VMError as the C
        call (VMNotFoundError for an unknown parent, VMExistsError for a
        name taken, VMInvalidError for send with a parent that is not
        "netdev"-derived, VMBusyError after start()).
        """
        hooks = {"class_init": class_init, "instance_init": instance_init,
                 "realize": realize, "unrealize": unrealize,
                 "finalize": finalize, "send": send,
                 "send_batch": send_batch, "rx_ready": rx_ready}
        lib = _lib.lib()

        def make_obj(p, pytype):
            return HostObject(self, _s(lib.vm_obj_id(p)), p, pytype)

        self._types.register(name, parent, props, hooks, make_obj)

    def _obj(self, id):
        """The HostObject of @id when a Python type made it, else a
        VMObject."""
        p = _lib.lib().vm_obj_find(self._handle(), _b(id))
        return self._types.objs.get(p) or VMObject(self, id)

    def add_netdev(self, type, id, **props):
        """Add a network backend (QEMU's -netdev type=..,id=..,props);
        returns a HostObject for a Python type, else a VMObject."""
        arr = self._props(type, props)
        _call(_lib.lib().vm_add_netdev, self._handle(), _b(type), _b(id), arr)
        return self._obj(id)

    def add_chardev(self, backend, id, **props):
        """Add a character device (QEMU's -chardev backend,id=..,props);
        "socket" only: path, server, wait, reconnect. A vhost-user
        netdev names it with chardev=<id>."""
        arr = self._props("chardev-" + backend, props)
        _call(_lib.lib().vm_add_chardev, self._handle(), _b(backend), _b(id),
              arr)
        return VMObject(self, id)

    def add_device(self, type, **props):
        """Add a device (QEMU's -device type,props); id= names it, else
        the library generates "<type>#<n>"."""
        lib = _lib.lib()
        before = set(o.id for o in self.objects()) \
            if "id" not in props else None
        arr = self._props(type, props)
        _call(lib.vm_add_device, self._handle(), _b(type), arr)
        if before is None:
            return self._obj(str(props["id"]))
        new = [o.id for o in self.objects() if o.id not in before]
        return self._obj(new[0])

    def add_host_netdev(self, id, send, rx_ready=None, queues=None,
                        send_batch=None):
        """Add a "callback" netdev whose frames are Python's: @send(frame)
        gets each frame the guest sends (bytes, no virtio-net header) on
        the NIC's I/O thread and returns None or True when it took it,
        False for "not now" (the device offers it again ~1 ms later);
        @rx_ready() is called after push() returned False, once there is
        room again. Exceptions they raise are kept in netdev_errors (the
        frame counts as dropped). Neither may call methods of this VM
        but push(). Returns a HostNetdev.

        queues=N (1..16, the C property queues=N): N queue pairs, each
        with its own frames both ways (a device offers them with mq=on);
        with queues given, every callback also gets the queue pair, as in
        C: send(frame, queue), send_batch(frames, queue), rx_ready(queue),
        and push(frame, queue) names the pair a frame goes to.
        @send_batch(frames, queue), optional: each TX burst (a list of
        bytes) in one call; returns how many it took (None/True: all,
        False: none now), the rest are offered again; send is then not
        called (struct vm_netdev_ops.send_batch)."""
        lib = _lib.lib()
        props = None if queues is None else \
            self._props("callback", {"queues": queues})
        _call(lib.vm_add_netdev, self._handle(), b"callback", _b(id), props)
        obj = HostNetdev(self, id)
        ops = send_trampolines(send, send_batch, rx_ready, None,
                               self.netdev_errors,
                               with_queue=queues is not None)
        self._keep.append(ops)  # borrowed by the library until close()
        rc = lib.vm_netdev_set_ops(obj._ptr(), ctypes.byref(ops), None)
        if rc < 0:
            raise error_for(rc, "netdev '%s': vm_netdev_set_ops failed" % id)
        return obj

    def objects(self):
        """Chardevs, then netdevs, then devices, each in the order added."""
        ids = []

        def visit(opaque, obj):
            ids.append(_s(_lib.lib().vm_obj_id(obj)))
            return 0

        _lib.lib().vm_foreach_obj(self._handle(), _lib.VISIT_FN(visit), None)
        return [VMObject(self, i) for i in ids]

    def find(self, id):
        """The object with this id (a HostObject for a Python type), or
        None."""
        if _lib.lib().vm_obj_find(self._handle(), _b(id)):
            return self._obj(id)
        return None

    def type_exists(self, name):
        return bool(_lib.lib().vm_type_exists(self._handle(), _b(name)))

    # -- life cycle -------------------------------------------------------

    def start(self):
        """Realize netdevs, then devices, then run the vCPUs."""
        _call(_lib.lib().vm_start, self._handle())

    def wait(self, timeout=None):
        """Wait until the VM stops; returns a Status. @timeout in seconds
        (None: forever); raises VMTimeoutError when it passes first."""
        st = _lib.vm_status()
        st.size = ctypes.sizeof(_lib.vm_status)
        ms = -1 if timeout is None else max(0, int(timeout * 1000))
        rc = _lib.lib().vm_wait(self._handle(), ctypes.byref(st), ms)
        if rc < 0:
            msg = {-110: "vm: still running after %s s" % timeout,
                   -22: "vm: not started"}.get(rc)
            raise error_for(rc, msg)
        return Status(st.reason, st.code, st.vcpu)

    # -- network devices --------------------------------------------------

    def net_set_link(self, id, up):
        """Set the link state NIC @id's guest sees (a config interrupt
        follows); any thread while the VM is started."""
        _call(_lib.lib().vm_net_set_link, self._handle(), _b(id),
              1 if up else 0)

    def net_stats(self, id):
        """NIC @id's counters as a dict (the fields of struct
        vm_net_stats; "queue" is a list of per-pair dicts)."""
        st = _lib.vm_net_stats()
        st.size = ctypes.sizeof(_lib.vm_net_stats)
        _call(_lib.lib().vm_net_get_stats, self._handle(), _b(id),
              ctypes.byref(st))
        out = {n: getattr(st, n) for n, _ in _lib.vm_net_stats._fields_
               if n not in ("size", "reserved", "queue")}
        out["queue"] = [{n: getattr(q, n) for n, _ in q._fields_}
                        for q in st.queue[:st.queue_pairs]]
        return out

    def stop(self):
        """Make every vCPU leave the guest; wait() then reports "stopped".
        Safe from any thread, any number of times."""
        if self._vm:
            _lib.lib().vm_stop(self._vm)

    def close(self):
        """Stop the VM if it runs and free everything (idempotent)."""
        if self._vm:
            vm, self._vm = self._vm, None
            _lib.lib().vm_destroy(vm)
        # vm_destroy() ran every hook of the VM's host types before it
        # returned: the trampolines may go now.
        self._types.objs.clear()
        self._keep = []

    destroy = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
