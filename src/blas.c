/* The only file that calls BLAS.
 *
 * OpenBLAS is opened at run time rather than linked, because it picks its
 * kernels once, when it is loaded: version 0.3.21 (Debian 12) does not know
 * recent AMD cores and falls back to its AVX2 "Haswell" kernels, and some
 * environments pin OPENBLAS_CORETYPE=Haswell for every program.  On CPUs
 * with AVX-512 its "SkylakeX" kernels run our convolutions about 1.8x as
 * fast, so we load it with that core type unless ILGNET_BLAS_CORETYPE names
 * another one ("default" keeps OpenBLAS's own choice).  An OpenBLAS the
 * process already loaded is used as it is.
 *
 * OpenBLAS reads the core type only from the environment, in its load-time
 * constructor: 0.3.21 has no API to choose it (swapping its exported but
 * internal dispatch table afterwards would skip the set-up it does for the
 * kernels it picked).  So OPENBLAS_CORETYPE is set around the dlopen() and
 * restored right after, and setenv() while another thread calls getenv()
 * can crash that thread.
 * The loading is therefore done as early as possible, while the process is
 * single-threaded in practice: from this library's ELF constructor (when
 * the program or the GStreamer plugin that contains it is loaded) and, should
 * that not have run, from ilgnet_model_open(), which applications call
 * before streaming (the element does in start(), on the state-change
 * thread).  Sessions, made later and on any thread (the element makes its
 * own on its worker thread while other streaming threads run), only find
 * the library loaded. */
#include "ilgnet-session-private.h"

#include <cblas.h>
#include <dlfcn.h>
#include <string.h>

#define OPENBLAS_SONAME "libopenblas.so.0"

static __typeof__ (cblas_sgemm) * p_sgemm;
static void (*p_set_num_threads) (int);
static char *load_error;

static const char *
wanted_coretype (void)
{
  const char *want = g_getenv ("ILGNET_BLAS_CORETYPE");

  if (want)
    return *want && strcmp (want, "default") != 0 ? want : NULL;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512dq")
      && __builtin_cpu_supports ("avx512vl"))
    return "SkylakeX";
#endif
  return NULL;
}

static void
restore_env (const char *name, const char *saved)
{
  if (saved)
    g_setenv (name, saved, TRUE);
  else
    g_unsetenv (name);
}

static void
load_openblas (void)
{
  void *handle = dlopen (OPENBLAS_SONAME, RTLD_NOW | RTLD_NOLOAD);
  const char *want = handle ? NULL : wanted_coretype ();
  char *saved = g_strdup (g_getenv ("OPENBLAS_CORETYPE"));
  char *saved_threads = g_strdup (g_getenv ("OPENBLAS_NUM_THREADS"));

  /* the environment is touched only when it has to be */
  if (want && g_strcmp0 (saved, want) == 0)
    want = NULL;
  if (!handle) {
    if (want)
      g_setenv ("OPENBLAS_CORETYPE", want, TRUE);
    /* OpenBLAS starts a thread per core when it is loaded, but sessions
     * only ever call it single-threaded (our own pool splits the GEMMs), so
     * that pool would idle in every process that loads us, down to
     * gst-plugin-scanner. */
    g_setenv ("OPENBLAS_NUM_THREADS", "1", TRUE);
    handle = dlopen (OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    restore_env ("OPENBLAS_NUM_THREADS", saved_threads);
    if (want)
      restore_env ("OPENBLAS_CORETYPE", saved);
  }
  g_free (saved);
  g_free (saved_threads);
  if (!handle) {
    load_error = g_strdup_printf ("cannot load OpenBLAS: %s", dlerror ());
    return;
  }
  p_sgemm = (__typeof__ (cblas_sgemm) *) dlsym (handle, "cblas_sgemm");
  p_set_num_threads = (void (*)(int)) dlsym (handle,
      "openblas_set_num_threads");
  if (!p_sgemm || !p_set_num_threads) {
    load_error = g_strdup_printf ("%s lacks cblas_sgemm or "
        "openblas_set_num_threads", OPENBLAS_SONAME);
    p_sgemm = NULL;
  }
}

void
ilgnet_blas_preload (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    load_openblas ();
    g_once_init_leave (&once, 1);
  }
}

/* Errors are not reported here: a session reports them when it needs
 * OpenBLAS, and a process that only converts or inspects models runs on. */
static void ilgnet_blas_constructor (void) __attribute__ ((constructor));

static void
ilgnet_blas_constructor (void)
{
  ilgnet_blas_preload ();
}

gboolean
ilgnet_blas_init (GError ** error)
{
  ilgnet_blas_preload ();
  if (!p_sgemm) {
    g_set_error_literal (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        load_error);
    return FALSE;
  }
  return TRUE;
}

void
ilgnet_blas_set_threads (int n)
{
  static int current = -1;

  /* the setting is process-wide; skip no-ops */
  if (g_atomic_int_get (&current) != n) {
    p_set_num_threads (n);
    g_atomic_int_set (&current, n);
  }
}

void
ilgnet_sgemm (gboolean trans_b, int m, int n, int k, const float *a, int lda,
    const float *b, int ldb, gboolean accumulate, float *c, int ldc)
{
  p_sgemm (CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
      m, n, k, 1.0f, a, lda, b, ldb, accumulate ? 1.0f : 0.0f, c, ldc);
}
