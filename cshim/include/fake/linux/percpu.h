/* fake <linux/percpu.h>: everything lives in <cshim/kernel.h> */
#include <cshim/kernel.h>
