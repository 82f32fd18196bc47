# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host-registered types written in Python (vm_type_register()).

    vm.register_type("my-net", "netdev",
                     props=[Prop("level", "u32", default=7, min=1, max=10)],
                     realize=lambda obj: ...,
                     send=lambda obj, frame, queue: replies.append(frame))
    nd = vm.add_netdev("my-net", "n0", level=3)
    ... vm.start(); nd.push(frame)

Each type is a struct vm_type_info whose hooks are ctypes trampolines into
the Python callables; the trampolines, the property table and the netdev
ops are kept alive in the VM object until vm_destroy() (VM.close()) has
returned (the library runs every hook of a host type before that).

Storage: each level (each registered Python type) gets a ctypes structure
with one field per property it declares; the library writes the values
there (vm_obj_priv_of()) and obj.value(name) reads them, typed.

Exceptions never unwind into C. A realize hook that raises makes vm_start()
fail with a negative errno (VMError: its own code; OSError: its errno;
anything else: -EINVAL) and a message the library prefixes with the object
("device 'd1': realize raised ValueError: boom"). Hooks that cannot fail
(class_init, instance_init, unrealize, finalize, rx_ready) keep their
exception in VM.hook_errors; one from class_init or instance_init also
makes the object's realize fail with it, where a Python realize runs (a
type derived from "netdev"/"device" or from another Python type; a type
derived from a concrete built-in keeps the built-in realize). send and
send_batch exceptions go to VM.netdev_errors and drop the frames (counted
in tx_drop_backend), as for VM.add_host_netdev().

