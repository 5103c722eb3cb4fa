/* fake <linux/irqflags.h>: everything lives in <cshim/kernel.h> */
#include <cshim/kernel.h>
