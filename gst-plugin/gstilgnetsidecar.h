/* GStreamer ILGNet element: the score file's records (JSON lines, CSV,
 * WebVTT)
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_SIDECAR_H__
#define __GST_ILGNET_SIDECAR_H__

#include <gst/gst.h>

#include "gstilgnetresult.h"

G_BEGIN_DECLS

typedef enum
{
  GST_ILGNET_SIDECAR_JSONL,
  GST_ILGNET_SIDECAR_CSV,
  GST_ILGNET_SIDECAR_WEBVTT
} GstIlgnetSidecarFormat;

typedef struct _GstIlgnetSidecar GstIlgnetSidecar;

/* Formats results as whole records (a line; a WebVTT cue of several lines)
 * for gst_ilgnet_score_file_push().  Not thread-safe: one caller at a time. */
GstIlgnetSidecar *gst_ilgnet_sidecar_new (GstIlgnetSidecarFormat format,
    const gchar * model);

/* The first line of the file (CSV columns, "WEBVTT"), or NULL. */
const gchar *gst_ilgnet_sidecar_header (GstIlgnetSidecar * sidecar);

/* The record for one result (@with_crop adds its rectangle), or NULL when
 * there is nothing to write yet (WebVTT writes a cue once the next result
 * tells where it ends) or at all.  Free with g_free(). */
gchar *gst_ilgnet_sidecar_format (GstIlgnetSidecar * sidecar,
    const GstIlgnetResult * result, gboolean with_crop);

/* What is pending (WebVTT: the last cue, lasting until @end, a stream time,
 * or one frame when unknown), or NULL. */
gchar *gst_ilgnet_sidecar_finish (GstIlgnetSidecar * sidecar,
    GstClockTime end);

void gst_ilgnet_sidecar_free (GstIlgnetSidecar * sidecar);

G_END_DECLS

#endif /* __GST_ILGNET_SIDECAR_H__ */
