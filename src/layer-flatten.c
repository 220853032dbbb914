/* Flatten: C x H x W to a vector of C*H*W.  The planner makes it a view of
 * its input where nothing writes either side later; else a copy. */
#include "ilgnet-layer.h"

static gboolean
flatten_infer (IlgnetLayerBuild * b, GError ** error)
{
  b->out.c = ilgnet_blob_shape_size (b->in[0]);
  b->out.h = b->out.w = 1;
  b->out.ndim = 2;
  return TRUE;
}

static guint64
no_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  return 0;
}

static const IlgnetKernel flatten_kernels[] = {
  {"copy", ILGNET_DTYPE_F32, NULL, ilgnet_layer_forward_copy},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_flatten = {
  .type = "Flatten",
  .flags = ILGNET_LAYER_VIEW,
  .caffe_v1 = "FLATTEN",
  .infer = flatten_infer,
  .flops = no_flops,
  .kernels = flatten_kernels,
};
