# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every error path of the C unit tests (tests/unit/test-core.c), through
the Python bindings: the exception class, errno and the library's own
message."""
import errno

import pytest

import kvm_virtio as kv


def raises(cls, code, text, fn, *args, **kw):
    with pytest.raises(cls) as ei:
        fn(*args, **kw)
    e = ei.value
    assert e.errno == code and e.code == -code
    assert text in e.message, e.message
    assert str(e) == e.message
    return e


def test_version():
    assert kv.version() == "%d.%d.%d" % kv.version_info()
    assert kv.version_info() >= (0, 1, 0)
    assert kv.library_path()


def test_unknown_type(vm):
    raises(kv.VMNotFoundError, errno.ENOENT,
           "netdev 'n0': unknown type 'slirp'", vm.add_netdev, "slirp", "n0")
    raises(kv.VMNotFoundError, errno.ENOENT,
           "device 'nic': unknown type 'e1000'", vm.add_device, "e1000",
           id="nic")


def test_wrong_kind_and_abstract_type(vm):
    raises(kv.VMInvalidError, errno.EINVAL,
           "type 'virtio-net-pci' is not a netdev", vm.add_netdev,
           "virtio-net-pci", "n0")
    raises(kv.VMInvalidError, errno.EINVAL, "type 'tap' is not a device",
           vm.add_device, "tap")
    raises(kv.VMInvalidError, errno.EINVAL, "is not a concrete netdev",
           vm.add_netdev, "netdev", "n0")


def test_unknown_property(vm):
    raises(kv.VMInvalidError, errno.EINVAL,
           "netdev 't0': type 'tap' has no property 'ifnmae' (known: "
           "ifname, fd, vnet_hdr, queues, script, downscript)", vm.add_netdev, "tap", "t0",
           ifnmae="x")
    assert vm.find("t0") is None


def test_bad_values(vm):
    raises(kv.VMInvalidError, errno.EINVAL,
           "device 'n': property 'mac': '00:11:22:33:44' is not a MAC",
           vm.add_device, "virtio-net-pci", id="n", mac="00:11:22:33:44")
    raises(kv.VMInvalidError, errno.EINVAL,
           "property 'mq': 'maybe' is not on/off", vm.add_device,
           "virtio-net-pci", id="n", mq="maybe")
    e = raises(kv.VMRangeError, errno.ERANGE,
               "netdev 't': property 'queues': 17 is out of range [1, 16]",
               vm.add_netdev, "tap", "t", queues=17)
    assert isinstance(e, kv.VMInvalidError)  # a bad value, more precisely
    raises(kv.VMInvalidError, errno.EINVAL,
           "'-1' is not an unsigned integer", vm.add_netdev, "tap", "t",
           queues=-1)


def test_chardev_socket_is_named_by_a_vhost_user_netdev(vm):
    c = vm.add_chardev("socket", "char1", path="/nonexistent/s", server=None)
    assert c.kind == "chardev" and c.get("server") == "on"
    vm.add_netdev("vhost-user", "v", chardev="char1")
    assert [o.id for o in vm.objects()] == ["char1", "v"]
    raises(kv.VMNotFoundError, errno.ENOENT,
           "chardev 'c2': unknown backend 'pty' (known: socket)",
           vm.add_chardev, "pty", "c2")
    raises(kv.VMInvalidError, errno.EINVAL,
           "chardev 'c2': property 'path' is required", vm.add_chardev,
           "socket", "c2")


def test_missing_required_and_ids(vm):
    raises(kv.VMInvalidError, errno.EINVAL, "an id is required",
           vm.add_netdev, "tap", None)
    raises(kv.VMInvalidError, errno.EINVAL, "netdev '9lives': bad id",
           vm.add_netdev, "tap", "9lives")
    vm.add_netdev("tap", "t0")
    raises(kv.VMExistsError, errno.EEXIST, "netdev 't0': id already in use",
           vm.add_netdev, "null", "t0")
    raises(kv.VMExistsError, errno.EEXIST, "device 't0': id already in use",
           vm.add_device, "virtio-net-pci", id="t0")


def test_netdev_used_by_two_devices(vm):
    vm.add_netdev("null", "mynet3")
    vm.add_device("virtio-net-pci", id="net0", netdev="mynet3")
    raises(kv.VMBusyError, errno.EBUSY,
           "device 'net1': netdev 'mynet3' is already used by device 'net0'",
           vm.add_device, "virtio-net-pci", id="net1", netdev="mynet3")


def test_start_without_kernel():
    with kv.VM() as vm:
        raises(kv.VMInvalidError, errno.EINVAL, "no kernel", vm.start)


def test_wait_before_start(vm):
    raises(kv.VMInvalidError, errno.EINVAL, "not started", vm.wait, 0)


def test_stop_before_start_cancels_once(vm):
    vm.stop()
    vm.stop()
    raises(kv.VMCancelledError, errno.ECANCELED,
           "vm_stop() was called before vm_start()", vm.start)


def test_bad_config():
    raises(kv.VMInvalidError, errno.EINVAL,
           "vcpus (0) and mem_mib (256) must be at least 1", kv.VM, vcpus=0)
    raises(kv.VMError, errno.E2BIG, "1000 vCPUs asked, at most 255", kv.VM,
           vcpus=1000)


def test_closed_vm_refuses_calls(vm):
    vm.close()
    vm.close()  # idempotent
    raises(kv.VMInvalidError, errno.EINVAL, "already destroyed",
           vm.add_netdev, "null", "n")


def test_props_parse():
    assert kv.props_parse(
        "type=vhost-user,id=mynet3,chardev=/tmp/s,vhostforce,queues=4") == [
        ("type", "vhost-user"), ("id", "mynet3"), ("chardev", "/tmp/s"),
        ("vhostforce", None), ("queues", "4")]
    assert kv.props_parse("a=x,,y") == [("a", "x,y")]
    raises(kv.VMInvalidError, errno.EINVAL, "", kv.props_parse, "=v")


def test_seed_command_line(vm):
    nd = dict(kv.props_parse(
        "type=vhost-user,id=mynet3,chardev=/tmp/vhostsock0,vhostforce,"
        "queues=4"))
    dev = dict(kv.props_parse(
        "netdev=mynet3,id=net1,mac=00:00:00:00:00:03,disable-legacy=on"))
    n = vm.add_netdev(nd.pop("type"), nd.pop("id"), **nd)
    d = vm.add_device("virtio-net-pci", **dev)
    assert [(o.type, o.id) for o in vm.objects()] == [
        ("vhost-user", "mynet3"), ("virtio-net-pci", "net1")]
    assert n.get("vhostforce") == "on" and n.get("queues") == "4"
    assert n.kind == "netdev" and d.kind == "device"
    assert d.get("mac") == "00:00:00:00:00:03"
    assert d.get("netdev") == "mynet3"
    assert not d.realized
    with pytest.raises(kv.VMNotFoundError):
        d.get("nope")


def test_python_names_and_values(vm):
    vm.add_netdev("null", "n")
    d = vm.add_device("virtio-net-pci", id="net0", netdev="n",
                      disable_legacy=True, mq=False, rx_queue_size=512)
    assert d.get("disable-legacy") == "on"
    assert d.get("mq") == "off"
    assert d.get("rx_queue_size") == "512"  # spelled with '_' by the type
    # A name the type has with neither spelling is the library's error.
    raises(kv.VMInvalidError, errno.EINVAL, "has no property 'no_such'",
           vm.add_device, "virtio-net-pci", no_such=1)


def test_generated_ids(vm):
    a = vm.add_device("virtio-net-pci")
    with pytest.raises(kv.VMInvalidError):
        vm.add_device("virtio-net-pci", mac="bad")
    b = vm.add_device("virtio-net-pci")
    assert (a.id, b.id) == ("virtio-net-pci#0", "virtio-net-pci#1")


def test_library_search_env_var_is_authoritative(tmp_path):
    import subprocess
    import sys
    env = dict(__import__("os").environ,
               KVM_VIRTIO_LIB=str(tmp_path / "nope.so"))
    out = subprocess.run(
        [sys.executable, "-c",
         "import kvm_virtio\n"
         "try:\n kvm_virtio.version()\n"
         "except kvm_virtio.LibraryNotFoundError as e: print('LNF', e)\n"],
        env=env, capture_output=True, text=True)
    assert "LNF libkvm-virtio not found" in out.stdout, out
    assert "$KVM_VIRTIO_LIB" in out.stdout


def test_kick_signal_must_be_real_time():
    import signal
    raises(kv.VMInvalidError, errno.EINVAL,
           "kick_signal %d is not a real-time signal" % signal.SIGUSR1,
           kv.VM, kick_signal=signal.SIGUSR1)
    raises(kv.VMInvalidError, errno.EINVAL, "is not a real-time signal",
           kv.VM, kick_signal=signal.SIGRTMAX + 1)
    kv.VM(kick_signal=signal.SIGRTMIN).close()
    kv.VM(kick_signal=signal.SIGRTMAX).close()


def test_host_netdev_before_start(vm):
    nd = vm.add_host_netdev("h0", send=lambda frame: None)
    assert isinstance(nd, kv.HostNetdev)
    assert nd.type == "callback" and nd.kind == "netdev"
    assert not nd.realized
    e = raises(kv.VMError, errno.ENODEV, "netdev 'h0': push", nd.push,
               b"\x00" * 60)
    assert e.errno == errno.ENODEV
    raises(kv.VMError, errno.EMSGSIZE, "netdev 'h0': push", nd.push, b"")
    raises(kv.VMError, errno.EMSGSIZE, "netdev 'h0': push", nd.push,
           b"\x00" * 65537)
    raises(kv.VMExistsError, errno.EEXIST, "'h0'", vm.add_host_netdev, "h0",
           send=print)


def test_host_netdev_queues_out_of_range(vm):
    for n in (0, 17):
        raises(kv.VMError, errno.ERANGE, "queues", vm.add_host_netdev,
               "h%d" % n, send=print, queues=n)
    assert vm.find("h0") is None and vm.find("h17") is None
    assert vm.add_host_netdev("h16", send=print, queues=16).get("queues") \
        == "16"
