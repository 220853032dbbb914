/* The model and session API around the kernels: header fields and counts,
 * the default model lookup, argument errors, profiling; OpenBLAS loaded
 * before main() with the wanted kernels and the environment left as it was. */
#include "ilgnet.h"
#include "model-builder.h"

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  int calls;
  gboolean saw_conv, saw_softmax;
  double total;
} Prof;

static void
on_layer (const char *layer, const char *type, double ms, gpointer data)
{
  Prof *p = data;
  p->calls++;
  p->total += ms;
  if (strcmp (layer, "conv") == 0 && g_str_has_prefix (type, "Convolution"))
    p->saw_conv = TRUE;
  if (strcmp (layer, "prob") == 0 && strcmp (type, "Softmax") == 0)
    p->saw_softmax = TRUE;
  if (ms < 0)
    p->calls = -1000;
}

/* The kernel each layer ran, as "layer:type:kernel:flops;" */
static void
on_kernel (const char *layer, const char *type, const char *kernel,
    guint64 flops, double ms, gpointer data)
{
  g_string_append_printf (data, "%s:%s:%s:%" G_GUINT64_FORMAT ";", layer,
      type, kernel, flops);
}

/* The value @name had when the process started (/proc/self/environ is not
 * changed by setenv), or NULL. */
static char *
initial_env (const char *name)
{
  char *env, *p, *value = NULL;
  gsize len;
  gsize n = strlen (name);

  if (!g_file_get_contents ("/proc/self/environ", &env, &len, NULL))
    return NULL;
  for (p = env; p < env + len; p += strlen (p) + 1)
    if (strncmp (p, name, n) == 0 && p[n] == '=')
      value = g_strdup (p + n + 1);
  g_free (env);
  return value;
}

/* libilgnet loads OpenBLAS from its constructor, while the process is
 * single-threaded, because choosing the kernels means setting
 * OPENBLAS_CORETYPE for a moment. */
