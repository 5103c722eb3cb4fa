/* fake <linux/atomic.h>: everything lives in <cshim/kernel.h> */
#include <cshim/kernel.h>
