/* Dropout is the identity at inference: nothing runs when it works in
 * place, else its input is copied.  The copy also serves Flatten. */
#include "ilgnet-layer.h"

#include <string.h>

void
ilgnet_layer_forward_copy (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize size = ilgnet_blob_shape_size (&in->shape);
  int i;

  for (i = 0; i < n; i++)
    if (ilgnet_view_image (out, i) != ilgnet_view_image (in, i))
      memcpy (ilgnet_view_image (out, i), ilgnet_view_image (in, i),
          size * sizeof (float));
}

static guint64
no_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  return 0;
}

static const IlgnetKernel dropout_kernels[] = {
  {"copy", ILGNET_DTYPE_F32, NULL, ilgnet_layer_forward_copy},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_dropout = {
  .type = "Dropout",
  .flags = ILGNET_LAYER_IN_PLACE | ILGNET_LAYER_IDENTITY,
  .caffe_v1 = "DROPOUT",
  .flops = no_flops,
  .kernels = dropout_kernels,
};
