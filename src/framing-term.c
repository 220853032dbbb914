/* The composition term of a box (issue 17): what cropping to the box
 * throws away, read from a model's framing map.
 *
 * A model may carry a side branch from its trunk whose output blob is
 * ILGNET_FRAMING_BLOB: C (1, 3 or 4) values on the trunk's grid of
 * cells, the frame cut in gh x gw equal cells.  Channel 0 is what a cell
 * adds to the picture (cutting it away costs that much), channels 1 and 2
 * what a box's vertical (left, right) and horizontal (top, bottom) edges
 * gain by running through the cell: a seam between a picture and what
 * surrounds it is where a good box ends.  Channel 3 is a constant map, a
 * learned weight a of the box's own score (its heads' logit L(box), as
 * without the branch).  A box's logit is
 *
 *   L(whole) + a (L(box) - L(whole)) + t(box) - t(whole),
 *   t(b) = mean_c [ -s_c (1 - cover_c(b)) + v_c band_v,c(b) + h_c band_h,c(b) ]
 *
 * with cover the part of the cell inside the box and the bands half a
 * cell either side of the box's edges, along the box (clipped to the
 * frame).  models/train/framing_cells.py trains the branch with exactly
 * this formula; the whole frame's score is unchanged by construction. */
#include "ilgnet-layer.h"

#include <math.h>
#include <string.h>

/* The part of each of the n cells [i * len / n, (i + 1) * len / n) that
 * the interval [a, b) covers, clipped to [0, len). */
static void
coverage (double a, double b, double len, int n, float *out)
{
  double cell = len / n;
  int i;

  a = MAX (a, 0.0);
  b = MIN (b, len);
  for (i = 0; i < n; i++) {
    double lo = MAX (a, i * cell), hi = MIN (b, (i + 1) * cell);
    out[i] = hi > lo ? (float) ((hi - lo) / cell) : 0.0f;
  }
}

/* sum_ij map[i][j] cy[i] cx[j] */
static double
weigh (const float *map, int gh, int gw, const float *cy, const float *cx)
{
  double sum = 0;
  int i, j;

  for (i = 0; i < gh; i++) {
    double row = 0;
    if (cy[i] == 0.0f)
      continue;
    for (j = 0; j < gw; j++)
      row += (double) map[i * gw + j] * cx[j];
    sum += row * cy[i];
  }
  return sum;
}

static double
term (const float *cells, int channels, int gh, int gw, double fw, double fh,
    double x, double y, double w, double h, double total0, float *cx,
    float *cy)
{
  const float *s = cells, *v = cells + gh * gw, *hz = cells + 2 * gh * gw;
  double hw = fw / gw / 2, hh = fh / gh / 2, t;

  /* - sum s (1 - cover) = sum s cover - sum s */
  coverage (x, x + w, fw, gw, cx);
  coverage (y, y + h, fh, gh, cy);
  t = weigh (s, gh, gw, cy, cx) - total0;
  if (channels >= 3) {
    /* vertical edges: strips x +- hw, along the box's height */
    coverage (x - hw, x + hw, fw, gw, cx);
    t += weigh (v, gh, gw, cy, cx);
    coverage (x + w - hw, x + w + hw, fw, gw, cx);
    t += weigh (v, gh, gw, cy, cx);
    /* horizontal edges: strips y +- hh, along the box's width */
    coverage (x, x + w, fw, gw, cx);
    coverage (y - hh, y + hh, fh, gh, cy);
    t += weigh (hz, gh, gw, cy, cx);
    coverage (y + h - hh, y + h + hh, fh, gh, cy);
    t += weigh (hz, gh, gw, cy, cx);
  }
  return t / (gh * gw);
}

void
ilgnet_framing_adjust (const float *cells, int channels, int gh, int gw,
    int width, int height, const IlgnetRect * boxes, int n, float p0,
    float *scores)
{
  float *cx = g_new (float, gw), *cy = g_new (float, gh);
  double total0 = 0, whole, l0, a = 0;
  int i;

  for (i = 0; i < gh * gw; i++)
    total0 += cells[i];
  if (channels >= 4) {
    for (i = 0; i < gh * gw; i++)
      a += cells[3 * gh * gw + i];
    a /= gh * gw;
  }
  whole = term (cells, channels, gh, gw, width, height, 0, 0, width, height,
      total0, cx, cy);
  /* every box's score from the whole frame's (@p0, the heads' score of
   * the whole frame) */
  p0 = CLAMP (p0, 1e-6f, 1 - 1e-6f);
  l0 = log (p0 / (1 - p0));
  for (i = 0; i < n; i++) {
    float p = CLAMP (scores[i], 1e-6f, 1 - 1e-6f);
    double t = term (cells, channels, gh, gw, width, height, boxes[i].x,
        boxes[i].y, boxes[i].width, boxes[i].height, total0, cx, cy);
    double z = l0 + a * (log (p / (1 - p)) - l0) + t - whole;
    scores[i] = (float) (1 / (1 + exp (-z)));
  }
  g_free (cx);
  g_free (cy);
}

gboolean
ilgnet_model_has_framing (const IlgnetModel * model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return ilgnet_model_find_blob (model, ILGNET_FRAMING_BLOB) >= 0;
}
