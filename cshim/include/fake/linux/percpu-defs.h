/* fake <linux/percpu-defs.h>: everything lives in <cshim/kernel.h> */
#include <cshim/kernel.h>
