/* Cheap per-element and per-channel layers: ReLU, PReLU, BatchNorm, Scale,
 * Eltwise, Softmax, Concat (copying only inputs not already produced in
 * place), and the bias+ReLU pass shared by conv and FC. */
#include "ilgnet-session-private.h"

#include <math.h>
#include <string.h>

/* Below this many floats a loop runs on the caller: waking the pool costs
 * more than it saves. */
#define PARALLEL_MIN 32768

typedef struct
{
  float *data;
  gsize len, row_stride;
  const float *bias;
  gboolean relu;
  float slope;
  int rows_per_task, rows;
} BiasJob;

static void
bias_task (int task, gpointer data)
{
  const BiasJob *j = data;
  int r0 = task * j->rows_per_task, r1 = MIN (r0 + j->rows_per_task, j->rows);
  int r;
  gsize i;

  for (r = r0; r < r1; r++) {
    float *d = j->data + r * j->row_stride;
    float b = j->bias ? j->bias[r] : 0.0f;
    if (j->relu && j->slope == 0.0f) {
      for (i = 0; i < j->len; i++)
        d[i] = MAX (d[i] + b, 0.0f);
    } else if (j->relu) {
      for (i = 0; i < j->len; i++) {
        float v = d[i] + b;
        d[i] = v > 0 ? v : v * j->slope;
      }
    } else if (j->bias) {
      for (i = 0; i < j->len; i++)
        d[i] += b;
    }
  }
}

void
ilgnet_bias_relu (IlgnetSession * s, float *data, int channels, gsize len,
    gsize row_stride, const float *bias, gboolean relu, float slope)
{
  BiasJob j = { data, len, row_stride, bias, relu, slope, channels, channels };
  int tasks;

  if (!bias && !relu)
    return;
  if ((gsize) channels * len < PARALLEL_MIN) {
    bias_task (0, &j);
    return;
  }
  tasks = MIN (channels, 4 * ilgnet_pool_get_n_threads (s->pool));
  j.rows_per_task = (channels + tasks - 1) / tasks;
  tasks = (channels + j.rows_per_task - 1) / j.rows_per_task;
  ilgnet_pool_run (s->pool, tasks, bias_task, &j);
}

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
