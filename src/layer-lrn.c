/* Local response normalization as Caffe defines it:
 *   across: y = x * (k + alpha/n * sum of x^2 over n neighbouring channels)^-beta
 *   within: y = x * (k + alpha/n^2 * sum of x^2 over an n x n window)^-beta
 * (the window is zero-padded; Caffe's divisor stays n^2). */
#include "ilgnet-layer.h"

#include <math.h>
#include <string.h>

#define CHUNK 512

typedef struct
{
  int local_size;
  float alpha, beta, k;
  gboolean within;              /* else across channels */
} LrnParams;

typedef struct
{
  const IlgnetView *in, *out;
  const LrnParams *p;
  int chunks_per_image;
} LrnJob;

/* y = x * s^-beta; GoogLeNet's beta 0.75 without pow().  Inlined into
 * each instruction set's clone of its callers. */
static inline __attribute__((always_inline)) void
scale_by (const float *restrict x, const float *restrict s,
    float *restrict y, int len, float beta)
{
  int i;

  if (beta == 0.75f) {
    for (i = 0; i < len; i++) {
      float r = 1.0f / sqrtf (s[i]);
      y[i] = x[i] * r * sqrtf (r);
    }
  } else {
    for (i = 0; i < len; i++)
      y[i] = x[i] * expf (-beta * logf (s[i]));
  }
}

ILGNET_SIMD_CLONES static void
apply_scale (const float *restrict x, const float *restrict s,
    float *restrict y, int len, float beta)
{
  scale_by (x, s, y, len, beta);
}

/* One output channel of the across-channel window, in one pass over its
 * positions: the running sum of squares gains the channel entering the
 * window (add, or NULL) and loses the one leaving it (sub, or NULL), then
 * scales x.  Fused so that each chunk is read and written once per
 * channel; the operations are those of the unfused loops, in their order. */
ILGNET_SIMD_CLONES static void
lrn_channel (float *restrict acc, const float *restrict add,
    const float *restrict sub, const float *restrict x, float *restrict y,
    int len, float k, float a, float beta)
{
  float scale[CHUNK];
  int i;

  if (add && sub) {
    for (i = 0; i < len; i++) {
      float t = acc[i] + 1.0f * add[i] * add[i];
      acc[i] = t + -1.0f * sub[i] * sub[i];
    }
  } else if (add) {
    for (i = 0; i < len; i++)
      acc[i] += 1.0f * add[i] * add[i];
  } else if (sub) {
    for (i = 0; i < len; i++)
      acc[i] += -1.0f * sub[i] * sub[i];
  }
  /* the running sum can dip below zero by rounding */
  for (i = 0; i < len; i++)
    scale[i] = k + a * MAX (acc[i], 0.0f);
  scale_by (x, scale, y, len, beta);
}

static void
lrn_across_task (int task, gpointer data)
{
  const LrnJob *j = data;
  const LrnParams *p = j->p;
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
      acc[i] += 1.0f * x[c * hw + i] * x[c * hw + i];
  for (c = 0; c < C; c++)
    lrn_channel (acc, c + half < C ? x + (c + half) * hw : NULL,
        c - half - 1 >= 0 ? x + (c - half - 1) * hw : NULL, x + c * hw,
        y + c * hw, len, p->k, a, p->beta);
}

static void
lrn_within_task (int task, gpointer data)
{
  const LrnJob *j = data;
  const LrnParams *p = j->p;
  int C = j->in->shape.c, H = j->in->shape.h, W = j->in->shape.w;
  int img = task / C, c = task % C, half = p->local_size / 2;
  const float *x = ilgnet_view_image (j->in, img) + (gsize) c * H * W;
  float *y = ilgnet_view_image (j->out, img) + (gsize) c * H * W;
  float a = p->alpha / (p->local_size * p->local_size);
  float *scale = g_new (float, W);
  int yy, xx, u, v;

  for (yy = 0; yy < H; yy++) {
    for (xx = 0; xx < W; xx++) {
      float sum = 0;
      for (u = MAX (yy - half, 0); u <= MIN (yy + half, H - 1); u++)
        for (v = MAX (xx - half, 0); v <= MIN (xx + half, W - 1); v++)
          sum += x[u * W + v] * x[u * W + v];
      scale[xx] = p->k + a * sum;
    }
    apply_scale (x + yy * W, scale, y + yy * W, W, p->beta);
  }
  g_free (scale);
}

static void
lrn_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  LrnJob j = { in, out, node->layer->params, 0 };
  gsize hw = (gsize) in->shape.h * in->shape.w;

  if (j.p->within) {
    ilgnet_pool_run (s->pool, n * in->shape.c, lrn_within_task, &j);
    return;
  }
  j.chunks_per_image = (hw + CHUNK - 1) / CHUNK;
  ilgnet_pool_run (s->pool, n * j.chunks_per_image, lrn_across_task, &j);
}

static gboolean
lrn_parse (IlgnetLayerBuild * b, GError ** error)
{
  static const char *const regions[] = { "across", "within", NULL };
  LrnParams *p = b->layer->params;
  gint64 size = 5;
  double alpha = 1.0, beta = 0.75, k = 1.0;
  int region;

  if (!ilgnet_json_get_int (b->param, "local_size", 1, 1023, &size, FALSE,
          b->what, error))
    return FALSE;
  if (size % 2 == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: local_size must be odd", b->what);
    return FALSE;
  }
  if (!ilgnet_json_get_number (b->param, "alpha", &alpha, FALSE, b->what,
          error)
      || !ilgnet_json_get_number (b->param, "beta", &beta, FALSE, b->what,
          error)
      || !ilgnet_json_get_number (b->param, "k", &k, FALSE, b->what, error)
      || !ilgnet_json_get_choice (b->param, "region", regions, 0, &region,
          b->what, error))
    return FALSE;
  p->local_size = size;
  p->alpha = alpha;
  p->beta = beta;
  p->k = k;
  p->within = region == 1;
  return TRUE;
}

static guint64
lrn_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  const LrnParams *p = l->params;
  guint64 window = p->within ? p->local_size * p->local_size : p->local_size;

  /* as defined: a square and an add per window value, then the power */
  return ilgnet_blob_shape_size (&m->blobs[l->top].shape) * (2 * window + 3);
}

static const IlgnetKernel lrn_kernels[] = {
  {"running-sum", ILGNET_DTYPE_F32, NULL, lrn_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_lrn = {
  .type = "LRN",
  .params_size = sizeof (LrnParams),
  .caffe_v1 = "LRN",
  .parse = lrn_parse,
  .flops = lrn_flops,
  .kernels = lrn_kernels,
};
