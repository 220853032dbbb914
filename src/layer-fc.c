/* InnerProduct.  Up to STREAM_MAX_BATCH images, and always for f16 / i8
 * weights, the streaming kernels of gemv-stream.c read the weights straight
 * from the mapping once per 4 images; larger f32 batches go to SGEMM. */
#include "ilgnet-layer.h"

#define STREAM_MAX_BATCH 32
#define MAX_OUTPUTS (1 << 24)

typedef struct
{
  IlgnetOutputs out;
} FcParams;

typedef struct
{
  const IlgnetNode *node;
  const IlgnetView *in, *out;
  gsize k;
  int n, rows_per_task;
} FcJob;

/* Large batches: a block of output features for all images. */
static void
fc_gemm_task (int task, gpointer data)
{
  const FcJob *j = data;
  int o0 = task * j->rows_per_task;
  int m = MIN (j->rows_per_task, j->out->shape.c - o0);

  ilgnet_sgemm (TRUE, j->n, m, j->k, j->in->data, j->in->bstride,
      j->node->w + (gsize) o0 * j->k, j->k, FALSE, j->out->data + o0,
      j->out->bstride);
}

static void
fc_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const IlgnetLayer *l = node->layer;
  IlgnetDtype dtype = node->kernel->weight_dtype;
  int o = out->shape.c, i, j;
  gsize k = ilgnet_blob_shape_size (&in->shape);

  if (dtype != ILGNET_DTYPE_F32 || n <= STREAM_MAX_BATCH) {
    ilgnet_gemv_stream (s, dtype, dtype == ILGNET_DTYPE_F32 ?
        (const void *) node->w : l->weight->data, l->weight->scales ?
        l->weight->scales->data : NULL, o, k, in->data, in->bstride, n,
        out->data, out->bstride);
  } else {
    int nt = ilgnet_pool_get_n_threads (s->pool);
    FcJob j = { node, in, out, k, n, (o + 2 * nt - 1) / (2 * nt) };
    ilgnet_pool_run (s->pool, (o + j.rows_per_task - 1) / j.rows_per_task,
        fc_gemm_task, &j);
  }

  for (i = 0; i < n; i++) {
    float *y = ilgnet_view_image (out, i);
    if (node->b)
      for (j = 0; j < o; j++)
        y[j] += node->b[j];
    if (node->fuse_relu)
      for (j = 0; j < o; j++)
        if (y[j] < 0)
          y[j] *= node->relu_slope;
  }
}

static gboolean
fc_parse (IlgnetLayerBuild * b, GError ** error)
{
  FcParams *p = b->layer->params;
  gint64 axis = 1;

  return ilgnet_layer_parse_outputs (b, MAX_OUTPUTS, &p->out, error)
      && ilgnet_json_get_int (b->param, "axis", 1, 1, &axis, FALSE, b->what,
      error);
}

static gboolean
fc_infer (IlgnetLayerBuild * b, GError ** error)
{
  const FcParams *p = b->layer->params;
  gint64 k = ilgnet_blob_shape_size (b->in[0]);
  int o = p->out.num_output;
  const IlgnetTensor *w;

  if (!ilgnet_layer_bind_weights (b, &p->out, error))
    return FALSE;
  w = b->layer->weight;
  if (w->shape[0] != o || w->n_elements != (guint64) o * k) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: weight \"%s\" "
        "must be [%d, %" G_GINT64_FORMAT "]", b->what, w->name, o, k);
    return FALSE;
  }
  b->out.c = o;
  b->out.h = b->out.w = 1;
  b->out.ndim = 2;
  return TRUE;
}

static guint64
fc_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  return 2 * (guint64) l->weight->n_elements;
}

/* f16 and i8 weights stay mapped and are widened in registers */
static const IlgnetKernel fc_kernels[] = {
  {"gemv-f16", ILGNET_DTYPE_F16, NULL, fc_forward},
  {"gemv-i8", ILGNET_DTYPE_I8, NULL, fc_forward},
  {"gemv-sgemm-f32", ILGNET_DTYPE_F32, NULL, fc_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_fc = {
  .type = "InnerProduct",
  .flags = ILGNET_LAYER_BATCHED | ILGNET_LAYER_TAKES_RELU,
  .params_size = sizeof (FcParams),
  .caffe_v1 = "INNER_PRODUCT",
  .parse = fc_parse,
  .infer = fc_infer,
  .flops = fc_flops,
  .kernels = fc_kernels,
};
