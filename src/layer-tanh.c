/* TanH: y = tanh(x), as Caffe's TanHLayer.  No parameters, no weights; may
 * run in place.  Flagged ELEMENTWISE, so the Caffe importer takes it (V2
 * "TanH", V1 TANH) by its name alone. */
#include "ilgnet-layer.h"

#include <math.h>

static void
tanh_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize size = ilgnet_blob_shape_size (&in->shape), k;
  int i;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (k = 0; k < size; k++)
      y[k] = tanhf (x[k]);
  }
}

static const IlgnetKernel tanh_kernels[] = {
  {"tanhf", ILGNET_DTYPE_F32, NULL, tanh_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_tanh = {
  .type = "TanH",
  .flags = ILGNET_LAYER_IN_PLACE | ILGNET_LAYER_ELEMENTWISE,
  .caffe_v1 = "TANH",
  .kernels = tanh_kernels,
};
