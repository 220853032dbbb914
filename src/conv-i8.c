/* Convolutions computed in int8, for models whose convolution weights are
 * stored as i8 (one scale per output channel).
 *
 * Each image's input is quantised on the fly to u8 with one scale and zero
 * point for the whole tensor, from its minimum and maximum (after a ReLU
 * the minimum is 0, so the zero point is 0 and all 255 levels cover
 * [0, max]); no calibration and no model-format change.  The quantised
 * input, padded with its zero point, is gathered (im2col) straight into
 * panels of 32 output columns in the layout of vpdpbusd: the 4 consecutive
 * K values of a column in one 32-bit lane.  The weights are packed once,
 * at session creation, into blocks of 8 output channels with the same
 * 4-value groups, so the micro-kernel broadcasts one channel's 4 weights
 * and multiplies them with 16 columns at once.  Accumulation is exact in
 * int32; the epilogue subtracts the zero point's share (z * sum of the
 * channel's weights), scales by input scale x channel scale, adds the bias
 * and applies the ReLU, writing f32 (the rest of the graph stays f32).
 *
 * Instruction sets, best first (ILGNET_SIMD caps the choice, for tests):
 *   vnni512   AVX-512 VNNI vpdpbusd on zmm
 *   avx512    AVX-512BW vpmaddubsw + vpmaddwd
 *   avxvnni   AVX-VNNI vpdpbusd on ymm
 *   avx2      AVX2 vpmaddubsw + vpmaddwd
 *   scalar    portable C, only with ILGNET_SIMD=none (for tests: slower
 *             than OpenBLAS's fp32 convolutions, which run instead on CPUs
 *             without AVX2)
 * vpmaddubsw adds two u8 x s8 products into a saturating i16, so the
 * avx512 and avx2 paths quantise the input to 7 bits (0..127), which keeps
 * 2 x 127 x 128 below 32767; the others use 8 bits.  Paths with the same
 * number of bits sum the same integers (the quantised inputs may differ in
 * rare rounding ties). */
#include "ilgnet-layer.h"
#include "conv-i8.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_X86_DISPATCH 1
#endif

#define MR 8                    /* output channels per weight block */
#define NR 32                   /* output columns per panel */

struct _IlgnetConvI8
{
  int group, og, mpad, k, k4;
  const float *wscale;          /* [group * og], the model's */
  gint32 *wsum;                 /* [group * og] */
  gint8 *w;                     /* [group][mpad / MR][k4][MR][4] */
};

/* ---- weights ---------------------------------------------------------------- */

IlgnetConvI8 *
ilgnet_conv_i8_prepare (const IlgnetLayer * l, int group)
{
  const IlgnetTensor *t = l->weight;
  const gint8 *src = t->data;
  IlgnetConvI8 *c;
  int o, g, mb, q, r, i;

  if (t->dtype != ILGNET_DTYPE_I8 || !t->scales)
    return NULL;
  c = g_new0 (IlgnetConvI8, 1);
  c->group = group;
  c->og = t->shape[0] / group;
  c->mpad = (c->og + MR - 1) / MR * MR;
  c->k = t->n_elements / t->shape[0];
  c->k4 = (c->k + 3) / 4;
  c->wscale = t->scales->data;
  c->wsum = g_new0 (gint32, t->shape[0]);
  c->w = g_try_malloc0 ((gsize) group * c->mpad * c->k4 * 4);
  if (!c->w) {
    ilgnet_conv_i8_free (c);
    return NULL;
  }
  for (o = 0; o < t->shape[0]; o++)
    for (i = 0; i < c->k; i++)
      c->wsum[o] += src[(gsize) o * c->k + i];
  for (g = 0; g < group; g++)
    for (mb = 0; mb < c->mpad / MR; mb++)
      for (q = 0; q < c->k4; q++)
        for (r = 0; r < MR; r++)
          for (i = 0; i < 4; i++) {
            int row = mb * MR + r, kk = q * 4 + i;
            gint8 *d = c->w + ((((gsize) g * (c->mpad / MR) + mb) * c->k4
                    + q) * MR + r) * 4 + i;
            if (row < c->og && kk < c->k)
              *d = src[((gsize) g * c->og + row) * c->k + kk];
          }
  return c;
}

