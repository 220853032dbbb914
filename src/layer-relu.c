/* ReLU: y = x > 0 ? x : negative_slope * x.  Usually applied by the
 * convolution or InnerProduct before it (as_relu). */
#include "ilgnet-layer.h"

typedef struct
{
  float negative_slope;
} ReluParams;

static void
relu_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const ReluParams *p = node->layer->params;
  gsize size = ilgnet_blob_shape_size (&in->shape), k;
  float slope = p->negative_slope;
  int i;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (k = 0; k < size; k++)
      y[k] = x[k] > 0 ? x[k] : x[k] * slope;
  }
}

static gboolean
relu_parse (IlgnetLayerBuild * b, GError ** error)
{
  ReluParams *p = b->layer->params;
  double slope = 0;

  if (!ilgnet_json_get_number (b->param, "negative_slope", &slope, FALSE,
          b->what, error))
    return FALSE;
  p->negative_slope = slope;
  return TRUE;
}

static gboolean
relu_as_relu (const IlgnetLayer * l, float *slope)
{
  *slope = ((const ReluParams *) l->params)->negative_slope;
  return TRUE;
}

static const IlgnetKernel relu_kernels[] = {
  {"loop", ILGNET_DTYPE_F32, NULL, relu_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_relu = {
  .type = "ReLU",
  .flags = ILGNET_LAYER_IN_PLACE,
  .params_size = sizeof (ReluParams),
  .caffe_v1 = "RELU",
  .parse = relu_parse,
  .as_relu = relu_as_relu,
  .kernels = relu_kernels,
};
