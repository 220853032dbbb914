/* IEEE half precision both ways: half -> float and tensor dequantization
 * (for the small tensors copied to f32 at session creation; the hot FC
 * paths have their own SIMD kernels), and float -> half for the model
 * writer.  That direction rounds to nearest even; the portable path rounds
 * exactly like VCVTPS2PH, including subnormals, overflow to infinity and
 * NaN, so a model converted on any machine is byte-identical. */
#include "ilgnet-private.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <cpuid.h>
#define HAVE_X86 1
#endif

gboolean
ilgnet_cpu_has_f16c (void)
{
#ifdef HAVE_X86
  unsigned a, b, c, d;

  return __builtin_cpu_supports ("avx") && __get_cpuid (1, &a, &b, &c, &d)
      && (c & bit_F16C);
#else
  return FALSE;
#endif
}

static guint16
f32_to_f16_portable (float f)
{
  guint32 x, ax, sign, r, rem;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000;
  ax = x & 0x7fffffff;
  if (ax > 0x7f800000)          /* NaN: keep it quiet, keep top payload */
    return sign | 0x7e00 | ((ax >> 13) & 0x3ff);
  if (ax >= 0x477ff000)         /* >= 65520 rounds to infinity */
    return sign | 0x7c00;
  if (ax < 0x38800000) {        /* below 2^-14: a half subnormal or zero */
    guint32 e = ax >> 23, m, shift, halfway;
    if (ax <= 0x33000000)       /* <= 2^-25 rounds to zero (ties even) */
      return sign;
    m = (ax & 0x7fffff) | 0x800000;
    shift = 126 - e;            /* 14 .. 24 */
    r = m >> shift;
    rem = m & ((1u << shift) - 1);
    halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (r & 1)))
      r++;
    return sign | r;
  }
  /* Normal: rebias the exponent (127 -> 15) and round off 13 bits; a carry
   * into the exponent is the correct result. */
  r = (ax - 0x38000000) >> 13;
  rem = ax & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
    r++;
  return sign | r;
}

#ifdef HAVE_X86
__attribute__ ((target ("avx,f16c")))
static void
convert_f16c (const float *src, guint16 * dst, gsize n)
{
  gsize i = 0;

  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps (src + i);
    __m128i h = _mm256_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128 ((__m128i *) (dst + i), h);
  }
  for (; i < n; i++)
    dst[i] = f32_to_f16_portable (src[i]);
}
#endif

void
ilgnet_f32_to_f16 (const float *src, guint16 * dst, gsize n)
{
  gsize i;

#ifdef HAVE_X86
  static int use_f16c = -1;
  if (use_f16c < 0)
    use_f16c = ilgnet_cpu_has_f16c () && !g_getenv ("ILGNET_NO_F16C");
  if (use_f16c) {
    convert_f16c (src, dst, n);
    return;
  }
#endif
  for (i = 0; i < n; i++)
    dst[i] = f32_to_f16_portable (src[i]);
}

float
ilgnet_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 bits;
  float f;

  if (exp == 0) {
    /* zero or subnormal: value = mant * 2^-24 */
    f = (float) mant * (1.0f / 16777216.0f);
    return sign ? -f : f;
  } else if (exp == 31) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  memcpy (&f, &bits, 4);
  return f;
}

float *
ilgnet_tensor_to_f32 (const IlgnetTensor * t)
{
  float *out = g_try_new (float, MAX (t->n_elements, 1));
  guint64 i;

  if (!out)
    return NULL;
  switch (t->dtype) {
    case ILGNET_DTYPE_F32:
      memcpy (out, t->data, t->n_elements * 4);
      break;
    case ILGNET_DTYPE_F16:{
      const guint16 *h = t->data;
      for (i = 0; i < t->n_elements; i++)
        out[i] = ilgnet_half_to_float (h[i]);
      break;
    }
    case ILGNET_DTYPE_I8:{
      const gint8 *q = t->data;
      const float *sc = t->scales->data;
      guint64 per_row = t->n_elements / t->shape[0];
      for (i = 0; i < t->n_elements; i++)
        out[i] = q[i] * sc[i / per_row];
      break;
    }
  }
  return out;
}