void
ilgnet_conv_i8_free (IlgnetConvI8 * c)
{
  if (!c)
    return;
  g_free (c->wsum);
  g_free (c->w);
  g_free (c);
}

/* ---- micro-kernels: out[MR][NR] = W block (k4 x MR x 4) . panel (k4 x NR x 4) */

typedef void (*KernFunc) (const guint8 * a, const gint8 * w, int k4,
    gint32 * out);

static void
kern_scalar (const guint8 * a, const gint8 * w, int k4, gint32 * out)
{
  int q, r, j, i;

  memset (out, 0, MR * NR * sizeof (gint32));
  for (q = 0; q < k4; q++)
    for (r = 0; r < MR; r++)
      for (j = 0; j < NR; j++) {
        gint32 s = 0;
        for (i = 0; i < 4; i++)
          s += a[(q * NR + j) * 4 + i] * w[(q * MR + r) * 4 + i];
        out[r * NR + j] += s;
      }
}

#ifdef HAVE_X86_DISPATCH

#define UNROLL _Pragma ("GCC unroll 16")

/* RH rows x NV vectors of LANES columns per pass over K; MR / RH x
 * NR / (NV * LANES) passes (16 ymm registers hold 4 x 2 accumulators) */
#define DEFINE_KERN(NAME, TARGET, VEC, LANES, NV, RH, LOAD, BCAST, DOT, ZERO, STORE) \
__attribute__((target (TARGET))) static void \
NAME (const guint8 * a, const gint8 * w, int k4, gint32 * out) \
{ \
  int c0, r0, r, v, q; \
  for (c0 = 0; c0 < NR; c0 += LANES * NV) \
    for (r0 = 0; r0 < MR; r0 += RH) { \
      VEC acc[RH][NV]; \
      UNROLL for (r = 0; r < RH; r++) \
        UNROLL for (v = 0; v < NV; v++) \
          acc[r][v] = ZERO (); \
      for (q = 0; q < k4; q++) { \
        const guint8 *aq = a + ((gsize) q * NR + c0) * 4; \
        const gint8 *wq = w + ((gsize) q * MR + r0) * 4; \
        VEC x[NV]; \
        UNROLL for (v = 0; v < NV; v++) \
          x[v] = LOAD ((const void *) (aq + v * LANES * 4)); \
        UNROLL for (r = 0; r < RH; r++) { \
          gint32 wv; \
          VEC b; \
          memcpy (&wv, wq + r * 4, 4); \
          b = BCAST (wv); \
          UNROLL for (v = 0; v < NV; v++) \
            acc[r][v] = DOT (acc[r][v], x[v], b); \
        } \
      } \
      UNROLL for (r = 0; r < RH; r++) \
        UNROLL for (v = 0; v < NV; v++) \
          STORE ((void *) (out + (r0 + r) * NR + c0 + v * LANES), \
              acc[r][v]); \
    } \
}

#define T_VNNI512 "avx512f,avx512bw,avx512vnni"
#define T_AVX512 "avx512f,avx512bw"
#define T_AVXVNNI "avx2,avxvnni"
#define T_AVX2 "avx2"

__attribute__((target (T_AVX512)))
static inline __m512i dot_maddubs_512 (__m512i acc, __m512i x, __m512i b)
{
  return _mm512_add_epi32 (acc, _mm512_madd_epi16 (_mm512_maddubs_epi16 (x,
              b), _mm512_set1_epi16 (1)));
}

__attribute__((target (T_AVX2)))
static inline __m256i dot_maddubs_256 (__m256i acc, __m256i x, __m256i b)
{
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (x,
              b), _mm256_set1_epi16 (1)));
}

DEFINE_KERN (kern_vnni512, T_VNNI512, __m512i, 16, 2, 8, _mm512_loadu_si512,
    _mm512_set1_epi32, _mm512_dpbusd_epi32, _mm512_setzero_si512,
    _mm512_storeu_si512)
DEFINE_KERN (kern_avx512, T_AVX512, __m512i, 16, 2, 8, _mm512_loadu_si512,
    _mm512_set1_epi32, dot_maddubs_512, _mm512_setzero_si512,
    _mm512_storeu_si512)
