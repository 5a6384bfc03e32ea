// The module is its header: `nc_prefetch` is inline.
#include "CPrefetch.h"
