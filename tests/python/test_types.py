# SPDX-License-Identifier: LGPL-2.1-or-later
"""Types registered from Python (VM.register_type, vm_type_register()):
the error paths of the C tests of host types (tests/unit/test-core.c,
tests/unit/test-host-netdev.c) through the bindings, and a tiny guest
(tests/guests/net-echo) whose frames a Python netdev type answers, where
/dev/kvm runs tiny guests. Tests that need vm_start() to reach realize
need /dev/kvm too (vm_start() opens it first); the kernel then fails to
load, after realize, so those VMs never run."""
import errno

import pytest

import kvm_virtio as kv
from kvm_virtio import Prop


def probe_props():
    return [Prop("fail", "bool", default=False),
            Prop("level", "u32", default=7, min=1, max=10),
            Prop("label", "str")]


def hierarchy(vm, journal):
    """base-dev (level 1..100, a realize), empty-leaf (nothing of its
    own), leaf-dev (its own weight and instance_init)."""
    vm.register_type(
        "base-dev", "device",
        props=[Prop("level", "u32", default=7, min=1, max=100)],
        instance_init=lambda o: journal.append("init-base:" + o.id),
        realize=lambda o: journal.append("realize:%s:%d"
                                         % (o.id, o.value("level"))),
        unrealize=lambda o: journal.append("unrealize:" + o.id),
        finalize=lambda o: journal.append("fini-base:" + o.id))
    vm.register_type("empty-leaf", "base-dev")
    vm.register_type(
        "leaf-dev", "base-dev", props=[Prop("weight", "u32", default=3)],
        instance_init=lambda o: journal.append("init-leaf:" + o.id),
        finalize=lambda o: journal.append("fini-leaf:" + o.id))


def start_fails(vm, cls, text):
    with pytest.raises(cls) as ei:
        vm.start()
    assert text in ei.value.message, ei.value.message
    return ei.value


def ping(f):
    """The reply net-echo waits for: addresses swapped, "ping" -> "pong"."""
    return f[6:12] + f[0:6] + f[12:14] + b"pong" + f[18:]


# ---- registry ---------------------------------------------------------

def test_register_rejects_bad_info(vm):
    with pytest.raises(kv.VMNotFoundError) as ei:
        vm.register_type("x", "nope")
    assert "unknown type 'nope'" in ei.value.message
    with pytest.raises(kv.VMExistsError) as ei:
        vm.register_type("tap", "device")
    assert ei.value.message == "type 'tap' already exists"
    for parent in ("tap", "device"):
        with pytest.raises(kv.VMInvalidError) as ei:
            vm.register_type("bad-" + parent, parent,
                             send=lambda o, f, q: None)
        assert "netdev_ops need a parent derived from 'netdev'" in \
            ei.value.message
    with pytest.raises(ValueError, match="unknown kind 'float'"):
        Prop("x", "float")
    with pytest.raises(ValueError, match="send_batch needs send"):
        vm.register_type("half", "netdev", send_batch=lambda o, b, q: 0)
    assert not vm.type_exists("x") and not vm.type_exists("half")
    vm.register_type("x", "device")
    assert vm.type_exists("x")
    with pytest.raises(kv.VMExistsError):
        vm.register_type("x", "device")


def test_defaults_props_and_instance_init(vm):
    seen = []

    def init(o):
        o.state["inited"] = True
        seen.append((o.id, o.value("level")))

    vm.register_type("probe-device", "device", props=probe_props(),
                     instance_init=init)
    o = vm.add_device("probe-device", id="p", label="x,y")
    assert isinstance(o, kv.HostObject) and o.state == {"inited": True}
    assert seen == [("p", 7)]  # defaults are in before instance_init
    assert o.get("level") == "7" and o.get("fail") == "off"
    assert o.get("label") == "x,y" and o.value("label") == "x,y"
    assert o.value("fail") is False and o.value("level") == 7
    with pytest.raises(kv.VMNotFoundError):
        o.get("nope")
    with pytest.raises(KeyError):
        o.value("nope")
    assert (o.type, o.kind) == ("probe-device", "device")
    assert vm.find("p") is o
    nd = vm.add_netdev("null", "n")
    assert not isinstance(nd, kv.HostObject)