#define LOAD256(p) _mm256_loadu_si256 ((const __m256i *) (p))
#define STORE256(p, v) _mm256_storeu_si256 ((__m256i *) (p), v)
DEFINE_KERN (kern_avxvnni, T_AVXVNNI, __m256i, 8, 2, 4, LOAD256,
    _mm256_set1_epi32, _mm256_dpbusd_avx_epi32, _mm256_setzero_si256,
    STORE256)
DEFINE_KERN (kern_avx2, T_AVX2, __m256i, 8, 2, 4, LOAD256, _mm256_set1_epi32,
    dot_maddubs_256, _mm256_setzero_si256, STORE256)

#endif /* HAVE_X86_DISPATCH */


/* ---- quantising and packing helpers -------------------------------------------- */

typedef void (*RangeFunc) (const float *x, gsize n, float *lo, float *hi);
typedef void (*QuantFunc) (guint8 * d, const float *x, int n, float inv,
    float zero, float qmax);
typedef void (*InterleaveFunc) (guint32 * d, const guint8 * a,
    const guint8 * b, const guint8 * c, const guint8 * e, int n);

static void
range_scalar (const float *x, gsize n, float *lo_out, float *hi_out)
{
  float lo = 0, hi = 0;
  gsize i;

  for (i = 0; i < n; i++) {
    lo = MIN (lo, x[i]);
    hi = MAX (hi, x[i]);
  }
  *lo_out = lo;
  *hi_out = hi;
}

static void
quant_scalar (guint8 * d, const float *x, int n, float inv, float zero,
    float qmax)
{
  int i;

  for (i = 0; i < n; i++) {
    float v = x[i] * inv + zero;
    v = MIN (MAX (v, 0.0f), qmax);
    d[i] = (guint8) (int) (v + 0.5f);
  }
}

static void
interleave_scalar (guint32 * d, const guint8 * a, const guint8 * b,
    const guint8 * c, const guint8 * e, int n)
{
  int i;

  for (i = 0; i < n; i++)
    d[i] = a[i] | (guint32) b[i] << 8 | (guint32) c[i] << 16
        | (guint32) e[i] << 24;
}

/* 1x1 convolutions: 4 input rows quantised and interleaved in one go */
typedef void (*QuantInterleaveFunc) (guint32 * d, const float *const *r,
    int n, float inv, float zero, float qmax);

static inline guint32
quant1 (float x, float inv, float zero, float qmax)
{
  float v = x * inv + zero;
  v = MIN (MAX (v, 0.0f), qmax);
  return (guint32) (int) (v + 0.5f);
}

static void
quant_interleave_scalar (guint32 * d, const float *const *r, int n, float inv,
    float zero, float qmax)
{
  int i;

  for (i = 0; i < n; i++)
    d[i] = quant1 (r[0][i], inv, zero, qmax)
        | quant1 (r[1][i], inv, zero, qmax) << 8
        | quant1 (r[2][i], inv, zero, qmax) << 16
        | quant1 (r[3][i], inv, zero, qmax) << 24;
}

#ifdef HAVE_X86_DISPATCH

__attribute__((target ("avx512f")))
static void
range_512 (const float *x, gsize n, float *lo_out, float *hi_out)
{
  __m512 lo = _mm512_setzero_ps (), hi = _mm512_setzero_ps ();
  gsize i;

  for (i = 0; i + 16 <= n; i += 16) {
    __m512 v = _mm512_loadu_ps (x + i);
    lo = _mm512_min_ps (lo, v);
    hi = _mm512_max_ps (hi, v);
  }
  range_scalar (x + i, n - i, lo_out, hi_out);
  *lo_out = MIN (*lo_out, _mm512_reduce_min_ps (lo));
  *hi_out = MAX (*hi_out, _mm512_reduce_max_ps (hi));
}

__attribute__((target ("avx512f")))
static void
quant_512 (guint8 * d, const float *x, int n, float inv, float zero,
    float qmax)
{
  __m512 vi = _mm512_set1_ps (inv), vz = _mm512_set1_ps (zero + 0.5f);
  __m512 vq = _mm512_set1_ps (qmax + 0.5f), v0 = _mm512_setzero_ps ();
  int i;

  for (i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16) ((1u << (n - i)) - 1);
    __m512 v = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, x + i), vi, vz);
    v = _mm512_min_ps (_mm512_max_ps (v, v0), vq);
    _mm512_mask_cvtepi32_storeu_epi8 (d + i, m, _mm512_cvttps_epi32 (v));
  }
}

