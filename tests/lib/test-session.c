/* The model and session API around the kernels: header fields and counts,
 * the default model lookup, argument errors, profiling; OpenBLAS loaded
 * before main() with the wanted kernels and the environment left as it was. */
#include "ilgnet.h"
#include "model-builder.h"

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

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

  CHECK (handle != NULL, "OpenBLAS not loaded before main()");
  CHECK (g_strcmp0 (initial, g_getenv ("OPENBLAS_CORETYPE")) == 0,
      "OPENBLAS_CORETYPE changed from %s to %s", initial ? initial : "unset",
      g_getenv ("OPENBLAS_CORETYPE"));
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
    CHECK (g_ascii_strcasecmp (corename (), want) == 0,
        "OpenBLAS runs its %s kernels, want %s", corename (), want);
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

  CHECK (n == 1, "%u threads right after loading, want 1", n);
  CHECK (g_strcmp0 (initial, g_getenv ("OPENBLAS_NUM_THREADS")) == 0,
      "OPENBLAS_NUM_THREADS changed from %s to %s",
      initial ? initial : "unset", g_getenv ("OPENBLAS_NUM_THREADS"));
  g_free (initial);
}

int
main (int argc, char **argv)
{
  GRand *rnd = g_rand_new_with_seed (5);
  ModelBuilder *mb = model_builder_new (3, 12, 10);
  float w[5 * 3 * 3 * 3], b[5], wf[2 * 5 * 120], hq[5];
  gint64 sw[4] = { 5, 3, 3, 3 }, sb = 5, sf[2] = { 2, 600 };
  const char *tw, *tb, *tf, *th;
  char *path, *p;
  GError *err = NULL;
  IlgnetModel *m;
  IlgnetSession *s;
  const IlgnetInputSpec *spec;
  Prof prof = { 0, };
  gsize size;

  test_no_threads_at_load ();
  test_blas_loaded_early ();
  fill_random (rnd, w, G_N_ELEMENTS (w), -1, 1);
  fill_random (rnd, b, 5, -1, 1);
  fill_random (rnd, wf, G_N_ELEMENTS (wf), -0.1, 0.1);
  fill_random (rnd, hq, 5, -1, 1);
  tw = model_builder_add_tensor (mb, "f32", w, sw, 4);
  tb = model_builder_add_tensor (mb, "f16", b, &sb, 1);
  tf = model_builder_add_tensor (mb, "i8", wf, sf, 2);
  th = model_builder_add_tensor (mb, "f32", hq, &sb, 1);       /* unused */
  (void) th;
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
  path = model_builder_write (mb);

  m = ilgnet_model_open (path, &err);
  g_assert_no_error (err);
  g_file_get_contents (path, &p, &size, NULL);
  g_free (p);
  CHECK (ilgnet_model_get_file_size (m) == size, "file size %" G_GSIZE_FORMAT,
      ilgnet_model_get_file_size (m));
  /* weights of every tensor, i8 scales excluded */
  CHECK (ilgnet_model_get_n_params (m) == 135 + 5 + 1200 + 5,
      "n_params %" G_GUINT64_FORMAT, ilgnet_model_get_n_params (m));
  CHECK (g_strcmp0 (ilgnet_model_get_name (m), "test") == 0, "name %s",
      ilgnet_model_get_name (m));
  CHECK (g_strcmp0 (ilgnet_model_get_field (m, "architecture"), "test") == 0
      && ilgnet_model_get_field (m, "nonexistent") == NULL, "fields");
  CHECK (ilgnet_model_get_resize (m) == ILGNET_RESIZE_CENTER, "resize");
  spec = ilgnet_model_get_input_spec (m);
  CHECK (spec->channels == 3 && spec->height == 12 && spec->width == 10
      && spec->bgr && spec->scale == 1.0f, "input spec");

  /* argument errors */
  CHECK (ilgnet_session_new (m, 0, 1, &err) == NULL && err, "batch 0");
  g_clear_error (&err);
  CHECK (ilgnet_session_new (m, 1 << 20, 1, &err) == NULL && err,
      "huge batch");
  g_clear_error (&err);

  /* profiling: every executed layer reported once, fused ReLU folded in */
  s = ilgnet_session_new (m, 2, 0, &err);
  g_assert_no_error (err);
  CHECK (ilgnet_session_get_model (s) == m && ilgnet_session_get_batch (s) == 2,
      "session getters");
  fill_random (rnd, ilgnet_session_get_input (s), 2 * 360, -5, 5);
  ilgnet_session_set_profiling (s, TRUE);
  g_assert (ilgnet_session_run (s, 2, &err));
  ilgnet_session_foreach_profile (s, on_layer, &prof);
  CHECK (prof.calls == 3 && prof.saw_conv && prof.saw_softmax,
      "profile: %d layers", prof.calls);
  {
    /* the kernels the registry chose: the padded 3x3 convolution through
     * im2col, the i8 InnerProduct weights read as stored; flops per image
     * (conv 2*600*27 plus the fused ReLU's 600, fc 2*2*600) */
    GString *k = g_string_new (NULL);
    ilgnet_session_foreach_kernel_profile (s, on_kernel, k);
    CHECK (strcmp (k->str, "conv:Convolution+ReLU:im2col-gemm:33000;"
            "fc:InnerProduct:gemv-i8:2400;prob:Softmax:loop:2;") == 0,
        "kernel profile: %s", k->str);
    g_string_free (k, TRUE);
  }
  {
    float s0 = ilgnet_session_get_score (s, 0);
    float s1 = ilgnet_session_get_score (s, 1);
    CHECK (s0 > 0 && s0 < 1 && s1 > 0 && s1 < 1 && s0 != s1, "scores %g %g",
        s0, s1);
  }
  ilgnet_session_free (s);

  /* default model: $ILGNET_MODEL wins; a missing one is an error */
  g_setenv ("ILGNET_MODEL", path, TRUE);
  p = ilgnet_default_model_path (&err);
  CHECK (p && strcmp (p, path) == 0, "ILGNET_MODEL ignored");
  g_free (p);
  g_setenv ("ILGNET_MODEL", "/nonexistent/model.ilgnet", TRUE);
  p = ilgnet_default_model_path (&err);
  CHECK (p == NULL && err && strstr (err->message, "/nonexistent"),
      "missing ILGNET_MODEL: %s", p ? p : err->message);
  g_free (p);
  g_clear_error (&err);
  /* a directory is named as one, not as missing */
  {
    gchar *dir = g_path_get_dirname (path);

    g_setenv ("ILGNET_MODEL", dir, TRUE);
    p = ilgnet_default_model_path (&err);
    CHECK (p == NULL && err && strstr (err->message, dir)
        && strstr (err->message, "is a directory")
        && !strstr (err->message, "does not exist"),
        "ILGNET_MODEL directory: %s", p ? p : err->message);
    g_free (p);
    g_clear_error (&err);
    g_free (dir);
  }
  g_unsetenv ("ILGNET_MODEL");

  ilgnet_model_unref (m);
  g_unlink (path);
  g_free (path);
  model_builder_free (mb);
  g_rand_free (rnd);
  return check_finish ("session");
}
