#ifndef NUTCRACKER_CPREFETCH_H
#define NUTCRACKER_CPREFETCH_H

/// Asks the processor to bring the cache line holding `address` into its caches, to be written,
/// without waiting for it: a hint that never faults, whatever the address.
static inline void nc_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
