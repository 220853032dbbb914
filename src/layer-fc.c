/* InnerProduct: f32 weights through BLAS (GEMV at one image, GEMM above);
 * f16 / i8 weights through the bandwidth-bound kernels of gemv-lowp.c,
 * reading the mapped file directly. */
#include "ilgnet-session-private.h"

void
ilgnet_layer_inner_product (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const IlgnetLayer *l = node->layer;
  int o = out->shape.c, i, j;
  gsize k = ilgnet_blob_shape_size (&in->shape);

  if (node->fc_kind != ILGNET_FC_F32) {
    ilgnet_gemv_lowp (s, l->weight, in->data, in->bstride, n, out->data,
        out->bstride);
  } else if (n == 1) {
    ilgnet_sgemv (o, k, node->w, k, in->data, FALSE, out->data);
  } else {
    ilgnet_sgemm (TRUE, n, o, k, in->data, in->bstride, node->w, k, FALSE,
        out->data, out->bstride);
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
