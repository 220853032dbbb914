/* GStreamer ILGNet aesthetic score metadata
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_META_H__
#define __GST_ILGNET_META_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_ILGNET_META_API_TYPE (gst_ilgnet_meta_api_get_type ())
#define GST_ILGNET_META_INFO (gst_ilgnet_meta_get_info ())

typedef struct _GstIlgnetMeta GstIlgnetMeta;

/**
 * GstIlgnetMeta:
 * @meta: parent #GstMeta
 * @score: aesthetic quality score, the network's probability of "high
 *   quality", in 0..1
 * @pts: presentation timestamp of the frame that was analysed.  In
 *   `mode=async` the result rides on later buffers too, so compare it with
 *   the buffer's own PTS to know how old the result is.
 * @frame: index of the analysed frame among the buffers the element saw
 *   since it started (0 = first buffer)
 * @x: left edge of the crop rectangle, in pixels of this buffer
 * @y: top edge of the crop rectangle
 * @width: width of the crop rectangle
 * @height: height of the crop rectangle
 * @model: name of the model that produced @score (an interned string)
 *
 * The result of scoring a video frame with the `ilgnet` element.
 *
 * The crop rectangle is the region of the frame the @score belongs to: the
 * whole frame for `crop=squash` and `crop=letterbox`, the centred square for
 * `crop=center` and the suggested crop for `crop=multi`: the best-scoring
 * candidate, held steady from result to result, the whole frame when no crop
 * is clearly better (the `ilgnet` message also carries the whole frame's
 * score).  It is in the coordinates of the buffer the meta is attached
 * to, and follows the frame through scaling elements.
 *
 * The meta carries the tags "video" and "size".
 */
struct _GstIlgnetMeta
{
  GstMeta meta;

  gfloat score;
  GstClockTime pts;
  guint64 frame;
  gint x, y, width, height;
  const gchar *model;
};

GType gst_ilgnet_meta_api_get_type (void);
const GstMetaInfo *gst_ilgnet_meta_get_info (void);

/**
 * gst_buffer_get_ilgnet_meta:
 * @buffer: a #GstBuffer
 *
 * From Python (PyGObject, typelib GstIlgnet-1.0), in a pad probe:
 * |[<!-- language="Python" -->
 * meta = GstIlgnet.buffer_get_ilgnet_meta(info.get_buffer())
 * if meta is not None:
 *     print(meta.frame, meta.pts, meta.score, meta.x, meta.y,
 *           meta.width, meta.height, meta.model)
 * ]|
 * (every field reads as a plain Python value; examples/python/).
 *
 * Returns: (transfer none) (nullable): the #GstIlgnetMeta of @buffer, or
 *   %NULL when the buffer has none.
 */
GstIlgnetMeta *gst_buffer_get_ilgnet_meta (GstBuffer * buffer);

/**
 * gst_buffer_add_ilgnet_meta:
 * @buffer: a writable #GstBuffer
 * @score: score in 0..1
 * @pts: PTS of the analysed frame
 * @frame: index of the analysed frame
 * @rect: (nullable): crop rectangle, %NULL for "no rectangle" (all zero)
 * @model: (nullable): model name
 *
 * Attaches a #GstIlgnetMeta to @buffer.
 *
 * Returns: (transfer none): the added meta.
 */
GstIlgnetMeta *gst_buffer_add_ilgnet_meta (GstBuffer * buffer, gfloat score,
    GstClockTime pts, guint64 frame, const GstVideoRectangle * rect,
    const gchar * model);

G_END_DECLS

#endif /* __GST_ILGNET_META_H__ */
