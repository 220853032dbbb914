/* Streaming matrix-vector products for the FC heads: y[v] = W x[v] for a
 * few vectors v (the images of a batch), W in f32, f16 or i8 (per-row
 * scale).  At small batch these layers read 150 M weights per frame and are
 * memory bound, so each weight is loaded once per group of up to 4 images,
 * widened to f32 in registers and used for all of them.  (OpenBLAS handles
 * M = 1 well but packs the whole 385 MB matrix for M = 2..8.)  Blocks of
 * 8 images measured slower than two passes of 4: more input loads per FMA
 * and shorter weight streams.
 *
 * Rows are split across the pool's threads; each task walks K in chunks so
 * the input vectors stay in L2 while its weight rows stream from memory.
 * AVX-512 and AVX2+FMA+F16C versions are picked at run time
 * (__builtin_cpu_supports), the portable one keeps any x86-64 working. */
#include "ilgnet-session-private.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_DISPATCH 1
#endif

typedef struct
{
  IlgnetDtype dtype;
  const void *w;
  const float *scales;
  gsize k;
  const float *x;
  gsize x_stride;
  int n_vec;
  float *y;
  gsize y_stride;
  int rows, rows_per_task;
} GemvJob;

typedef void (*RowsFunc) (const GemvJob * j, int r0, int r1);

static inline float
weight_at (const GemvJob * j, int r, gsize k)
{
  gsize i = (gsize) r * j->k + k;
  switch (j->dtype) {
    case ILGNET_DTYPE_F16:
      return ilgnet_half_to_float (((const guint16 *) j->w)[i]);
    case ILGNET_DTYPE_I8:
      return ((const gint8 *) j->w)[i];
    default:
      return ((const float *) j->w)[i];
  }
}

/* i8 rows are summed unscaled; the per-row scale is applied once */
static void
finish_rows (const GemvJob * j, int r0, int r1)
{
  int r, v;

  if (j->dtype != ILGNET_DTYPE_I8)
    return;
  for (v = 0; v < j->n_vec; v++)
    for (r = r0; r < r1; r++)
      j->y[v * j->y_stride + r] *= j->scales[r];
}

/* ---- portable -------------------------------------------------------------- */

static void
rows_generic (const GemvJob * j, int r0, int r1)
{
  int r, v;
  gsize i;

  for (r = r0; r < r1; r++)
    for (v = 0; v < j->n_vec; v++) {
      const float *x = j->x + v * j->x_stride;
      float acc = 0;
      for (i = 0; i < j->k; i++)
        acc += weight_at (j, r, i) * x[i];
      j->y[v * j->y_stride + r] = acc;
    }
  finish_rows (j, r0, r1);
}

/* ---- x86 SIMD -------------------------------------------------------------- */

#ifdef HAVE_X86_DISPATCH

/* K is walked in chunks so the input vectors' chunks (256 KB in all) stay
 * in L2 while the weight rows stream; longer chunks keep the hardware
 * prefetcher on each weight row longer (measured: 16 K floats or more). */
#define KC_FLOATS 65536

/* The accumulators must live in registers: unroll the small loops fully
 * even at -O2. */
#define UNROLL _Pragma ("GCC unroll 16")

/* RB rows x NV (<= NB, a constant at each call) vectors over K chunk
 * [k0, k0 + kl). */
