#include "rlimits.h"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

uint64_t rlimits_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("cannot read the file descriptor limit: %s", strerror(errno));
        return 0;
    }
    if (rl.rlim_cur >= rl.rlim_max) {
        log_info("file descriptors: at most %llu (the hard limit)",
                 (unsigned long long)rl.rlim_cur);
        return rl.rlim_cur;
    }
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("file descriptors: at most %llu; cannot raise it to the "
                 "hard limit %llu: %s (a ledger takes three, a connection "
                 "one: communities may not open, idle connections may "
                 "crowd out new ones)",
                 (unsigned long long)was, (unsigned long long)rl.rlim_max,
                 strerror(errno));
        return was;
    }
    log_info("file descriptors: raised the limit from %llu to %llu (the "
             "hard limit), for the communities' ledgers and client "
             "connections",
             (unsigned long long)was, (unsigned long long)rl.rlim_cur);
    return rl.rlim_cur;
}