/* a run's last columns with masked loads and stores */
__attribute__((target ("avx512f,avx512bw,avx512vl")))
static void
interleave_512 (guint32 * d, const guint8 * a, const guint8 * b,
    const guint8 * c, const guint8 * e, int n)
{
  int i;

  for (i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16) ((1u << (n - i)) - 1);
#define LOAD16(p) _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (m, (p) + i))
    __m512i v = LOAD16 (a);
    v = _mm512_or_si512 (v, _mm512_slli_epi32 (LOAD16 (b), 8));
    v = _mm512_or_si512 (v, _mm512_slli_epi32 (LOAD16 (c), 16));
    v = _mm512_or_si512 (v, _mm512_slli_epi32 (LOAD16 (e), 24));
#undef LOAD16
    _mm512_mask_storeu_epi32 (d + i, m, v);
  }
}

__attribute__((target ("avx2")))
static void
range_256 (const float *x, gsize n, float *lo_out, float *hi_out)
{
  __m256 lo = _mm256_setzero_ps (), hi = _mm256_setzero_ps ();
  float l[8], h[8];
  gsize i;
  int k;

  for (i = 0; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps (x + i);
    lo = _mm256_min_ps (lo, v);
    hi = _mm256_max_ps (hi, v);
  }
  range_scalar (x + i, n - i, lo_out, hi_out);
  _mm256_storeu_ps (l, lo);
  _mm256_storeu_ps (h, hi);
  for (k = 0; k < 8; k++) {
    *lo_out = MIN (*lo_out, l[k]);
    *hi_out = MAX (*hi_out, h[k]);
  }
}

__attribute__((target ("avx2,fma")))
static void
quant_256 (guint8 * d, const float *x, int n, float inv, float zero,
    float qmax)
{
  __m256 vi = _mm256_set1_ps (inv), vz = _mm256_set1_ps (zero + 0.5f);
  __m256 vq = _mm256_set1_ps (qmax + 0.5f), v0 = _mm256_setzero_ps ();
  int i;

  for (i = 0; i + 8 <= n; i += 8) {
    __m256 v = _mm256_add_ps (_mm256_mul_ps (_mm256_loadu_ps (x + i), vi),
        vz);
    __m256i q;
    __m128i p;
    v = _mm256_min_ps (_mm256_max_ps (v, v0), vq);
    q = _mm256_cvttps_epi32 (v);
    p = _mm_packus_epi32 (_mm256_castsi256_si128 (q),
        _mm256_extracti128_si256 (q, 1));
    p = _mm_packus_epi16 (p, p);
    _mm_storel_epi64 ((__m128i *) (d + i), p);
  }
  quant_scalar (d + i, x + i, n - i, inv, zero, qmax);
}

__attribute__((target ("avx2")))
static void
interleave_256 (guint32 * d, const guint8 * a, const guint8 * b,
    const guint8 * c, const guint8 * e, int n)
{
  int i;

  for (i = 0; i + 8 <= n; i += 8) {
#define LOAD8(p) _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) (p)))
    __m256i v = LOAD8 (a + i);
    v = _mm256_or_si256 (v, _mm256_slli_epi32 (LOAD8 (b + i), 8));
    v = _mm256_or_si256 (v, _mm256_slli_epi32 (LOAD8 (c + i), 16));
    v = _mm256_or_si256 (v, _mm256_slli_epi32 (LOAD8 (e + i), 24));
#undef LOAD8
    _mm256_storeu_si256 ((__m256i *) (d + i), v);
  }
  interleave_scalar (d + i, a + i, b + i, c + i, e + i, n - i);
}

__attribute__((target ("avx512f")))
static void
quant_interleave_512 (guint32 * d, const float *const *r, int n, float inv,
    float zero, float qmax)
{
  __m512 vi = _mm512_set1_ps (inv), vz = _mm512_set1_ps (zero + 0.5f);
  __m512 vq = _mm512_set1_ps (qmax + 0.5f), v0 = _mm512_setzero_ps ();
  int i, k;

  for (i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16) ((1u << (n - i)) - 1);
    __m512i acc = _mm512_setzero_si512 ();
    for (k = 0; k < 4; k++) {
      __m512 v = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, r[k] + i), vi,
          vz);
      v = _mm512_min_ps (_mm512_max_ps (v, v0), vq);
      acc = _mm512_or_si512 (acc, _mm512_slli_epi32 (_mm512_cvttps_epi32 (v),
              8 * k));
    }
    _mm512_mask_storeu_epi32 (d + i, m, acc);
  }
}

