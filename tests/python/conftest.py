# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/python/conftest.py: fixtures of the Python binding tests, and a
tiny TAP reporter: with $KVM_VIRTIO_TAP set (run-pytest.sh sets it), one
TAP line per test is written to that file so automake's TAP driver counts
each test (PASS / FAIL / SKIP with pytest's reason)."""
import os

import pytest

import kvm_virtio

_tap = {"n": 0, "file": None, "state": {}}


def pytest_configure(config):
    path = os.environ.get("KVM_VIRTIO_TAP")
    if path:
        _tap["file"] = open(path, "w", buffering=1)


def _tap_line(nodeid, state):
    f = _tap["file"]
    if f is None:
        return
    _tap["n"] += 1
    name = nodeid.split("::", 1)[-1].replace("#", "-")
    outcome, reason = state
    if outcome == "passed":
        f.write("ok %d %s\n" % (_tap["n"], name))
    elif outcome == "skipped":
        f.write("ok %d %s # SKIP %s\n" % (_tap["n"], name,
                                           reason.replace("\n", " ")))
    else:
        f.write("not ok %d %s (%s)\n" % (_tap["n"], name, outcome))


def pytest_runtest_logreport(report):
    st = _tap["state"]
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) \
            else str(report.longrepr)
        if reason.startswith("Skipped: "):
            reason = reason[len("Skipped: "):]
        st[report.nodeid] = ("skipped", reason)
    elif report.failed:
        what = "failed" if report.when == "call" else \
            "error in " + report.when
        st[report.nodeid] = (what, "")
    elif report.when == "call":
        st.setdefault(report.nodeid, ("passed", ""))
    if report.when == "teardown":
        _tap_line(report.nodeid, st.pop(report.nodeid, ("passed", "")))


def pytest_unconfigure(config):
    if _tap["file"] is not None:
        _tap["file"].close()
        _tap["file"] = None


# ---- fixtures ------------------------------------------------------------

@pytest.fixture
def vm():
    """A VM that is never started successfully (no kernel file)."""
    with kvm_virtio.VM("/nonexistent") as v:
        yield v


def kvm_runs_guests():
    """Why tiny guests cannot run here, or None when they can."""
    kind = kvm_virtio.host_kvm()
    if kind == "none":
        try:
            fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
            os.close(fd)
            return "/dev/kvm opens but the library finds no usable KVM"
        except OSError as e:
            return "no usable /dev/kvm here (%s)" % e.strerror
    return None


@pytest.fixture
def need_kvm():
    why = kvm_runs_guests()
    if why:
        pytest.skip(why)
    return kvm_virtio.host_kvm()


@pytest.fixture
def guest():
    """Path of a tiny test guest ELF from tests/guests (built by make)."""
    d = os.environ.get("KVM_VIRTIO_GUEST_DIR")
    if not d:
        here = os.path.dirname(os.path.abspath(__file__))
        d = os.path.join(here, os.pardir, "guests")

    def path(name):
        p = os.path.join(d, name + ".elf")
        assert os.path.exists(p), "%s not built (make check builds it)" % p
        return p
    return path
