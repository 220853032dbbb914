/* The only file that calls BLAS (OpenBLAS, pthread build). */
#include "ilgnet-session-private.h"

#include <cblas.h>

/* OpenBLAS exports this; not every cblas.h declares it. */
extern void openblas_set_num_threads (int num_threads);

void
ilgnet_blas_set_threads (int n)
{
  static int current = -1;

  /* the setting is process-wide and cheap to repeat, but skip no-ops */
  if (g_atomic_int_get (&current) != n) {
    openblas_set_num_threads (n);
    g_atomic_int_set (&current, n);
  }
}

void
ilgnet_sgemm (gboolean trans_b, int m, int n, int k, const float *a, int lda,
    const float *b, int ldb, gboolean accumulate, float *c, int ldc)
{
  cblas_sgemm (CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans :
      CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, accumulate ? 1.0f : 0.0f,
      c, ldc);
}
