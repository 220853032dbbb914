/* InnerProduct.  Up to STREAM_MAX_BATCH images, and always for f16 / i8
 * weights, the streaming kernels of gemv-stream.c read the weights straight
 * from the mapping once per 4 images; larger f32 batches go to SGEMM. */
#include "ilgnet-session-private.h"

#define STREAM_MAX_BATCH 32

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

void
ilgnet_layer_inner_product (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const IlgnetLayer *l = node->layer;
  int o = out->shape.c, i, j;
  gsize k = ilgnet_blob_shape_size (&in->shape);

  if (node->fc_kind != ILGNET_FC_F32 || n <= STREAM_MAX_BATCH) {
    ilgnet_gemv_stream (s, l->weight->dtype, node->fc_kind == ILGNET_FC_F32 ?
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
