/* GStreamer ILGNet element: drawing the score gauge and crop rectangle
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Everything is drawn into small ARGB images that become overlay
 * rectangles: downstream composes them (GstVideoOverlayCompositionMeta) or
 * the element blends them, so no drawing library is needed. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstilgnetoverlay.h"

GST_DEBUG_CATEGORY_EXTERN (gst_ilgnet_debug);
#define GST_CAT_DEFAULT gst_ilgnet_debug

/* A 5x7 dot font for the digits and the decimal point; one byte a row, the
 * low five bits, most significant bit leftmost. */
#define GLYPH_W 5
#define GLYPH_H 7
static const guint8 digit_glyphs[10][GLYPH_H] = {
  {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e},   /* 0 */
  {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e},   /* 1 */
  {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f},   /* 2 */
  {0x1e, 0x01, 0x01, 0x0e, 0x01, 0x01, 0x1e},   /* 3 */
  {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02},   /* 4 */
  {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e},   /* 5 */
  {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e},   /* 6 */
  {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},   /* 7 */
  {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e},   /* 8 */
  {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c},   /* 9 */
};

/* The decimal point is two dots wide. */
static const guint8 point_glyph[GLYPH_H] = {
  0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x03
};

#define ARGB(a, r, g, b) \
  (((guint32) (a) << 24) | ((guint32) (r) << 16) | ((guint32) (g) << 8) | (b))
#define CROP_COLOUR ARGB (255, 64, 224, 255)   /* the suggested crop */
#define KEEP_COLOUR ARGB (255, 64, 208, 64)    /* the frame: keep it */

static void
fill_rect (guint32 * pixels, gint width, gint height, gint stride, gint x,
    gint y, gint w, gint h, guint32 colour)
{
  gint x0 = MAX (x, 0), y0 = MAX (y, 0);
  gint x1 = MIN (x + w, width), y1 = MIN (y + h, height);
  gint i, j;

  for (j = y0; j < y1; j++) {
    guint32 *row = (guint32 *) ((guint8 *) pixels + (gsize) j * stride);
    for (i = x0; i < x1; i++)
      row[i] = colour;
  }
}

static gint
draw_glyph (guint32 * pixels, gint width, gint height, gint stride, gint x,
    gint y, gint px, const guint8 * glyph, gint glyph_w, guint32 colour)
{
  gint r, c;

  for (r = 0; r < GLYPH_H; r++)
    for (c = 0; c < glyph_w; c++)
      if (glyph[r] & (1 << (glyph_w - 1 - c)))
        fill_rect (pixels, width, height, stride, x + c * px, y + r * px, px,
            px, colour);
  return glyph_w * px;
}

/* Draws @score with two decimals ("0.73") with its top-left corner at @x,@y,
 * @px pixels per font dot.  Returns the width drawn. */
static gint
draw_score (guint32 * pixels, gint width, gint height,
    gint stride, gint x, gint y, gint px, gfloat score, guint32 colour)
{
  gchar text[8];
  gint x0 = x;
  const gchar *p;

  g_snprintf (text, sizeof (text), "%.2f", CLAMP (score, 0.0f, 1.0f));
  for (p = text; *p; p++) {
    if (*p >= '0' && *p <= '9')
      x += draw_glyph (pixels, width, height, stride, x, y, px,
          digit_glyphs[*p - '0'], GLYPH_W, colour);
    else
      x += draw_glyph (pixels, width, height, stride, x, y, px, point_glyph,
          2, colour);
    x += px;                    /* one dot of spacing */
  }
  return x - x0 - px;
}

/* Red at 0, yellow at 0.5, green at 1: readable at a glance. */
static guint32
score_colour (gfloat score)
{
  gfloat s = CLAMP (score, 0.0f, 1.0f);
  guint r = s < 0.5f ? 230 : (guint) (230 * (1.0f - s) * 2.0f);
  guint g = s < 0.5f ? (guint) (210 * s * 2.0f) : 210;

  return ARGB (255, r, g, 40);
}

