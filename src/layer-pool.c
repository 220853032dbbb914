/* Pooling with Caffe's rules: ceil-rounded output size (output-size.c);
 * MAX over the window clipped to the input; AVE divides by
 * the window clipped to the padded input (pad cells count as zeros), which
 * is what Caffe and OpenCV do.  Both are computed separably: a horizontal
 * pass into a row buffer, then a vertical one over whole rows (vectorizes).
 * GoogLeNet's rows are short (14 to 114 values), so per-row set-up cost as
 * much as the work: its shapes (3x3/1 pad 1, 3x3/2 whose windows tile the
 * rows, 4x4/4, AVE windows all inside the plane) run over the whole plane
 * as one long row, with the clipped edges redone (the full ILGNet's pooling
 * went from 1.6 to 0.6 ms a frame on 2 threads).
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

/* The output columns whose windows lie wholly inside a row of w: [lo, hi).
 * The loops over them have plain bounds, so they vectorize; the columns
 * outside (clipped at the edges) take the generic loop.  When no window is
 * whole, lo = hi and the generic loop takes every column. */
typedef struct
{
  int lo, hi;
} Interior;

static Interior
interior_columns (int w, int ow, int k, int s, int pad)
{
  int first = (pad + s - 1) / s;        /* px * s - pad >= 0 */
  int end = w - k + pad >= 0 ? (w - k + pad) / s + 1 : 0;  /* + k <= w */
  Interior r;

  r.lo = MIN (first, ow);
  r.hi = MAX (MIN (end, ow), r.lo);
  return r;
}

/* The row and plane loops are inlined into the per-instruction-set clones
 * of max_plane and ave_plane: rows are short (14 to 114 values), so a
 * call and its set-up per row would cost as much as the row. */
#define INLINE static inline __attribute__((always_inline))

/* The maximum of in[start .. start + k) clipped to [0, w) (never empty:
 * pad < k, and no window starts past the input). */
INLINE float
max_clipped (const float *in, int w, int start, int k)
{
  int x = MAX (start, 0), end = MIN (start + k, w);
  float m = in[x];
  for (x++; x < end; x++)
    m = MAX (m, in[x]);
  return m;
}

INLINE float
sum_clipped (const float *in, int w, int start, int k)
{
  int x, end = MIN (start + k, w);
  float sum = 0;
  for (x = MAX (start, 0); x < end; x++)
    sum += in[x];
  return sum;
}

/* Window maxima of one row: out[px] = max of in[px*s - pad ..] clipped. */
INLINE void
max_row (const float *restrict in, int w, float *restrict out, int ow,
    int k, int s, int pad, Interior in_)
{
  const float *p = in + in_.lo * s - pad;       /* the first whole window */
  float *o = out + in_.lo;
  int n = in_.hi - in_.lo, px, x, i;

  if (k == 3 && s == 1) {
    for (i = 0; i < n; i++)
      o[i] = MAX (MAX (p[i], p[i + 1]), p[i + 2]);
  } else if (k == 3 && s == 2) {
    for (i = 0; i < n; i++)
      o[i] = MAX (MAX (p[2 * i], p[2 * i + 1]), p[2 * i + 2]);
  } else {
    for (i = 0; i < n; i++) {
      const float *q = p + i * s;
      float m = q[0];
      for (x = 1; x < k; x++)
        m = MAX (m, q[x]);
      o[i] = m;
    }
  }
  /* the clipped windows at both edges */
  for (px = 0; px < in_.lo; px++)
    out[px] = max_clipped (in, w, px * s - pad, k);
  for (px = in_.hi; px < ow; px++)
    out[px] = max_clipped (in, w, px * s - pad, k);
}

/* Window sums of one row, clipped to the input (pad cells add nothing). */
INLINE void
sum_row (const float *restrict in, int w, float *restrict out, int ow,
    int k, int s, int pad, Interior in_)
{
  const float *p = in + in_.lo * s - pad;
  float *o = out + in_.lo;
  int n = in_.hi - in_.lo, px, x, i;

  if (k == 3 && s == 1) {
    for (i = 0; i < n; i++)
      o[i] = p[i] + p[i + 1] + p[i + 2];
  } else if (k == 4 && s == 4) {
    for (i = 0; i < n; i++)
      o[i] = (p[4 * i] + p[4 * i + 1]) + (p[4 * i + 2] + p[4 * i + 3]);
  } else {
    for (i = 0; i < n; i++) {
      const float *q = p + i * s;
      float sum = 0;
      for (x = 0; x < k; x++)
        sum += q[x];
      o[i] = sum;
    }
  }
  for (px = 0; px < in_.lo; px++)
    out[px] = sum_clipped (in, w, px * s - pad, k);
  for (px = in_.hi; px < ow; px++)
    out[px] = sum_clipped (in, w, px * s - pad, k);
}

