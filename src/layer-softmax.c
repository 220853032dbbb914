/* Softmax over channels, at each position (max subtracted first). */
#include "ilgnet-layer.h"

#include <math.h>

static void
softmax_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize hw = (gsize) in->shape.h * in->shape.w, k;
  int C = in->shape.c, i, c;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (k = 0; k < hw; k++) {
      float m = x[k], sum = 0;
      for (c = 1; c < C; c++)
        m = MAX (m, x[c * hw + k]);
      for (c = 0; c < C; c++) {
        y[c * hw + k] = expf (x[c * hw + k] - m);
        sum += y[c * hw + k];
      }
      for (c = 0; c < C; c++)
        y[c * hw + k] /= sum;
    }
  }
}

/* Only over channels (axis 1). */
static gboolean
softmax_parse (IlgnetLayerBuild * b, GError ** error)
{
  gint64 axis = 1;

  return ilgnet_json_get_int (b->param, "axis", 1, 1, &axis, FALSE, b->what,
      error);
}

static const IlgnetKernel softmax_kernels[] = {
  {"loop", ILGNET_DTYPE_F32, NULL, softmax_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_softmax = {
  .type = "Softmax",
  .caffe_v1 = "SOFTMAX",
  .parse = softmax_parse,
  .kernels = softmax_kernels,
};