Threads: instance_init and finalize run on the thread of the VM call that
creates or destroys the object (add_*, close()), realize and unrealize on
the one of start() / close(); send, send_batch and rx_ready on the NIC's
I/O thread. The trampolines take the GIL (ctypes does); the instance map
below is only changed on the API thread, the I/O threads only read it.
"""
import ctypes
import errno as _errno

from . import _lib

_KINDS = {"str": (_lib.VM_PROP_STR, ctypes.c_char_p),
          "bool": (_lib.VM_PROP_BOOL, ctypes.c_uint8),
          "u32": (_lib.VM_PROP_U32, ctypes.c_uint32),
          "u64": (_lib.VM_PROP_U64, ctypes.c_uint64),
          "mac": (_lib.VM_PROP_MAC, ctypes.c_uint8 * 6),
          "link": (_lib.VM_PROP_LINK, ctypes.c_char_p)}
_OBJ_KINDS = {"netdev": 1, "device": 2}
_ROOTS = ("netdev", "device")
EAGAIN, EIO = -_errno.EAGAIN, -_errno.EIO


class Prop:
    """One typed property of a Python type.

    kind     -- "str", "bool", "u32", "u64", "mac" or "link"
    default  -- the default (str, int or bool), or None
    min, max -- range of u32/u64 (both 0: any value); for "link", min is
                the target's kind, "netdev" (default) or "device"
    required -- must be given at add_*()
    """

    def __init__(self, name, kind, default=None, min=0, max=0,
                 required=False, help=None):
        if kind not in _KINDS:
            raise ValueError("property '%s': unknown kind %r (one of %s)"
                             % (name, kind, ", ".join(sorted(_KINDS))))
        if kind == "link":
            min = _OBJ_KINDS.get(min, min) if min else 0
        self.name, self.kind, self.default = name, kind, default
        self.min, self.max, self.required, self.help = min, max, \
            required, help


def _b(s):
    return None if s is None else str(s).encode()


def _text(v):
    if v is True:
        return b"on"
    if v is False:
        return b"off"
    return _b(v)


def join_iov(iov, iovcnt):
    """One frame (bytes) from a C iovec array."""
    return b"".join(ctypes.string_at(iov[i].iov_base, iov[i].iov_len)
                    for i in range(iovcnt))


def error_of(exc, hook):
    """(negative errno, message) for an exception a hook raised."""
    code = getattr(exc, "code", None)
    if isinstance(code, int) and code < 0 and hasattr(exc, "message"):
        return code, str(exc.message)
    if isinstance(exc, OSError) and exc.errno:
        return -exc.errno, "%s raised %s" % (hook, exc)
    return -_errno.EINVAL, "%s raised %s: %s" % (hook, type(exc).__name__,
                                                 exc)


def send_trampolines(send, send_batch, rx_ready, wrap, errors,
                     with_queue=None):
    """A struct vm_netdev_ops whose callbacks call the Python ones with the
    object wrap(netdev) gives (None: no object, the add_host_netdev()
    form), then the frame(s), then the queue pair when @with_queue (the
    default: when there is an object; send(frame) and rx_ready() alone
    otherwise). send returns None/True (taken), False (not now: -EAGAIN);
    send_batch returns how many it took (None: all, False: none now);
    exceptions are appended to @errors and drop the frames."""
    if with_queue is None:
        with_queue = wrap is not None

    def args(nd, queue):
        return () if wrap is None else (wrap(nd),)

    def qarg(queue):
        return (queue,) if with_queue else ()

    def send_tramp(nd, opaque, queue, iov, iovcnt):
        try:
            data = join_iov(iov, iovcnt)
            if send(*args(nd, queue), data, *qarg(queue)) is False:
                return EAGAIN
            return len(data)
        except BaseException as e:  # never unwind into C
            errors.append(e)
            return EIO

    def batch_tramp(nd, opaque, queue, frames, n):
        try:
            batch = [join_iov(frames[i].iov, frames[i].iovcnt)
                     for i in range(n)]
            rv = send_batch(*args(nd, queue), batch, *qarg(queue))
            if rv is None or rv is True:
                return n
            if rv is False:
                return EAGAIN
            return max(0, min(int(rv), n))
        except BaseException as e:
            errors.append(e)
            return EIO

    def ready_tramp(nd, opaque, queue):
        try:
            if rx_ready is not None:
                rx_ready(*args(nd, queue), *qarg(queue))
        except BaseException as e:
            errors.append(e)

    ops = _lib.vm_netdev_ops()
    ops.size = ctypes.sizeof(_lib.vm_netdev_ops)
    ops.send = _lib.NETDEV_SEND_FN(send_tramp)
    if send_batch is not None:
        ops.send_batch = _lib.NETDEV_SEND_BATCH_FN(batch_tramp)
    ops.rx_ready = _lib.NETDEV_RX_READY_FN(ready_tramp)
    return ops


class PyType:
    """One registered Python type: its hooks, its storage layout."""

    def __init__(self, reg, name, parent, props, hooks):
        self.reg, self.name, self.parent = reg, name, parent
        self.props = list(props)
        self.hooks = hooks
        self.class_error = None
        fields = [("f%d" % i, _KINDS[p.kind][1])
                  for i, p in enumerate(self.props)]
        self.storage = type("priv_" + name.replace("-", "_"),
                            (ctypes.Structure,), {"_fields_": fields})
        self.index = {p.name: i for i, p in enumerate(self.props)}

    def ancestors(self):
        """This type, then each Python parent (nearest first)."""
        t = self
        while t is not None:
            yield t
            t = self.reg.types.get(t.parent)

    def nearest(self, hook):
        for t in self.ancestors():
            if t.hooks.get(hook) is not None:
                return t.hooks[hook]
        return None

    def root(self):
        """The first parent that is not a Python type."""
        return list(self.ancestors())[-1].parent

    def desc_table(self):
        arr = (_lib.vm_prop_desc * (len(self.props) + 1))()
        for i, p in enumerate(self.props):
            d = arr[i]
            d.name = _b(p.name)
            d.kind = _KINDS[p.kind][0]
            d.flags = _lib.VM_PROP_F_REQUIRED if p.required else 0
            d.offset = getattr(self.storage, "f%d" % i).offset
            d.defval = _text(p.default)
            d.min, d.max = int(p.min), int(p.max)
            d.help = _b(p.help)
        return arr


class TypeRegistry:
    """The Python types of one VM and the live objects of those types."""

    def __init__(self, vm):
        self.vm = vm
        self.types = {}
        self.objs = {}      # vm_obj address -> HostObject

    def wrap(self, p):
        o = self.objs.get(p)
        if o is None:  # not created through a Python level
            raise LookupError("object %#x is not of a Python type" % p)
        return o

    def register(self, name, parent, props, hooks, make_obj):
        """vm_type_register() for a Python type; raises VMError."""
        vm, keep = self.vm, []
        t = PyType(self, name, parent, props, hooks)
        lib = _lib.lib()
        info = _lib.vm_type_info()
        info.size = ctypes.sizeof(_lib.vm_type_info)
        info.name, info.parent = _b(name), _b(parent)
        info.priv_size = ctypes.sizeof(t.storage) if t.props else 0
        if t.props:
            table = t.desc_table()
            keep.append(table)
            info.props = ctypes.cast(table, ctypes.POINTER(_lib.vm_prop_desc))

        def class_init(opaque):
            try:
                if hooks.get("class_init"):
                    hooks["class_init"]()
            except BaseException as e:
                t.class_error = e
                vm.hook_errors.append(e)

        def instance_init(p):
            try:
                if p not in self.objs:  # the first Python level's
                    own = lib.vm_obj_type(p).decode()
                    self.objs[p] = make_obj(p, self.types.get(own, t))
                obj = self.objs[p]
                if hooks.get("instance_init"):
                    hooks["instance_init"](obj)
            except BaseException as e:
                vm.hook_errors.append(e)
                if p in self.objs:
                    self.objs[p]._pending.append(("instance_init", e))

        def realize(p, errp):
            hook = "realize"
            try:
                obj = self.wrap(p)
                for k in obj._pytype.ancestors():
                    if k.class_error is not None:
                        hook = "class_init of '%s'" % k.name
                        raise k.class_error
                if obj._pending:
                    hook = obj._pending[0][0]
                    raise obj._pending[0][1]
                fn = obj._pytype.nearest("realize")
                if fn is not None:
                    fn(obj)
                return 0
            except BaseException as e:
                code, msg = error_of(e, hook)
                lib.vm_error_set(errp, code, msg.replace("%", "%%").encode())
                return code

        def level_hook(hook):
            def tramp(p):
                try:
                    fn = t.nearest(hook) if hook == "unrealize" \
                        else hooks.get(hook)
                    obj = self.objs.get(p)
                    if fn is not None and obj is not None:
                        fn(obj)
                except BaseException as e:
                    vm.hook_errors.append(e)
                finally:
                    if hook == "finalize" and t.parent not in self.types:
                        obj = self.objs.pop(p, None)
                        if obj is not None:
                            obj._p = None
            return tramp

        info.class_init = _lib.CLASS_INIT_FN(class_init)
        info.instance_init = _lib.OBJ_HOOK_FN(instance_init)
        # The most derived realize/unrealize runs alone: ours only where
        # it replaces no built-in one (or a Python level has one).
        if t.root() in _ROOTS or t.nearest("realize"):
            info.realize = _lib.REALIZE_FN(realize)
        if t.nearest("unrealize"):
            info.unrealize = _lib.OBJ_HOOK_FN(level_hook("unrealize"))
        info.finalize = _lib.OBJ_HOOK_FN(level_hook("finalize"))
        send = t.nearest("send")
        if send is not None or t.nearest("send_batch") is not None:
            if send is None:
                raise ValueError("type '%s': send_batch needs send too"
                                 % name)
            ops = send_trampolines(send, t.nearest("send_batch"),
                                   t.nearest("rx_ready"), self.wrap,
                                   vm.netdev_errors)
            keep.append(ops)
            info.netdev_ops = ctypes.pointer(ops)
        keep.append(info)
        err = _lib.err_p()
        rc = lib.vm_type_register(vm._handle(), ctypes.byref(info),
                                  ctypes.byref(err))
        if rc < 0:
            from . import _raise
            _raise(rc, err)
        vm._keep.extend(keep)
        self.types[name] = t
        return t


def read_value(obj, name):
    """The typed value of property @name of a Python-typed object, from
    the storage of the level that declares it."""
    lib = _lib.lib()
    for t in obj._pytype.ancestors():
        i = t.index.get(name)
        if i is None:
            continue
        addr = lib.vm_obj_priv_of(obj._ptr(), _b(t.name))
        if not addr:
            raise LookupError("property '%s': no storage" % name)
        st = t.storage.from_address(addr)
        v = getattr(st, "f%d" % i)
        kind = t.props[i].kind
        if kind in ("str", "link"):
            return None if v is None else v.decode("utf-8", "replace")
        if kind == "bool":
            return bool(v)
        if kind == "mac":
            return ":".join("%02x" % x for x in v)
        return int(v)
    raise KeyError("no property '%s' declared by a Python type of '%s'"
                   % (name, obj.id))
