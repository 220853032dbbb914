/* IEEE half -> float conversion and tensor dequantization (for the small
 * tensors copied to f32 at session creation; the hot FC paths have their own
 * SIMD kernels). */
#include "ilgnet-private.h"

#include <string.h>

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