__attribute__((target ("avx2")))
static void
quant_interleave_256 (guint32 * d, const float *const *r, int n, float inv,
    float zero, float qmax)
{
  __m256 vi = _mm256_set1_ps (inv), vz = _mm256_set1_ps (zero + 0.5f);
  __m256 vq = _mm256_set1_ps (qmax + 0.5f), v0 = _mm256_setzero_ps ();
  int i, k;

  for (i = 0; i + 8 <= n; i += 8) {
    __m256i acc = _mm256_setzero_si256 ();
    for (k = 0; k < 4; k++) {
      __m256 v = _mm256_add_ps (_mm256_mul_ps (_mm256_loadu_ps (r[k] + i),
              vi), vz);
      v = _mm256_min_ps (_mm256_max_ps (v, v0), vq);
      acc = _mm256_or_si256 (acc, _mm256_slli_epi32 (_mm256_cvttps_epi32 (v),
              8 * k));
    }
    _mm256_storeu_si256 ((__m256i *) (d + i), acc);
  }
  for (; i < n; i++)
    d[i] = quant1 (r[0][i], inv, zero, qmax)
        | quant1 (r[1][i], inv, zero, qmax) << 8
        | quant1 (r[2][i], inv, zero, qmax) << 16
        | quant1 (r[3][i], inv, zero, qmax) << 24;
}

#endif /* HAVE_X86_DISPATCH */

typedef struct
{
  const char *name;
  KernFunc kern;
  int qmax;                     /* largest quantised input */
  RangeFunc range;
  QuantFunc quant;
  InterleaveFunc interleave;
  QuantInterleaveFunc quant_interleave;
} Level;

static const Level levels[] = {
  [ILGNET_CONV_I8_SCALAR] = {"scalar", kern_scalar, 255, range_scalar,
      quant_scalar, interleave_scalar, quant_interleave_scalar},
#ifdef HAVE_X86_DISPATCH
  [ILGNET_CONV_I8_AVX2] = {"avx2", kern_avx2, 127, range_256, quant_256,
      interleave_256, quant_interleave_256},
  [ILGNET_CONV_I8_AVXVNNI] = {"avxvnni", kern_avxvnni, 255, range_256,
      quant_256, interleave_256, quant_interleave_256},
  [ILGNET_CONV_I8_AVX512] = {"avx512", kern_avx512, 127, range_512,
      quant_512, interleave_512, quant_interleave_512},
  [ILGNET_CONV_I8_VNNI512] = {"vnni512", kern_vnni512, 255, range_512,
      quant_512, interleave_512, quant_interleave_512},
#endif
};

#ifdef HAVE_X86_DISPATCH
/* CPUID leaf 7 subleaf 1, EAX bit 4 (older compilers'
 * __builtin_cpu_supports do not know "avxvnni"); the caller has checked
 * AVX2, and with it the OS's YMM state */
static gboolean
cpu_has_avxvnni (void)
{
  unsigned a, b, c, d;

  return __get_cpuid_count (7, 1, &a, &b, &c, &d) && (a & (1u << 4));
}
#endif

/* The best level this CPU has, capped by $ILGNET_SIMD (none, avx2,
 * avxvnni, avx512; anything else: no cap); scalar only when asked for. */
