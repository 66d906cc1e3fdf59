#define _GNU_SOURCE
#include "CSandboxShim.h"

#include <linux/capability.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

const int mg_clone_newuser = CLONE_NEWUSER;
const int mg_clone_newns = CLONE_NEWNS;
const int mg_clone_newnet = CLONE_NEWNET;
const int mg_clone_newipc = CLONE_NEWIPC;
const int mg_clone_newuts = CLONE_NEWUTS;

int mg_unshare(int flags) { return unshare(flags); }

int mg_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    return mount(source, target, type, flags, data);
}

int mg_umount_detach(const char *target) { return umount2(target, MNT_DETACH); }

int mg_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int mg_make_mounts_private(void) { return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL); }

int mg_mount_empty_readonly_tmpfs(const char *target) {
    return mount("modelgate-empty", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 "size=4k,nr_inodes=2,mode=0555");
}

int mg_setgroups_none(void) { return (int)syscall(SYS_setgroups, 0, NULL); }

int mg_setresuid(uid_t uid) { return (int)syscall(SYS_setresuid, uid, uid, uid); }

int mg_setresgid(gid_t gid) { return (int)syscall(SYS_setresgid, gid, gid, gid); }

int mg_drop_capabilities(void) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
    return (int)syscall(SYS_capset, &header, data);
}

int mg_keep_only_setid_capabilities(void) {
    // Up to 63, not CAP_LAST_CAP: the running kernel may know more than these headers (EINVAL: none such).
    for (int cap = 0; cap < 64; cap++) {
        if (cap == CAP_SETUID || cap == CAP_SETGID) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    }
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
    __u32 kept = (1u << CAP_SETUID) | (1u << CAP_SETGID);
    data[0].effective = kept;
    data[0].permitted = kept;
    return (int)syscall(SYS_capset, &header, data);
}

int mg_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

int mg_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

int mg_clear_read_implies_exec(void) {
    int current = personality(0xffffffff);
    if (current < 0) return -1;
    if ((current & READ_IMPLIES_EXEC) == 0) return 0;
    if (personality((unsigned long)(current & ~READ_IMPLIES_EXEC)) < 0) return -1;
    return (personality(0xffffffff) & READ_IMPLIES_EXEC) ? -1 : 0;
}

int mg_close_from(int first) { return (int)syscall(SYS_close_range, (unsigned)first, ~0U, 0); }


int mg_pipe_cloexec(int descriptors[2]) { return pipe2(descriptors, O_CLOEXEC); }

int mg_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

int mg_spawn_add_close_from(posix_spawn_file_actions_t *actions, int first) {
    return posix_spawn_file_actions_addclosefrom_np(actions, first);
}

int mg_socketpair_seqpacket(int descriptors[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, descriptors);
}

long mg_send_with_descriptors(int socket, const void *bytes, unsigned long count, const int *descriptors,
                              int descriptorCount) {
    if (descriptorCount < 0 || descriptorCount > 253) {
        errno = EINVAL;
        return -1;
    }
    struct iovec vector = {.iov_base = (void *)bytes, .iov_len = count};
    char control[CMSG_SPACE(253 * sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1};
    if (descriptorCount > 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(descriptorCount * sizeof(int));
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(descriptorCount * sizeof(int));
        memcpy(CMSG_DATA(header), descriptors, descriptorCount * sizeof(int));
    }
    return sendmsg(socket, &message, MSG_NOSIGNAL);
}

long mg_receive_with_descriptors(int socket, void *bytes, unsigned long capacity, int *descriptors,
                                 int descriptorCapacity, int *received) {
    *received = 0;
    struct iovec vector = {.iov_base = bytes, .iov_len = capacity};
    char control[CMSG_SPACE(253 * sizeof(int))];
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof control};
    long count = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    if (count < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int index = 0; index < count; index++) {
            int descriptor;
            memcpy(&descriptor, CMSG_DATA(header) + index * sizeof(int), sizeof(int));
            if (*received < descriptorCapacity) descriptors[(*received)++] = descriptor;
            else close(descriptor);
        }
    }
    if ((message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
        for (int index = 0; index < *received; index++) close(descriptors[index]);
        *received = 0;
        errno = EMSGSIZE;
        return -1;
    }
    return count;
}

pid_t mg_fork_sibling(void) { return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0); }

int mg_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

long mg_ptrace_seize(pid_t pid) { return ptrace(PTRACE_SEIZE, pid, NULL, NULL); }

long mg_tgkill(pid_t tgid, pid_t tid, int signal) { return syscall(SYS_tgkill, tgid, tid, signal); }

pid_t mg_fork(void) { return fork(); }

static void *mg_thread_body(void *argument) { return argument; }

int mg_start_thread(void) {
    pthread_t thread;
    int error = pthread_create(&thread, NULL, mg_thread_body, NULL);
    if (error == 0) pthread_join(thread, NULL);
    return error;
}
