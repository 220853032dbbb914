/* Makes the ilgnet element available to ilgnet-thumbs with no environment
 * set-up (see thumbs-plugin.c). */
#pragma once
#include <glib.h>

/* Call after gst_init().  Never fails: when no plugin can be loaded the
 * element's absence is reported where it is first needed. */
void thumbs_plugin_ensure (void);
