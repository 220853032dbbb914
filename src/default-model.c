/* Where the default model is found. */
#include "config.h"
#include "ilgnet.h"

char *
ilgnet_default_model_path (GError ** error)
{
  const char *env = g_getenv ("ILGNET_MODEL");
  char *path;

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
  path = g_build_filename (ILGNET_SOURCE_MODEL_DIR, ILGNET_DEFAULT_MODEL_NAME,
      NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  path = g_build_filename (ILGNET_INSTALL_MODEL_DIR,
      ILGNET_DEFAULT_MODEL_NAME, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
      "no model found: set ILGNET_MODEL or install %s into %s or %s",
      ILGNET_DEFAULT_MODEL_NAME, ILGNET_SOURCE_MODEL_DIR,
      ILGNET_INSTALL_MODEL_DIR);
  return NULL;
}