def test_missing_required_and_out_of_range(vm):
    vm.register_type("needs-label", "netdev",
                     props=[Prop("label", "str", required=True)])
    with pytest.raises(kv.VMInvalidError) as ei:
        vm.add_netdev("needs-label", "v")
    assert "netdev 'v': property 'label' is required" in ei.value.message
    hierarchy(vm, [])
    with pytest.raises(kv.VMRangeError) as ei:
        vm.add_device("leaf-dev", id="l", level=101)
    assert ei.value.errno == errno.ERANGE
    assert ("device 'l': property 'level': 101 is out of range [1, 100]"
            in ei.value.message)
    assert vm.find("l") is None
    with pytest.raises(kv.VMInvalidError) as ei:
        vm.register_type("macs", "device", props=[Prop("m", "mac")])
        vm.add_device("macs", id="m", m="bad")
    assert "device 'm': property 'm'" in ei.value.message


def test_levels_have_separate_storage(need_kvm):
    journal = []
    with kv.VM("/nonexistent") as vm:
        hierarchy(vm, journal)
        leaf = vm.add_device("leaf-dev", id="l", level=9, weight=5)
        empty = vm.add_device("empty-leaf", id="e", level=42)
        assert journal == ["init-base:l", "init-leaf:l", "init-base:e"]
        assert (leaf.value("level"), leaf.value("weight")) == (9, 5)
        assert empty.value("level") == 42 and empty.get("level") == "42"
        del journal[:]
        # The leaves have no realize: the base's runs, reading its own
        # level's storage; then the kernel fails and both unrealize.
        start_fails(vm, kv.VMNotFoundError, "kernel '/nonexistent'")
        assert journal[:2] == ["realize:l:9", "realize:e:42"], journal
        assert sorted(journal[2:]) == ["unrealize:e", "unrealize:l"]
        del journal[:]
    # finalize: every level's, child first
    assert journal == ["fini-leaf:l", "fini-base:l", "fini-base:e"]
    assert not vm.hook_errors


# ---- realize errors ---------------------------------------------------

def raiser(exc):
    def hook(obj):
        raise exc
    return hook


@pytest.mark.parametrize("exc,cls,text", [
    (ValueError("boom 100%"), kv.VMInvalidError,
     "device 'm': realize raised ValueError: boom 100%"),
    (kv.VMError(-errno.EIO, "said EIO"), kv.VMError, "device 'm': said EIO"),
    (OSError(errno.EPERM, "no way"), kv.VMPermissionError,
     "device 'm': realize raised [Errno 1] no way"),
])
def test_realize_exception_is_an_errno(need_kvm, exc, cls, text):
    with kv.VM("/nonexistent") as vm:
        vm.register_type("mute-dev", "device", realize=raiser(exc))
        m = vm.add_device("mute-dev", id="m")
        e = start_fails(vm, cls, text)
        assert e.code == (exc.code if isinstance(exc, kv.VMError)
                          else -getattr(exc, "errno", errno.EINVAL)
                          or -errno.EINVAL)
        assert not m.realized


def test_init_hook_exceptions_fail_realize(need_kvm):
    with kv.VM("/nonexistent") as vm:
        vm.register_type("bad-init", "device",
                         instance_init=raiser(RuntimeError("no init")))
        vm.register_type("bad-class", "netdev",
                         class_init=lambda: 1 / 0)
        vm.add_device("bad-init", id="d")
        start_fails(vm, kv.VMInvalidError,
                    "device 'd': instance_init raised RuntimeError: no init")
        assert [type(e) for e in vm.hook_errors] == [RuntimeError]
    with kv.VM("/nonexistent") as vm:
        vm.register_type("bad-class", "netdev", class_init=lambda: 1 / 0)
        vm.add_netdev("bad-class", "n")
        start_fails(vm, kv.VMInvalidError,
                    "netdev 'n': class_init of 'bad-class' raised "
                    "ZeroDivisionError")


