/* fake <linux/list.h>: everything lives in <cshim/kernel.h> */
#include <cshim/kernel.h>