static GstVideoOverlayRectangle *
rectangle_from_pixels (GstBuffer * pixels, gint w, gint h, gint x, gint y)
{
  GstVideoOverlayRectangle *rect;

  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  rect = gst_video_overlay_rectangle_new_raw (pixels, x, y, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (pixels);
  return rect;
}

static GstVideoOverlayRectangle *
solid_rectangle (gint x, gint y, gint w, gint h, guint32 colour)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  fill_rect ((guint32 *) map.data, w, h, w * 4, 0, 0, w, h, colour);
  gst_buffer_unmap (buf, &map);
  return rectangle_from_pixels (buf, w, h, x, y);
}

static GstVideoOverlayRectangle *
gauge_rectangle (gint frame_w, gint frame_h, gfloat score)
{
  GstBuffer *buf;
  GstMapInfo map;
  guint32 *pixels;
  gint margin, w, h, pad, px, text_w, bar_x, bar_w, fill_w, x, y;

  /* Sized from the frame so that it reads the same at any resolution. */
  margin = MAX (frame_h / 30, 2);
  w = CLAMP (frame_w * 2 / 5, 40, 400);
  w = MIN (w, frame_w - 2 * margin);
  h = MAX (w / 6, 11);
  if (w < 40 || h + 2 * margin > frame_h)
    return NULL;

  pad = MAX (h / 8, 2);
  px = MAX ((h - 2 * pad) / GLYPH_H, 1);
  /* "0.00" is 4 glyphs: 3 digits, a point and 3 spaces. */
  text_w = (3 * GLYPH_W + 2 + 3) * px;
  bar_x = pad + text_w + 2 * pad;
  bar_w = w - bar_x - pad;
  if (bar_w < 8)
    return NULL;

  buf = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  pixels = (guint32 *) map.data;

  /* Dark translucent panel, score digits, bar frame, bar fill. */
  fill_rect (pixels, w, h, w * 4, 0, 0, w, h, ARGB (170, 16, 16, 16));
  y = (h - GLYPH_H * px) / 2;
  draw_score (pixels, w, h, w * 4, pad, y, px, score,
      ARGB (255, 255, 255, 255));
  x = bar_x;
  y = pad;
  fill_rect (pixels, w, h, w * 4, x, y, bar_w, h - 2 * pad,
      ARGB (255, 200, 200, 200));
  fill_rect (pixels, w, h, w * 4, x + 1, y + 1, bar_w - 2, h - 2 * pad - 2,
      ARGB (220, 40, 40, 40));
  fill_w = (gint) lroundf ((bar_w - 4) * CLAMP (score, 0.0f, 1.0f));
  fill_rect (pixels, w, h, w * 4, x + 2, y + 2, fill_w, h - 2 * pad - 4,
      score_colour (score));
  gst_buffer_unmap (buf, &map);

  return rectangle_from_pixels (buf, w, h, margin, frame_h - margin - h);
}

static void
add_rectangle (GstVideoOverlayComposition ** comp,
    GstVideoOverlayRectangle * r)
{
  if (!*comp)
    *comp = gst_video_overlay_composition_new (r);
  else
    gst_video_overlay_composition_add_rectangle (*comp, r);
  gst_video_overlay_rectangle_unref (r);
}

/* Four bars rather than one frame-sized image: a few KB, not MB. */
static void
add_outline (GstVideoOverlayComposition ** comp, gint width, gint height,
    const GstVideoRectangle * rect, guint32 colour)
{
  gint t = MAX (MIN (width, height) / 150, 2);
  gint x = CLAMP (rect->x, 0, width - 1), y = CLAMP (rect->y, 0, height - 1);
  gint w = CLAMP (rect->w, 1, width - x), h = CLAMP (rect->h, 1, height - y);

  t = MIN (t, MIN (w, h) / 2);
  t = MAX (t, 1);
  add_rectangle (comp, solid_rectangle (x, y, w, t, colour));
  add_rectangle (comp, solid_rectangle (x, y + h - t, w, t, colour));
  add_rectangle (comp, solid_rectangle (x, y, t, h, colour));
  add_rectangle (comp, solid_rectangle (x + w - t, y, t, h, colour));
}

/* The suggested crop as a cyan box; or, when @keep (crop=multi found no
 * crop clearly better), the frame's own outline in green: "keep this
 * framing", a state a person sees at a glance, not the absence of a box. */
