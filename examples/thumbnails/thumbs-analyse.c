/* ilgnet-thumbs: cheap per-frame measurements (luminance, contrast,
 * uniformity, Sobel sharpness, colour/edge features) and the change
 * measures between frames that reveal cuts, fades and dissolves. */
#include "thumbs-frame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LAG ILGNET_THUMBS_LAG
#define HISTORY 48
/* A pixel is an edge when its Sobel magnitude (0..1 grey, unnormalised
 * kernel) exceeds this; a fixed level so that fades make edges vanish. */
#define EDGE_LEVEL 0.4f
#define DILATE 2

typedef struct
{
  GstClockTime pts;
  int width, height;
  guint8 *grey;
  guint8 *edge;
  guint8 *dilated;
  int n_edges;
  float contrast;
  float hist[ILGNET_THUMBS_HIST_BINS];
} Past;

struct _IlgnetThumbsAnalyser
{
  Past past[HISTORY];
  int head;                     /* index of the newest entry */
  int count;
};

IlgnetThumbsAnalyser *
ilgnet_thumbs_analyser_new (void)
{
  IlgnetThumbsAnalyser *a = g_new0 (IlgnetThumbsAnalyser, 1);
  a->head = -1;
  return a;
}

static void
past_clear (Past * p)
{
  g_clear_pointer (&p->grey, g_free);
  g_clear_pointer (&p->edge, g_free);
  g_clear_pointer (&p->dilated, g_free);
}

void
ilgnet_thumbs_analyser_free (IlgnetThumbsAnalyser * a)
{
  if (!a)
    return;
  for (int i = 0; i < HISTORY; i++)
    past_clear (&a->past[i]);
  g_free (a);
}

static float
hist_distance (const float *a, const float *b)
{
  float d = 0;
  for (int i = 0; i < ILGNET_THUMBS_HIST_BINS; i++)
    d += fabsf (a[i] - b[i]);
  return d / 2;
}

static int
cmp_desc_int (const void *a, const void *b)
{
  return *(const int *) b - *(const int *) a;
}

static void
dilate (const guint8 * in, guint8 * out, int w, int h)
{
  /* Separable max filter, radius DILATE. */
  guint8 *tmp = g_malloc (w * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint8 m = 0;
      for (int dx = -DILATE; dx <= DILATE && !m; dx++) {
        int xx = x + dx;
        if (xx >= 0 && xx < w)
          m |= in[y * w + xx];
      }
      tmp[y * w + x] = m;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint8 m = 0;
      for (int dy = -DILATE; dy <= DILATE && !m; dy++) {
        int yy = y + dy;
        if (yy >= 0 && yy < h)
          m |= tmp[yy * w + x];
      }
      out[y * w + x] = m;
    }
  g_free (tmp);
}

/* Share of @a's edges with no edge of @b nearby. */
static float
edge_escape (const Past * a, const Past * b)
{
  int n = a->width * a->height, lost = 0;
  for (int i = 0; i < n; i++)
    lost += a->edge[i] && !b->dilated[i];
  return a->n_edges ? (float) lost / a->n_edges : 0.f;
}

static const Past *
find_lagged (const IlgnetThumbsAnalyser * a, GstClockTime pts, int w, int h)
{
  const Past *best = NULL;
  /* Walk back from the newest; stop at the first frame at least LAG old. */
  for (int k = 0; k < a->count; k++) {
    const Past *p = &a->past[(a->head - k + HISTORY) % HISTORY];
    if (p->width != w || p->height != h)
      break;
    best = p;
    if (!GST_CLOCK_TIME_IS_VALID (pts) || !GST_CLOCK_TIME_IS_VALID (p->pts)
        || p->pts + LAG <= pts)
      break;
  }
  return best;
}

/* Crete-Roffet et al. 2007, "The blur effect": how much of the variation
 * between neighbouring pixels survives a strong re-blur.  A sharp frame
 * loses most of it, a blurred one little.  Unlike the mean gradient, it does
 * not depend on contrast or on how much texture the scene has. */
#define REBLUR 9
static float
perceptual_blur (const guint8 * g, int w, int h)
{
  double worst = 0;
  for (int axis = 0; axis < 2; axis++) {
    int len = axis ? h : w, lines = axis ? w : h;
    int step = axis ? w : 1, next = axis ? 1 : w;
    double sum_f = 0, sum_v = 0;
    float *b = g_new (float, len);
    for (int l = 0; l < lines; l++) {
      const guint8 *p = g + (gsize) l * next;
      /* A running sum of the REBLUR-wide window (edges repeated). */
      int s = 0;
      for (int d = -REBLUR / 2; d <= REBLUR / 2; d++)
        s += p[CLAMP (d, 0, len - 1) * step];
      for (int i = 0; i < len; i++) {
        b[i] = s / (float) REBLUR;
        s += p[MIN (i + REBLUR / 2 + 1, len - 1) * step]
            - p[MAX (i - REBLUR / 2, 0) * step];
      }
      for (int i = 1; i < len; i++) {
        float df = fabsf ((float) p[i * step] - p[(i - 1) * step]);
        float db = fabsf (b[i] - b[i - 1]);
        sum_f += df;
        sum_v += MAX (0.f, df - db);
      }
    }
    g_free (b);
    if (sum_f > 0)
      worst = MAX (worst, (sum_f - sum_v) / sum_f);
    else
      worst = 1;
  }
  return worst;
}

