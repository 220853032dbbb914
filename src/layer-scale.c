/* Scale: y = x * scale[c] (+ bias[c]). */
#include "ilgnet-layer.h"

typedef struct
{
  gboolean bias_term;
} ScaleParams;

static void
scale_plane (const IlgnetNode * node, int c, const float *x, float *y,
    gsize hw)
{
  float a = node->w[c], b = node->b ? node->b[c] : 0.0f;
  gsize k;

  for (k = 0; k < hw; k++)
    y[k] = x[k] * a + b;
}

static void
scale_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  ilgnet_layer_foreach_plane (node, in, out, n, scale_plane);
}

static gboolean
scale_parse (IlgnetLayerBuild * b, GError ** error)
{
  ScaleParams *p = b->layer->params;
  gint64 bias = 0;

  if (!ilgnet_json_get_int (b->param, "bias_term", 0, 1, &bias, FALSE,
          b->what, error))
    return FALSE;
  p->bias_term = bias;
  return TRUE;
}

static gboolean
scale_infer (IlgnetLayerBuild * b, GError ** error)
{
  const ScaleParams *p = b->layer->params;
  IlgnetLayer *l = b->layer;

  b->out = *b->in[0];
  if (!(l->weight = ilgnet_layer_bind_tensor (b, 0, b->in[0]->c, error)))
    return FALSE;
  return !p->bias_term
      || (l->bias = ilgnet_layer_bind_tensor (b, 1, b->in[0]->c, error));
}

static const IlgnetKernel scale_kernels[] = {
  {"loop", ILGNET_DTYPE_F32, NULL, scale_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_scale = {
  .type = "Scale",
  .flags = ILGNET_LAYER_IN_PLACE,
  .params_size = sizeof (ScaleParams),
  .parse = scale_parse,
  .infer = scale_infer,
  .kernels = scale_kernels,
};