IlgnetConvI8Level
ilgnet_conv_i8_level (void)
{
  static gsize once = 0;
  static IlgnetConvI8Level level = ILGNET_CONV_I8_NONE;

  if (g_once_init_enter (&once)) {
    const char *force = g_getenv ("ILGNET_SIMD");
#ifdef HAVE_X86_DISPATCH
    IlgnetConvI8Level cap = ILGNET_CONV_I8_VNNI512;
    gboolean avx2, avx512, has[ILGNET_CONV_I8_VNNI512 + 1] = { TRUE };

    if (g_strcmp0 (force, "none") == 0)
      cap = ILGNET_CONV_I8_SCALAR;
    else if (g_strcmp0 (force, "avx2") == 0)
      cap = ILGNET_CONV_I8_AVX2;
    else if (g_strcmp0 (force, "avxvnni") == 0)
      cap = ILGNET_CONV_I8_AVXVNNI;
    else if (g_strcmp0 (force, "avx512") == 0)
      cap = ILGNET_CONV_I8_AVX512;
    __builtin_cpu_init ();
    avx2 = __builtin_cpu_supports ("avx2");
    avx512 = __builtin_cpu_supports ("avx512f")
        && __builtin_cpu_supports ("avx512bw")
        && __builtin_cpu_supports ("avx512vl");
    has[ILGNET_CONV_I8_AVX2] = avx2;
    has[ILGNET_CONV_I8_AVXVNNI] = avx2 && cpu_has_avxvnni ();
    has[ILGNET_CONV_I8_AVX512] = avx512;
    has[ILGNET_CONV_I8_VNNI512] = avx512
        && __builtin_cpu_supports ("avx512vnni");
    for (level = cap; level > ILGNET_CONV_I8_SCALAR && !has[level]; level--);
#endif
    if (level == ILGNET_CONV_I8_SCALAR || level == ILGNET_CONV_I8_NONE)
      level = g_strcmp0 (force, "none") == 0 ? ILGNET_CONV_I8_SCALAR
          : ILGNET_CONV_I8_NONE;
    g_once_init_leave (&once, 1);
  }
  return level;
}

/* ---- the forward pass --------------------------------------------------------- */

typedef struct
{
  const IlgnetConvI8 *c;
  const IlgnetNode *node;
  const IlgnetWindow *p;
  const Level *lv;
  const float *src;
  int ch, h, w, oh, ow;
  int ph_, pw_;                 /* padded input size */
  int pwp;                      /* columns of a phase plane */
  gsize ohw;
  int n_panels;
  guint8 *planes;               /* [ch][sw][ph_][pwp] */
  guint8 *packed;               /* [group][n_panels][k4][NR][4] */
  float *dst;
  gboolean pointwise;            /* packed straight from the input */
  /* quantisation */
  float inv_scale, scale;
  int zero;
  /* GEMM split */
  int mb, mparts, mb_per_part;
} I8Job;

/* Channel @task into its padded planes: one per column phase x % sw, so
 * that a strided convolution's samples are contiguous too (plane phase
 * holds padded columns phase, phase + sw, ...). */
static void
quantize_task (int task, gpointer data)
{
  const I8Job *j = data;
  const IlgnetWindow *p = j->p;
  int sw = p->sw, y, x;
  gsize plane_size = (gsize) j->ph_ * j->pwp;
  guint8 *planes = j->planes + (gsize) task * sw * plane_size;
  const float *src = j->src + (gsize) task * j->h * j->w;
  guint8 *tmp = sw > 1 ? g_malloc (j->pw_) : NULL;

  for (y = 0; y < j->ph_; y++) {
    guint8 *row = sw > 1 ? tmp : planes + (gsize) y * j->pwp;
    int iy = y - p->ph;
    if (iy < 0 || iy >= j->h) {
      memset (row, j->zero, j->pw_);
    } else {
      memset (row, j->zero, p->pw);
      memset (row + p->pw + j->w, j->zero, j->pw_ - p->pw - j->w);
      j->lv->quant (row + p->pw, src + (gsize) iy * j->w, j->w,
          j->inv_scale, j->zero, j->lv->qmax);
    }
    if (sw > 1) {
      int ph;
      for (ph = 0; ph < sw; ph++) {
        guint8 *d = planes + ph * plane_size + (gsize) y * j->pwp;
        int c = 0;
        for (x = ph; x < j->pw_; x += sw)
          d[c++] = tmp[x];
        for (; c < j->pwp; c++)
          d[c] = j->zero;
      }
    }
  }
  g_free (tmp);
}

