// libseccomp (Debian: libseccomp-dev), exposed to Swift as a system library.
#include <seccomp.h>
