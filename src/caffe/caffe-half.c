/* float -> half.  The portable path rounds exactly like VCVTPS2PH with
 * round-to-nearest-even, including subnormals, overflow to infinity and
 * NaN, so a model converted on any machine is byte-identical. */
#include "caffe-half.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <cpuid.h>
#define HAVE_X86 1
#endif

guint16
ilgnet_caffe_f32_to_f16_portable (float f)
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
    dst[i] = ilgnet_caffe_f32_to_f16_portable (src[i]);
}
#endif

#ifdef HAVE_X86
/* F16C from CPUID (leaf 1, ECX), with AVX for the OS's YMM state: clang's
 * __builtin_cpu_supports does not know "f16c" (the fuzzing build). */
static gboolean
cpu_has_f16c (void)
{
  unsigned a, b, c, d;

  return __builtin_cpu_supports ("avx") && __get_cpuid (1, &a, &b, &c, &d)
      && (c & bit_F16C);
}
#endif

void
ilgnet_caffe_f32_to_f16 (const float *src, guint16 * dst, gsize n)
{
  gsize i;

#ifdef HAVE_X86
  static int use_f16c = -1;
  if (use_f16c < 0)
    use_f16c = cpu_has_f16c () && !g_getenv ("ILGNET_NO_F16C");
  if (use_f16c) {
    convert_f16c (src, dst, n);
    return;
  }
#endif
  for (i = 0; i < n; i++)
    dst[i] = ilgnet_caffe_f32_to_f16_portable (src[i]);
}
