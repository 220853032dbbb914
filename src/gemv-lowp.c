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


/* ---- x86 SIMD -------------------------------------------------------------- */

#ifdef HAVE_X86_DISPATCH

/* K is walked in chunks so the NB input vectors stay in L1/L2 while the
 * rows of a task stream their weights from memory. */
#define KC 65536
#define RB 4                    /* rows per register block */

static inline float
weight_at (const GemvJob * j, int r, gsize k)
{
  if (j->w->dtype == ILGNET_DTYPE_F16)
    return ilgnet_half_to_float (((const guint16 *) j->w->data)[(gsize) r *
            j->k + k]);
  return ((const gint8 *) j->w->data)[(gsize) r * j->k + k];
}

/* the accumulators must live in registers: unroll the small loops fully
 * even at -O2 */
#define UNROLL _Pragma ("GCC unroll 16")

#define DEFINE_BLOCK(NAME, TARGET, VEC, WIDTH, ETYPE, LOADW, FMA, ZERO, LOADX, HSUM) \
__attribute__((target (TARGET), always_inline)) static inline void \
NAME (const GemvJob * j, int r, int nr, int v0, const int NV, gsize k0, \
    gsize kl, gboolean first) \
{ \
  VEC acc[RB][NB]; \
  const float *x[NB]; \
  const ETYPE *wp[RB]; \
  int a, b; \
  gsize k; \
  for (a = 0; a < RB; a++) { \
    wp[a] = (const ETYPE *) j->w->data + (gsize) (r + MIN (a, nr - 1)) * \
        j->k + k0; \
    UNROLL for (b = 0; b < NV; b++) \
      acc[a][b] = ZERO (); \
  } \
  UNROLL for (b = 0; b < NV; b++) \
    x[b] = j->x + (v0 + b) * j->x_stride + k0; \
  for (k = 0; k + WIDTH <= kl; k += WIDTH) { \
    VEC w[RB]; \
    UNROLL for (a = 0; a < RB; a++) \
      w[a] = LOADW (wp[a] + k); \
    UNROLL for (b = 0; b < NV; b++) { \
      VEC xv = LOADX (x[b] + k); \
      UNROLL for (a = 0; a < RB; a++) \
        acc[a][b] = FMA (w[a], xv, acc[a][b]); \
    } \
  } \
  for (a = 0; a < nr; a++) \
    UNROLL for (b = 0; b < NV; b++) { \
      float sum = HSUM (acc[a][b]); \
      gsize kk; \
      for (kk = k; kk < kl; kk++) \
        sum += weight_at (j, r + a, k0 + kk) * x[b][kk]; \
      if (first) \
        j->y[(v0 + b) * j->y_stride + r + a] = sum; \
      else \
        j->y[(v0 + b) * j->y_stride + r + a] += sum; \
    } \
}

/* AVX-512 */
__attribute__((target ("avx512f")))
static inline __m512 load_i8_512 (const gint8 * p)
{
  return _mm512_cvtepi32_ps (_mm512_cvtepi8_epi32 (_mm_loadu_si128 ((const
                  __m128i *) p)));
}

__attribute__((target ("avx512f")))
static inline __m512 load_f16_512 (const guint16 * p)
{
  return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
}

DEFINE_BLOCK (block_i8_512, "avx512f", __m512, 16, gint8, load_i8_512,
    _mm512_fmadd_ps, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_reduce_add_ps)
DEFINE_BLOCK (block_f16_512, "avx512f", __m512, 16, guint16, load_f16_512,
    _mm512_fmadd_ps, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_reduce_add_ps)

/* AVX2 + FMA + F16C */
__attribute__((target ("avx2,fma,f16c")))
static inline __m256 load_i8_256 (const gint8 * p)
{
  return _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (_mm_loadl_epi64 ((const
                  __m128i *) p)));
}