#define DEFINE_BLOCK(NAME, TARGET, VEC, WIDTH, ETYPE, LOADW, FMA, ZERO, LOADX, HSUM, RB, NB) \
__attribute__((target (TARGET), always_inline)) static inline void \
NAME (const GemvJob * j, int r, int nr, int v0, const int NV, gsize k0, \
    gsize kl) \
{ \
  VEC acc[RB][NB]; \
  const float *x[NB]; \
  const ETYPE *wp[RB]; \
  int a, b; \
  gsize k; \
  UNROLL for (a = 0; a < RB; a++) { \
    wp[a] = (const ETYPE *) j->w + (gsize) (r + MIN (a, nr - 1)) * j->k + k0; \
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
    for (b = 0; b < NV; b++) { \
      float sum = HSUM (acc[a][b]); \
      gsize kk; \
      for (kk = k; kk < kl; kk++) \
        sum += weight_at (j, r + a, k0 + kk) * x[b][kk]; \
      if (k0 == 0) \
        j->y[(v0 + b) * j->y_stride + r + a] = sum; \
      else \
        j->y[(v0 + b) * j->y_stride + r + a] += sum; \
    } \
}

#define CALL_NV4(BLOCK, nv, ...) \
  switch (nv) { \
    case 1: BLOCK (__VA_ARGS__, 1, k0, kl); break; \
    case 2: BLOCK (__VA_ARGS__, 2, k0, kl); break; \
    case 3: BLOCK (__VA_ARGS__, 3, k0, kl); break; \
    default: BLOCK (__VA_ARGS__, 4, k0, kl); break; \
  }

/* Passes of up to 4 images (RB rows x NV images blocks). */
#define DEFINE_ROWS(NAME, TARGET, BLOCK, RB) \
__attribute__((target (TARGET))) static void \
NAME (const GemvJob * j, int r0, int r1) \
{ \
  gsize k0; \
  int v0, r; \
  gsize kc = KC_FLOATS / MIN (4, j->n_vec) / 16 * 16; \
  for (k0 = 0; k0 < j->k; k0 += kc) { \
    gsize kl = MIN (kc, j->k - k0); \
    for (v0 = 0; v0 < j->n_vec; v0 += 4) { \
      int nv = MIN (4, j->n_vec - v0); \
      for (r = r0; r < r1; r += RB) { \
        int nr = MIN (RB, r1 - r); \
        CALL_NV4 (BLOCK, nv, j, r, nr, v0); \
      } \
    } \
  } \
  finish_rows (j, r0, r1); \
}

/* AVX-512F: 32 registers, 4x4 accumulators */
#define T512 "avx512f"
__attribute__((target (T512)))
static inline __m512 load_f32_512 (const float *p)
{
  return _mm512_loadu_ps (p);
}

__attribute__((target (T512)))
static inline __m512 load_f16_512 (const guint16 * p)
{
  return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
}

__attribute__((target (T512)))
static inline __m512 load_i8_512 (const gint8 * p)
{
  return _mm512_cvtepi32_ps (_mm512_cvtepi8_epi32 (_mm_loadu_si128 ((const
                  __m128i *) p)));
}

#define BLOCKS_512(T, ETYPE) \
DEFINE_BLOCK (block_##T##_512, T512, __m512, 16, ETYPE, load_##T##_512, \
    _mm512_fmadd_ps, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_reduce_add_ps, \
    4, 4) \
DEFINE_ROWS (rows_##T##_512, T512, block_##T##_512, 4)

BLOCKS_512 (f32, float)
BLOCKS_512 (f16, guint16)
BLOCKS_512 (i8, gint8)

/* AVX2 + FMA + F16C: 16 registers, 2x4 accumulators */
#define T256 "avx2,fma,f16c"
__attribute__((target (T256)))
static inline __m256 load_f32_256 (const float *p)
{
  return _mm256_loadu_ps (p);
}

__attribute__((target (T256)))
static inline __m256 load_f16_256 (const guint16 * p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

__attribute__((target (T256)))
static inline __m256 load_i8_256 (const gint8 * p)
{
  return _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (_mm_loadl_epi64 ((const
                  __m128i *) p)));
}

__attribute__((target (T256)))
static inline float hsum_256 (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v),
      _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_shuffle_ps (s, s, 1));
  return _mm_cvtss_f32 (s);
}

#define BLOCKS_256(T, ETYPE) \
DEFINE_BLOCK (block_##T##_256, T256, __m256, 8, ETYPE, load_##T##_256, \
    _mm256_fmadd_ps, _mm256_setzero_ps, _mm256_loadu_ps, hsum_256, 2, 4) \
DEFINE_ROWS (rows_##T##_256, T256, block_##T##_256, 2)

BLOCKS_256 (f32, float)
BLOCKS_256 (f16, guint16)
BLOCKS_256 (i8, gint8)

#endif /* HAVE_X86_DISPATCH */

static RowsFunc rows_impl[3] = { rows_generic, rows_generic, rows_generic };

static void
pick_impl (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    /* ILGNET_SIMD=avx2|none forces a narrower version (for tests) */
    const char *force = g_getenv ("ILGNET_SIMD");
#ifdef HAVE_X86_DISPATCH
    __builtin_cpu_init ();
    if (g_strcmp0 (force, "none") != 0 && g_strcmp0 (force, "avx2") != 0
        && __builtin_cpu_supports ("avx512f")) {
      rows_impl[ILGNET_DTYPE_F32] = rows_f32_512;
      rows_impl[ILGNET_DTYPE_F16] = rows_f16_512;
      rows_impl[ILGNET_DTYPE_I8] = rows_i8_512;
    } else if (g_strcmp0 (force, "none") != 0
        && __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
        && ilgnet_cpu_has_f16c ()) {
      rows_impl[ILGNET_DTYPE_F32] = rows_f32_256;
      rows_impl[ILGNET_DTYPE_F16] = rows_f16_256;
      rows_impl[ILGNET_DTYPE_I8] = rows_i8_256;
    }
#endif
    g_once_init_leave (&once, 1);
  }
}

static void
gemv_task (int task, gpointer data)
{
  const GemvJob *j = data;
  int r0 = task * j->rows_per_task;
  int r1 = MIN (r0 + j->rows_per_task, j->rows);

  if (r0 < r1)
    rows_impl[j->dtype] (j, r0, r1);
}

void
ilgnet_gemv_stream (IlgnetSession * s, IlgnetDtype dtype, const void *w,
    const float *scales, int rows, gsize k, const float *x, gsize x_stride,
    int n_vec, float *y, gsize y_stride)
{
  GemvJob j = { dtype, w, scales, k, x, x_stride, n_vec, y, y_stride, rows,
    0
  };
  int tasks, nt = ilgnet_pool_get_n_threads (s->pool);

  pick_impl ();
  /* a few tasks a thread so one slow thread does not hold up the rest;
   * whole register blocks of 4 rows */
  tasks = MAX (1, MIN ((rows + 3) / 4, 4 * nt));
  j.rows_per_task = ((rows + tasks - 1) / tasks + 3) / 4 * 4;
  tasks = (rows + j.rows_per_task - 1) / j.rows_per_task;
  ilgnet_pool_run (s->pool, tasks, gemv_task, &j);
}
