/* The library's error domain. */
#include "ilgnet.h"

G_DEFINE_QUARK (ilgnet-error-quark, ilgnet_error);
