"""Docker's default seccomp policy, as data: which system calls a container may make.

Everything not allowed here fails with EPERM.  The allow-list follows moby's
default profile (``profiles/seccomp/default.json``): a large set of ordinary
calls, then calls allowed only on some architectures, with some argument values,
or when the container holds a capability (so ``cap_add: [SYS_ADMIN]`` also opens
``mount``, as under Docker).  Names the host's libseccomp does not know are
skipped by runc, so listing newer calls is harmless.
"""

from __future__ import annotations

from runtime.ocispec.seccomp import Arg, Filter, Profile, Rule

# Unconditionally allowed, alphabetically (leading underscores ignored).
_ALWAYS = """
accept accept4 access adjtimex alarm
bind brk
cachestat capget capset chdir chmod chown chown32 clock_adjtime clock_adjtime64
clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat
dup dup2 dup3
epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group
faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat
fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork
fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64
futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat
getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32
getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage
getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr
getxattrat
inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc
kill
landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr
link linkat listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek
lsetxattr lstat lstat64
madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod
mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap
mseal msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
name_to_handle_at nanosleep newfstatat _newselect
open openat openat2
pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6
pselect6_time64 pwrite64 pwritev pwritev2
read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg
remap_file_pages removexattr removexattrat rename renameat renameat2 restart_syscall
riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget
semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid
setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address
setuid setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd
signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64
statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo
tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
timerfd_settime timerfd_settime64 times tkill truncate truncate64
ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes
vfork vmsplice
wait4 waitid waitpid write writev
"""

# socket(2) address families a container may open: every family below AF_DECnet
# (12), then a list of others; AF_VSOCK (40) and the obscure rest stay denied.
SOCKET_FAMILIES = (13, 14, 15, 16, 17, 18, 21, 22, 24, *range(26, 34), 35, 36, 39,
                   *range(41, 46))

# The same list as moby's 25 equalities, in 10 masked comparisons, ``family & ~free
# == value`` for each (free bits, value) here: runc ORs a call's rules.  libseccomp
# compiles each rule for every architecture in each ``runc init``, and on x86-64
# (where the x86 filter doubles the socket rules) the 25 cost about 2 ms of CPU per
# container start.  Each mask keeps every bit above 5, so no family from 64 up
# passes; tests/unit/test_seccomp.py checks the two forms agree on every value.
SOCKET_FAMILY_MASKS = ((0x18, 5), (0x15, 10), (0x11, 0), (0x1C, 2), (0x06, 24), (0x21, 0),
                       (0x24, 3), (0x08, 36), (0x24, 9), (0x21, 10))
_ALL_BITS = 0xFFFF_FFFF_FFFF_FFFF

# personality(2) personas: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, query.
_PERSONAS = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)

# clone(2) flags that create namespaces (CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
# |NEWCGROUP): without CAP_SYS_ADMIN, clone is allowed only if none is set.
_CLONE_NAMESPACE_FLAGS = 0x7E020000


def _caps(*names: str) -> Filter:
    return Filter(caps=tuple(f"CAP_{n}" for n in names))


def _arches(*names: str) -> Filter:
    return Filter(arches=names)


_BY_CAPABILITY = (
    ("DAC_READ_SEARCH", "open_by_handle_at"),
    ("SYS_ADMIN", "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
                  "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr "
                  "move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
                  "sethostname setns syslog umount umount2 unshare"),
    ("SYS_BOOT", "reboot"),
    ("SYS_CHROOT", "chroot"),
    ("SYS_MODULE", "delete_module init_module finit_module"),
    ("SYS_PACCT", "acct"),
    ("SYS_PTRACE", "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"),
    ("SYS_RAWIO", "iopl ioperm"),
    ("SYS_TIME", "settimeofday stime clock_settime clock_settime64"),
    ("SYS_TTY_CONFIG", "vhangup"),
    ("SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"),
    ("SYSLOG", "syslog"),
    ("BPF", "bpf"),
    ("PERFMON", "perf_event_open"),
)

DEFAULT_PROFILE = Profile(
    default_action="SCMP_ACT_ERRNO",
    default_errno=1,
    arch_map={
        "SCMP_ARCH_X86_64": ("SCMP_ARCH_X86", "SCMP_ARCH_X32"),
        "SCMP_ARCH_AARCH64": ("SCMP_ARCH_ARM",),
        "SCMP_ARCH_MIPS64": ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"),
        "SCMP_ARCH_MIPS64N32": ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"),
        "SCMP_ARCH_MIPSEL64": ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"),
        "SCMP_ARCH_MIPSEL64N32": ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"),
        "SCMP_ARCH_S390X": ("SCMP_ARCH_S390",),
        "SCMP_ARCH_RISCV64": (),
        "SCMP_ARCH_LOONGARCH64": (),
    },
    rules=(
        Rule(tuple(_ALWAYS.split())),
        Rule(("process_vm_readv", "process_vm_writev", "ptrace"),
             includes=Filter(min_kernel=(4, 8))),
        Rule(("socket",), args=(Arg(0, 12, "SCMP_CMP_LT"),)),
        *(Rule(("socket",), args=(Arg(0, _ALL_BITS ^ free, "SCMP_CMP_MASKED_EQ", value),))
          for free, value in SOCKET_FAMILY_MASKS),
        *(Rule(("personality",), args=(Arg(0, persona, "SCMP_CMP_EQ"),))
          for persona in _PERSONAS),
        Rule(("sync_file_range2", "swapcontext"), includes=_arches("ppc64le")),
        Rule(("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
              "cacheflush", "set_tls"), includes=_arches("arm", "arm64")),
        Rule(("arch_prctl",), includes=_arches("amd64", "x32")),
        Rule(("modify_ldt",), includes=_arches("amd64", "x32", "x86")),
        Rule(("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
             includes=_arches("s390", "s390x")),
        Rule(("riscv_flush_icache",), includes=_arches("riscv64")),
        *(Rule(tuple(names.split()), includes=_caps(cap)) for cap, names in _BY_CAPABILITY[:2]),
        Rule(("clone",), args=(Arg(0, _CLONE_NAMESPACE_FLAGS, "SCMP_CMP_MASKED_EQ"),),
             excludes=Filter(caps=("CAP_SYS_ADMIN",), arches=("s390", "s390x"))),
        Rule(("clone",), args=(Arg(1, _CLONE_NAMESPACE_FLAGS, "SCMP_CMP_MASKED_EQ"),),
             includes=_arches("s390", "s390x"), excludes=_caps("SYS_ADMIN")),
        # glibc falls back to clone(2) when clone3 says ENOSYS, so the flag check above
        # still applies to new threads and processes.
        Rule(("clone3",), action="SCMP_ACT_ERRNO", errno=38, excludes=_caps("SYS_ADMIN")),
        *(Rule(tuple(names.split()), includes=_caps(cap)) for cap, names in _BY_CAPABILITY[2:]),
    ),
)
