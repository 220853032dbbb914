/* ROIAveragePooling: average pooling of one box of the input map onto a
 * fixed grid, for scoring many crops of a frame from one trunk pass
 * (score-boxes.c).  Not a Caffe layer; ilgnet's own, made by
 * ilgnet_box_session_new() from a model's AVE Pooling heads.
 *
 * Params: "pooled" [oh, ow], "kernel" [kh, kw], "stride" [sh, sw] and
 * "ref" [rh, rw]: the AVE Pooling it replaces, as it runs on a map of
 * rh x rw cells (its input at the model's own input size).  A box covering
 * L cells (fractional) of the map is pooled with that geometry scaled by
 * L / ref: window j spans [x0 + j*s*L/ref, x0 + (j*s + k)*L/ref), and each
 * cell it overlaps counts by the overlapped length (area in 2-D); the
 * window's value is that weighted mean.  So for the whole map at the
 * reference size (L = ref) the windows are the Pooling's own integer ones
 * and the output is the Pooling's (the heads see what they were trained
 * on); for a crop, or a map of another aspect, the windows stretch with
 * the box.
 *
 * Boxes are normalized [x0, y0, x1, y1] in 0..1 of the map (the whole net
 * input), one per image, from ilgnet_session_set_boxes() (internal); with
 * none set every image pools its whole map.  With the session's shared
 * trunk, every image reads image 0's map (one trunk pass, many boxes). */
#include "ilgnet-layer.h"

#include <math.h>
#include <string.h>

typedef struct
{
  int oh, ow, kh, kw, sh, sw, rh, rw;
} RoiParams;

static gboolean
roi_parse (IlgnetLayerBuild * b, GError ** error)
{
  RoiParams *p = b->layer->params;

  if (!b->param)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: ROIAveragePooling needs pooled, "
        "kernel, stride and ref", b->what);
  return ilgnet_json_get_pair (b->param, "pooled", 1, 4096, 0, &p->oh,
      &p->ow, b->what, error)
      && ilgnet_json_get_pair (b->param, "kernel", 1, 4096, 0, &p->kh,
      &p->kw, b->what, error)
      && ilgnet_json_get_pair (b->param, "stride", 1, 4096, 1, &p->sh,
      &p->sw, b->what, error)
      && ilgnet_json_get_pair (b->param, "ref", 1, 65536, 0, &p->rh, &p->rw,
      b->what, error);
}

static gboolean
roi_infer (IlgnetLayerBuild * b, GError ** error)
{
  const RoiParams *p = b->layer->params;

  if (p->oh < 1 || p->ow < 1 || p->kh < 1 || p->kw < 1 || p->rh < 1
      || p->rw < 1)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: pooled, kernel and ref are "
        "required", b->what);
  if ((gint64) (p->oh - 1) * p->sh + p->kh > p->rh
      || (gint64) (p->ow - 1) * p->sw + p->kw > p->rw)
    ILGNET_FAIL (ILGNET_ERROR_SHAPE, "%s: %dx%d windows of %dx%d, stride "
        "%dx%d do not fit the %dx%d reference map", b->what, p->oh, p->ow,
        p->kh, p->kw, p->sh, p->sw, p->rh, p->rw);
  /* the weight tables pool_box() allocates per run */
  if ((gint64) p->ow * ((gint64) p->kw * b->in[0]->w / p->rw + 3) > (1 << 24)
      || (gint64) p->oh * ((gint64) p->kh * b->in[0]->h / p->rh + 3) >
      (1 << 24))
    ILGNET_FAIL (ILGNET_ERROR_SHAPE, "%s: windows too large for a %dx%d map",
        b->what, b->in[0]->h, b->in[0]->w);
  b->out.c = b->in[0]->c;
  b->out.h = p->oh;
  b->out.w = p->ow;
  b->out.ndim = 4;
  return TRUE;
}

static guint64
roi_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  const RoiParams *p = l->params;
  return (guint64) m->blobs[l->top].shape.c * p->oh * p->ow * p->kh * p->kw;
}

/* The cells window j of @n overlaps on an axis of @size cells, for a box
 * [b0, b1) in cells: first cell, count, and weights (summing to the
 * window's length inside the map). */
typedef struct
{
  int first, count;
  float *w;
} Span;