/* K group @task (over all groups: group * k4 tasks) of the packed panels */
static void
pack_task (int task, gpointer data)
{
  const I8Job *j = data;
  const IlgnetConvI8 *c = j->c;
  const IlgnetWindow *p = j->p;
  int g = task / c->k4, q = task % c->k4, khw = p->kh * p->kw;
  int cg = j->ch / c->group, i, oy, ox, pan;
  const guint8 *base[4];
  guint8 *pk = j->packed + (gsize) g * j->n_panels * c->k4 * NR * 4;
  int sw = p->sw;

  if (j->pointwise) {
    /* straight from the f32 input: channel kk is row kk */
    static const float zeros[NR];
    for (pan = 0; pan < j->n_panels; pan++) {
      const float *r[4];
      int n = MIN (NR, j->ohw - (gsize) pan * NR);
      guint32 *d = (guint32 *) (pk + ((gsize) pan * c->k4 + q) * NR * 4);
      for (i = 0; i < 4; i++) {
        int kk = q * 4 + i;
        r[i] = kk < c->k ? j->src + (gsize) (g * cg + kk) * j->ohw
            + (gsize) pan * NR : zeros;
      }
      j->lv->quant_interleave (d, r, n, j->inv_scale, j->zero, j->lv->qmax);
      for (i = n; i < NR; i++)
        d[i] = 0;
    }
    return;
  }
  for (i = 0; i < 4; i++) {
    int kk = q * 4 + i;
    if (kk < c->k) {
      int ci = g * cg + kk / khw, ki = kk % khw / p->kw, kj = kk % p->kw;
      int xo = kj * p->dw;
      base[i] = j->planes + ((gsize) ci * sw + xo % sw) * j->ph_ * j->pwp
          + (gsize) ki * p->dh * j->pwp + xo / sw;
    } else {
      base[i] = NULL;           /* weights are 0 there: any value */
    }
  }
  pan = 0;
  ox = 0;
  oy = 0;
  /* runs of columns within one output row and one panel */
  while (oy < j->oh) {
    gsize col = (gsize) oy * j->ow + ox;
    int jj = col % NR, n = MIN (j->ow - ox, NR - jj);
    guint32 *d;
    const guint8 *r[4];

    pan = col / NR;
    d = (guint32 *) (pk + ((gsize) pan * c->k4 + q) * NR * 4) + jj;
    for (i = 0; i < 4; i++)
      r[i] = base[i] ? base[i] + (gsize) oy * p->sh * j->pwp + ox : NULL;
    if (!r[1] || !r[2] || !r[3]) {
      /* the last group's padding */
      int t;
      for (t = 0; t < n; t++) {
        guint32 v = 0;
        for (i = 0; i < 4; i++)
          if (r[i])
            v |= (guint32) r[i][t] << (8 * i);
        d[t] = v;
      }
    } else {
      j->lv->interleave (d, r[0], r[1], r[2], r[3], n);
    }
    ox += n;
    if (ox == j->ow) {
      ox = 0;
      oy++;
    }
  }
  /* the last panel's columns past the output */
  if (j->ohw % NR) {
    guint32 *d = (guint32 *) (pk + ((gsize) (j->n_panels - 1) * c->k4 + q)
        * NR * 4);
    for (i = j->ohw % NR; i < NR; i++)
      d[i] = 0;
  }
}

ILGNET_SIMD_CLONES static void
epilogue_row (float *restrict d, const gint32 * restrict acc, int n,
    gint32 zsum, float mult, float bias, gboolean relu, float slope)
{
  int i;

  if (relu && slope == 0.0f) {
    for (i = 0; i < n; i++)
      d[i] = MAX ((float) (acc[i] - zsum) * mult + bias, 0.0f);
  } else if (relu) {
    for (i = 0; i < n; i++) {
      float v = (float) (acc[i] - zsum) * mult + bias;
      d[i] = v > 0 ? v : v * slope;
    }
  } else {
    for (i = 0; i < n; i++)
      d[i] = (float) (acc[i] - zsum) * mult + bias;
  }
}