__attribute__((target ("avx2,fma,f16c")))
static inline __m256 load_f16_256 (const guint16 * p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

__attribute__((target ("avx2,fma,f16c")))
static inline float hsum_256 (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v),
      _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_shuffle_ps (s, s, 1));
  return _mm_cvtss_f32 (s);
}

DEFINE_BLOCK (block_i8_256, "avx2,fma,f16c", __m256, 8, gint8, load_i8_256,
    _mm256_fmadd_ps, _mm256_setzero_ps, _mm256_loadu_ps, hsum_256)
DEFINE_BLOCK (block_f16_256, "avx2,fma,f16c", __m256, 8, guint16, load_f16_256,
    _mm256_fmadd_ps, _mm256_setzero_ps, _mm256_loadu_ps, hsum_256)

/* One driver per block kind; NV is a constant in each instantiation so the
 * compiler keeps only the accumulators it needs. */
#define DEFINE_ROWS(NAME, TARGET, BLOCK) \
__attribute__((target (TARGET))) static void \
NAME (const GemvJob * j, int r0, int r1) \
{ \
  gsize k0; \
  int v0, r; \
  for (k0 = 0; k0 < j->k; k0 += KC) { \
    gsize kl = MIN ((gsize) KC, j->k - k0); \
    for (v0 = 0; v0 < j->n_vec; v0 += NB) { \
      int nv = MIN (NB, j->n_vec - v0); \
      for (r = r0; r < r1; r += RB) { \
        int nr = MIN (RB, r1 - r); \
        switch (nv) { \
          case 1: BLOCK (j, r, nr, v0, 1, k0, kl, k0 == 0); break; \
          case 2: BLOCK (j, r, nr, v0, 2, k0, kl, k0 == 0); break; \
          case 3: BLOCK (j, r, nr, v0, 3, k0, kl, k0 == 0); break; \
          default: BLOCK (j, r, nr, v0, 4, k0, kl, k0 == 0); break; \
        } \
      } \
    } \
  } \
  finish_rows (j, r0, r1); \
}

/* i8 rows were summed unscaled; apply the per-row scale once */
static void
finish_rows (const GemvJob * j, int r0, int r1)
{
  const float *scales;
  int r, v;

  if (j->w->dtype != ILGNET_DTYPE_I8)
    return;
  scales = j->w->scales->data;
  for (v = 0; v < j->n_vec; v++)
    for (r = r0; r < r1; r++)
      j->y[v * j->y_stride + r] *= scales[r];
}

DEFINE_ROWS (rows_i8_512, "avx512f", block_i8_512)
DEFINE_ROWS (rows_f16_512, "avx512f", block_f16_512)
DEFINE_ROWS (rows_i8_256, "avx2,fma,f16c", block_i8_256)
DEFINE_ROWS (rows_f16_256, "avx2,fma,f16c", block_f16_256)

#endif /* HAVE_X86_DISPATCH */

static RowsFunc rows_i8 = rows_generic, rows_f16 = rows_generic;

static void
gemv_task (int task, gpointer data)
{
  const GemvJob *j = data;
  int r0 = task * j->rows_per_task;
  int r1 = MIN (r0 + j->rows_per_task, j->rows);

  if (r0 < r1)
    (j->w->dtype == ILGNET_DTYPE_I8 ? rows_i8 : rows_f16) (j, r0, r1);
}

static void
pick_impl (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    const char *force = g_getenv ("ILGNET_SIMD");     /* for tests */
#ifdef HAVE_X86_DISPATCH
    __builtin_cpu_init ();
    if (g_strcmp0 (force, "none") != 0 && g_strcmp0 (force, "avx2") != 0
        && __builtin_cpu_supports ("avx512f")) {
      rows_i8 = rows_i8_512;
      rows_f16 = rows_f16_512;
    } else if (g_strcmp0 (force, "none") != 0
        && __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
        && __builtin_cpu_supports ("f16c")) {
      rows_i8 = rows_i8_256;
      rows_f16 = rows_f16_256;
    }
#endif
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
