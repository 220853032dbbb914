/* conv-i8.c: convolutions computed in int8 (u8 input x s8 weights, int32
 * sums), for layer-conv.c. */
#ifndef ILGNET_CONV_I8_H
#define ILGNET_CONV_I8_H

#include "ilgnet-layer.h"

G_BEGIN_DECLS

typedef enum
{
  /* no int8 kernel: the fp32 (OpenBLAS) ones run */
  ILGNET_CONV_I8_NONE = -1,
  ILGNET_CONV_I8_SCALAR,
  ILGNET_CONV_I8_AVX2,
  ILGNET_CONV_I8_AVXVNNI,
  ILGNET_CONV_I8_AVX512,
  ILGNET_CONV_I8_VNNI512
} IlgnetConvI8Level;

/* The weights packed for the kernels */
typedef struct _IlgnetConvI8 IlgnetConvI8;

/* The best instruction set of this CPU for the kernels, capped by
 * $ILGNET_SIMD (none, avx2, avxvnni, avx512).  The portable C kernel is
 * far slower than OpenBLAS's fp32 convolutions: it runs only when
 * ILGNET_SIMD=none asks for it (tests); without AVX2 this is
 * ILGNET_CONV_I8_NONE otherwise. */
IlgnetConvI8Level ilgnet_conv_i8_level (void);

/* NULL unless the layer's weight is i8 with per-channel scales */
IlgnetConvI8 *ilgnet_conv_i8_prepare (const IlgnetLayer * l, int group);
void ilgnet_conv_i8_free (IlgnetConvI8 * c);

/* Bytes of session scratch one image needs */
gsize ilgnet_conv_i8_scratch (int ch, int h, int w, const IlgnetWindow * p,
    int group, int oh, int ow);

/* conv_forward's arguments, with the packed weights */
void ilgnet_conv_i8_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetConvI8 * c, const IlgnetWindow * p, IlgnetConvI8Level level,
    const IlgnetView * in, const IlgnetView * out, int n);

G_END_DECLS

#endif /* ILGNET_CONV_I8_H */
