/* GStreamer ILGNet element: one frame's result
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_RESULT_H__
#define __GST_ILGNET_RESULT_H__

#include <math.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "ilgnet.h"

G_BEGIN_DECLS

/* What the scorer found for one frame.  Its own header because every part
 * of the element reads it (the scorer makes it, the results keep it, the
 * score file formats it, the overlay draws it) and none of them should
 * need another's header for it. */
/* crop=multi's candidates: the one-pass anchors (ilgnet_frame_anchors), or
 * for models whose heads cannot pool boxes, the full-pass crops. */
#define GST_ILGNET_MAX_CANDIDATES MAX (ILGNET_N_ANCHORS, ILGNET_MAX_CROPS)

typedef struct
{
  gfloat score;
  GstVideoRectangle rect;       /* region the score belongs to, frame pixels */
  IlgnetResize resize;
  GstClockTime pts, duration, running_time, stream_time;
  guint64 frame;
  guint cookie;
  gdouble elapsed_ms;           /* conversion + inference */

  /* crop=multi: every candidate crop and its score, frame pixels; 0 is the
   * whole frame.  The element picks @rect among them (and sets @score to
   * that candidate's score). */
  gint n_crops;
  GstVideoRectangle crops[GST_ILGNET_MAX_CANDIDATES];
  gfloat crop_scores[GST_ILGNET_MAX_CANDIDATES];
  gfloat frame_score;           /* crop=multi: the whole frame's score */
  gboolean keep_framing;        /* crop=multi: @rect is the whole frame */
} GstIlgnetResult;

/* crop=multi: the suggestion as a person acts on it ("zoom in, move
 * left").  @zoom: how much to zoom in for the suggested crop to fill the
 * view: the frame-to-crop ratio of sides, as the square root of the area
 * ratio, so a crop of another aspect (the centred square) gets the zoom
 * that matches its area (1: keep the framing).  @dx, @dy: the crop's
 * centre minus the frame's, in frame widths and heights (-0.5 .. 0.5;
 * negative: the better framing lies left of / above the centre, where the
 * camera should turn).  1, 0, 0 without a suggestion. */
static inline void
gst_ilgnet_result_advice (const GstIlgnetResult * r, gdouble * zoom,
    gdouble * dx, gdouble * dy)
{
  const GstVideoRectangle *f = &r->crops[0], *c = &r->rect;

  *zoom = 1.0;
  *dx = *dy = 0.0;
  if (r->resize != ILGNET_RESIZE_MULTI || r->n_crops < 1 || f->w <= 0
      || f->h <= 0 || c->w <= 0 || c->h <= 0)
    return;
  *zoom = MAX (sqrt (((gdouble) f->w * f->h) / ((gdouble) c->w * c->h)),
      1.0);
  *dx = (c->x + c->w / 2.0 - (f->x + f->w / 2.0)) / f->w;
  *dy = (c->y + c->h / 2.0 - (f->y + f->h / 2.0)) / f->h;
}

G_END_DECLS

#endif /* __GST_ILGNET_RESULT_H__ */
