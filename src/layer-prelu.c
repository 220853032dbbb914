/* PReLU: y = x > 0 ? x : a[c] * x, one learned slope per channel (or one
 * for all when channel_shared). */
#include "ilgnet-layer.h"

typedef struct
{
  gboolean channel_shared;
} PreluParams;

static void
prelu_plane (const IlgnetNode * node, int c, const float *x, float *y,
    gsize hw)
{
  const PreluParams *p = node->layer->params;
  float a = node->w[p->channel_shared ? 0 : c];
  gsize k;

  for (k = 0; k < hw; k++)
    y[k] = x[k] > 0 ? x[k] : x[k] * a;
}

static void
prelu_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  ilgnet_layer_foreach_plane (node, in, out, n, prelu_plane);
}

static gboolean
prelu_parse (IlgnetLayerBuild * b, GError ** error)
{
  PreluParams *p = b->layer->params;
  gint64 shared = 0;

  if (!ilgnet_json_get_int (b->param, "channel_shared", 0, 1, &shared, FALSE,
          b->what, error))
    return FALSE;
  p->channel_shared = shared;
  return TRUE;
}

static gboolean
prelu_infer (IlgnetLayerBuild * b, GError ** error)
{
  const PreluParams *p = b->layer->params;

  b->layer->weight = ilgnet_layer_bind_tensor (b, 0,
      p->channel_shared ? 1 : b->in[0]->c, error);
  b->out = *b->in[0];
  return b->layer->weight != NULL;
}

static const IlgnetKernel prelu_kernels[] = {
  {"loop", ILGNET_DTYPE_F32, NULL, prelu_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_prelu = {
  .type = "PReLU",
  .flags = ILGNET_LAYER_IN_PLACE,
  .params_size = sizeof (PreluParams),
  .parse = prelu_parse,
  .infer = prelu_infer,
  .kernels = prelu_kernels,
};
