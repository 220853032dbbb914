/* conv-winograd.c: 3x3 stride-1 convolutions by Winograd F(4x4, 3x3), for
 * layer-conv.c. */
#ifndef ILGNET_CONV_WINOGRAD_H
#define ILGNET_CONV_WINOGRAD_H

#include "ilgnet-layer.h"

G_BEGIN_DECLS

/* The transformed filters, U = G g G^T */
typedef struct _IlgnetWinograd IlgnetWinograd;

/* NULL when out of memory */
IlgnetWinograd *ilgnet_winograd_prepare (const IlgnetLayer * l);
void ilgnet_winograd_free (IlgnetWinograd * wg);

/* Floats of session scratch one image needs */
gsize ilgnet_winograd_scratch (int c, int k, int oh, int ow);

/* conv_forward's arguments, with the transformed filters */
void ilgnet_winograd_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetWinograd * wg, const IlgnetWindow * p, const IlgnetView * in,
    const IlgnetView * out, int n);

G_END_DECLS

#endif /* ILGNET_CONV_WINOGRAD_H */