static void
test_blas_loaded_early (void)
{
  void *handle = dlopen ("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
  const char *(*corename) (void);
  const char *ilgnet_want = g_getenv ("ILGNET_BLAS_CORETYPE");
  const char *want = NULL;
  char *initial = initial_env ("OPENBLAS_CORETYPE");

  /* OpenBLAS loaded before main() */
  g_assert_nonnull (handle);
  /* OPENBLAS_CORETYPE as the process started */
  g_assert_cmpstr (initial, ==, g_getenv ("OPENBLAS_CORETYPE"));
  if (!handle)
    goto out;
  corename = (const char *(*)(void)) dlsym (handle, "openblas_get_corename");
  if (ilgnet_want && strcmp (ilgnet_want, "default") != 0)
    want = ilgnet_want;
#if defined(__x86_64__) && defined(__GNUC__)
  else if (!ilgnet_want && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512dq")
      && __builtin_cpu_supports ("avx512vl"))
    want = "SkylakeX";
#endif
  /* OpenBLAS builds without runtime dispatch have one core type */
  if (want && corename && dlsym (handle, "gotoblas_dynamic_init"))
    if (g_ascii_strcasecmp (corename (), want) != 0)
      g_test_fail_printf ("OpenBLAS runs its %s kernels, want %s",
          corename (), want);
  dlclose (handle);
out:
  g_free (initial);
}

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  if (!dir)
    return 0;
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

/* Loading the library (as gst-plugin-scanner does with the plugin) must not
 * leave OpenBLAS's thread pool running: that costs every process that
 * merely loads it, and sessions call OpenBLAS single-threaded anyway. */
static void
test_no_threads_at_load (void)
{
  guint n = count_threads ();
  char *initial = initial_env ("OPENBLAS_NUM_THREADS");

  /* one thread right after loading */
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpstr (initial, ==, g_getenv ("OPENBLAS_NUM_THREADS"));
  g_free (initial);
}

/* The model of the cases below, made once, on first use (not at start:
 * test_no_threads_at_load looks at the process as loading left it): a
 * padded 3x3 f32/f16 convolution, ReLU, an i8 InnerProduct, Softmax; an
 * unused tensor.  Removed at exit. */
static char *model_path;
static IlgnetModel *model;

static IlgnetModel *
shared_model (void)
{
  GRand *rnd;
  ModelBuilder *mb;
  float w[5 * 3 * 3 * 3], b[5], wf[2 * 5 * 120], hq[5];
  gint64 sw[4] = { 5, 3, 3, 3 }, sb = 5, sf[2] = { 2, 600 };
  const char *tw, *tb, *tf;
  GError *err = NULL;

  if (model)
    return model;
  rnd = g_rand_new_with_seed (5);
  mb = model_builder_new (3, 12, 10);
  fill_random (rnd, w, G_N_ELEMENTS (w), -1, 1);
  fill_random (rnd, b, 5, -1, 1);
  fill_random (rnd, wf, G_N_ELEMENTS (wf), -0.1, 0.1);
  fill_random (rnd, hq, 5, -1, 1);
  tw = model_builder_add_tensor (mb, "f32", w, sw, 4);
  tb = model_builder_add_tensor (mb, "f16", b, &sb, 1);
  tf = model_builder_add_tensor (mb, "i8", wf, sf, 2);
  model_builder_add_tensor (mb, "f32", hq, &sb, 1);     /* unused */
  model_builder_set_input_extra (mb, ",\"resize\":\"center\"");
  model_builder_add_layer (mb, "conv", "Convolution",
      (const char *const[]) { "data", NULL }, "conv",
      (const char *const[]) { tw, tb, NULL },
      "\"num_output\":5,\"kernel\":[3,3],\"pad\":[1,1]");
  model_builder_add_layer (mb, "relu", "ReLU",
      (const char *const[]) { "conv", NULL }, "conv", NULL, "");
  model_builder_add_layer (mb, "fc", "InnerProduct",
      (const char *const[]) { "conv", NULL }, "fc",
      (const char *const[]) { tf, NULL }, "\"num_output\":2,"
      "\"bias_term\":false");
  model_builder_add_layer (mb, "prob", "Softmax",
      (const char *const[]) { "fc", NULL }, "prob", NULL, "");
  model_builder_set_output (mb, "prob", 1);
  model_path = model_builder_write (mb);
  model = ilgnet_model_open (model_path, &err);
  g_assert_no_error (err);
  model_builder_free (mb);
  g_rand_free (rnd);
  return model;
}

/* Header fields and counts */
static void
test_model_info (void)
{
  IlgnetModel *m = shared_model ();
  const IlgnetInputSpec *spec;
  char *p;
  gsize size;

  g_assert_true (g_file_get_contents (model_path, &p, &size, NULL));
  g_free (p);
  g_assert_cmpuint (ilgnet_model_get_file_size (m), ==, size);
  /* weights of every tensor, i8 scales excluded */
  g_assert_cmpuint (ilgnet_model_get_n_params (m), ==, 135 + 5 + 1200 + 5);
  g_assert_cmpstr (ilgnet_model_get_name (m), ==, "test");
  g_assert_cmpstr (ilgnet_model_get_field (m, "architecture"), ==, "test");
  g_assert_null (ilgnet_model_get_field (m, "nonexistent"));
  g_assert_cmpint (ilgnet_model_get_resize (m), ==, ILGNET_RESIZE_CENTER);
  spec = ilgnet_model_get_input_spec (m);
  g_assert_cmpint (spec->channels, ==, 3);
  g_assert_cmpint (spec->height, ==, 12);
  g_assert_cmpint (spec->width, ==, 10);
  g_assert_true (spec->bgr);
  g_assert_cmpfloat (spec->scale, ==, 1.0f);
}

static void
test_argument_errors (void)
{
  IlgnetModel *m = shared_model ();
  GError *err = NULL;

  /* batch 0 */
  g_assert_null (ilgnet_session_new (m, 0, 1, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  /* a huge batch */
  g_assert_null (ilgnet_session_new (m, 1 << 20, 1, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
}

/* Profiling: every executed layer reported once, fused ReLU folded in; the
 * kernels the registry chose; session getters and scores */
static void
test_profiling (void)
{
  IlgnetModel *m = shared_model ();
  GRand *rnd = g_rand_new_with_seed (5);
  GError *err = NULL;
  IlgnetSession *s;
  Prof prof = { 0, };
  GString *k = g_string_new (NULL);
  float s0, s1;

  s = ilgnet_session_new (m, 2, 0, &err);
  g_assert_no_error (err);
  g_assert_true (ilgnet_session_get_model (s) == m);
  g_assert_cmpint (ilgnet_session_get_batch (s), ==, 2);
  fill_random (rnd, ilgnet_session_get_input (s), 2 * 360, -5, 5);
  ilgnet_session_set_profiling (s, TRUE);
  g_assert_true (ilgnet_session_run (s, 2, &err));
  g_assert_no_error (err);
  ilgnet_session_foreach_profile (s, on_layer, &prof);
  g_assert_cmpint (prof.calls, ==, 3);
  g_assert_true (prof.saw_conv);
  g_assert_true (prof.saw_softmax);
  /* the padded 3x3 stride-1 convolution through Winograd F(4x4, 3x3), the
   * i8 InnerProduct weights read as stored; flops per image (conv
   * 2*600*27 plus the fused ReLU's 600, counted as direct convolution;
   * fc 2*2*600) */
  ilgnet_session_foreach_kernel_profile (s, on_kernel, k);
  g_assert_cmpstr (k->str, ==, "conv:Convolution+ReLU:winograd-f43:33000;"
      "fc:InnerProduct:gemv-i8:2400;prob:Softmax:loop:2;");
  g_string_free (k, TRUE);
  s0 = ilgnet_session_get_score (s, 0);
  s1 = ilgnet_session_get_score (s, 1);
  g_assert_cmpfloat (s0, >, 0);
  g_assert_cmpfloat (s0, <, 1);
  g_assert_cmpfloat (s1, >, 0);
  g_assert_cmpfloat (s1, <, 1);
  g_assert_cmpfloat (s0, !=, s1);
  ilgnet_session_free (s);
  g_rand_free (rnd);
}

/* Default model: $ILGNET_MODEL wins; a missing one is an error; a
 * directory is named as one, not as missing */
static void
test_default_model (void)
{
  GError *err = NULL;
  gchar *dir, *p;

  shared_model ();
  g_setenv ("ILGNET_MODEL", model_path, TRUE);
  p = ilgnet_default_model_path (&err);
  g_assert_no_error (err);
  g_assert_cmpstr (p, ==, model_path);
  g_free (p);

  g_setenv ("ILGNET_MODEL", "/nonexistent/model.ilgnet", TRUE);
  p = ilgnet_default_model_path (&err);
  g_assert_null (p);
  g_assert_nonnull (err);
  if (err)
    g_assert_nonnull (strstr (err->message, "/nonexistent"));
  g_free (p);
  g_clear_error (&err);

  dir = g_path_get_dirname (model_path);
  g_setenv ("ILGNET_MODEL", dir, TRUE);
  p = ilgnet_default_model_path (&err);
  g_assert_null (p);
  g_assert_nonnull (err);
  if (err) {
    g_assert_nonnull (strstr (err->message, dir));
    g_assert_nonnull (strstr (err->message, "is a directory"));
    g_assert_null (strstr (err->message, "does not exist"));
  }
  g_free (p);
  g_clear_error (&err);
  g_free (dir);
  g_unsetenv ("ILGNET_MODEL");
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* a failed check is reported and the case goes on, so one run shows
   * every broken check */
  g_test_set_nonfatal_assertions ();
  /* first: the process as loading the library left it */
  g_test_add_func ("/session/no-threads-at-load", test_no_threads_at_load);
  g_test_add_func ("/session/blas-loaded-early", test_blas_loaded_early);
  g_test_add_func ("/session/model-info", test_model_info);
  g_test_add_func ("/session/argument-errors", test_argument_errors);
  /* before any session's threads: it sets environment variables */
  g_test_add_func ("/session/default-model", test_default_model);
  g_test_add_func ("/session/profiling", test_profiling);
  ret = g_test_run ();
  if (model) {
    ilgnet_model_unref (model);
    g_unlink (model_path);
  }
  g_free (model_path);
  return ret;
}
