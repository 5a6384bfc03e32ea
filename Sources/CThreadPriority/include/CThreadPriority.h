#ifndef NUTCRACKER_CTHREADPRIORITY_H
#define NUTCRACKER_CTHREADPRIORITY_H

/// Gives the calling thread alone (not its process) a nice value: on Linux a thread is a task of
/// its own, and `setpriority` takes its id, which Swift's Glibc module does not reach. Returns 0, or
/// -1 with `errno` set (elsewhere than Linux: -1, nothing changed).
int nc_set_thread_nice(int nice);

#endif
