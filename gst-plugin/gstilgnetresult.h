/* GStreamer ILGNet element: one frame's result
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_RESULT_H__
#define __GST_ILGNET_RESULT_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "ilgnet.h"

G_BEGIN_DECLS

/* What the scorer found for one frame.  Its own header because every part
 * of the element reads it (the scorer makes it, the results keep it, the
 * score file formats it, the overlay draws it) and none of them should
 * need another's header for it. */
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
  GstVideoRectangle crops[ILGNET_MAX_CROPS];
  gfloat crop_scores[ILGNET_MAX_CROPS];
  gfloat frame_score;           /* crop=multi: the whole frame's score */
  gboolean keep_framing;        /* crop=multi: @rect is the whole frame */
} GstIlgnetResult;

G_END_DECLS

#endif /* __GST_ILGNET_RESULT_H__ */
