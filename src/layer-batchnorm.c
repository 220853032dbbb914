/* BatchNorm at inference: y = (x - mean[c]) / sqrt(variance[c] + eps), the
 * statistics already divided by Caffe's moving-average factor (the
 * converter does that). */
#include "ilgnet-layer.h"

#include <math.h>

typedef struct
{
  float eps;
} BatchNormParams;

static void
batchnorm_plane (const IlgnetNode * node, int c, const float *x, float *y,
    gsize hw)
{
  const BatchNormParams *p = node->layer->params;
  float mean = node->w[c];
  float inv = 1.0f / sqrtf (node->w2[c] + p->eps);
  gsize k;

  for (k = 0; k < hw; k++)
    y[k] = (x[k] - mean) * inv;
}

static void
batchnorm_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  ilgnet_layer_foreach_plane (node, in, out, n, batchnorm_plane);
}

static gboolean
batchnorm_parse (IlgnetLayerBuild * b, GError ** error)
{
  BatchNormParams *p = b->layer->params;
  double eps = 1e-5;

  if (!ilgnet_json_get_number (b->param, "eps", &eps, FALSE, b->what, error))
    return FALSE;
  if (eps < 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: negative eps", b->what);
    return FALSE;
  }
  p->eps = eps;
  return TRUE;
}

static gboolean
batchnorm_infer (IlgnetLayerBuild * b, GError ** error)
{
  IlgnetLayer *l = b->layer;

  b->out = *b->in[0];
  return (l->weight = ilgnet_layer_bind_tensor (b, 0, b->in[0]->c, error))
      && (l->blob2 = ilgnet_layer_bind_tensor (b, 1, b->in[0]->c, error));
}

static const IlgnetKernel batchnorm_kernels[] = {
  {"loop", ILGNET_DTYPE_F32, NULL, batchnorm_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_batchnorm = {
  .type = "BatchNorm",
  .flags = ILGNET_LAYER_IN_PLACE,
  .params_size = sizeof (BatchNormParams),
  .parse = batchnorm_parse,
  .infer = batchnorm_infer,
  .kernels = batchnorm_kernels,
};
