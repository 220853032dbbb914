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
    gint height, gfloat score, const GstVideoRectangle * rect,
    gboolean keep);

/* The overlay of one element: the composition last built, redrawn only
 * when the score, the rectangle or the frame size changes (most buffers
 * carry the same result as the one before).  Streaming thread only. */
typedef struct _GstIlgnetOverlay GstIlgnetOverlay;

GstIlgnetOverlay *gst_ilgnet_overlay_new (void);
void gst_ilgnet_overlay_free (GstIlgnetOverlay * overlay);

/* Forgets the composition built (caps changed, the element stopped). */
void gst_ilgnet_overlay_reset (GstIlgnetOverlay * overlay);

/* Draws the gauge for @score and, when not NULL, @rect's outline on @buf,
 * a frame described by @info: as a GstVideoOverlayCompositionMeta when
 * @compose (downstream supports it; merged with one upstream attached),
 * blended into the frame otherwise.  FALSE when the frame could not be
 * mapped to blend into it. */
gboolean gst_ilgnet_overlay_draw (GstIlgnetOverlay * overlay,
    GstBuffer * buf, const GstVideoInfo * info, gfloat score,
    const GstVideoRectangle * rect, gboolean keep, gboolean compose);

G_END_DECLS

#endif /* __GST_ILGNET_OVERLAY_H__ */
