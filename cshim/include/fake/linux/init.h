/* fake <linux/init.h>: everything lives in <cshim/kernel.h> */
#include <cshim/kernel.h>
