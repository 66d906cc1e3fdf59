// Thin wrappers for the system calls Swift cannot reach directly: variadic ones (prctl,
// syscall, ptrace) and ones Swift's Glibc module does not declare (unshare, pivot_root,
// setresuid, close_range, pipe2, posix_spawn_file_actions_addclosefrom_np).
// Each returns what the call returns (-1 with errno set on failure). No logic lives here, but for
// packing and unpacking SCM_RIGHTS messages, whose CMSG macros Swift cannot reach.
#ifndef CSANDBOXSHIM_H
#define CSANDBOXSHIM_H

#include <spawn.h>
#include <sys/types.h>

// Namespace flags for mg_unshare, as in <sched.h>.
extern const int mg_clone_newuser;
extern const int mg_clone_newns;
extern const int mg_clone_newnet;
extern const int mg_clone_newipc;
extern const int mg_clone_newuts;

int mg_unshare(int flags);
int mg_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data);
int mg_umount_detach(const char *target);
int mg_pivot_root(const char *new_root, const char *put_old);
int mg_make_mounts_private(void);
int mg_mount_empty_readonly_tmpfs(const char *target);

int mg_setgroups_none(void);
int mg_setresuid(uid_t uid);
int mg_setresgid(gid_t gid);
int mg_drop_capabilities(void);

/// Drops every capability from the bounding, effective and permitted sets but CAP_SETUID and
/// CAP_SETGID (all a root fork server's children still need: to become uid 65534). Returns 0, or
/// -1 with errno set.
int mg_keep_only_setid_capabilities(void);

int mg_set_no_new_privs(void);
int mg_set_not_dumpable(void);
/// Clears the READ_IMPLIES_EXEC personality a parent may have passed down (it would make every
/// readable mapping executable, which no seccomp argument check can see); 0 on success.
int mg_clear_read_implies_exec(void);
int mg_close_from(int first);

int mg_pipe_cloexec(int descriptors[2]);
/// An anonymous file in memory, closed on exec (a job's row labels are written into one).
int mg_memfd_create(const char *name);
int mg_spawn_add_close_from(posix_spawn_file_actions_t *actions, int first);

// The fork server (see ForkServer.swift): a socket pair that keeps message boundaries, a
// message with descriptors attached (SCM_RIGHTS), and a fork whose child is the caller's
// sibling (clone with CLONE_PARENT), so the gateway that asked for it is its parent and reaps it.
int mg_socketpair_seqpacket(int descriptors[2]);
/// Sends `count` bytes with `descriptorCount` descriptors attached; the bytes sent, or -1.
long mg_send_with_descriptors(int socket, const void *bytes, unsigned long count, const int *descriptors,
                              int descriptorCount);
/// Receives one message of at most `capacity` bytes and at most `descriptorCapacity` descriptors
/// (close-on-exec), their number in `*received`; the bytes received (0 at end of file), or -1
/// (EMSGSIZE, with every descriptor that came closed, when the message or its descriptors were cut).
long mg_receive_with_descriptors(int socket, void *bytes, unsigned long capacity, int *descriptors,
                                 int descriptorCapacity, int *received);
/// fork(2) without the C library's fork handlers, the child a child of the caller's parent: 0 in
/// the child, its pid in the caller, -1 on failure. Only for a single-threaded caller.
pid_t mg_fork_sibling(void);
/// A descriptor that polls readable when the process exits (pidfd_open(2)).
int mg_pidfd_open(pid_t pid);

// Used only by sandbox probes, which try what a locked-down worker must not be able to do.
long mg_ptrace_seize(pid_t pid);
long mg_tgkill(pid_t tgid, pid_t tid, int signal);
pid_t mg_fork(void);
int mg_start_thread(void);

#endif
