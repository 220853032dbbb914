/* Concat along channels.  Inputs the planner let their layers write
 * straight into the output are not copied again. */
#include "ilgnet-layer.h"

#include <string.h>

static void
concat_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * ins, const IlgnetView * out, int n)
{
  const IlgnetLayer *l = node->layer;
  int i, j;

  for (i = 0; i < n; i++) {
    float *dst = ilgnet_view_image (out, i);
    for (j = 0; j < l->n_bottoms; j++) {
      gsize size = ilgnet_blob_shape_size (&ins[j].shape);
      const float *src = ilgnet_view_image (&ins[j], i);
      if (src != dst)           /* else produced in place by its layer */
        memcpy (dst, src, size * sizeof (float));
      dst += size;
    }
  }
}

/* Only along channels (axis 1). */
static gboolean
concat_parse (IlgnetLayerBuild * b, GError ** error)
{
  gint64 axis = 1;

  return ilgnet_json_get_int (b->param, "axis", 1, 1, &axis, FALSE, b->what,
      error);
}

static gboolean
concat_infer (IlgnetLayerBuild * b, GError ** error)
{
  const IlgnetBlobShape *in = b->in[0];
  gint64 c = 0;
  int i;

  for (i = 0; i < b->layer->n_bottoms; i++) {
    if (b->in[i]->h != in->h || b->in[i]->w != in->w
        || b->in[i]->ndim != in->ndim) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
          "%s: inputs differ in size", b->what);
      return FALSE;
    }
    c += b->in[i]->c;
  }
  if (c > ILGNET_MAX_BLOB_ELEMENTS) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: too large",
        b->what);
    return FALSE;
  }
  b->out = *in;
  b->out.c = c;
  return TRUE;
}

static const IlgnetKernel concat_kernels[] = {
  {"copy", ILGNET_DTYPE_F32, NULL, concat_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_concat = {
  .type = "Concat",
  .flags = ILGNET_LAYER_MANY_INPUTS | ILGNET_LAYER_GATHER,
  .caffe_v1 = "CONCAT",
  .parse = concat_parse,
  .infer = concat_infer,
  .kernels = concat_kernels,
};