def test_realize_succeeds_without_error_left(need_kvm):
    with kv.VM("/nonexistent") as vm:
        vm.register_type("ok-dev", "device", realize=lambda o: None)
        vm.add_device("ok-dev", id="d")
        # realize ran and succeeded: what fails is the kernel, after it
        start_fails(vm, kv.VMNotFoundError, "kernel '/nonexistent'")


def test_links_are_checked_like_builtin_ones(need_kvm):
    with kv.VM("/nonexistent") as vm:
        vm.register_type("hostnic", "device",
                         props=[Prop("netdev", "link")],
                         realize=lambda o: o.state.update(r=1))
        h = vm.add_device("hostnic", id="h", netdev="nope")
        start_fails(vm, kv.VMNotFoundError,
                    "device 'h': property 'netdev': no object with id 'nope'")
        assert "r" not in h.state
        vm.add_device("virtio-net-pci", id="nope")
        start_fails(vm, kv.VMInvalidError,
                    "device 'h': property 'netdev': 'nope' is a device, "
                    "not a netdev")


def test_host_device_cannot_take_a_netdev_in_use(vm):
    vm.register_type("hostnic", "device", props=[Prop("netdev", "link")])
    vm.add_netdev("null", "n")
    vm.add_device("virtio-net-pci", id="net0", netdev="n")
    with pytest.raises(kv.VMBusyError) as ei:
        vm.add_device("hostnic", id="h", netdev="n")
    assert "device 'h': netdev 'n' is already used by device 'net0'" in \
        ei.value.message
    vm.add_netdev("null", "n2")
    vm.add_device("hostnic", id="h2", netdev="n2")
    with pytest.raises(kv.VMBusyError) as ei:
        vm.add_device("virtio-net-pci", id="net1", netdev="n2")
    assert "device 'net1': netdev 'n2' is already used by device 'h2'" in \
        ei.value.message


# ---- netdev types -----------------------------------------------------

def test_push_before_start_and_bad_queue(vm):
    vm.register_type("py-net", "netdev", send=lambda o, f, q: None)
    nd = vm.add_netdev("py-net", "p0")
    with pytest.raises(kv.VMError) as ei:
        nd.push(b"x" * 60)
    assert ei.value.errno == errno.ENODEV


def test_register_after_start_and_backpressure(need_kvm, guest):
    ready = []
    with kv.VM(guest("spin"), mem_mib=64) as vm:
        vm.register_type("py-net", "netdev", send=lambda o, f, q: None,
                         rx_ready=lambda o, q: ready.append((o.id, q)))
        nd = vm.add_netdev("py-net", "p0")
        vm.add_device("virtio-net-pci", id="net0", netdev="p0")
        vm.start()
        with pytest.raises(kv.VMBusyError):
            vm.register_type("late", "device")
        with pytest.raises(kv.VMInvalidError):
            nd.push(b"x" * 60, queue=1)
        with pytest.raises(kv.VMError) as ei:
            nd.push(b"")
        assert ei.value.errno == errno.EMSGSIZE
        results = [nd.push(bytes(60)) for _ in range(257)]
        assert results[:256] == [True] * 256 and results[256] is False
        vm.stop()
        assert vm.wait(timeout=5).reason == "stopped"
    assert not vm.netdev_errors and not vm.hook_errors


def run_echo(guest, **hooks):
    """net-echo on a Python netdev type "py-echo"; returns (status,
    console, net0's counters, vm)."""
    out = []
    with kv.VM(guest("net-echo"), mem_mib=64, console=out.append) as vm:
        vm.register_type("py-echo", "netdev",
                         props=[Prop("tag", "str", default="t")], **hooks)
        vm.add_netdev("py-echo", "e0", tag="echo")
        vm.add_device("virtio-net-pci", id="net0", netdev="e0",
                      disable_legacy=True)
        vm.start()
        st = vm.wait(timeout=120)
        stats = vm.net_stats("net0")
    return st, b"".join(out), stats, vm


