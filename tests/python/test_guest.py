# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guests booted through the bindings: the project's tiny test guests
(tests/guests) where /dev/kvm runs them (hardware KVM or the PVM backend),
else skipped saying why. Error paths that need vm_start() to reach the
object realize (it opens /dev/kvm first) live here too."""
import errno
import os
import threading
import time

import pytest

import kvm_virtio as kv


def test_hello_console_to_callable_and_log(need_kvm, guest):
    out, logs = [], []
    with kv.VM(guest("hello"), mem_mib=64, console=out.append,
               log=lambda lvl, obj, msg: logs.append((lvl, obj, msg)),
               log_level="info") as vm:
        vm.start()
        st = vm.wait(timeout=120)
    assert st.reason == "debug" and st.code == 0x42 and st.vcpu == 0, st
    assert b"hello from the guest\n" in b"".join(out)
    assert ("info", "vm", "started: 1 vCPU(s), 64 MiB") in logs, logs
    assert not vm.console_errors and not vm.log_errors


def test_hello_console_to_file(need_kvm, guest, tmp_path):
    path = tmp_path / "console.txt"
    with open(path, "wb") as f, kv.VM(guest("hello"), mem_mib=64,
                                      console=f) as vm:
        vm.start()
        assert vm.wait(timeout=120).reason == "debug"
    assert path.read_bytes() == b"hello from the guest\n"


def test_hello_console_to_text_stream_without_fileno(need_kvm, guest):
    import io
    buf = io.StringIO()  # no fileno(): its write() is used
    with kv.VM(guest("hello"), mem_mib=64, console=buf) as vm:
        vm.start()
        assert vm.wait(timeout=120).code == 0x42
    assert buf.getvalue() == "hello from the guest\n"


def test_triple_fault_is_shutdown(need_kvm, guest):
    # The PVM backend's instruction emulator gives up on this guest's
    # faulting instructions and KVM reports an emulation failure instead
    # of the triple fault: the VM still stops and says so, as
    # tests/system/test-machine accepts there. Elsewhere: a shutdown.
    want = "internal" if need_kvm == "pvm" else "shutdown"
    with kv.VM(guest("triple-fault"), mem_mib=64) as vm:
        vm.start()
        assert vm.wait(timeout=120).reason == want


def test_stop_from_another_thread_and_timeout(need_kvm, guest):
    seen = []
    with kv.VM(guest("spin"), vcpus=2, mem_mib=64,
               console=seen.append) as vm:
        vm.start()
        deadline = time.monotonic() + 60
        while b"spinning" not in b"".join(seen):
            assert time.monotonic() < deadline, "spin guest never spoke"
            time.sleep(0.01)
        with pytest.raises(kv.VMTimeoutError) as ei:
            vm.wait(timeout=0.05)
        assert ei.value.errno == errno.ETIMEDOUT
        assert isinstance(ei.value, TimeoutError)
        threading.Thread(target=vm.stop).start()
        assert vm.wait(timeout=5).reason == "stopped"
        vm.stop()  # again: harmless


def test_start_twice_and_add_after_start(need_kvm, guest):
    with kv.VM(guest("spin"), mem_mib=64) as vm:
        vm.add_netdev("null", "n")
        vm.add_device("virtio-net-pci", id="net0", netdev="n")
        vm.start()
        assert vm.find("net0").realized
        with pytest.raises(kv.VMBusyError) as ei:
            vm.start()
        assert "already started" in ei.value.message
        with pytest.raises(kv.VMBusyError) as ei:
            vm.add_netdev("null", "late")
        assert "netdev 'late': cannot be added after vm_start" in \
            ei.value.message
    # leaving the with block stopped and destroyed the running VM


def test_bad_link_at_start(need_kvm):
    with kv.VM("/nonexistent") as vm:
        vm.add_device("virtio-net-pci", id="net0", netdev="later")
        with pytest.raises(kv.VMNotFoundError) as ei:
            vm.start()
        assert ("device 'net0': property 'netdev': no object with id "
                "'later'") in ei.value.message
        vm.add_device("virtio-net-pci", id="later")
        with pytest.raises(kv.VMInvalidError) as ei:
            vm.start()
        assert "'later' is a device, not a netdev" in ei.value.message
        assert not vm.find("net0").realized  # rolled back


def test_vhost_user_without_backend_names_the_socket(need_kvm):
    with kv.VM("/nonexistent") as vm:
        vm.add_netdev("vhost-user", "v", chardev="/nonexistent/sock",
                      vhostforce=None)
        with pytest.raises(kv.VMNotFoundError) as ei:
            vm.start()
        assert "netdev 'v': connect to '/nonexistent/sock'" in \
            ei.value.message


def test_tap_fd_that_is_a_pipe_is_refused(need_kvm):
    r, w = os.pipe()
    try:
        with kv.VM("/nonexistent") as vm:
            vm.add_netdev("tap", "t0", fd=r)
            with pytest.raises(kv.VMInvalidError) as ei:
                vm.start()
            assert "netdev 't0': fd %d is not a TAP device" % r in \
                ei.value.message
    finally:
        os.close(r)
        os.close(w)


def test_net_link_and_stats_of_a_running_nic(need_kvm, guest):
    # A guest that never probes its NIC: the counters exist and are 0, the
    # link can be set from another thread, errors are the C API's.
    with kv.VM(guest("spin"), mem_mib=64) as vm:
        vm.add_netdev("null", "n0")
        vm.add_device("virtio-net-pci", netdev="n0", id="net0")
        with pytest.raises(kv.VMError) as e:
            vm.net_stats("net0")
        assert e.value.errno == errno.ENODEV
        vm.start()
        st = vm.net_stats("net0")
        assert st["queue_pairs"] == 1 and st["link_up"] == 1
        assert st["tx_packets"] == 0 and len(st["queue"]) == 1
        t = threading.Thread(target=vm.net_set_link, args=("net0", False))
        t.start()
        t.join()
        assert vm.net_stats("net0")["link_up"] == 0
        vm.net_set_link("net0", True)
        assert vm.net_stats("net0")["link_up"] == 1
        with pytest.raises(kv.VMError) as e:
            vm.net_stats("nope")
        assert e.value.errno == errno.ENOENT
        with pytest.raises(kv.VMError) as e:
            vm.net_set_link("n0", True)
        assert e.value.errno == errno.ENOTSUP
        vm.stop()
        assert vm.wait(timeout=60).reason == "stopped"


def test_release_wait_after_close(need_kvm, guest):
    # close() returns before the VM's resources are back; release_wait()
    # says when they are (earlier tests' VMs first).
    kv.release_wait()
    fds_before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with kv.VM(guest("hello"), mem_mib=64) as vm:
            vm.start()
            assert vm.wait(timeout=120).reason == "debug"
    kv.release_wait()
    assert kv.release_pending() == 0
    kv.release_wait(0)  # nothing left: returns at once
    assert len(os.listdir("/proc/self/fd")) == fds_before


def _status(path):
    """A /proc/.../status file as a dict, or None when the task is gone."""
    try:
        with open(path) as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f
                        if ":\t" in line)
    except OSError:
        return None


def _vcpu_status(key):
    """@key ("CapEff", "Seccomp", "SigBlk") of each "kvm-vcpuN" thread."""
    out = []
    for tid in os.listdir("/proc/self/task"):
        st = _status("/proc/self/task/%s/status" % tid)
        if st and st.get("Name", "").startswith("kvm-vcpu"):
            out.append(st[key])
    return out


def test_kick_signal_chosen_by_the_host(need_kvm, guest):
    """vm_stop() reaches a spinning guest through the host's choice of
    kick signal, and the host's own handler of that signal is left alone
    (the library sends it only to its vCPU threads)."""
    import signal
    sig = signal.SIGRTMIN + 2
    got = []
    old = signal.signal(sig, lambda s, f: got.append(s))
    try:
        seen = []
        with kv.VM(guest("spin"), vcpus=2, mem_mib=64, kick_signal=sig,
                   console=seen.append) as vm:
            vm.start()
            deadline = time.monotonic() + 60
            while b"spinning" not in b"".join(seen):
                assert time.monotonic() < deadline, "spin guest never spoke"
                time.sleep(0.01)
            # Inside KVM_RUN a vCPU thread's mask is the one the library
            # gave KVM: everything blocked but its kick signal.
            dflt = signal.SIGRTMAX - 3
            deadline = time.monotonic() + 5
            unblocked = False
            while not unblocked:
                assert time.monotonic() < deadline, "kick signal never open"
                for blk in (int(b, 16) for b in _vcpu_status("SigBlk")):
                    assert blk >> (dflt - 1) & 1, "default kick signal used"
                    unblocked |= not blk >> (sig - 1) & 1
                time.sleep(0.001)
            threading.Thread(target=vm.stop).start()
            assert vm.wait(timeout=5).reason == "stopped"
            assert signal.getsignal(sig) is not signal.SIG_DFL
            assert not got, "the host's handler ran for a library kick"
            os.kill(os.getpid(), sig)   # the host's own use still works
            deadline = time.monotonic() + 5
            while not got and time.monotonic() < deadline:
                time.sleep(0.01)
            assert got == [sig]
    finally:
        signal.signal(sig, old)


def test_drop_caps_and_seccomp(need_kvm, guest, tmp_path):
    """The VM's vCPU thread keeps no capability and runs under the
    filter; this (host) thread keeps both as they were."""
    mine = _status("/proc/thread-self/status")
    path = tmp_path / "console.txt"
    with open(path, "wb") as out, kv.VM(guest("spin"), mem_mib=16,
                                        console=out, drop_caps=True,
                                        seccomp=True) as vm:
        vm.start()
        deadline = time.monotonic() + 60
        while b"spinning" not in path.read_bytes():
            assert time.monotonic() < deadline, "spin guest never spoke"
            time.sleep(0.01)
        assert _vcpu_status("CapEff") == ["0000000000000000"]
        assert _vcpu_status("Seccomp") == ["2"]
        vm.stop()
        assert vm.wait(timeout=5).reason == "stopped"
    now = _status("/proc/thread-self/status")
    assert now["CapEff"] == mine["CapEff"] and now["Seccomp"] == "0"


def test_host_netdev_push_backpressure(need_kvm, guest):
    """A host netdev written in Python: with no driver taking frames (the
    tiny guest has none), 256 pushes are queued, then push() says False
    (EAGAIN) instead of dropping; nothing the guest never sent arrives."""
    got = []
    with kv.VM(guest("spin"), mem_mib=64) as vm:
        nd = vm.add_host_netdev("h0", send=got.append)
        vm.add_device("virtio-net-pci", id="net0", netdev="h0")
        vm.start()
        assert nd.realized
        frame = bytes(range(60))
        results = [nd.push(frame) for _ in range(257)]
        assert results[:256] == [True] * 256 and results[256] is False
        assert vm.net_stats("net0")["rx_packets"] == 0
        vm.stop()
        assert vm.wait(timeout=5).reason == "stopped"
    assert got == [] and not vm.netdev_errors