GstVideoOverlayComposition *
gst_ilgnet_overlay_build (gint width, gint height, gfloat score,
    const GstVideoRectangle * rect, gboolean keep)
{
  GstVideoOverlayComposition *comp = NULL;
  GstVideoOverlayRectangle *r;

  if (width >= 8 && height >= 8) {
    if (keep) {
      GstVideoRectangle frame = { 0, 0, width, height };
      add_outline (&comp, width, height, &frame, KEEP_COLOUR);
    } else if (rect && rect->w > 0 && rect->h > 0) {
      add_outline (&comp, width, height, rect, CROP_COLOUR);
    }
  }
  r = gauge_rectangle (width, height, score);
  if (r)
    add_rectangle (&comp, r);
  return comp;
}

struct _GstIlgnetOverlay
{
  GstVideoOverlayComposition *composition;      /* NULL: none built */
  /* What it was built for. */
  gint width, height;
  gfloat score;
  gboolean with_rect, keep;
  GstVideoRectangle rect;
};

GstIlgnetOverlay *
gst_ilgnet_overlay_new (void)
{
  return g_new0 (GstIlgnetOverlay, 1);
}

void
gst_ilgnet_overlay_reset (GstIlgnetOverlay * overlay)
{
  g_clear_pointer (&overlay->composition,
      gst_video_overlay_composition_unref);
}

void
gst_ilgnet_overlay_free (GstIlgnetOverlay * overlay)
{
  if (!overlay)
    return;
  gst_ilgnet_overlay_reset (overlay);
  g_free (overlay);
}

/* The composition for this frame size, score, rectangle and keep state,
 * built again only when one of them changed. */
static GstVideoOverlayComposition *
cached_composition (GstIlgnetOverlay * overlay, gint width, gint height,
    gfloat score, const GstVideoRectangle * rect, gboolean keep)
{
  gboolean with_rect = rect != NULL;

  keep = ! !keep;
  if (!overlay->composition || overlay->width != width
      || overlay->height != height || overlay->score != score
      || overlay->with_rect != with_rect || overlay->keep != keep
      || (with_rect && memcmp (&overlay->rect, rect, sizeof (*rect)))) {
    gst_ilgnet_overlay_reset (overlay);
    overlay->composition = gst_ilgnet_overlay_build (width, height, score,
        rect, keep);
    overlay->width = width;
    overlay->height = height;
    overlay->score = score;
    overlay->with_rect = with_rect;
    overlay->keep = keep;
    if (with_rect)
      overlay->rect = *rect;
  }
  return overlay->composition;
}

/* Downstream composes: one composition meta, keeping what upstream drew
 * (subtitles, ...) in the same composition. */
static void
attach_composition (GstBuffer * buf, GstVideoOverlayComposition * comp)
{
  GstVideoOverlayCompositionMeta *upstream =
      gst_buffer_get_video_overlay_composition_meta (buf);
  GstVideoOverlayComposition *merged;
  guint i, n;

  if (!upstream) {
    gst_buffer_add_video_overlay_composition_meta (buf, comp);
    return;
  }
  merged = gst_video_overlay_composition_copy (upstream->overlay);
  n = gst_video_overlay_composition_n_rectangles (comp);
  for (i = 0; i < n; i++)
    gst_video_overlay_composition_add_rectangle (merged,
        gst_video_overlay_composition_get_rectangle (comp, i));
  gst_buffer_remove_meta (buf, (GstMeta *) upstream);
  gst_buffer_add_video_overlay_composition_meta (buf, merged);
  gst_video_overlay_composition_unref (merged);
}

gboolean
gst_ilgnet_overlay_draw (GstIlgnetOverlay * overlay, GstBuffer * buf,
    const GstVideoInfo * info, gfloat score, const GstVideoRectangle * rect,
    gboolean keep, gboolean compose)
{
  GstVideoOverlayComposition *comp;
  GstVideoFrame frame;

  comp = cached_composition (overlay, GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), score, rect, keep);
  if (!comp)
    return TRUE;
  if (compose) {
    attach_composition (buf, comp);
    return TRUE;
  }

  /* Writing may copy the memory if the scorer still reads it. */
  if (!gst_video_frame_map (&frame, info, buf, GST_MAP_READWRITE))
    return FALSE;
  if (!gst_video_overlay_composition_blend (comp, &frame))
    GST_LOG ("cannot blend onto %s", GST_VIDEO_INFO_NAME (info));
  gst_video_frame_unmap (&frame);
  return TRUE;
}