/* Separable: the maxima of every input row's windows into rows, then of
 * the rows each output row's windows cover. */
ILGNET_SIMD_CLONES static void
max_plane (const float *restrict src, float *restrict dst, int h, int w,
    int oh, int ow, const IlgnetWindow * p, float *restrict rows)
{
  Interior in_ = interior_columns (w, ow, p->kw, p->sw, p->pw);
  int py, y, i;

  if (p->kw == 3 && p->sw == 2 && p->pw == 0 && w == 2 * ow && h > 0) {
    /* pool1, pool3: the rows' windows tile the plane read as one row of
     * h * ow windows, but for the last of each row (clipped at w) */
    int n = h * ow - 1;
    for (i = 0; i < n; i++)
      rows[i] = MAX (MAX (src[2 * i], src[2 * i + 1]), src[2 * i + 2]);
    for (y = 0; y < h; y++)
      rows[(gsize) y * ow + ow - 1] = MAX (src[(gsize) y * w + w - 2],
          src[(gsize) y * w + w - 1]);
  } else {
    for (y = 0; y < h; y++)
      max_row (src + (gsize) y * w, w, rows + (gsize) y * ow, ow, p->kw,
          p->sw, p->pw, in_);
  }
  for (py = 0; py < oh; py++) {
    int hs = MAX (py * p->sh - p->ph, 0);
    int he = MIN (py * p->sh - p->ph + p->kh, h);
    const float *r = rows + (gsize) hs * ow;
    float *d = dst + (gsize) py * ow;
    if (he - hs == 3) {
      for (i = 0; i < ow; i++)
        d[i] = MAX (MAX (r[i], r[i + ow]), r[i + 2 * ow]);
      continue;
    }
    memcpy (d, r, ow * sizeof (float));
    for (y = hs + 1; y < he; y++) {
      r = rows + (gsize) y * ow;
      for (i = 0; i < ow; i++)
        d[i] = MAX (d[i], r[i]);
    }
  }
}

/* Separable too: the divisor (window clipped to the padded input) is a
 * product of a row and a column count.  The sums keep their order,
 * ((r0 + r1) + r2) ..., whichever loop computes them. */
ILGNET_SIMD_CLONES static void
ave_plane (const float *restrict src, float *restrict dst, int h, int w,
    int oh, int ow, const IlgnetWindow * p, float *restrict rows,
    const float *restrict inv_w)
{
  Interior in_ = interior_columns (w, ow, p->kw, p->sw, p->pw);
  int py, y, i;

  if (p->kw == 4 && p->sw == 4 && p->pw == 0 && w == 4 * ow) {
    /* the local heads' 4x4 pooling: windows tile every row exactly */
    int n = h * ow;
    for (i = 0; i < n; i++)
      rows[i] = (src[4 * i] + src[4 * i + 1]) + (src[4 * i + 2]
          + src[4 * i + 3]);
  } else {
    for (y = 0; y < h; y++)
      sum_row (src + (gsize) y * w, w, rows + (gsize) y * ow, ow, p->kw,
          p->sw, p->pw, in_);
  }
  for (py = 0; py < oh; py++) {
    int hs = py * p->sh - p->ph;
    int he = MIN (hs + p->kh, h + p->ph);
    int hs0 = MAX (hs, 0), he0 = MIN (he, h);
    float inv_h = 1.0f / (he - hs);
    const float *r = rows + (gsize) hs0 * ow;
    float *d = dst + (gsize) py * ow;
    if (he0 - hs0 == 3) {
      for (i = 0; i < ow; i++)
        d[i] = (r[i] + r[i + ow] + r[i + 2 * ow]) * (inv_w[i] * inv_h);
      continue;
    }
    memcpy (d, r, ow * sizeof (float));
    for (y = hs0 + 1; y < he0; y++) {
      r = rows + (gsize) y * ow;
      for (i = 0; i < ow; i++)
        d[i] += r[i];
    }
    for (i = 0; i < ow; i++)
      d[i] *= inv_w[i] * inv_h;
  }
}

/* AVE over windows that all lie inside the plane, no padding (e.g. the
 * global branch's 5x5/3 on 14x14): each output row sums its k input rows
 * first (whole rows, vectorized), then the windows along that sum.  Every
 * divisor is kw * kh, as (1/kw) * (1/kh). */