void
ilgnet_thumbs_analyser_add (IlgnetThumbsAnalyser * a, const guint8 * rgb,
    int w, int h, int stride, GstClockTime pts, IlgnetThumbsFrame * out)
{
  int n = w * h;
  int grey_bins[128] = { 0 };
  double sum = 0, sum2 = 0, grad = 0;
  Past cur = { 0 };

  memset (out, 0, sizeof (*out));
  out->pts = out->time = pts;
  out->score = -1.f;

  cur.pts = pts;
  cur.width = w;
  cur.height = h;
  cur.grey = g_malloc (n);
  cur.edge = g_malloc0 (n);
  cur.dilated = g_malloc (n);

  for (int y = 0; y < h; y++) {
    const guint8 *row = rgb + (gsize) y * stride;
    for (int x = 0; x < w; x++) {
      int r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
      int v = (77 * r + 150 * g + 29 * b) >> 8;
      cur.grey[y * w + x] = v;
      grey_bins[v >> 1]++;
      sum += v;
      sum2 += (double) v * v;
      cur.hist[(r >> 6) * 16 + (g >> 6) * 4 + (b >> 6)] += 1.f;
    }
  }
  for (int i = 0; i < ILGNET_THUMBS_HIST_BINS; i++)
    cur.hist[i] /= n;
  out->luma = sum / n / 255.0;
  out->contrast = sqrt (MAX (0.0, sum2 / n - (sum / n) * (sum / n))) / 255.0;
  cur.contrast = out->contrast;

  /* Near-uniform: the 5 % fullest grey bins (7 of 128) hold most pixels. */
  qsort (grey_bins, 128, sizeof (int), cmp_desc_int);
  int top = 0;
  for (int i = 0; i < 7; i++)
    top += grey_bins[i];
  out->uniformity = (float) top / n;

  int cell_count[ILGNET_THUMBS_EDGE_CELLS] = { 0 };
  int cell_edges[ILGNET_THUMBS_EDGE_CELLS] = { 0 };
  /* The grid cell of each column, and of each row below: no division
   * per pixel. */
  int *cell_x = g_new (int, w);
  for (int x = 0; x < w; x++)
    cell_x[x] = x * ILGNET_THUMBS_GRID / w;
  for (int y = 1; y < h - 1; y++) {
    int cell_y = (y * ILGNET_THUMBS_GRID / h) * ILGNET_THUMBS_GRID;
    for (int x = 1; x < w - 1; x++) {
      const guint8 *p = cur.grey + y * w + x;
      int gx = (p[-w + 1] + 2 * p[1] + p[w + 1]) - (p[-w - 1] + 2 * p[-1] +
          p[w - 1]);
      int gy = (p[w - 1] + 2 * p[w] + p[w + 1]) - (p[-w - 1] + 2 * p[-w] +
          p[-w + 1]);
      float mag = sqrtf ((float) (gx * gx + gy * gy)) / 255.f;
      int cell = cell_y + cell_x[x];
      grad += mag;
      cell_count[cell]++;
      if (mag > EDGE_LEVEL) {
        cur.edge[y * w + x] = 1;
        cur.n_edges++;
        cell_edges[cell]++;
      }
    }
  }
  g_free (cell_x);
  out->sharpness = (w > 2 && h > 2) ? grad / ((w - 2) * (h - 2)) : 0;
  out->blur = perceptual_blur (cur.grey, w, h);
  for (int i = 0; i < ILGNET_THUMBS_EDGE_CELLS; i++)
    out->edges[i] = cell_count[i] ? (float) cell_edges[i] / cell_count[i] : 0;
  memcpy (out->hist, cur.hist, sizeof (cur.hist));
  dilate (cur.edge, cur.dilated, w, h);

  const Past *prev = a->count ? &a->past[a->head] : NULL;
  if (prev && (prev->width != w || prev->height != h))
    prev = NULL;
  if (prev) {
    long diff = 0;
    for (int i = 0; i < n; i++)
      diff += abs ((int) cur.grey[i] - (int) prev->grey[i]);
    out->motion = diff / (double) n / 255.0;
    /* Colour histograms miss cuts between dark scenes (all pixels in the
     * darkest bins); the grey difference relative to contrast does not. */
    float rel = out->motion / ((cur.contrast + prev->contrast) / 2 + 0.02f);
    out->cut = MAX (hist_distance (cur.hist, prev->hist), rel / 2);
  }

  const Past *lag = find_lagged (a, pts, w, h);
  if (lag) {
    /* Too few edges to compare: a change from or to a blank frame is a
     * full change, two blank frames are no change. */
    int few = MAX (1, n / 500);
    if (cur.n_edges < few && lag->n_edges < few)
      out->ecr = 0;
    else if (cur.n_edges < few || lag->n_edges < few)
      out->ecr = 1;
    else
      out->ecr = MAX (edge_escape (&cur, lag), edge_escape (lag, &cur));
    out->fade = fabsf (logf ((cur.contrast + 0.02f) / (lag->contrast + 0.02f)));
    out->drift = hist_distance (cur.hist, lag->hist);
  }

  a->head = (a->head + 1) % HISTORY;
  past_clear (&a->past[a->head]);
  a->past[a->head] = cur;
  if (a->count < HISTORY)
    a->count++;
}
