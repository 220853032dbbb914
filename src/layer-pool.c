/* Pooling with Caffe's rules: ceil-rounded output size (output-size.c);
 * MAX over the window clipped to the input; AVE divides by
 * the window clipped to the padded input (pad cells count as zeros), which
 * is what Caffe and OpenCV do.  Both are computed separably: a horizontal
 * pass into a row buffer, then a vertical one over whole rows (vectorizes).
 * Small layers run on the calling thread: waking workers costs more. */
#include "ilgnet-layer.h"

#include <float.h>
#include <string.h>

typedef struct
{
  IlgnetWindow win;             /* of the input for global pooling */
  gboolean max;                 /* else AVE */
  gboolean global;
} PoolParams;

typedef struct
{
  const IlgnetView *in, *out;
  const IlgnetWindow *p;
  gboolean max;
  int planes_per_task, n_planes;
} PoolJob;

/* Window maxima of one row: out[px] = max of in[px*s - pad ..] clipped. */
ILGNET_SIMD_CLONES static void
max_row (const float *restrict in, int w, float *restrict out, int ow,
    int k, int s, int pad)
{
  int px = 0, x;

  /* clipped windows at the left edge */
  for (; px < ow && px * s - pad < 0; px++) {
    int ws = 0, we = MIN (px * s - pad + k, w);
    float m = in[ws];
    for (x = ws + 1; x < we; x++)
      m = MAX (m, in[x]);
    out[px] = m;
  }
  if (k == 3 && s == 1) {
    for (; px < ow && px - pad + 3 <= w; px++) {
      const float *p = in + px - pad;
      out[px] = MAX (MAX (p[0], p[1]), p[2]);
    }
  } else if (k == 3 && s == 2) {
    for (; px < ow && px * 2 - pad + 3 <= w; px++) {
      const float *p = in + px * 2 - pad;
      out[px] = MAX (MAX (p[0], p[1]), p[2]);
    }
  }
  for (; px < ow; px++) {
    int ws = MAX (px * s - pad, 0), we = MIN (px * s - pad + k, w);
    float m = in[ws];
    for (x = ws + 1; x < we; x++)
      m = MAX (m, in[x]);
    out[px] = m;
  }
}

ILGNET_SIMD_CLONES static void
max_rows (float *restrict acc, const float *restrict row, int n)
{
  int i;
  for (i = 0; i < n; i++)
    acc[i] = MAX (acc[i], row[i]);
}

static void
max_plane (const float *src, float *dst, int h, int w, int oh, int ow,
    const IlgnetWindow * p, float *rows)
{
  int py, y;

  /* horizontal maxima of every input row the windows touch */
  for (y = 0; y < h; y++)
    max_row (src + (gsize) y * w, w, rows + (gsize) y * ow, ow, p->kw, p->sw,
        p->pw);
  for (py = 0; py < oh; py++) {
    int hs = MAX (py * p->sh - p->ph, 0);
    int he = MIN (py * p->sh - p->ph + p->kh, h);
    float *d = dst + (gsize) py * ow;
    memcpy (d, rows + (gsize) hs * ow, ow * sizeof (float));
    for (y = hs + 1; y < he; y++)
      max_rows (d, rows + (gsize) y * ow, ow);
  }
}

/* Window sums of one row, clipped to the input (pad cells add nothing). */
ILGNET_SIMD_CLONES static void
sum_row (const float *restrict in, int w, float *restrict out, int ow,
    int k, int s, int pad)
{
  int px = 0, x;

  for (; px < ow && px * s - pad < 0; px++) {
    int we = MIN (px * s - pad + k, w);
    float sum = 0;
    for (x = 0; x < we; x++)
      sum += in[x];
    out[px] = sum;
  }
  if (k == 3 && s == 1) {
    for (; px < ow && px - pad + 3 <= w; px++) {
      const float *p = in + px - pad;
      out[px] = p[0] + p[1] + p[2];
    }
  }
  for (; px < ow; px++) {
    int ws = MAX (px * s - pad, 0), we = MIN (px * s - pad + k, w);
    float sum = 0;
    for (x = ws; x < we; x++)
      sum += in[x];
    out[px] = sum;
  }
}

ILGNET_SIMD_CLONES static void
add_rows (float *restrict acc, const float *restrict row, int n)
{
  int i;
  for (i = 0; i < n; i++)
    acc[i] += row[i];
}

ILGNET_SIMD_CLONES static void
scale_row (float *restrict d, const float *restrict inv_w, float inv_h, int n)
{
  int i;
  for (i = 0; i < n; i++)
    d[i] *= inv_w[i] * inv_h;
}

/* Separable too: the divisor (window clipped to the padded input) is a
 * product of a row and a column count. */
static void
ave_plane (const float *src, float *dst, int h, int w, int oh, int ow,
    const IlgnetWindow * p, float *rows, const float *inv_w)
{
  int py, y;

  for (y = 0; y < h; y++)
    sum_row (src + (gsize) y * w, w, rows + (gsize) y * ow, ow, p->kw, p->sw,
        p->pw);
  for (py = 0; py < oh; py++) {
    int hs = py * p->sh - p->ph;
    int he = MIN (hs + p->kh, h + p->ph);
    int hs0 = MAX (hs, 0), he0 = MIN (he, h);
    float *d = dst + (gsize) py * ow;
    memcpy (d, rows + (gsize) hs0 * ow, ow * sizeof (float));
    for (y = hs0 + 1; y < he0; y++)
      add_rows (d, rows + (gsize) y * ow, ow);
    scale_row (d, inv_w, 1.0f / (he - hs), ow);
  }
}