ILGNET_SIMD_CLONES static void
ave_plane_whole (const float *restrict src, float *restrict dst, int w,
    int oh, int ow, const IlgnetWindow * p, float *restrict v)
{
  float inv = (1.0f / p->kw) * (1.0f / p->kh);
  int py, px, r, x;

  for (py = 0; py < oh; py++) {
    const float *row = src + (gsize) py * p->sh * w;
    memcpy (v, row, w * sizeof (float));
    for (r = 1; r < p->kh; r++)
      for (x = 0; x < w; x++)
        v[x] += row[(gsize) r * w + x];
    for (px = 0; px < ow; px++) {
      const float *q = v + px * p->sw;
      float sum = 0;
      for (x = 0; x < p->kw; x++)
        sum += q[x];
      dst[py * ow + px] = sum * inv;
    }
  }
}

static gboolean
windows_whole (const IlgnetWindow * p, int h, int w, int oh, int ow)
{
  return p->ph == 0 && p->pw == 0 && (oh - 1) * p->sh + p->kh <= h
      && (ow - 1) * p->sw + p->kw <= w;
}

/* 3x3 windows, stride 1, pad 1 (every inception branch's pooling), on
 * planes of at least 2x2: both passes run over the plane read as one long
 * row (t[i] from src[i - 1 .. i + 1], then dst[i] from t[i - w .. i + w]),
 * and the row ends and the first and last rows, whose windows are
 * clipped, are redone.  Same operations in the same order as the
 * separable loops above, so the same values. */
#define PLANE_3X3_S1(NAME, AGG2, AGG3) \
ILGNET_SIMD_CLONES static void \
NAME (const float *restrict src, float *restrict dst, int h, int w, \
    float *restrict t) \
{ \
  int n = h * w, i, y; \
  for (i = 1; i < n - 1; i++) \
    t[i] = AGG3 (src[i - 1], src[i], src[i + 1]); \
  for (y = 0; y < h; y++) { \
    int a = y * w, b = a + w - 1; \
    t[a] = AGG2 (src[a], src[a + 1]); \
    t[b] = AGG2 (src[b - 1], src[b]); \
  } \
  for (i = w; i < n - w; i++) \
    dst[i] = AGG3 (t[i - w], t[i], t[i + w]); \
  for (i = 0; i < w; i++) { \
    dst[i] = AGG2 (t[i], t[i + w]); \
    dst[n - w + i] = AGG2 (t[n - 2 * w + i], t[n - w + i]); \
  } \
}

#define MAX2(a, b) MAX (a, b)
#define MAX3(a, b, c) MAX (MAX (a, b), c)
#define SUM2(a, b) ((a) + (b))
#define SUM3(a, b, c) ((a) + (b) + (c))
PLANE_3X3_S1 (max_plane_3x3_s1, MAX2, MAX3)
PLANE_3X3_S1 (sum_plane_3x3_s1, SUM2, SUM3)

/* Caffe counts the pad cells: with pad 1 every 3x3 window of the padded
 * plane is whole, 9 cells (as (1/3) * (1/3), the separable divisor) */
ILGNET_SIMD_CLONES static void
scale_plane (float *restrict d, int n)
{
  const float inv = (1.0f / 3) * (1.0f / 3);
  int i;
  for (i = 0; i < n; i++)
    d[i] *= inv;
}

static gboolean
is_3x3_s1_pad1 (const IlgnetWindow * p, int h, int w)
{
  return p->kh == 3 && p->kw == 3 && p->sh == 1 && p->sw == 1 && p->ph == 1
      && p->pw == 1 && h >= 2 && w >= 2;
}

static void
pool_task (int task, gpointer data)
{
  const PoolJob *j = data;
  int c = j->in->shape.c, h = j->in->shape.h, w = j->in->shape.w;
  int oh = j->out->shape.h, ow = j->out->shape.w;
  int first = task * j->planes_per_task;
  int last = MIN (first + j->planes_per_task, j->n_planes);
  /* the horizontal pass's rows, or one summed row of ave_plane_whole */
  float *rows = g_new (float, MAX ((gsize) h * ow, (gsize) w));
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
    if (is_3x3_s1_pad1 (j->p, h, w)) {
      if (j->max) {
        max_plane_3x3_s1 (src, dst, h, w, rows);
      } else {
        sum_plane_3x3_s1 (src, dst, h, w, rows);
        scale_plane (dst, h * w);
      }
    } else if (j->max) {
      max_plane (src, dst, h, w, oh, ow, j->p, rows);
    } else if (j->p->kw != j->p->sw && windows_whole (j->p, h, w, oh, ow)) {
      ave_plane_whole (src, dst, w, oh, ow, j->p, rows);
    } else {
      ave_plane (src, dst, h, w, oh, ow, j->p, rows, inv_w);
    }
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
