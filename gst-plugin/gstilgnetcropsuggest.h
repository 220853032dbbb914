/* GStreamer ILGNet element: a steady crop suggestion (crop=multi)
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_CROP_SUGGEST_H__
#define __GST_ILGNET_CROP_SUGGEST_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* Framing advice must not jitter between near-equal candidates from one
 * result to the next: the suggestion is held until another candidate is
 * clearly better.  Candidates are identified by their index in the list
 * scored for each frame (ilgnet_multi_crops(): the same list for every frame
 * of one size), index 0 being the whole frame. */

/* The margin the framing map was chosen under (models/README.md: the fold
 * and validation choices of runs 5-8 used framing-eval.py's rule, 0.02):
 * a wider one leaves well-chosen crops as "keep" it was never taught to. */
#define GST_ILGNET_CROP_SUGGEST_DEFAULT_MARGIN 0.02
#define GST_ILGNET_CROP_SUGGEST_DEFAULT_HOLD 4
/* The most candidates a frame may have (ILGNET_N_ANCHORS, 276, and
 * ILGNET_MAX_CROPS fit). */
#define GST_ILGNET_CROP_SUGGEST_MAX 288

typedef struct
{
  gint current;                 /* suggested candidate, -1: none yet */
  gint challenger;              /* candidate that led the last results */
  guint streak;                 /* how many results in a row it led */
  gint n;                       /* size of the candidate list */
  GstVideoRectangle current_rect;
  /* Each candidate's score averaged over the last results (exponentially):
   * the frame-to-frame noise of one candidate is as large as the gap
   * between the best ones on a panning shot. */
  gfloat avg[GST_ILGNET_CROP_SUGGEST_MAX];
} GstIlgnetCropSuggest;

/* Forgets the suggestion: the next result picks freely (new stream, flush,
 * seek, caps change). */
void gst_ilgnet_crop_suggest_reset (GstIlgnetCropSuggest * cs);

/* Feeds the scores of one frame's @n candidates (@rects, @scores; 0 is the
 * whole frame) and returns the index of the candidate to suggest.
 *
 * Decisions use each candidate's score averaged with its earlier results
 * (weight 1/2 for the newest, so the current suggestion is re-scored on
 * every frame).  The pick is the best candidate, or the whole frame when
 * that scores within @margin of the best ("keep the framing as is").  The
 * suggestion changes to the pick when the pick beats the suggestion by at
 * least @margin, or when the same pick has differed from the suggestion for
 * @hold results in a row.  @margin 0 and @hold <= 1 follow each frame's best
 * candidate, without averaging.  A list of another size or with other
 * rectangles starts afresh; more than GST_ILGNET_CROP_SUGGEST_MAX candidates
 * are cut to that many. */
gint gst_ilgnet_crop_suggest_update (GstIlgnetCropSuggest * cs,
    const GstVideoRectangle * rects, const gfloat * scores, gint n,
    gdouble margin, guint hold);

G_END_DECLS

#endif /* __GST_ILGNET_CROP_SUGGEST_H__ */
