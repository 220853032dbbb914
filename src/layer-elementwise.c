/* Cheap per-element and per-channel layers: ReLU, PReLU, BatchNorm, Scale,
 * Eltwise, Softmax, Concat (copying only inputs not already produced in
 * place). */
#include "ilgnet-session-private.h"

#include <math.h>
#include <string.h>

void
ilgnet_layer_relu (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize size = ilgnet_blob_shape_size (&in->shape), k;
  float slope = node->layer->p.negative_slope;
  int i;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (k = 0; k < size; k++)
      y[k] = x[k] > 0 ? x[k] : x[k] * slope;
  }
}

void
ilgnet_layer_prelu (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize hw = (gsize) in->shape.h * in->shape.w, k;
  gboolean shared = node->layer->p.channel_shared;
  int i, c;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (c = 0; c < in->shape.c; c++) {
      float a = node->w[shared ? 0 : c];
      for (k = 0; k < hw; k++) {
        float v = x[c * hw + k];
        y[c * hw + k] = v > 0 ? v : v * a;
      }
    }
  }
}

void
ilgnet_layer_batch_norm (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize hw = (gsize) in->shape.h * in->shape.w, k;
  float eps = node->layer->p.eps;
  int i, c;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (c = 0; c < in->shape.c; c++) {
      float mean = node->w[c];
      float inv = 1.0f / sqrtf (node->w2[c] + eps);
      for (k = 0; k < hw; k++)
        y[c * hw + k] = (x[c * hw + k] - mean) * inv;
    }
  }
}

void
ilgnet_layer_scale (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize hw = (gsize) in->shape.h * in->shape.w, k;
  int i, c;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (c = 0; c < in->shape.c; c++) {
      float a = node->w[c], b = node->b ? node->b[c] : 0.0f;
      for (k = 0; k < hw; k++)
        y[c * hw + k] = x[c * hw + k] * a + b;
    }
  }
}

void
ilgnet_layer_softmax (IlgnetSession * s, const IlgnetNode * node,
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

void
ilgnet_layer_copy (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  gsize size = ilgnet_blob_shape_size (&in->shape);
  int i;

  for (i = 0; i < n; i++)
    if (ilgnet_view_image (out, i) != ilgnet_view_image (in, i))
      memcpy (ilgnet_view_image (out, i), ilgnet_view_image (in, i),
          size * sizeof (float));
}

void
ilgnet_layer_concat (IlgnetSession * s, const IlgnetNode * node,
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

void
ilgnet_layer_eltwise (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * ins, const IlgnetView * out, int n)
{
  const IlgnetLayer *l = node->layer;
  const IlgnetLayerParams *p = &l->p;
  gsize size = ilgnet_blob_shape_size (&out->shape), k;
  int i, j;

  for (i = 0; i < n; i++) {
    float *y = ilgnet_view_image (out, i);
    const float *x0 = ilgnet_view_image (&ins[0], i);
    /* y may alias no input (checked at load), so write it from the first */
    for (k = 0; k < size; k++)
      y[k] = p->op == ILGNET_ELTWISE_SUM ? x0[k] * p->coeff[0] : x0[k];
    for (j = 1; j < l->n_bottoms; j++) {
      const float *x = ilgnet_view_image (&ins[j], i);
      switch (p->op) {
        case ILGNET_ELTWISE_SUM:
          for (k = 0; k < size; k++)
            y[k] += x[k] * p->coeff[j];
          break;
        case ILGNET_ELTWISE_PROD:
          for (k = 0; k < size; k++)
            y[k] *= x[k];
          break;
        case ILGNET_ELTWISE_MAX:
          for (k = 0; k < size; k++)
            y[k] = MAX (y[k], x[k]);
          break;
      }
    }
  }
}
