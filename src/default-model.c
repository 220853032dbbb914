/* Where the default model is found.
 *
 * Code running from its build tree (the tools, the plugin and the tests as
 * built) uses the source tree's models/, so a fresh build needs no setting.
 * An installed copy uses the installed model: first beside itself (the data
 * dir at the same relative place as at install time, so an install moved
 * elsewhere or made with DESTDIR still finds its own model), then the data
 * dir it was configured for.  It never reads the source tree it was built
 * from: that may be gone, or hold another model. */
#define _GNU_SOURCE
#include "config.h"
#include "ilgnet.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* The directory of the executable or shared object this code is linked
 * into (realpath), or NULL. */
static char *
module_dir (void)
{
  Dl_info info;
  char *file = NULL, *dir;

  if (dladdr ((void *) ilgnet_default_model_path, &info) && info.dli_fname
      && g_path_is_absolute (info.dli_fname))
    file = realpath (info.dli_fname, NULL);
  if (!file) {                  /* the main program: dladdr may give argv[0] */
    char *exe = g_file_read_link ("/proc/self/exe", NULL);
    file = exe ? realpath (exe, NULL) : NULL;
    g_free (exe);
  }
  if (!file)
    return NULL;
  dir = g_path_get_dirname (file);
  free (file);
  return dir;
}

static gboolean
is_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* dir/rel/default.ilgnet, without "..", when it is a file. */
static char *
model_in (const char *dir, const char *rel)
{
  char *path = g_build_filename (dir, rel, ILGNET_DEFAULT_MODEL_NAME, NULL);
  char *real = g_file_test (path, G_FILE_TEST_IS_REGULAR)
      ? realpath (path, NULL) : NULL;
  char *out = real ? g_strdup (real) : NULL;

  free (real);
  g_free (path);
  return out;
}

/* The model for code outside the build tree: beside the module (as a
 * program in bindir or as the plugin in the GStreamer plugin dir), then
 * the configured data dir. */
static char *
installed_model (const char *dir)
{
  char *path = NULL;
  if (dir)
    path = model_in (dir, ILGNET_MODEL_DIR_FROM_BINDIR);
  if (!path && dir)
    path = model_in (dir, ILGNET_MODEL_DIR_FROM_PLUGINDIR);
  if (!path)
    path = model_in (ILGNET_INSTALL_MODEL_DIR, "");
  return path;
}

char *
ilgnet_default_model_path (GError ** error)
{
  const char *env = g_getenv ("ILGNET_MODEL");
  char *dir, *build_root, *path;
  gboolean in_build_tree;

  if (env && *env) {
    if (g_file_test (env, G_FILE_TEST_IS_REGULAR))
      return g_strdup (env);
    /* The true reason: a directory (a common slip: the models folder
     * rather than a file in it) is not "missing". */
    if (g_file_test (env, G_FILE_TEST_IS_DIR))
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
          "ILGNET_MODEL names %s, which is a directory, not a model file",
          env);
    else if (g_file_test (env, G_FILE_TEST_EXISTS))
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
          "ILGNET_MODEL names %s, which is not a regular file", env);
    else
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
          "ILGNET_MODEL names %s, which does not exist", env);
    return NULL;
  }
  dir = module_dir ();
  build_root = realpath (ILGNET_BUILD_ROOT, NULL);
  in_build_tree = dir && build_root && is_under (dir, build_root);
  free (build_root);
  path = in_build_tree ? model_in (ILGNET_SOURCE_MODEL_DIR, "")
      : installed_model (dir);
  g_free (dir);
  if (path)
    return path;
  if (in_build_tree)
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
        "no model found: set ILGNET_MODEL or put %s into %s",
        ILGNET_DEFAULT_MODEL_NAME, ILGNET_SOURCE_MODEL_DIR);
  else
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
        "no model found: set ILGNET_MODEL or install %s into %s",
        ILGNET_DEFAULT_MODEL_NAME, ILGNET_INSTALL_MODEL_DIR);
  return NULL;
}
