/* Local response normalization as Caffe defines it:
 *   across: y = x * (k + alpha/n * sum of x^2 over n neighbouring channels)^-beta
 *   within: y = x * (k + alpha/n^2 * sum of x^2 over an n x n window)^-beta
 * (the window is zero-padded; Caffe's divisor stays n^2). */
#include "ilgnet-session-private.h"

#include <math.h>
#include <string.h>

#define CHUNK 256

typedef struct
{
  const IlgnetView *in, *out;
  const IlgnetLayerParams *p;
  int chunks_per_image, n_tasks;
} LrnJob;

static inline float
pow_neg_beta (float v, float beta)
{
  if (beta == 0.75f) {
    float r = 1.0f / sqrtf (v);
    return r * sqrtf (r);       /* v^-0.5 * v^-0.25 */
  }
  return expf (-beta * logf (v));
}

static void
lrn_across_task (int task, gpointer data)
{
  const LrnJob *j = data;
  const IlgnetLayerParams *p = j->p;
  int img = task / j->chunks_per_image;
  gsize hw = (gsize) j->in->shape.h * j->in->shape.w;
  gsize p0 = (gsize) (task % j->chunks_per_image) * CHUNK;
  int len = MIN (CHUNK, hw - p0), C = j->in->shape.c, half = p->local_size / 2;
  const float *x = ilgnet_view_image (j->in, img) + p0;
  float *y = ilgnet_view_image (j->out, img) + p0;
  float acc[CHUNK];
  float a = p->alpha / p->local_size;
  int c, i;

  memset (acc, 0, sizeof (acc));
  for (c = 0; c < MIN (half, C); c++)
    for (i = 0; i < len; i++)
      acc[i] += x[c * hw + i] * x[c * hw + i];
  for (c = 0; c < C; c++) {
    int add = c + half, sub = c - half - 1;
    if (add < C)
      for (i = 0; i < len; i++)
        acc[i] += x[add * hw + i] * x[add * hw + i];
    if (sub >= 0)
      for (i = 0; i < len; i++)
        acc[i] -= x[sub * hw + i] * x[sub * hw + i];
    for (i = 0; i < len; i++)
      y[c * hw + i] = x[c * hw + i] * pow_neg_beta (p->k + a * MAX (acc[i],
              0.0f), p->beta);
  }
}

static void
lrn_within_task (int task, gpointer data)
{
  const LrnJob *j = data;
  const IlgnetLayerParams *p = j->p;
  int C = j->in->shape.c, H = j->in->shape.h, W = j->in->shape.w;
  int img = task / C, c = task % C, half = p->local_size / 2;
  const float *x = ilgnet_view_image (j->in, img) + (gsize) c * H * W;
  float *y = ilgnet_view_image (j->out, img) + (gsize) c * H * W;
  float a = p->alpha / (p->local_size * p->local_size);
  int yy, xx, u, v;

  for (yy = 0; yy < H; yy++)
    for (xx = 0; xx < W; xx++) {
      float sum = 0;
      for (u = MAX (yy - half, 0); u <= MIN (yy + half, H - 1); u++)
        for (v = MAX (xx - half, 0); v <= MIN (xx + half, W - 1); v++)
          sum += x[u * W + v] * x[u * W + v];
      y[yy * W + xx] = x[yy * W + xx] * pow_neg_beta (p->k + a * sum,
          p->beta);
    }
}

void
ilgnet_layer_lrn (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  LrnJob j = { in, out, &node->layer->p, 0, 0 };
  gsize hw = (gsize) in->shape.h * in->shape.w;

  if (j.p->lrn_within) {
    ilgnet_pool_run (s->pool, n * in->shape.c, lrn_within_task, &j);
    return;
  }
  j.chunks_per_image = (hw + CHUNK - 1) / CHUNK;
  ilgnet_pool_run (s->pool, n * j.chunks_per_image, lrn_across_task, &j);
}