def test_guest_exchanges_frames_with_a_python_netdev(need_kvm, guest):
    got = []

    def send(obj, frame, queue):
        got.append((obj.id, obj.value("tag"), queue, frame[12:19]))
        assert obj.push(ping(frame)) is True

    st, out, stats, vm = run_echo(guest, send=send)
    assert (st.reason, st.code) == ("debug", 0x4e), (st, out)
    assert out == b"net-echo: ok\n"
    assert got == [("e0", "echo", 0, b"\x88\xb5ping" + bytes([i]))
                   for i in range(8)]
    assert (stats["tx_packets"], stats["rx_packets"]) == (8, 8)
    assert stats["tx_drop_backend"] == 0 and not vm.netdev_errors


def test_host_netdev_queues_as_in_c(need_kvm, guest):
    """VM.add_host_netdev(queues=2) is the C "callback" netdev with
    queues=2: the callbacks get the queue pair (net-echo drives pair 0
    only), push() names the pair a frame goes to (pair 1's FIFO holds its
    frames, the guest not using it), a pair out of range is refused."""
    got, batches, out = [], [], []
    with kv.VM(guest("net-echo"), mem_mib=64, console=out.append) as vm:
        def send(frame, queue):
            got.append((queue, frame[12:19]))
            assert nd.push(ping(frame), queue) is True

        nd = vm.add_host_netdev("h0", send, queues=2)
        assert nd.get("queues") == "2"
        vm.add_device("virtio-net-pci", id="net0", netdev="h0", mq=True,
                      disable_legacy=True)
        vm.start()
        assert nd.push(b"\x00" * 60, 1) is True
        with pytest.raises(kv.VMError) as ei:
            nd.push(b"\x00" * 60, 2)
        assert ei.value.errno == errno.EINVAL
        st = vm.wait(timeout=120)
        stats = vm.net_stats("net0")
    assert (st.reason, st.code) == ("debug", 0x4e), (st, b"".join(out))
    assert got == [(0, b"\x88\xb5ping" + bytes([i])) for i in range(8)]
    assert (stats["tx_packets"], stats["rx_packets"]) == (8, 8)
    assert not vm.netdev_errors

    # send_batch, as the C ops' (send is then not called)
    with kv.VM(guest("net-echo"), mem_mib=64) as vm:
        def send_batch(frames, queue):
            batches.append((queue, len(frames)))
            for f in frames:
                nd.push(ping(f), queue)

        nd = vm.add_host_netdev("h0", got.append, queues=1,
                                send_batch=send_batch)
        vm.add_device("virtio-net-pci", id="net0", netdev="h0",
                      disable_legacy=True)
        vm.start()
        st = vm.wait(timeout=120)
        stats = vm.net_stats("net0")
    assert st.code == 0x4e, st
    assert sum(n for _, n in batches) == 8 and {q for q, _ in batches} == {0}
    assert len(got) == 8 and stats["tx_batches"] == len(batches)


def test_send_exception_drops_and_false_retries(need_kvm, guest):
    """A send that raises drops that frame (counted, kept in
    netdev_errors); one that says False (EAGAIN) gets it again."""
    calls = []

    def send(obj, frame, queue):
        calls.append(frame[18])
        if frame[18] == 2 and calls.count(2) == 1:
            return False          # not now: offered again ~1 ms later
        obj.push(ping(frame))
        if frame[18] == 5:
            raise RuntimeError("after the reply")

    st, out, stats, vm = run_echo(guest, send=send)
    assert st.code == 0x4e, (st, out)
    assert calls == [0, 1, 2, 2, 3, 4, 5, 6, 7]
    assert [type(e) for e in vm.netdev_errors] == [RuntimeError]
    assert stats["tx_drop_backend"] == 1 and stats["tx_packets"] == 7


def test_send_batch_gets_the_tx_bursts(need_kvm, guest):
    """With send_batch, virtio-net-pci hands each TX burst over in one
    call (net-echo sends one frame per burst); send is not called."""
    batches, singles = [], []

    def send_batch(obj, frames, queue):
        batches.append(len(frames))
        for f in frames:
            obj.push(ping(f), queue)
        return len(frames)

    st, out, stats, vm = run_echo(guest, send=lambda o, f, q:
                                  singles.append(f),
                                  send_batch=send_batch)
    assert st.code == 0x4e, (st, out)
    assert sum(batches) == 8 and not singles
    assert stats["tx_batches"] == len(batches)
    assert stats["tx_packets"] == 8 and not vm.netdev_errors
