/* GStreamer ILGNet element: drawing the score gauge and crop rectangle
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_OVERLAY_H__
#define __GST_ILGNET_OVERLAY_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* Builds the overlay for a frame of @width x @height: a gauge at the bottom
 * left (a bar filled to @score, 0..1, and the score in digits) and, when
 * @rect is not NULL, that rectangle's outline.  NULL when the frame is too
 * small to draw on. */
GstVideoOverlayComposition *gst_ilgnet_overlay_build (gint width,
    gint height, gfloat score, const GstVideoRectangle * rect);

G_END_DECLS

#endif /* __GST_ILGNET_OVERLAY_H__ */
