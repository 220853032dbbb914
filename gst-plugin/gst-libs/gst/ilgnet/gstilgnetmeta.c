/* GStreamer ILGNet aesthetic score metadata
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstilgnetmeta.h"

GType
gst_ilgnet_meta_api_get_type (void)
{
  static GType type = 0;
  /* The crop rectangle is in pixels: elements that scale must transform it,
   * elements that only convert formats may copy it. */
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_SIZE_STR, NULL
  };

  if (g_once_init_enter (&type)) {
    GType _type = gst_meta_api_type_register ("GstIlgnetMetaAPI", tags);
    g_once_init_leave (&type, _type);
  }
  return type;
}

static gboolean
gst_ilgnet_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstIlgnetMeta *imeta = (GstIlgnetMeta *) meta;

  imeta->score = 0.0f;
  imeta->pts = GST_CLOCK_TIME_NONE;
  imeta->frame = 0;
  imeta->x = imeta->y = imeta->width = imeta->height = 0;
  imeta->model = NULL;
  return TRUE;
}

static gboolean
gst_ilgnet_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstIlgnetMeta *smeta = (GstIlgnetMeta *) meta;
  GstIlgnetMeta *dmeta;
  GstVideoRectangle rect = { smeta->x, smeta->y, smeta->width,
    smeta->height
  };

  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;

    /* A region of the buffer is not a frame any more. */
    if (copy->region)
      return TRUE;
  } else if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    GstVideoMetaTransform *trans = data;
    gint iw = GST_VIDEO_INFO_WIDTH (trans->in_info);
    gint ih = GST_VIDEO_INFO_HEIGHT (trans->in_info);
    gint ow = GST_VIDEO_INFO_WIDTH (trans->out_info);
    gint oh = GST_VIDEO_INFO_HEIGHT (trans->out_info);

    if (iw <= 0 || ih <= 0)
      return FALSE;
    rect.x = gst_util_uint64_scale_int_round (rect.x, ow, iw);
    rect.y = gst_util_uint64_scale_int_round (rect.y, oh, ih);
    rect.w = gst_util_uint64_scale_int_round (rect.w, ow, iw);
    rect.h = gst_util_uint64_scale_int_round (rect.h, oh, ih);
  } else {
    /* Unknown transform: the rectangle may no longer be right. */
    return FALSE;
  }

  dmeta = gst_buffer_add_ilgnet_meta (dest, smeta->score, smeta->pts,
      smeta->frame, &rect, smeta->model);
  return dmeta != NULL;
}

const GstMetaInfo *
gst_ilgnet_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *meta = gst_meta_register (GST_ILGNET_META_API_TYPE,
        "GstIlgnetMeta", sizeof (GstIlgnetMeta), gst_ilgnet_meta_init,
        NULL, gst_ilgnet_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) meta);
  }
  return info;
}

GstIlgnetMeta *
gst_buffer_get_ilgnet_meta (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  return (GstIlgnetMeta *) gst_buffer_get_meta (buffer,
      GST_ILGNET_META_API_TYPE);
}

GstIlgnetMeta *
gst_buffer_add_ilgnet_meta (GstBuffer * buffer, gfloat score,
    GstClockTime pts, guint64 frame, const GstVideoRectangle * rect,
    const gchar * model)
{
  GstIlgnetMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  meta = (GstIlgnetMeta *) gst_buffer_add_meta (buffer,
      GST_ILGNET_META_INFO, NULL);
  if (!meta)
    return NULL;

  meta->score = score;
  meta->pts = pts;
  meta->frame = frame;
  if (rect) {
    meta->x = rect->x;
    meta->y = rect->y;
    meta->width = rect->w;
    meta->height = rect->h;
  }
  meta->model = model ? g_intern_string (model) : NULL;
  return meta;
}
