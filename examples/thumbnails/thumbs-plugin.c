/* Which ilgnet plugin ilgnet-thumbs uses.
 *
 * Run from the build tree it was built in, it loads the plugin built in that
 * tree, whatever GST_PLUGIN_PATH says: a program and a plugin from two
 * different builds would be a silent mismatch, and a user who just built the
 * tree should not have to export anything.  Run from anywhere else (an
 * installed copy), it uses GStreamer's registry and, when the registry does
 * not know the element (a prefix GStreamer does not scan, such as
 * /usr/local or a --prefix of one's own), the plugin installed with it. */
#include "thumbs-plugin.h"

#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

static gboolean
path_is_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (path, dir, n) == 0 && path[n] == G_DIR_SEPARATOR;
}

/* Loads @file into the default registry; where another copy of the plugin
 * was registered before (GST_PLUGIN_PATH, the system path), this one takes
 * its place. */
static gboolean
load (const char *file)
{
  GError *error = NULL;
  GstPlugin *plugin;

  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  plugin = gst_plugin_load_file (file, &error);
  if (!plugin) {
    g_printerr ("ilgnet-thumbs: cannot load %s: %s\n", file, error->message);
    g_error_free (error);
    return FALSE;
  }
  gst_object_unref (plugin);
  return TRUE;
}

void
thumbs_plugin_ensure (void)
{
  char *exe = g_file_read_link ("/proc/self/exe", NULL);
  char *build_root = realpath (ILGNET_BUILD_ROOT, NULL);
  gboolean in_build_tree = exe && build_root && path_is_under (exe, build_root);

  g_free (exe);
  free (build_root);
  if (in_build_tree && load (ILGNET_BUILD_PLUGIN))
    return;
  GstPluginFeature *known = gst_registry_lookup_feature (gst_registry_get (),
      "ilgnet");
  if (known) {
    gst_object_unref (known);
    return;
  }
  load (ILGNET_INSTALLED_PLUGIN);
}
