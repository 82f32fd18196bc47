/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * include/kvm-virtio.h: the public API of libkvm-virtio.
 *
 * libkvm-virtio embeds KVM virtual machines whose guests use a modern
 * virtio-net-pci NIC inside a host program. The host program creates a VM,
 * adds netdev backends and devices by type name with key/value properties,
 * starts it, waits for it and destroys it:
 *
 *     struct vm *vm; struct vm_error *err = NULL;
 *     struct vm_config cfg = VM_CONFIG_INIT;
 *     cfg.vcpus = 1; cfg.mem_mib = 256; cfg.kernel = "bzImage";
 *     if (vm_create(&cfg, &vm, &err) < 0) { puts(vm_error_message(err)); ... }
 *     vm_add_netdev(vm, "tap", "n0", (const struct vm_prop[]){
 *                   {"ifname", "tap0"}, {NULL, NULL}}, &err);
 *     vm_add_device(vm, "virtio-net-pci", (const struct vm_prop[]){
 *                   {"netdev", "n0"}, {"id", "net0"}, {NULL, NULL}}, &err);
 *     vm_start(vm, &err);
 *     struct vm_status status = VM_STATUS_INIT;
 *     vm_wait(vm, &status, -1);
 *     vm_destroy(vm);
 *
 * Conventions, valid for every function below unless its block says
 * otherwise:
 * - Functions return 0 (or a non-negative value) on success and a negative
 *   errno on failure. When @errp is not NULL and *@errp is NULL, a failure
 *   stores a newly allocated error there whose message names the object and
 *   the reason; the caller frees it with vm_error_free(). An existing
 *   *@errp is never overwritten.
 * - Strings passed in are copied; pointers passed in are borrowed only until
 *   the call returns.
 * - Thread-safety: calls on one struct vm must not run concurrently, except
 *   vm_stop() (any thread, any time after vm_create) and functions whose
 *   block says otherwise. Different VMs are independent.
 * - The library never exits or aborts the process and prints nothing unless
 *   a log function is set with vm_set_log_fn().
 *
 * Types available in this version (vm_type_exists() tells at run time):
 *   netdev "tap"           works: creates or attaches to a TAP interface
 *                          (ifname), or takes an open TAP fd (fd=, checked
 *                          with TUNGETIFF); vnet_hdr=on carries the
 *                          virtio-net header and offloads, queues=N opens a
 *                          multiqueue tap. Creating one needs CAP_NET_ADMIN.
 *                          script=no and downscript=no are accepted (the
 *                          library never runs scripts); any other value
 *                          fails vm_start with -ENOTSUP.
 *   chardev "socket"       (0.3) a UNIX socket path and its role, for
 *                          vhost-user: vm_add_chardev().
 *   netdev "null"          works: drops what it is sent, receives nothing.
 *   netdev "callback"      works: frames to and from the host program in
 *                          process (vm_netdev_set_ops(), vm_netdev_push();
 *                          see "Host netdevs"), queues=N pairs (0.4); TX
 *                          bursts in one ->send_batch call where the ops
 *                          have one (0.4). Host netdev types registered
 *                          with parent "netdev" are built on it.
 *   netdev "stream"        works: frames over a stream socket with QEMU's
 *                          -netdev stream framing (4-byte big-endian length,
 *                          then the frame), as passt and gvproxy speak it:
 *                          addr.type=unix (addr.path) or inet (addr.host, a
 *                          numeric address, default 127.0.0.1; addr.port),
 *                          server=on to listen for one peer at a time, or
 *                          fd= a connected stream socket (dup'ed). No
 *                          privileges needed. A client connects at
 *                          vm_start() (waiting up to 5 s); while no peer is
 *                          connected the guest's frames are dropped (counted
 *                          in tx_drop_backend), as in QEMU; a server accepts
 *                          the next peer; a client whose peer left stays
 *                          disconnected unless reconnect=N (0.4; seconds,
 *                          as QEMU's): then it connects again every N
 *                          seconds on a thread of its own, the NIC's link
 *                          is down meanwhile (the guest sees its carrier
 *                          go; its frames count in tx_drop_link_down) and
 *                          up again once connected. With reconnect=N a
 *                          first connect that fails does not fail
 *                          vm_start() (0.5): the link is down from the
 *                          start and comes up once a connect succeeds
 *                          (tried every N seconds). reconnect= with
 *                          server=on or fd= fails vm_start (-EINVAL).
 *   netdev "vhost-user"    works (0.3): the frontend of the vhost-user
 *                          protocol; the packet path runs in the backend
 *                          process (e.g. DPDK), on rings it maps from guest
 *                          RAM, kicked by the queues' ioeventfds and calling
 *                          their irqfds directly. Properties: chardev (id
 *                          of a socket chardev, see vm_add_chardev(); a
 *                          value with a '/' is the socket path itself) or
 *                          path, server (listen and wait for the backend),
 *                          wait (server: off, QEMU's nowait, since 0.5:
 *                          vm_start does not wait; the device offers a
 *                          fixed set, VERSION_1, MRG_RXBUF, EVENT_IDX,
 *                          INDIRECT_DESC and no offloads, the guest's link
 *                          is down until a backend connects and is
 *                          negotiated with, then up with a config
 *                          interrupt; a backend without that set is
 *                          dropped with a log line), queues=N (the backend must have N: MQ protocol
 *                          feature, GET_QUEUE_NUM), reconnect (client:
 *                          seconds between reconnect attempts, 0: none;
 *                          a refused connect at vm_start is retried too),
 *                          vhostforce (accepted, no effect: QEMU's "vhost
 *                          even without MSI-X"), x-reply-timeout (ms per
 *                          reply, 10000), x-connect-timeout (ms to connect
 *                          or be connected to, 30000). At vm_start phase 1
 *                          it connects and negotiates: GET/SET_FEATURES,
 *                          GET/SET_PROTOCOL_FEATURES (uses MQ, REPLY_ACK,
 *                          NET_MTU when offered), GET_QUEUE_NUM, SET_OWNER;
 *                          the device then offers only the ring and
 *                          offload features the backend has. At the
 *                          guest's DRIVER_OK: SET_MEM_TABLE (each RAM
 *                          region by its memfd/hugetlbfs fd and offset),
 *                          NET_SET_MTU, SET_VRING_NUM/BASE/ADDR/KICK/CALL
 *                          per data ring, SET_VRING_ENABLE (the guest's
 *                          VQ_PAIRS_SET maps to it; the control queue
 *                          stays in the library); at its reset:
 *                          GET_VRING_BASE. LOG_* (migration) is never
 *                          used; CONFIG is not (the config space is the
 *                          device's own). Each ring also gets an error
 *                          eventfd (SET_VRING_ERR, since 0.5): a backend
 *                          that signals it marks the device NEEDS_RESET,
 *                          link down, logged with the netdev and the
 *                          ring; the guest's reset and DRIVER_OK bring
 *                          the rings and the link back. Every reply is
 *                          checked (size, request, flags, fds, REPLY_ACK
 *                          nack) and time-bounded, and vm_stop() ends any
 *                          wait at once; a fault fails vm_start naming the
 *                          netdev and the request. After start, a backend
 *                          that goes away (EOF, or a fault) takes the
 *                          guest's link down; a client reconnects every
 *                          reconnect= seconds (none with 0), a server
 *                          accepts the next connection on its socket; the
 *                          features are negotiated again (they must
 *                          include those the device offers), the rings resume from the used index
 *                          the guest saw, and the link comes back. A
 *                          backend's call on a masked MSI-X vector becomes
 *                          the vector's pending bit. vm_net_get_stats()
 *                          (since 0.5) counts each data queue's packets
 *                          from its used index, which the backend moves:
 *                          tx frames, rx buffers (a frame over several
 *                          mergeable buffers counts once per buffer),
 *                          sampled every 20 ms, so a ring past 65535 per
 *                          20 ms (3.2 M/s) counts short (samples more than
 *                          1 s apart, e.g. the library's threads starved
 *                          of CPU, are logged as a warning); and (since 0.6)
 *                          bytes, less the header per buffer: rx, the
 *                          lengths the backend wrote in the used ring; tx,
 *                          the lengths of the descriptor chains it used.
 *                          Exact while a sample finds at most half a ring
 *                          of new buffers (or the driver has not posted a
 *                          ring's worth past them) and, for tx, the guest
 *                          has not reused a used chain's descriptors
 *                          before the sample; otherwise an estimate (the
 *                          buffers not read count at the mean of those
 *                          read; a reused chain counts the new frame).
 *                          No kicks or interrupts (those bypass the
 *                          library).
 *   device "virtio-net-pci" works with a Linux guest: a modern (virtio 1.x)
 *                          PCI function with MSI-X that virtio_pci and
 *                          virtio_net bind; frames flow through its netdev.
 *                          Queue kicks arrive through KVM ioeventfds and
 *                          interrupts leave through irqfds (ioeventfd=off,
 *                          or a KVM that refuses, falls back to vCPU exits);
 *                          its queues are served by its own I/O threads
 *                          (one per queue pair, iothreads=N caps them);
 *                          poll-us=N (default 0) keeps a transmit queue's
 *                          kicks off for N us after its last frame while
 *                          its thread polls the ring: fewer vCPU exits for
 *                          host CPU time;
 *                          checksum/TSO offloads follow what the tap takes;
 *                          mq=on with queues=N (multiqueue tap) serves N
 *                          pairs. vm_net_set_link() and vm_net_get_stats()
 *                          reach it by id. Only disable-legacy=on (the
 *                          default) and function 0 are implemented.
 */
#ifndef KVM_VIRTIO_H
#define KVM_VIRTIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <kvm-virtio/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VM_EXPORT __attribute__((visibility("default")))
#define VM_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define VM_EXPORT
#define VM_WARN_UNUSED
#endif

struct vm;       /* opaque: one virtual machine */
struct vm_error; /* opaque: an error code plus a message */
struct vm_obj;   /* opaque: a netdev or device instance */
struct vm_netdev_ops; /* host netdev callbacks, see "Host netdevs" */

/* ---------------------------------------------------------------------- */
/* Version                                                                 */

/**
 * vm_version() - the library's version at run time.
 *
 * Returns: VM_VERSION_HEX of the library actually loaded
 * ((major << 16) | (minor << 8) | patch).
 * Thread-safety: any thread. Since: 0.1.
 */
VM_EXPORT unsigned int vm_version(void);

/**
 * vm_version_string() - the library's version as "major.minor.patch".
 *
 * Returns: a static string. Thread-safety: any thread. Since: 0.1.
 */
VM_EXPORT const char *vm_version_string(void);

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

/**
 * vm_error_code() - the negative errno stored in @err.
 * @err: an error from any vm_* call, or NULL (returns 0).
 * Thread-safety: any thread. Since: 0.1.
 */
VM_EXPORT int vm_error_code(const struct vm_error *err);

/**
 * vm_error_message() - the human-readable message stored in @err.
 * @err: an error, or NULL (returns "no error").
 *
 * Returns: a string owned by @err, valid until vm_error_free(@err). It names
 * the object and the reason, e.g. "device 'net1': netdev 'mynet3' is already
 * used by device 'net0'".
 * Thread-safety: any thread. Since: 0.1.
 */
VM_EXPORT const char *vm_error_message(const struct vm_error *err);

/**
 * vm_error_free() - free an error. NULL is accepted. Since: 0.1.
 */
VM_EXPORT void vm_error_free(struct vm_error *err);

/* ---------------------------------------------------------------------- */
/* Logging                                                                 */

enum vm_log_level {
	VM_LOG_ERR = 3,
	VM_LOG_WARN = 4,
	VM_LOG_INFO = 6,
	VM_LOG_DEBUG = 7,
};

/**
 * vm_log_fn - a log sink.
 * @opaque: the pointer given to vm_set_log_fn().
 * @level: one of enum vm_log_level.
 * @object: id of the object the message is about ("vm" for the machine).
 * @message: the formatted message, without trailing newline.
 *
 * Called from whichever library thread logs (API caller, vCPU or I/O
 * thread); the callee must be thread-safe. Strings are borrowed for the call.
 */
typedef void (*vm_log_fn)(void *opaque, int level, const char *object,
			  const char *message);

/**
 * vm_set_log_fn() - send the VM's log messages at or above @level to @fn.
 * @vm: the VM.
 * @fn: the sink, or NULL to silence the VM (the default).
 * @opaque: passed to @fn.
 * @level: the least important level delivered (e.g. VM_LOG_INFO).
 *
 * @fn is called on any of the VM's threads, one call at a time per VM (a
 * lock of the VM is held around it: @fn must not call vm_* functions on
 * the same VM). It is never called once vm_destroy() has returned, not
 * even for the release that goes on behind it.
 * Thread-safety: call before vm_start(). Since: 0.1.
 */
VM_EXPORT void vm_set_log_fn(struct vm *vm, vm_log_fn fn, void *opaque,
			     int level);

/**
 * vm_console_fn - receives the guest's serial console (COM1) output.
 * @opaque: the pointer given to vm_set_console_fn().
 * @buf, @len: bytes the guest wrote, borrowed for the call.
 *
 * Called on the vCPU thread that wrote them, with the UART's lock held:
 * keep it short and do not call vm_* functions of the same VM from it.
 * Never called once vm_destroy() has returned.
 */
typedef void (*vm_console_fn)(void *opaque, const char *buf, size_t len);

/**
 * vm_set_console_fn() - send console output to @fn instead of
 * vm_config.console_fd.
 * @vm: the VM, not started.
 * @fn: the sink, or NULL to go back to console_fd.
 * @opaque: passed to @fn.
 * Returns: 0, -EINVAL (NULL vm), -EBUSY (already started). Since: 0.1.
 */
VM_EXPORT int vm_set_console_fn(struct vm *vm, vm_console_fn fn, void *opaque);

/* ---------------------------------------------------------------------- */
/* Properties                                                              */

/**
 * struct vm_prop - one key/value property; arrays end with {NULL, NULL}.
 *
 * Values are strings whatever the property's type: bools take
 * on/off/true/false/yes/no/1/0, integers decimal, 0x-hex or 0-octal, MACs
 * xx:xx:xx:xx:xx:xx, links the id of another object. A key given without
 * a value (value NULL) means "on" for a bool, as in QEMU's "vhostforce".
 */
struct vm_prop {
	const char *key;
	const char *value;
};

/**
 * vm_props_parse() - parse QEMU-style "k=v,k=v,flag" text into properties.
 * @text: the text; "type=X" is kept as an ordinary property. A literal comma
 *        inside a value is written ",," as in QEMU.
 * @props: out: a {NULL, NULL}-terminated array, freed with vm_props_free().
 * @errp: error out.
 *
 * Returns: the number of properties, or -EINVAL (empty key, "=v") or
 * -ENOMEM.
 * Thread-safety: any thread. Since: 0.1.
 */
VM_EXPORT int vm_props_parse(const char *text, struct vm_prop **props,
			     struct vm_error **errp);

/** vm_props_free() - free an array from vm_props_parse(). NULL is fine. */
VM_EXPORT void vm_props_free(struct vm_prop *props);

/**
 * vm_props_get() - value of @key in a {NULL, NULL}-terminated array.
 * Returns: the value (may be NULL for a bare flag) or NULL when absent;
 * @found, if not NULL, tells the two apart.
 */
VM_EXPORT const char *vm_props_get(const struct vm_prop *props,
				   const char *key, int *found);

/* ---------------------------------------------------------------------- */
/* Machine                                                                 */

/**
 * struct vm_config - how to build a VM; versioned by its first field.
 *
 * Start from VM_CONFIG_INIT so that @size is right and every field has its
 * default; fields are only ever appended.
 */
struct vm_config {
	size_t size;          /* sizeof(struct vm_config) as compiled by caller */
	uint32_t vcpus;       /* number of vCPUs, default 1 */
	uint32_t mem_mib;     /* guest RAM in MiB, default 256 */
	const char *kernel;   /* path: bzImage, vmlinux ELF or test ELF; copied */
	const char *initrd;   /* path or NULL; copied */
	const char *cmdline;  /* kernel command line or NULL; copied */
	/* fd that receives COM1 output; -1: discarded. Borrowed until
	 * vm_destroy() returns. Never written in a way that waits: when it is
	 * full (a pipe nobody reads), COM1 stops taking bytes (LSR.THRE
	 * stays 0, as a real UART under flow control) until it drains; a
	 * guest that writes anyway loses those bytes. */
	int console_fd;
	int console_in_fd;    /* fd read for COM1 input; -1: none; borrowed */
	const char *mem_path; /* hugetlbfs directory for RAM, or NULL: memfd */
	uint32_t flags;       /* VM_CONFIG_F_* */
	/* Since 0.2 (appended; an older, smaller struct means 0): the
	 * real-time signal the library sends to a vCPU thread to make it leave
	 * KVM_RUN (vm_stop, vm_destroy, a guest exit on another vCPU). 0: the
	 * default, SIGRTMAX - 3. Else SIGRTMIN..SIGRTMAX (-EINVAL otherwise).
	 * The library installs no handler and never changes the signal's
	 * disposition or any thread's mask but its own threads': vCPU threads
	 * block every signal and accept this one only inside KVM_RUN, where
	 * KVM turns it into an exit, and consume it with sigtimedwait(). The
	 * host may use the same signal for itself as long as it does not send
	 * it to the library's threads ("kvm-vcpuN"). */
	int kick_signal;
};

/* Back guest RAM with MFD_HUGETLB (memfd) pages. */
#define VM_CONFIG_F_HUGETLB (1u << 0)
/* Touch every page of guest RAM at vm_start (like -mem-prealloc). */
#define VM_CONFIG_F_PREALLOC (1u << 1)
/* Give the guest an in-kernel i8254 PIT (ports 0x40-0x43, IRQ 0;
 * KVM_CREATE_PIT2). Without it those ports read as 0xff and nothing ticks
 * on IRQ 0. Linux does not need one when it has kvmclock and the
 * TSC-deadline timer, which this library's CPUID gives it (Linux >= 5.3
 * then skips the PIT: apic_needs_pit()); a guest that calibrates or ticks
 * with the PIT needs this flag. A PIT makes vm_start ~1 ms and the VM's
 * release ~6 ms slower on the hosts measured. Since: 0.2. */
#define VM_CONFIG_F_PIT (1u << 2)
/* No in-kernel interrupt controllers (LAPIC, IOAPIC, PIC): for guests that
 * take no interrupts at all, e.g. a guest that computes and leaves through
 * the debug-exit port. Saves the grace period KVM starts when it creates
 * them (~15 ms measured on a 6.18 host, paid by the VM's release when the
 * VM lived less than that). vm_start() fails with -EINVAL if devices were
 * added or VM_CONFIG_F_PIT is set; Linux guests need the irqchip. Since: 0.2. */
#define VM_CONFIG_F_NO_IRQCHIP (1u << 3)
/* The VM's own threads keep no capabilities (libcap-ng): effective,
 * permitted, inheritable and so ambient sets empty. vm_start() realizes
 * every netdev and device on the calling thread first, with that thread's
 * privileges -- which is when capabilities are needed: tap needs
 * CAP_NET_ADMIN only to create or attach an interface by name (ifname=);
 * a tap passed by fd= and the null backend need none, nor does KVM itself
 * beyond access to /dev/kvm, nor what the tap does later on the VM's
 * threads (TUNSETOFFLOAD, TUNSETVNETHDRSZ, and TUNSETQUEUE when the guest
 * changes a multiqueue tap's queue count: checked on Linux 6.18 with no
 * capability) -- and then each vCPU thread and the UART's
 * input thread drop them on themselves before their first guest
 * instruction or byte; virtio-net's I/O threads, created by a vCPU thread
 * when the guest's driver starts the device, inherit its empty sets. The
 * host's threads, the one that called vm_start() included, are untouched
 * (capabilities are per thread). Callbacks the library calls on those
 * threads (console, log) run without capabilities too. The shared release
 * threads ("kvm-release") keep no capabilities whether or not this is
 * set: they only close and unmap. Since: 0.3. */
#define VM_CONFIG_F_DROP_CAPS (1u << 4)
/* A syscall allow-list (seccomp, built with libseccomp) on the vCPU
 * threads, the UART's input thread and the I/O threads they create,
 * installed the same way and at the same time as VM_CONFIG_F_DROP_CAPS
 * (with no_new_privs). Kept: ioctl, read, write, readv, writev, pread64,
 * preadv, pwritev, preadv2, pwritev2, sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, poll, ppoll,
 * epoll_wait, epoll_pwait, epoll_ctl, eventfd2, fcntl, close, fstat,
 * newfstatat, rt_sigtimedwait, rt_sigprocmask, rt_sigreturn, tgkill,
 * tkill, getpid, gettid, futex, sched_yield, nanosleep, clock_nanosleep,
 * clock_gettime, gettimeofday, restart_syscall, mmap, munmap, mprotect,
 * madvise, mremap, brk, clone, clone3, set_robust_list, rseq, sigaltstack,
 * exit, getrandom, and prctl with PR_SET_NAME or PR_GET_NAME. Any other
 * call on those threads fails with EPERM (it kills nothing: the guest and
 * the host's threads go on), e.g. open, socket, execve. Console and log
 * callbacks called on them are under the same list. vm_start() fails with
 * -ENOTSUP naming the step when the filter cannot be built. Release
 * threads are not filtered. Since: 0.3. */
#define VM_CONFIG_F_SECCOMP (1u << 5)
/* No ACPI VM Generation ID device. By default (flag clear) the guest gets
 * one: a device with _HID "VMGENCTR" / _CID "VM_GEN_COUNTER" in the DSDT
 * whose ADDR names 16 bytes of reserved low memory holding a random
 * generation ID, and a GPE0 block in the FADT. A VM made by vm_restore()
 * or vm_clone() from a guest that has the device gets a new random ID when
 * vm_start() runs it, and the guest an ACPI notification (GPE 0, SCI,
 * Notify(0x80)): Linux >= 5.18 with CONFIG_VMGENID (Debian's generic
 * kernel; not its cloud kernel) then reseeds its RNG and logs "crng
 * reseeded due to virtual machine fork". For a restored VM or a clone the
 * snapshot decides (this flag is ignored there). Since: 0.4. */
#define VM_CONFIG_F_NO_VMGENID (1u << 6)

#define VM_CONFIG_INIT                                                        \
	{                                                                     \
		sizeof(struct vm_config), 1, 256, NULL, NULL, NULL, -1, -1,   \
		    NULL, 0, 0                                                \
	}

/**
 * vm_create() - create a VM that has no devices and does not run yet.
 * @cfg: configuration, borrowed (strings are copied).
 * @vmp: out: the new VM, freed with vm_destroy().
 * @errp: error out.
 *
 * Nothing touches /dev/kvm until vm_start().
 * Returns: 0 or a negative errno.
 * Errors: -EINVAL for a NULL or too small @cfg, 0 vCPUs or 0 MiB; -E2BIG
 * for more vCPUs or memory than the library supports; -ENOMEM.
 * Thread-safety: any thread. Since: 0.1.
 */
VM_EXPORT VM_WARN_UNUSED int vm_create(const struct vm_config *cfg,
				       struct vm **vmp,
				       struct vm_error **errp);

/**
 * vm_add_netdev() - add a network backend (QEMU's -netdev).
 * @vm: the VM, not started.
 * @type: type name, e.g. "tap", "vhost-user", "null".
 * @id: unique id among all the VM's objects; devices link to it.
 * @props: {NULL, NULL}-terminated properties, or NULL for none.
 * @errp: error out.
 *
 * The object is allocated, its defaults set and @props applied and
 * checked; nothing is opened on the host until vm_start().
 * Returns: 0 or a negative errno.
 * Errors: -ENOENT unknown type; -EINVAL unknown property, value that does
 * not parse, missing id or required property, type that is not a netdev,
 * malformed id; -ERANGE an integer outside the property's range; -EEXIST
 * duplicate id; -EBUSY the VM was started; -ENOMEM. A failed add leaves no
 * object behind.
 * Since: 0.1.
 */
VM_EXPORT VM_WARN_UNUSED int vm_add_netdev(struct vm *vm, const char *type,
					   const char *id,
					   const struct vm_prop *props,
					   struct vm_error **errp);

/* ---------------------------------------------------------------------- */
/* Chardevs (since 0.3)                                                    */

/**
 * vm_add_chardev() - add a character device (QEMU's -chardev), named by
 * id by the netdevs that use it (vhost-user's chardev=).
 * @vm: the VM, not started.
 * @backend: "socket" (the only one so far): a UNIX socket.
 * @id: unique id among all the VM's objects.
 * @props: {NULL, NULL}-terminated properties, or NULL. "socket":
 *         path (required), server (off: connect to the peer; on: listen
 *         on path and wait for the peer), wait (server only, on: vm_start
 *         waits for the peer; off, QEMU's nowait: it does not, and a
 *         vhost-user netdev keeps the guest's link down until a peer
 *         connects, since 0.5), reconnect (client: seconds between
 *         attempts while the peer is not there yet, 0: none). QEMU's text works as it
 *         is through vm_props_parse(): a leading "socket" (or
 *         backend=socket) and id= matching the arguments are accepted.
 * @errp: error out.
 *
 * Chardevs are realized first in vm_start()'s phase 1 (before the
 * netdevs), in the order added, and unrealized last. Nothing is opened on
 * the host by the add; the socket is made by the netdev that uses the
 * chardev, at its realize.
 * Returns: 0 or a negative errno.
 * Errors: as vm_add_netdev(); -ENOENT an unknown @backend. At vm_start:
 * -ENAMETOOLONG a path longer than sun_path holds; -EINVAL wait=off
 * without server (QEMU refuses it too).
 * Thread-safety: one call at a time per VM (see the top). Since: 0.3.
 */
VM_EXPORT VM_WARN_UNUSED int vm_add_chardev(struct vm *vm, const char *backend,
					    const char *id,
					    const struct vm_prop *props,
					    struct vm_error **errp);

/**
 * vm_add_device() - add a device (QEMU's -device).
 * @vm: the VM, not started.
 * @type: type name, e.g. "virtio-net-pci".
 * @props: properties; "id" names the device (optional: without one the id
 *         is "<type>#<n>", e.g. "virtio-net-pci#0", n counting from 0 the
 *         devices of this VM added without an id; a failed add takes no
 *         number, and '#' never appears in a caller's id), links such as
 *         "netdev" name netdevs.
 * @errp: error out.
 *
 * Returns: 0 or a negative errno.
 * Errors: as vm_add_netdev(), and -EBUSY when a link names a netdev that a
 * device added before already links to (QEMU: "it's in use"). A link to an
 * id that does not exist yet is accepted here and checked by vm_start().
 * Since: 0.1.
 */
VM_EXPORT VM_WARN_UNUSED int vm_add_device(struct vm *vm, const char *type,
					   const struct vm_prop *props,
					   struct vm_error **errp);

/**
 * vm_start() - realize every object and start the vCPUs.
 * @vm: the VM, not started.
 * @errp: error out.
 *
 * Phase 1 realizes every chardev, then every netdev, in the order added
 * (a vhost-user netdev connects and negotiates here), phase 2 every device
 * in the order added; then the machine is built and the vCPUs run. On failure
 * everything realized is unrealized in reverse order and the VM is as
 * before the call: it can be fixed (e.g. objects added) and started again,
 * or destroyed.
 * Returns: 0 or a negative errno.
 * Errors: -EINVAL no kernel in vm_config, a link names an object of the
 * wrong kind, or a device's properties do not fit together (e.g.
 * rx_queue_size not a power of two); -EBUSY already started, or a netdev
 * is already the peer of another device; -ENOENT a link names no object;
 * -ENOTSUP a feature that is not implemented (disable-legacy=off, a tap
 * script other than "no"); -ECANCELED vm_stop() came first; errors of the
 * backends and of KVM (-ENOENT or -EACCES for /dev/kvm, ...). The error's
 * message names the object that failed, host-registered types included
 * (see struct vm_type_info).
 * Since: 0.1.
 */
VM_EXPORT VM_WARN_UNUSED int vm_start(struct vm *vm, struct vm_error **errp);

enum vm_exit_reason {
	VM_EXIT_NONE = 0,      /* still running / never started */
	VM_EXIT_POWEROFF = 1,  /* ACPI S5 or the guest's power-off port */
	VM_EXIT_RESET = 2,     /* guest asked for a reset (i8042, ACPI, 0xcf9) */
	VM_EXIT_SHUTDOWN = 3,  /* triple fault */
	VM_EXIT_INTERNAL = 4,  /* KVM internal error or unhandled exit */
	VM_EXIT_STOPPED = 5,   /* vm_stop() */
	VM_EXIT_DEBUG = 6,     /* test guest wrote the debug-exit port */
};

/**
 * struct vm_status - why a VM stopped.
 */
struct vm_status {
	size_t size;           /* sizeof(struct vm_status) as compiled */
	int reason;            /* enum vm_exit_reason */
	int code;              /* VM_EXIT_DEBUG: value written to the port */
	uint32_t vcpu;         /* vCPU that caused the exit */
};

#define VM_STATUS_INIT { sizeof(struct vm_status), 0, 0, 0 }

/**
 * vm_wait() - wait until the VM stops and tell why.
 * @vm: a started VM.
 * @status: out, may be NULL. Initialise with VM_STATUS_INIT.
 * @timeout_ms: -1 waits forever; otherwise the most it waits.
 *
 * All vCPU threads are joined before it returns 0.
 * Returns: 0 when stopped; -ETIMEDOUT; -EINVAL if never started.
 * Since: 0.1.
 */
VM_EXPORT int vm_wait(struct vm *vm, struct vm_status *status,
		      int timeout_ms);

/**
 * vm_stop() - stop a running VM: every vCPU leaves KVM_RUN.
 * @vm: the VM.
 *
 * Returns at once; vm_wait() then reports VM_EXIT_STOPPED (unless the guest
 * stopped first). Safe to call several times. A vm_stop() before or during
 * vm_start() makes that vm_start() fail with -ECANCELED (once: a later
 * vm_start() may succeed), so a host can cancel a VM it is starting.
 * Since 0.3 it also ends at once a vCPU's wait for a vhost-user backend's
 * reply (the request fails, the guest's link goes down).
 * Thread-safety: any thread, any time between vm_create and vm_destroy.
 * Since: 0.1.
 */
VM_EXPORT void vm_stop(struct vm *vm);

/**
 * vm_destroy() - stop the VM if running, unrealize and free everything.
 * @vm: the VM, or NULL. Invalid once the call returns.
 *
 * A VM that was started is released in two steps. Before vm_destroy()
 * returns: its vCPUs are told to stop, and the guest is cut off from the
 * host: no byte is written to console_fd and no console or log callback is
 * called any more, console_in_fd is no longer read (the host may close
 * those fds at once). Then, on a library thread ("kvm-release", at most 16,
 * started on demand, every signal blocked, gone after 50 ms idle): the vCPU
 * threads are joined, devices and netdevs unrealized, and the KVM fds,
 * guest RAM and memory freed. This keeps the KVM VM's teardown (up to
 * ~15 ms of kernel grace period on some hosts) off the caller's path:
 * vm_destroy() itself takes microseconds. At most 256 VMs wait for their
 * release; beyond that vm_destroy() waits for one to finish. A VM made
 * with VM_CONFIG_F_NO_IRQCHIP that is alone in that queue is released
 * once the next destroyed VM joins it, or after 2 ms at most (0.6): KVM
 * patches kernel text on every CPU when the last vCPU without an in-kernel
 * LAPIC goes and again when the next comes, which a VM-per-request loop
 * would otherwise pay twice per VM; vm_release_wait() does not wait for
 * that hold. vm_release_wait() tells when the resources are back; the
 * library also
 * waits for them in a destructor when the process exits or the library is
 * unloaded, so nothing is abandoned. Host resources that netdevs hold
 * (e.g. a tap interface by name) are among those released behind: a host
 * that reuses one at once calls vm_release_wait() first.
 *
 * Exceptions, released before vm_destroy() returns: a VM never started,
 * and a VM on which vm_type_register() succeeded (so that the host type's
 * unrealize and finalize hooks run before the call returns, as they
 * always have).
 * Thread-safety: not concurrently with other calls on @vm except vm_stop()
 * before it; any thread (also not the one that started it). Since: 0.1.
 */
VM_EXPORT void vm_destroy(struct vm *vm);

/**
 * vm_release_wait() - wait until every VM destroyed so far is released.
 * @timeout_ms: -1 waits as long as it takes, 0 only looks; otherwise the
 *              most it waits, in milliseconds.
 *
 * Covers the VMs vm_destroy() has returned for, from any thread of the
 * process: when this returns 0 their fds are closed, their guest RAM
 * unmapped, their threads and the library's release threads joined (the
 * process's fd and thread counts are back to what they were before those
 * VMs). With @timeout_ms -1 the calling thread also runs pending releases
 * itself instead of only waiting for the release threads.
 * Returns: 0; -ETIMEDOUT if releases were still running at the timeout;
 * -EDEADLK when called from a library callback during a release.
 * Thread-safety: any thread. Since: 0.2.
 */
VM_EXPORT int vm_release_wait(int timeout_ms);

/**
 * vm_release_pending() - how many destroyed VMs are not released yet.
 * Returns: the count at the time of the call (queued or being released).
 * Thread-safety: any thread. Since: 0.2.
 */
VM_EXPORT unsigned vm_release_pending(void);

/**
 * vm_prewarm() - make KVM VMs in advance for VMs shaped like @cfg.
 * @cfg: the shape: ->vcpus and the flags VM_CONFIG_F_NO_IRQCHIP and
 *       VM_CONFIG_F_PIT (checked as vm_create() checks a config; the other
 *       fields are not used).
 * @count: how many to keep ready, at most 64; 0 drops them all.
 * @errp: error out.
 *
 * Creating the KVM VM, its irqchip (and PIT) and its vCPUs is most of
 * what vm_start() costs before the guest runs (bench/first-exit,
 * bench/clone). vm_prewarm() does that now, on the calling thread, for
 * @count VMs; a later vm_start() of a VM with the same vCPU count and the
 * same two flags, fresh, restored or cloned, takes one of them instead of
 * creating its own, adds guest RAM and state to it and runs it, and a
 * library release thread makes a replacement behind it (vm_release_wait()
 * also waits for those). What a prewarmed VM lacks is what depends on the
 * VM: RAM, boot image, vCPU state, devices. A VM made less than 30 ms
 * before is not taken (on some host kernels a memory slot added that soon
 * after the irqchip waits ~5-7 ms for a grace period): vm_start() then
 * creates its own, as it does when none is ready.
 * One shape at a time: a call with another shape drops the VMs of the
 * previous one. Each held VM costs its fds (1 + 1 + vcpus) and a few
 * hundred KiB of kernel memory. They belong to the process that made them
 * (after fork() the child has none) and are closed at exit.
 * Returns: the number ready for @cfg's shape (@count unless another
 * thread changed the shape meanwhile), or a negative errno.
 * Errors: -EINVAL bad @cfg (as vm_create()), @count above 64, or
 * VM_CONFIG_F_PIT with VM_CONFIG_F_NO_IRQCHIP; -ENOENT/-EACCES cannot open
 * /dev/kvm; what KVM_CREATE_VM, KVM_CREATE_IRQCHIP or KVM_CREATE_VCPU
 * answer (the VMs made before the failure are kept).
 * Thread-safety: any thread. Since: 0.5.
 */
VM_EXPORT int vm_prewarm(const struct vm_config *cfg, unsigned count,
			 struct vm_error **errp);

enum vm_host_kvm {
	VM_HOST_KVM_NONE = 0,     /* no usable /dev/kvm */
	VM_HOST_KVM_HARDWARE = 1, /* KVM on hardware virtualisation (VMX/SVM) */
	VM_HOST_KVM_PVM = 2,      /* KVM's PVM backend: guests that are not
				     PVM-aware run by instruction emulation,
				     fine for tiny guests, too slow for Linux */
};

/**
 * vm_host_kvm() - what kind of KVM this host offers.
 *
 * Opens and closes /dev/kvm, reads /sys/module/kvm_pvm.
 * Returns: one of enum vm_host_kvm.
 * Thread-safety: any thread. Since: 0.1.
 */
VM_EXPORT int vm_host_kvm(void);

/* ---------------------------------------------------------------------- */
/* Pause and resume                                                        */

/**
 * vm_pause() - freeze a running VM: every vCPU out of KVM_RUN and parked,
 * every device's I/O threads parked at a queue boundary.
 * @vm: a started VM.
 * @errp: error out.
 *
 * When it returns 0 no guest instruction runs and no device touches guest
 * memory or a ring until vm_resume(): a vCPU leaves KVM_RUN as vm_stop()
 * makes it (a kick through vm_config.kick_signal), with any port or MMIO
 * read it was doing completed, and a NIC's I/O threads stop between two
 * bursts (no chain half-processed; frames the backend receives meanwhile
 * wait in the backend, e.g. the tap's queue). A vhost-user netdev's
 * backend stops its rings too: GET_VRING_BASE for each ring it serves
 * (one exchange each, bounded by the netdev's reply timeout), so guest
 * RAM and the rings stand still (a snapshot is consistent); vm_resume()
 * hands them back (SET_VRING_NUM/BASE/ADDR/KICK/CALL/ENABLE), each from
 * the index the backend gave. A backend that does not answer is logged
 * and the guest's link goes down, as when it goes away; the pause still
 * succeeds. Guest time as the guest
 * reads it (kvmclock, TSC) keeps going (the resumed guest sees the time
 * it was paused; a snapshot or clone taken during the pause has the
 * clocks as they were at the pause, since 0.6). A pause is not a stop: vm_wait()
 * keeps waiting (and returns -ETIMEDOUT at its timeout). vm_stop() and
 * vm_destroy() work on a paused VM. The host side keeps working:
 * COM1 input is still read into the UART's FIFO (the guest sees it after
 * the resume), vm_net_set_link() and vm_net_get_stats() work (a link
 * change is delivered at the resume).
 * Pausing a paused VM does nothing and returns 0. Takes microseconds to a
 * few milliseconds (one kick per vCPU, one wakeup per I/O thread, one
 * round trip per vhost-user ring).
 * Returns: 0 or a negative errno.
 * Errors: -EINVAL NULL @vm; -ENODEV not started; -ESHUTDOWN the guest
 * stopped (power-off, reset, vm_stop(), ...) before or while pausing;
 * -EDEADLK called on one of the library's vCPU threads (from a console
 * callback).
 * Thread-safety: any thread, concurrently with vm_stop(), vm_wait(),
 * vm_resume(), vm_paused() and the vm_net_* calls (pause and resume are
 * serialized); not concurrently with vm_start() or vm_destroy().
 * Since: 0.3.
 */
VM_EXPORT int vm_pause(struct vm *vm, struct vm_error **errp);

/**
 * vm_resume() - let a paused VM run again where it stopped.
 * @vm: a started VM.
 * @errp: error out.
 *
 * Devices first, then the vCPUs. Resuming a VM that is not paused, or
 * whose guest has stopped, does nothing and returns 0.
 * Returns: 0; -EINVAL NULL @vm; -ENODEV not started.
 * Thread-safety: as vm_pause(). Since: 0.3.
 */
VM_EXPORT int vm_resume(struct vm *vm, struct vm_error **errp);

/**
 * vm_paused() - 1 between a vm_pause() that returned 0 and the next
 * vm_resume(), else 0 (also for NULL).
 * Thread-safety: as vm_pause(). Since: 0.3.
 */
VM_EXPORT int vm_paused(struct vm *vm);

/* ---------------------------------------------------------------------- */
/* Snapshot and restore                                                    */

/**
 * vm_snapshot() - write a paused VM's whole state to a file.
 * @vm: a VM paused with vm_pause().
 * @path: file to create (mode 0600, replaced if it exists; removed again
 *        if the call fails), or NULL to write to @fd.
 * @fd: with @path NULL, an fd open for writing (borrowed; written at its
 *      position, not closed); -1 with a @path.
 * @flags: 0 (no flags are defined yet).
 * @errp: error out.
 *
 * The file is the snapshot format of lib/snapshot/format.h: a header
 * naming the library version, a hash of the host's CPUID feature set,
 * the vCPU count, RAM size and machine flags (checksummed), then
 * CRC32C-checked records: the KVM clock, PIC/IOAPIC (and PIT), each
 * vCPU's registers, sregs, FPU/XSAVE, XCRs, MSRs (kvmclock's and the
 * TSC included), MP state, LAPIC, pending events and debug registers,
 * COM1, RTC and ACPI PM state (GPE0 included since 0.4), the VM
 * Generation ID's address when the guest has that device (0.4,
 * VM_CONFIG_F_NO_VMGENID), each device (its type, id and the
 * properties it was given, netdev links included, then its PCI config
 * space and BAR placement, MSI-X table and PBA, virtio status, features,
 * config_generation, every queue's addresses, enable, vector and
 * last avail/used index, the transport's registers, virtio-net's MAC,
 * link and queue pairs in use) and the guest RAM pages that are not
 * zero. Netdevs are not saved: they are host resources; a restore is
 * given new ones by id. Frames a backend holds (a tap's queue) are not
 * part of it. The VM stays paused; vm_resume() lets it go on.
 * Returns: 0 or a negative errno.
 * Errors: -EINVAL NULL @vm, both or neither of @path/@fd, unknown @flags;
 * -EBUSY not paused; -ENOTSUP a device whose state cannot be saved (a
 * host-registered type); errors of open() and write() (-ENOSPC, -EBADF,
 * ...).
 * Thread-safety: as vm_pause() (the VM cannot be resumed while this
 * runs). Since: 0.3.
 */
VM_EXPORT VM_WARN_UNUSED int vm_snapshot(struct vm *vm, const char *path,
					 int fd, uint32_t flags,
					 struct vm_error **errp);

/**
 * vm_restore() - a new VM from a snapshot, in this or another process.
 * @cfg: the new VM's host side: console fds or callback (set with
 *       vm_set_console_fn() afterwards as usual), kick_signal, mem_path,
 *       VM_CONFIG_F_HUGETLB/PREALLOC. vcpus, mem_mib, VM_CONFIG_F_PIT and
 *       VM_CONFIG_F_NO_IRQCHIP come from the snapshot; kernel, initrd and
 *       cmdline are ignored.
 * @path: the snapshot file, or NULL to read @fd.
 * @fd: with @path NULL, a regular file open for reading whose content,
 *      from offset 0, is the snapshot (borrowed; it may be closed when the
 *      call returns); -1 with a @path.
 * @vmp: out: the new VM, not started.
 * @errp: error out.
 *
 * The file is mapped and every record's checksum checked here. The VM is
 * then like one from vm_create() with the snapshot's devices already
 * added (same types, ids and properties): the caller adds the netdevs
 * they link to, by the same ids, with vm_add_netdev() (any backend type;
 * vm_start() fails with -ENOENT naming a missing one), may call
 * vm_set_log_fn() and the like, and vm_start() starts it where the
 * snapshot was taken (instead
 * of booting; guest time as kvmclock and the TSC show it goes on from the
 * instant the VM paused, since 0.6: not from the vm_snapshot() call, however
 * long after the pause that came; the wall clock in the RTC from the
 * host's clock). A
 * virtio-net-pci whose driver took VIRTIO_NET_F_GUEST_ANNOUNCE (property
 * guest_announce, on by default; since 0.6) then asks its guest to
 * announce itself (VIRTIO_NET_S_ANNOUNCE with a config interrupt: Linux
 * sends a gratuitous ARP and unsolicited neighbour advertisements and
 * acks), so switches and peers learn where it is now. The
 * mapping is held until vm_start() succeeds or the VM is destroyed.
 * Returns: 0 or a negative errno.
 * Errors: -EINVAL NULL @vmp or @cfg, both or neither of @path/@fd, not a
 * regular file, not a snapshot (bad magic); -ENOTSUP a format version or
 * library version newer than this one; -EBADMSG a corrupted or truncated
 * file (the message names the record and offset); errors of open()/mmap(),
 * vm_create() and vm_add_device(). vm_start() of a restored VM also fails
 * with -EXDEV when this host's CPU feature set is not the snapshot's,
 * -EBADMSG when a record does not fit this host's KVM, -EINVAL when a
 * device's saved state does not fit it (e.g. a netdev with fewer queues).
 * Thread-safety: any thread. Since: 0.3.
 */
VM_EXPORT VM_WARN_UNUSED int vm_restore(const struct vm_config *cfg,
					const char *path, int fd,
					struct vm **vmp,
					struct vm_error **errp);

/**
 * vm_clone() - a new VM in this process that starts where a paused
 * template is, its guest RAM a copy-on-write view of the template's.
 * @tmpl: a VM paused with vm_pause(), whose RAM is its own memfd or
 *        hugetlbfs file (not itself a clone).
 * @cfg: the clone's host side, as for vm_restore() (console, kick_signal;
 *       NULL: the defaults of VM_CONFIG_INIT). vcpus, mem_mib and the
 *       machine flags are the template's; mem_path/HUGETLB/PREALLOC are
 *       ignored (the RAM is the template's file).
 * @vmp: out: the clone, not started, with the template's devices added
 *       (as vm_restore() does): the caller adds a new netdev for each id
 *       they link to, and vm_start() runs it from the template's state
 *       (registers, devices, clocks).
 * @errp: error out.
 *
 * The clone's RAM maps the template's RAM file MAP_PRIVATE: a page is
 * copied only when the clone writes it, so a clone costs its written
 * pages and its KVM objects. The template stays paused and can be cloned
 * again; clones are independent VMs (destroy them in any order, also
 * after the template). What a clone shares with its template: every page
 * it has not written, hence the guest's RNG state, keys, identity and
 * caches, its NIC's MAC (the device's saved MAC; give the clone's guest
 * another one itself, e.g. through its agent or `ip link set eth0
 * address`, before it talks on a shared segment: Linux's virtio_net
 * reads the device's MAC only when it probes the device, and on a
 * config-change interrupt looks only at the link and announce bits, so a
 * MAC the device changed later would not be seen until the driver is
 * re-bound), and the guest clocks' values (kvmclock, TSC) as they were
 * when the template paused (since 0.6; 0.5 and older took them at the
 * vm_clone() call, so a clone made long after the pause saw its guest's time leap
 * by that long at its start): every clone of one pause starts at the
 * same guest time, and its guest's wall clock is behind the host's by
 * the time since that pause until the guest sets it (NTP, an agent). A
 * runtime must make each clone's guest unique itself (give it its own
 * addresses, keys and identity). The guest's RNG is told: with the VM
 * Generation ID device (default, VM_CONFIG_F_NO_VMGENID), each clone's
 * vm_start() gives it a new generation ID and an ACPI notification, on
 * which a Linux guest with CONFIG_VMGENID reseeds its RNG; a guest
 * without that driver (e.g. Debian's cloud kernel) is not told. Each
 * clone's NIC asks its guest to announce itself, as after vm_restore()
 * (since 0.6).
 * vm_resume() of a template is refused (-EBUSY) while clones live: its
 * writes would show through in the clones' unwritten pages.
 * Returns: 0 or a negative errno.
 * Errors: -EINVAL NULL @tmpl/@vmp, too small @cfg; -EBUSY the template is
 * not paused; -ENOTSUP the template has a vhost-user netdev (its backend
 * maps guest RAM itself and cannot follow a private mapping; snapshot and
 * restore work instead), has a device whose state cannot be saved, or is
 * a clone; -ENOMEM, -EMFILE. vm_start() of the clone fails as a
 * vm_restore()d one does.
 * Thread-safety: as vm_pause() for @tmpl. Since: 0.3.
 */
VM_EXPORT VM_WARN_UNUSED int vm_clone(struct vm *tmpl,
				      const struct vm_config *cfg,
				      struct vm **vmp,
				      struct vm_error **errp);

/* ---------------------------------------------------------------------- */
/* Introspection                                                           */

enum vm_obj_kind {
	VM_OBJ_NETDEV = 1,
	VM_OBJ_DEVICE = 2,
	VM_OBJ_CHARDEV = 3, /* since 0.3 */
};

/**
 * vm_obj_visit_fn - called once per object by vm_foreach_obj().
 * Return non-zero to stop the walk (that value is returned).
 */
typedef int (*vm_obj_visit_fn)(void *opaque, struct vm_obj *obj);

/**
 * vm_foreach_obj() - visit chardevs, then netdevs, then devices, each in
 * the order added.
 * Returns: 0 or the first non-zero value returned by @fn. Since: 0.1.
 */
VM_EXPORT int vm_foreach_obj(struct vm *vm, vm_obj_visit_fn fn, void *opaque);

/** vm_obj_find() - the object with this id, or NULL. Since: 0.1. */
VM_EXPORT struct vm_obj *vm_obj_find(struct vm *vm, const char *id);

/** vm_obj_id() - the object's id, owned by the object. Since: 0.1. */
VM_EXPORT const char *vm_obj_id(const struct vm_obj *obj);

/** vm_obj_type() - the object's type name. Since: 0.1. */
VM_EXPORT const char *vm_obj_type(const struct vm_obj *obj);

/** vm_obj_kind() - VM_OBJ_NETDEV, VM_OBJ_DEVICE or (0.3) VM_OBJ_CHARDEV.
 * Since: 0.1. */
VM_EXPORT int vm_obj_kind(const struct vm_obj *obj);

/** vm_obj_is_realized() - 1 between realize and unrealize. Since: 0.1. */
VM_EXPORT int vm_obj_is_realized(const struct vm_obj *obj);

/**
 * vm_obj_get_prop() - a property's current value formatted as text.
 * @obj: the object.
 * @key: property name (inherited ones included).
 * @buf, @len: output buffer; the text is NUL-terminated and truncated.
 * Returns: length of the full text, -ENOENT for an unknown key, -EINVAL
 * for a NULL @obj or @key.
 * Since: 0.1.
 */
VM_EXPORT int vm_obj_get_prop(const struct vm_obj *obj, const char *key,
			      char *buf, size_t len);

/**
 * vm_obj_priv() - the private storage of a host-registered type's level of
 * @obj (struct vm_type_info.priv_size bytes, zeroed at creation).
 *
 * Each level of a host type hierarchy has its own storage: called from a
 * hook (instance_init, realize, unrealize, finalize) of type T, it returns
 * T's storage, even when the object is of a type derived from T; called
 * anywhere else, the storage of the object's own type.
 * Returns: NULL for a built-in type's level or a priv_size of 0.
 * Since: 0.1.
 */
VM_EXPORT void *vm_obj_priv(struct vm_obj *obj);

/**
 * vm_obj_priv_of() - the storage of level @type of @obj, wherever called
 * (e.g. by a child's realize that calls its parent's realize function
 * itself, where vm_obj_priv() still means the child's storage).
 * Returns: NULL unless @obj is a @type and @type is a host type with
 * storage. Since: 0.1.
 */
VM_EXPORT void *vm_obj_priv_of(struct vm_obj *obj, const char *type);

/** vm_obj_vm() - the VM that owns @obj. Since: 0.1. */
VM_EXPORT struct vm *vm_obj_vm(struct vm_obj *obj);

/**
 * vm_type_exists() - 1 if @name is a type @vm can instantiate (built-in or
 * registered on @vm), else 0. Since: 0.1.
 */
VM_EXPORT int vm_type_exists(struct vm *vm, const char *name);

/* ---------------------------------------------------------------------- */
/* Host-defined types                                                      */

enum vm_prop_kind {
	VM_PROP_STR = 1,   /* char * (owned by the object, freed at finalize) */
	VM_PROP_BOOL = 2,  /* uint8_t: 0 or 1 */
	VM_PROP_U32 = 3,   /* uint32_t, in [min, max] */
	VM_PROP_U64 = 4,   /* uint64_t, in [min, max] */
	VM_PROP_MAC = 5,   /* uint8_t[6] */
	VM_PROP_LINK = 6,  /* char * id of another object, checked at realize:
			      the target must exist (-ENOENT) and be of kind
			      min (VM_OBJ_NETDEV or VM_OBJ_DEVICE; 0 means
			      VM_OBJ_NETDEV) (-EINVAL); a device linking to a
			      netdev becomes its only peer (-EBUSY) */
};

#define VM_PROP_F_REQUIRED (1u << 0) /* must be given */

/**
 * struct vm_prop_desc - one typed property of a type; arrays end with a
 * zeroed entry (name NULL).
 * @offset: where the value lives, from the start of the private storage
 *          (vm_obj_priv()) of the level that declares it, for host types.
 * @defval: default as text, or NULL (zero / NULL / unset).
 * @min, @max: range of VM_PROP_U32/U64 (both 0: any value; a value outside
 *          gives -ERANGE); for VM_PROP_LINK, min is the target's kind.
 */
struct vm_prop_desc {
	const char *name;
	uint32_t kind;   /* enum vm_prop_kind */
	uint32_t flags;  /* VM_PROP_F_* */
	size_t offset;
	const char *defval;
	uint64_t min, max;
	const char *help;
};

/**
 * vm_type_prop() - describe the @index-th property of type @name
 * (inherited ones first), e.g. to list them or map names in a binding.
 * @vm: the VM whose registry is asked (built-in and its host types).
 * @name: type name; its class is built if it was not yet.
 * @index: 0, 1, ... until NULL is returned.
 * Returns: a description owned by the library (valid until vm_destroy()),
 * or NULL past the last property, for an unknown type or a NULL argument.
 * Since: 0.1.
 */
VM_EXPORT const struct vm_prop_desc *vm_type_prop(struct vm *vm,
						  const char *name,
						  unsigned int index);

/**
 * struct vm_type_info - a type a host program adds (QOM's TypeInfo).
 * @size: sizeof(struct vm_type_info) as compiled by the caller.
 * @name: unique type name; copied.
 * @parent: "netdev" or "device", another registered type, or a concrete
 *          built-in type; copied.
 * @priv_size: bytes of private storage per instance for this level; a type
 *          derived from a host type gets its own storage after its
 *          parent's (see vm_obj_priv()).
 * @class_init: once per type, lazily, on first use; may be NULL.
 * @instance_init: after allocation and property defaults, before the
 *           caller's properties; every level's runs, parents first; may be
 *           NULL.
 * @realize: vm_start(); the only hook that may fail. Only the most derived
 *           realize runs (a child calls its parent's itself if it wants
 *           it). Before it runs, the library checks the links that this
 *           type's levels declare (see VM_PROP_LINK). It returns 0 or a
 *           negative errno (any other non-zero value counts as -EINVAL) and
 *           on failure must leave no trace (unrealize is not called). Its
 *           message (vm_error_set()) is prefixed with the object, e.g.
 *           "device 'd1': ", unless it already starts so; a failure without
 *           a message gets one naming the object, its type and the errno.
 * @unrealize: undoes realize (most derived one runs); may be NULL.
 * @finalize: frees what instance_init/realize kept; realize may not have
 *            run; every level's runs, child first; may be NULL.
 * @props: property table, borrowed for the VM's lifetime; may be NULL.
 * @opaque: passed to class_init; given back by vm_type_opaque() and
 *          passed to @netdev_ops' callbacks.
 * @netdev_ops: since 0.3 (appended: a caller's older, smaller struct means
 *          NULL): for a type whose parent is "netdev", the callbacks that
 *          take the guest's frames (struct vm_netdev_ops); the host hands
 *          frames to the guest with vm_netdev_push(). Such a type is built
 *          on the built-in "callback" netdev (class_is_a "callback" and
 *          "netdev"); with a NULL @netdev_ops and no vm_netdev_set_ops()
 *          on an instance, that instance refuses the guest's frames
 *          (counted in vm_net_stats.tx_drop_backend). Must be
 *          NULL for device types and for parents that are concrete
 *          built-in netdevs (-EINVAL).
 */
struct vm_type_info {
	size_t size;
	const char *name;
	const char *parent;
	size_t priv_size;
	void (*class_init)(void *opaque);
	void (*instance_init)(struct vm_obj *obj);
	int (*realize)(struct vm_obj *obj, struct vm_error **errp);
	void (*unrealize)(struct vm_obj *obj);
	void (*finalize)(struct vm_obj *obj);
	const struct vm_prop_desc *props;
	void *opaque;
	const struct vm_netdev_ops *netdev_ops; /* since 0.3 */
};

/**
 * vm_type_opaque() - the @opaque of the host type whose hook is running on
 * @obj, or outside hooks of @obj's own type.
 * Returns: NULL for built-in types. Since: 0.1.
 */
VM_EXPORT void *vm_type_opaque(const struct vm_obj *obj);

/**
 * vm_type_register() - add a host-defined type to @vm's registry.
 * @vm: the VM, not started.
 * @info: the description, copied (the props table is borrowed).
 * @errp: error out.
 * @info->size may be that of version 0.1 (up to @opaque) or this one.
 * Returns: 0, -EEXIST (name taken), -ENOENT (unknown parent), -EINVAL (bad
 * size, name, parent, property table or @netdev_ops), -EBUSY (the VM was
 * started).
 * Since: 0.1.
 */
VM_EXPORT VM_WARN_UNUSED int vm_type_register(struct vm *vm,
					      const struct vm_type_info *info,
					      struct vm_error **errp);

/**
 * vm_error_set() - for host realize hooks: store an error in @errp (if it is
 * not NULL and empty) and return @code, a negative errno (a @code >= 0 is
 * stored and returned as -EINVAL). The library prefixes the message with
 * the object ("device 'd1': ") when it comes from a host realize.
 * Since: 0.1.
 */
VM_EXPORT int vm_error_set(struct vm_error **errp, int code, const char *fmt,
			   ...) __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------------- */
/* Host netdevs: frames between the guest's NIC and the host program       */

/*
 * A netdev of type "callback", or of a host type whose parent is "netdev"
 * (vm_type_register()), carries Ethernet frames (no virtio-net header)
 * between the device that links to it and the host program:
 *   guest -> host: the device's I/O thread calls the netdev's ->send with
 *     each frame the guest transmits, or, when the ops have ->send_batch,
 *     ->send_batch with each TX burst (virtio-net-pci: up to 32 frames the
 *     guest made available, in ring order; vm_net_stats.tx_batches counts
 *     the calls);
 *   host -> guest: the host calls vm_netdev_push() from any thread; the
 *     netdev keeps up to VM_NETDEV_RX_FRAMES frames the device has not yet
 *     placed in the guest's receive buffers and refuses more with -EAGAIN
 *     (never dropping one silently); once the guest has taken frames and
 *     there is room again, ->rx_ready is called (once per -EAGAIN spell).
 * Queue pairs: property queues=N (1..16, default 1; since 0.4) gives the
 * netdev N pairs, each with its own frames both ways: the callbacks get
 * the queue a frame came from, vm_netdev_push() names the queue it goes
 * to (a device offers them with mq=on; pairs the guest does not use keep
 * their pushed frames until the FIFO is full). Frames are
 * 1..VM_NETDEV_MAX_FRAME bytes.
 */

#define VM_NETDEV_RX_FRAMES 256  /* frames a host netdev holds for the guest */
#define VM_NETDEV_MAX_FRAME 65536 /* largest frame pushed or sent */

/** struct vm_netdev_frame - one frame of a batch, as an iovec array. */
struct vm_netdev_frame {
	const struct iovec *iov;
	int iovcnt;
};

/**
 * struct vm_netdev_ops - a host netdev's callbacks; versioned by @size
 * (sizeof(struct vm_netdev_ops) as compiled by the caller; fields are only
 * ever appended, a smaller struct means the later ones are NULL).
 * @send: a frame from the guest (@iov, borrowed for the call). Returns the
 *        bytes taken (>= 0); -EAGAIN: not now, the device keeps the frame
 *        and offers it again after about 1 ms (nothing is lost); any other
 *        negative errno: the frame is dropped and counted in
 *        vm_net_stats.tx_drop_backend. Required.
 * @send_batch: optional: several frames at once (@n >= 1); returns how
 *        many were taken, in order: the rest stay in the guest's ring and
 *        are offered again after about 1 ms, as after -EAGAIN; or a
 *        negative errno as @send for the first one (-EAGAIN: none taken;
 *        another: the first is dropped and counted, the rest are offered
 *        again at once). Without it the library calls @send for each.
 * @rx_ready: optional: vm_netdev_push() on @queue returned -EAGAIN and
 *        there is room again.
 * Every callback gets the netdev, the @opaque given with the ops
 * (vm_netdev_set_ops(), or vm_type_info.opaque for a type's ops) and the
 * queue. They run on the device's I/O thread, never two at a time for one
 * queue, with no library lock held: they may call vm_netdev_push() (an ARP
 * reply from inside @send is fine) but no other vm_* call on the VM, and
 * must not block for long (the queue waits meanwhile, and vm_destroy()
 * waits for a callback that runs). Once vm_destroy() has returned none
 * is called again.
 */
struct vm_netdev_ops {
	size_t size;
	ssize_t (*send)(struct vm_obj *netdev, void *opaque, unsigned queue,
			const struct iovec *iov, int iovcnt);
	int (*send_batch)(struct vm_obj *netdev, void *opaque, unsigned queue,
			  const struct vm_netdev_frame *frames, unsigned n);
	void (*rx_ready)(struct vm_obj *netdev, void *opaque, unsigned queue);
};

/**
 * vm_netdev_set_ops() - give one host netdev instance its callbacks.
 * @netdev: a netdev of type "callback" or of a host type derived from
 *          "netdev" (vm_obj_find() after vm_add_netdev()), not realized.
 * @ops: the callbacks, borrowed until vm_destroy(); replace a type's
 *          vm_type_info.netdev_ops for this instance.
 * @opaque: passed to them.
 * Returns: 0; -EINVAL (NULL @netdev or @ops, @ops->size too small or no
 * ->send, a netdev of another type); -EBUSY (the VM was started).
 * Thread-safety: as the other calls on the VM. Since: 0.3.
 */
VM_EXPORT int vm_netdev_set_ops(struct vm_obj *netdev,
				const struct vm_netdev_ops *ops, void *opaque);

/**
 * vm_netdev_pushv() - hand one frame to the guest through a host netdev.
 * @netdev: as for vm_netdev_set_ops(), realized (vm_start() succeeded).
 * @queue: the queue pair, 0 .. queues-1 (the netdev's queues property).
 * @iov, @iovcnt: the frame, copied before the call returns.
 *
 * Returns: 0, the frame is queued for the guest (in order); -EAGAIN, the
 * netdev already holds VM_NETDEV_RX_FRAMES frames (the guest gives no
 * receive buffers, its link is down or no device links to the netdev):
 * nothing was queued, ->rx_ready follows when there is room; -EMSGSIZE
 * (empty or larger than VM_NETDEV_MAX_FRAME); -EINVAL (NULL, @queue out of
 * range, @iovcnt < 0, not a host netdev); -ENODEV (not realized:
 * vm_start() not run or failed); -ENOMEM.
 * Thread-safety: any thread, concurrently with anything but vm_destroy()
 * of the VM (every call must have returned before that one starts).
 * Since: 0.3.
 */
VM_EXPORT int vm_netdev_pushv(struct vm_obj *netdev, unsigned queue,
			      const struct iovec *iov, int iovcnt);

/** vm_netdev_push() - vm_netdev_pushv() of one buffer. Since: 0.3. */
VM_EXPORT int vm_netdev_push(struct vm_obj *netdev, unsigned queue,
			     const void *frame, size_t len);

/* ---------------------------------------------------------------------- */
/* Network devices                                                         */

#define VM_NET_MAX_QUEUE_PAIRS 16

/** struct vm_net_queue_stats - counters of one RX/TX queue pair. */
struct vm_net_queue_stats {
	uint64_t rx_packets, rx_bytes;  /* frames put in the guest's buffers */
	uint64_t tx_packets, tx_bytes;  /* frames handed to the backend */
	uint64_t rx_kicks, tx_kicks;    /* driver notifications per queue */
	uint64_t rx_interrupts, tx_interrupts; /* used-buffer interrupts */
};

/**
 * struct vm_net_stats - counters of a network device since vm_start().
 *
 * Bytes count frames without the virtio-net header. Frames are never
 * dropped because a ring or the backend is full: the device stops and
 * waits (the tap's own queue may then drop, as the kernel counts it).
 * On a "vhost-user" netdev the backend moves the data queues' frames and
 * these counters are sampled from the rings (packets from the used index,
 * bytes from the used elements; see netdev "vhost-user" above for when
 * they are exact); its kicks and interrupts are not counted.
 * Initialise with VM_NET_STATS_INIT; fields are only ever appended.
 */
struct vm_net_stats {
	size_t size;                 /* sizeof(struct vm_net_stats) as compiled */
	uint32_t queue_pairs;        /* max_virtqueue_pairs offered */
	uint32_t active_pairs;       /* pairs the guest uses (0 before DRIVER_OK) */
	uint32_t link_up;            /* 1: VIRTIO_NET_S_LINK_UP */
	uint32_t reserved;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes; /* all queues */
	uint64_t rx_drop_oversize;   /* frame larger than the guest's buffer
					(no mergeable rx buffers) */
	uint64_t rx_drop_backend;    /* backend receive errors */
	uint64_t tx_drop_backend;    /* backend refused a frame (not -EAGAIN) */
	uint64_t tx_drop_malformed;  /* a tx chain holding only the header */
	uint64_t tx_drop_link_down;  /* sent while the link was down */
	uint64_t kicks;              /* driver notifications, all queues */
	uint64_t kick_exits;         /* of those, taken through a vCPU exit
					(no ioeventfd): 0 on the fast path */
	uint64_t interrupts;         /* interrupts raised, all queues + config */
	uint64_t irqfd_interrupts;   /* of those, sent through an irqfd */
	uint64_t ctrl_commands;      /* control-queue commands served */
	struct vm_net_queue_stats queue[VM_NET_MAX_QUEUE_PAIRS];
	uint64_t tx_batches;         /* (0.4) TX bursts handed to a host
					netdev's ->send_batch, one call each
					(0 for other netdevs) */
};

#define VM_NET_STATS_INIT { sizeof(struct vm_net_stats), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0}}, 0 }

/**
 * vm_net_set_link() - set the link state the guest sees on a NIC.
 * @vm: a started VM.
 * @id: the device's id (e.g. "net0").
 * @up: 1 link up, 0 link down.
 * @errp: error out.
 *
 * Sets or clears VIRTIO_NET_S_LINK_UP and raises a configuration-change
 * interrupt, so a Linux guest's carrier follows. While the link is down
 * the device drops what the guest sends (tx_drop_link_down) and reads
 * nothing from the backend.
 * Returns: 0 or a negative errno.
 * Errors: -EINVAL NULL @vm/@id; -ENOENT no object @id; -ENOTSUP @id is not
 * a network device (virtio-net-pci); -ENODEV the VM is not started.
 * Thread-safety: any thread while the VM is started (after vm_start()
 * returned 0, before vm_destroy()). Since: 0.2.
 */
VM_EXPORT int vm_net_set_link(struct vm *vm, const char *id, int up,
			      struct vm_error **errp);

/**
 * vm_net_set_mac() - change the MAC a NIC's config space shows, e.g. to
 * give a clone (vm_clone()) its own.
 * @vm: a started VM.
 * @id: the device's id (e.g. "net0").
 * @mac: "xx:xx:xx:xx:xx:xx".
 * @errp: error out.
 *
 * The virtio-net config field "mac" becomes @mac, also across a device
 * reset by the guest (it replaces the configured one), and the device
 * raises a configuration-change interrupt (config_generation moves). What
 * the guest does with it is the guest's: Linux's virtio_net reads the MAC
 * only when it probes the device, and on a configuration change looks
 * only at the status field (link, announce), so a running Linux keeps
 * sending with its old address until its driver is bound again (e.g.
 * `echo virtio0 > /sys/bus/virtio/drivers/virtio_net/unbind`, then
 * `.../bind`) or it is told with `ip link set eth0 address`. The device
 * does not rewrite the source address of frames. If the driver took
 * VIRTIO_NET_F_GUEST_ANNOUNCE (since 0.6), the config also shows
 * VIRTIO_NET_S_ANNOUNCE until the driver acks it, so a Linux guest sends
 * a gratuitous ARP (with the address it uses). For the guest to see a
 * carrier change as well, flap the link with vm_net_set_link(). A
 * snapshot of the VM saves the new MAC as the device's current one.
 * Returns: 0 or a negative errno.
 * Errors: as vm_net_set_link(), and -EINVAL for a @mac that is not six
 * colon-separated hex bytes.
 * Thread-safety: as vm_net_set_link(). Since: 0.4.
 */
VM_EXPORT int vm_net_set_mac(struct vm *vm, const char *id, const char *mac,
			     struct vm_error **errp);

/**
 * vm_net_get_stats() - read a NIC's counters.
 * @vm: a started VM.
 * @id: the device's id.
 * @st: out; initialise with VM_NET_STATS_INIT (@st->size says how much
 *      the caller's struct holds; only that much is written).
 * @errp: error out.
 *
 * Returns: 0 or a negative errno.
 * Errors: as vm_net_set_link(); -EINVAL when @st is NULL or @st->size is
 * smaller than the struct's first version.
 * Thread-safety: any thread while the VM is started. Since: 0.2.
 */
VM_EXPORT int vm_net_get_stats(struct vm *vm, const char *id,
			       struct vm_net_stats *st,
			       struct vm_error **errp);

#ifdef __cplusplus
}
#endif

#endif /* KVM_VIRTIO_H */