static void
make_spans (Span * spans, int n, int k, int s, int ref, double b0, double b1,
    int size, float *wbuf)
{
  double scale = (b1 - b0) / ref;
  int j;

  for (j = 0; j < n; j++) {
    double s0 = b0 + (double) j * s * scale;
    double s1 = b0 + (double) (j * s + k) * scale;
    int c0 = (int) floor (s0), c1 = (int) ceil (s1), c;
    c0 = CLAMP (c0, 0, size - 1);
    c1 = CLAMP (c1, c0 + 1, size);
    spans[j].first = c0;
    spans[j].count = c1 - c0;
    spans[j].w = wbuf;
    for (c = c0; c < c1; c++) {
      double ov = MIN (c + 1.0, s1) - MAX ((double) c, s0);
      *wbuf++ = ov > 0 ? (float) ov : 0.0f;
    }
  }
}

static void
pool_box (const RoiParams * p, const float *box, const float *in, int c,
    int h, int w, float *out)
{
  float bx0 = CLAMP (box[0], 0.0f, 1.0f), by0 = CLAMP (box[1], 0.0f, 1.0f);
  float bx1 = CLAMP (box[2], 0.0f, 1.0f), by1 = CLAMP (box[3], 0.0f, 1.0f);
  Span *xs = g_newa (Span, p->ow), *ys = g_newa (Span, p->oh);
  /* a window spans at most its length + 2 cells */
  int maxx = (int) ((double) p->kw * w / p->rw) + 3;
  int maxy = (int) ((double) p->kh * h / p->rh) + 3;
  float *wx = g_new (float, (gsize) p->ow * maxx);
  float *wy = g_new (float, (gsize) p->oh * maxy);
  float *norm = g_new (float, (gsize) p->oh * p->ow);
  int ch, py, px, y, x;

  if (bx1 <= bx0)
    bx1 = MIN (bx0 + 1.0f / w, 1.0f), bx0 = bx1 - 1.0f / w;
  if (by1 <= by0)
    by1 = MIN (by0 + 1.0f / h, 1.0f), by0 = by1 - 1.0f / h;
  make_spans (xs, p->ow, p->kw, p->sw, p->rw, (double) bx0 * w,
      (double) bx1 * w, w, wx);
  make_spans (ys, p->oh, p->kh, p->sh, p->rh, (double) by0 * h,
      (double) by1 * h, h, wy);
  for (py = 0; py < p->oh; py++)
    for (px = 0; px < p->ow; px++) {
      double sy = 0, sx = 0;
      for (y = 0; y < ys[py].count; y++)
        sy += ys[py].w[y];
      for (x = 0; x < xs[px].count; x++)
        sx += xs[px].w[x];
      norm[py * p->ow + px] = sy * sx > 0 ? (float) (1.0 / (sy * sx)) : 0.0f;
    }
  for (ch = 0; ch < c; ch++) {
    const float *plane = in + (gsize) ch * h * w;
    float *o = out + (gsize) ch * p->oh * p->ow;
    for (py = 0; py < p->oh; py++)
      for (px = 0; px < p->ow; px++) {
        float acc = 0;
        for (y = 0; y < ys[py].count; y++) {
          const float *row = plane + (gsize) (ys[py].first + y) * w
              + xs[px].first;
          float racc = 0;
          for (x = 0; x < xs[px].count; x++)
            racc += xs[px].w[x] * row[x];
          acc += ys[py].w[y] * racc;
        }
        o[py * p->ow + px] = acc * norm[py * p->ow + px];
      }
  }
  g_free (wx);
  g_free (wy);
  g_free (norm);
}

static void
roi_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const RoiParams *p = node->layer->params;
  static const float whole[4] = { 0, 0, 1, 1 };
  int i;

  for (i = 0; i < n; i++) {
    const float *box = s->boxes ? s->boxes + 4 * i : whole;
    const float *x = ilgnet_view_image (in, s->share_trunk ? 0 : i);
    pool_box (p, box, x, in->shape.c, in->shape.h, in->shape.w,
        ilgnet_view_image (out, i));
  }
}

static const IlgnetKernel roi_kernels[] = {
  {"roi-average", ILGNET_DTYPE_F32, NULL, roi_forward},
  {NULL}
};

/* BATCHED: runs once over all boxes, so that the trunk's map it reads
 * lives outside the per-image stretches (which the shared trunk runs for
 * image 0 only). */
const IlgnetLayerClass ilgnet_layer_roipool = {
  .type = "ROIAveragePooling",
  .flags = ILGNET_LAYER_BATCHED,
  .params_size = sizeof (RoiParams),
  .parse = roi_parse,
  .infer = roi_infer,
  .flops = roi_flops,
  .kernels = roi_kernels,
};
