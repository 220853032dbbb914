/* GStreamer ILGNet aesthetic quality scoring element
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_H__
#define __GST_ILGNET_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

/* The element's API: its type, enums and (gstilgnetresults.h) the names
 * of its summary tags.  Its helpers' headers are the .c's business. */
#include "gstilgnetresults.h"

G_BEGIN_DECLS

#define GST_TYPE_ILGNET (gst_ilgnet_get_type ())
G_DECLARE_FINAL_TYPE (GstIlgnet, gst_ilgnet, GST, ILGNET, GstBaseTransform);

/**
 * GstIlgnetMode:
 * @GST_ILGNET_MODE_ASYNC: buffers never wait; each carries the latest result
 * @GST_ILGNET_MODE_SYNC: an analysed buffer waits for its own result
 */
typedef enum
{
  GST_ILGNET_MODE_ASYNC,
  GST_ILGNET_MODE_SYNC
} GstIlgnetMode;

/**
 * GstIlgnetCrop:
 * @GST_ILGNET_CROP_SQUASH: the whole frame scaled to the network's input
 * @GST_ILGNET_CROP_CENTER: the centred square (shorter side)
 * @GST_ILGNET_CROP_LETTERBOX: the whole frame, aspect kept, padded
 * @GST_ILGNET_CROP_MULTI: several candidate crops; a steady best one is
 *   suggested (see the element's documentation)
 */
typedef enum
{
  GST_ILGNET_CROP_SQUASH,
  GST_ILGNET_CROP_CENTER,
  GST_ILGNET_CROP_LETTERBOX,
  GST_ILGNET_CROP_MULTI
} GstIlgnetCrop;

/**
 * GstIlgnetOverlayMode:
 * @GST_ILGNET_OVERLAY_NONE: draw nothing
 * @GST_ILGNET_OVERLAY_GAUGE: a score gauge
 * @GST_ILGNET_OVERLAY_CROP: the gauge and the rectangle the score belongs to
 */
typedef enum
{
  GST_ILGNET_OVERLAY_NONE,
  GST_ILGNET_OVERLAY_GAUGE,
  GST_ILGNET_OVERLAY_CROP
} GstIlgnetOverlayMode;

/* The summary tags, GST_ILGNET_TAG_*, are in gstilgnetresults.h. */

GST_ELEMENT_REGISTER_DECLARE (ilgnet);

G_END_DECLS

#endif /* __GST_ILGNET_H__ */