/* task: group, panel, part of the output channel blocks */
static void
gemm_task (int task, gpointer data)
{
  const I8Job *j = data;
  const IlgnetConvI8 *c = j->c;
  const IlgnetNode *node = j->node;
  int part = task % j->mparts, pan = task / j->mparts % j->n_panels;
  int g = task / j->mparts / j->n_panels;
  int mb0 = part * j->mb_per_part, mb1 = MIN (j->mb, mb0 + j->mb_per_part);
  gsize col0 = (gsize) pan * NR;
  int ncol = MIN (NR, j->ohw - col0), mb, r;
  const guint8 *a = j->packed + ((gsize) g * j->n_panels + pan) * c->k4 * NR
      * 4;
  gint32 tile[MR * NR] __attribute__((aligned (64)));

  for (mb = mb0; mb < mb1; mb++) {
    const gint8 *w = c->w + ((gsize) g * j->mb + mb) * c->k4 * MR * 4;
    j->lv->kern (a, w, c->k4, tile);
    for (r = 0; r < MR; r++) {
      int row = mb * MR + r, o = g * c->og + row;
      if (row >= c->og)
        break;
      epilogue_row (j->dst + (gsize) o * j->ohw + col0, tile + r * NR, ncol,
          j->zero * c->wsum[o], j->scale * c->wscale[o],
          node->b ? node->b[o] : 0.0f, node->fuse_relu, node->relu_slope);
    }
  }
}

/* Bytes of scratch for one image. */
gsize
ilgnet_conv_i8_scratch (int ch, int h, int w, const IlgnetWindow * p,
    int group, int oh, int ow)
{
  gsize k4 = ((gsize) ch / group * p->kh * p->kw + 3) / 4;
  gsize panels = ((gsize) oh * ow + NR - 1) / NR;

  return group * panels * k4 * NR * 4 + 64
      + (gsize) ch * p->sw * (h + 2 * p->ph)
      * ((w + 2 * p->pw + p->sw - 1) / p->sw);
}

void
ilgnet_conv_i8_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetConvI8 * c, const IlgnetWindow * p, IlgnetConvI8Level level,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  int nt = ilgnet_pool_get_n_threads (s->pool), i;
  I8Job j;
  gsize packed_bytes;

  memset (&j, 0, sizeof j);
  j.c = c;
  j.node = node;
  j.p = p;
  j.lv = &levels[level];
  j.ch = in->shape.c;
  j.h = in->shape.h;
  j.w = in->shape.w;
  j.oh = out->shape.h;
  j.ow = out->shape.w;
  j.ohw = (gsize) j.oh * j.ow;
  j.ph_ = j.h + 2 * p->ph;
  j.pw_ = j.w + 2 * p->pw;
  j.pwp = (j.pw_ + p->sw - 1) / p->sw;
  j.n_panels = (j.ohw + NR - 1) / NR;
  packed_bytes = (gsize) c->group * j.n_panels * c->k4 * NR * 4;
  j.packed = (guint8 *) s->scratch;
  j.planes = j.packed + (packed_bytes + 63) / 64 * 64;
  j.pointwise = p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1
      && p->ph == 0 && p->pw == 0;
  /* output channel blocks split so that every thread has work */
  j.mb = c->mpad / MR;
  j.mparts = MAX (1, MIN (j.mb, (4 * nt + c->group * j.n_panels - 1)
          / (c->group * j.n_panels)));
  j.mb_per_part = (j.mb + j.mparts - 1) / j.mparts;
  j.mparts = (j.mb + j.mb_per_part - 1) / j.mb_per_part;

  for (i = 0; i < n; i++) {
    float lo = 0, hi = 0;

    j.src = ilgnet_view_image (in, i);
    j.dst = ilgnet_view_image (out, i);
    /* one pass on this thread costs less than waking the pool */
    j.lv->range (j.src, (gsize) j.ch * j.h * j.w, &lo, &hi);
    /* [lo, hi] holds 0 (NaN inputs are left out, and quantise to 0) */
    if (hi > lo && hi - lo < G_MAXFLOAT) {
      j.scale = (hi - lo) / j.lv->qmax;
      j.zero = (int) (-lo / j.scale + 0.5f);
      j.zero = CLAMP (j.zero, 0, j.lv->qmax);
    } else {
      /* all zeros (or infinite: the f32 paths give no finite answer either) */
      j.scale = hi > lo ? G_MAXFLOAT / j.lv->qmax : 1;
      j.zero = 0;
    }
    j.inv_scale = 1.0f / j.scale;
    if (!j.pointwise)
      ilgnet_pool_run (s->pool, j.ch, quantize_task, &j);
    ilgnet_pool_run (s->pool, c->group * c->k4, pack_task, &j);
    ilgnet_pool_run (s->pool, c->group * j.n_panels * j.mparts, gemm_task,
        &j);
  }
}