static void
pool_task (int task, gpointer data)
{
  const PoolJob *j = data;
  int c = j->in->shape.c, h = j->in->shape.h, w = j->in->shape.w;
  int oh = j->out->shape.h, ow = j->out->shape.w;
  int first = task * j->planes_per_task;
  int last = MIN (first + j->planes_per_task, j->n_planes);
  float *rows = g_new (float, (gsize) h * ow);
  float *inv_w = g_new (float, ow);
  int q;

  for (q = 0; q < ow; q++) {
    int ws = q * j->p->sw - j->p->pw;
    int we = MIN (ws + j->p->kw, w + j->p->pw);
    inv_w[q] = 1.0f / (we - ws);
  }

  for (q = first; q < last; q++) {
    int img = q / c, ch = q % c;
    const float *src = ilgnet_view_image (j->in, img) + (gsize) ch * h * w;
    float *dst = ilgnet_view_image (j->out, img) + (gsize) ch * oh * ow;
    if (j->max)
      max_plane (src, dst, h, w, oh, ow, j->p, rows);
    else
      ave_plane (src, dst, h, w, oh, ow, j->p, rows, inv_w);
  }
  g_free (rows);
  g_free (inv_w);
}

static void
pool_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const PoolParams *p = node->layer->params;
  PoolJob j = { in, out, &p->win, p->max, 0, n * in->shape.c };
  gsize work = (gsize) n * in->shape.c * in->shape.h * in->shape.w;
  int tasks = MIN (j.n_planes, 4 * ilgnet_pool_get_n_threads (s->pool));

  if (work < 65536)
    tasks = 1;

  j.planes_per_task = (j.n_planes + tasks - 1) / tasks;
  tasks = (j.n_planes + j.planes_per_task - 1) / j.planes_per_task;
  ilgnet_pool_run (s->pool, tasks, pool_task, &j);
}

static gboolean
pool_parse (IlgnetLayerBuild * b, GError ** error)
{
  static const char *const kinds[] = { "max", "ave", NULL };
  PoolParams *p = b->layer->params;
  gint64 global = 0;
  int kind;

  if (!ilgnet_json_get_int (b->param, "global", 0, 1, &global, FALSE,
          b->what, error)
      || !ilgnet_json_get_choice (b->param, "pool", kinds, 0, &kind, b->what,
          error))
    return FALSE;
  p->global = global;
  p->max = kind == 0;
  if (p->global)
    return TRUE;                /* the window is the input: see infer */
  if (!ilgnet_layer_parse_window (b, &p->win, FALSE, error))
    return FALSE;
  if (p->win.kh == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s has no kernel size", b->what);
    return FALSE;
  }
  if (p->win.ph >= p->win.kh || p->win.pw >= p->win.kw) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
        "%s: pad must be smaller than the kernel", b->what);
    return FALSE;
  }
  return TRUE;
}

static gboolean
pool_infer (IlgnetLayerBuild * b, GError ** error)
{
  PoolParams *p = b->layer->params;
  IlgnetWindow *win = &p->win;
  const IlgnetBlobShape *in = b->in[0];

  if (in->ndim != 4) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
        "%s: pooling needs an image", b->what);
    return FALSE;
  }
  if (p->global) {
    IlgnetWindow whole = { in->h, in->w, 1, 1, 0, 0, 1, 1 };
    *win = whole;
  }
  b->out.c = in->c;
  b->out.h = ilgnet_pool_out_size (in->h, win->kh, win->sh, win->ph);
  b->out.w = ilgnet_pool_out_size (in->w, win->kw, win->sw, win->pw);
  b->out.ndim = 4;
  if (b->out.h == 0 || b->out.w == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: kernel larger "
        "than its %dx%d input", b->what, in->h, in->w);
    return FALSE;
  }
  /* with no padding and kernel < stride the last window can still start
   * past the input (Caffe then outputs garbage): refuse */
  if ((gint64) (b->out.h - 1) * win->sh - win->ph >= in->h
      || (gint64) (b->out.w - 1) * win->sw - win->pw >= in->w) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: the last "
        "pooling window starts outside the %dx%d input", b->what, in->h,
        in->w);
    return FALSE;
  }
  return TRUE;
}

static guint64
pool_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  const PoolParams *p = l->params;

  return ilgnet_blob_shape_size (&m->blobs[l->top].shape)
      * (guint64) p->win.kh * p->win.kw;
}

static const IlgnetKernel pool_kernels[] = {
  {"separable", ILGNET_DTYPE_F32, NULL, pool_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_pool = {
  .type = "Pooling",
  .params_size = sizeof (PoolParams),
  .caffe_v1 = "POOLING",
  .parse = pool_parse,
  .infer = pool_infer,
  .flops = pool_flops,
  .kernels = pool_kernels,
};
