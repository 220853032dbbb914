/* GStreamer ILGNet element: the score file (JSON lines, CSV, WebVTT)
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_SIDECAR_H__
#define __GST_ILGNET_SIDECAR_H__

#include <gst/gst.h>

#include "gstilgnetworker.h"

G_BEGIN_DECLS

typedef enum
{
  GST_ILGNET_SIDECAR_JSONL,
  GST_ILGNET_SIDECAR_CSV,
  GST_ILGNET_SIDECAR_WEBVTT
} GstIlgnetSidecarFormat;

typedef struct _GstIlgnetSidecar GstIlgnetSidecar;

/* Creates (truncates) @location and writes the format's header. */
GstIlgnetSidecar *gst_ilgnet_sidecar_open (const gchar * location,
    GstIlgnetSidecarFormat format, const gchar * model, GError ** error);

/* Appends one result; @with_crop adds its rectangle.  Each record is
 * flushed to the file at once so that it can be followed live. */
gboolean gst_ilgnet_sidecar_write (GstIlgnetSidecar * sidecar,
    const GstIlgnetResult * result, gboolean with_crop, GError ** error);

/* Writes what is pending (WebVTT: the last cue, lasting until @end, a
 * stream time) so that the file is complete at end of stream. */
gboolean gst_ilgnet_sidecar_finish (GstIlgnetSidecar * sidecar,
    GstClockTime end, GError ** error);

/* Ends the file (WebVTT: the last cue lasts until @end, a stream time, or
 * one frame when unknown) and frees @sidecar. */
gboolean gst_ilgnet_sidecar_close (GstIlgnetSidecar * sidecar,
    GstClockTime end, GError ** error);

G_END_DECLS

#endif /* __GST_ILGNET_SIDECAR_H__ */
