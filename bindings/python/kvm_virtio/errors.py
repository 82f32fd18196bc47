# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exceptions: every failing call raises a VMError carrying the library's
errno and message; the subclass tells the errno apart."""
import errno as _errno
import os


class VMError(Exception):
    """A libkvm-virtio call failed.

    errno   -- the positive errno (e.g. errno.EINVAL)
    code    -- the library's return value, -errno
    message -- the library's message, naming the object and the reason
    """

    def __init__(self, code, message):
        code = -abs(int(code)) if code else -_errno.EINVAL
        super().__init__(message)
        self.code = code
        self.errno = -code
        self.message = message

    @property
    def errno_name(self):
        return _errno.errorcode.get(self.errno, str(self.errno))

    def __str__(self):
        return self.message

    def __repr__(self):
        return "%s(%s, %r)" % (type(self).__name__, self.errno_name,
                               self.message)


class VMInvalidError(VMError):
    """-EINVAL: unknown property, bad value, bad id, wrong kind, ..."""


class VMRangeError(VMInvalidError):
    """-ERANGE: an integer outside the property's range."""


class VMNotFoundError(VMError):
    """-ENOENT: unknown type, a link to a missing id, no /dev/kvm, ..."""


class VMExistsError(VMError):
    """-EEXIST: the id is already in use."""


class VMBusyError(VMError):
    """-EBUSY: the VM was started, or a netdev is used by another device."""


class VMNotSupportedError(VMError):
    """-ENOTSUP: not implemented (vhost-user, legacy virtio, ...)."""


class VMTimeoutError(VMError, TimeoutError):
    """-ETIMEDOUT: wait() gave up before the VM stopped."""


class VMCancelledError(VMError):
    """-ECANCELED: stop() came before or during start()."""


class VMPermissionError(VMError):
    """-EACCES / -EPERM: e.g. /dev/kvm or /dev/net/tun not accessible."""


_BY_ERRNO = {
    _errno.EINVAL: VMInvalidError,
    _errno.ERANGE: VMRangeError,
    _errno.ENOENT: VMNotFoundError,
    _errno.EEXIST: VMExistsError,
    _errno.EBUSY: VMBusyError,
    _errno.ENOTSUP: VMNotSupportedError,
    _errno.ETIMEDOUT: VMTimeoutError,
    _errno.ECANCELED: VMCancelledError,
    _errno.EACCES: VMPermissionError,
    _errno.EPERM: VMPermissionError,
}


def error_for(code, message=None):
    """The VMError subclass instance for a negative errno."""
    cls = _BY_ERRNO.get(abs(code), VMError)
    if message is None:
        message = os.strerror(abs(code))
    return cls(code, message)
