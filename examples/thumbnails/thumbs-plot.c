/* ilgnet-thumbs: a small rasteriser for the score plot (lines, boxes and a
 * 3x5 digit font) and the PNG encoding through GStreamer's pngenc, so the
 * tool needs no drawing library. */
#include "thumbs-plot.h"

#include <gst/app/gstappsrc.h>
#include <math.h>
#include <string.h>

#define W 960
#define H 280
#define LEFT 48
#define RIGHT 16
#define TOP 16
#define BOTTOM 36
#define FONT_SCALE 2

typedef struct
{
  guint8 *px;
} Canvas;

static void
put (Canvas * c, int x, int y, guint32 rgb)
{
  if (x < 0 || y < 0 || x >= W || y >= H)
    return;
  guint8 *p = c->px + (y * W + x) * 3;
  p[0] = rgb >> 16;
  p[1] = rgb >> 8;
  p[2] = rgb;
}

static void
box (Canvas * c, int x0, int y0, int x1, int y1, guint32 rgb)
{
  for (int y = MAX (y0, 0); y <= MIN (y1, H - 1); y++)
    for (int x = MAX (x0, 0); x <= MIN (x1, W - 1); x++)
      put (c, x, y, rgb);
}

static void
line (Canvas * c, int x0, int y0, int x1, int y1, guint32 rgb, int thick)
{
  int dx = ABS (x1 - x0), dy = -ABS (y1 - y0);
  int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
  for (;;) {
    box (c, x0 - thick / 2, y0 - thick / 2, x0 + thick / 2, y0 + thick / 2,
        rgb);
    if (x0 == x1 && y0 == y1)
      break;
    int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

/* 3x5 glyphs, one row per 3 bits, top row first. */
static const char *glyph_chars = "0123456789.:s";
static const guint16 glyphs[] = {
  075557, 026227, 071747, 071717, 055711, 074717, 074757, 071111, 075757,
  075717, 000002, 002020, 034216
};

static int
text (Canvas * c, int x, int y, const char *s, guint32 rgb)
{
  for (; *s; s++) {
    const char *k = strchr (glyph_chars, *s);
    if (k) {
      guint16 g = glyphs[k - glyph_chars];
      for (int row = 0; row < 5; row++)
        for (int col = 0; col < 3; col++)
          if (g & (1 << ((4 - row) * 3 + (2 - col))))
            box (c, x + col * FONT_SCALE, y + row * FONT_SCALE,
                x + col * FONT_SCALE + FONT_SCALE - 1,
                y + row * FONT_SCALE + FONT_SCALE - 1, rgb);
    }
    x += 4 * FONT_SCALE;
  }
  return x;
}

static int
text_width (const char *s)
{
  return (int) strlen (s) * 4 * FONT_SCALE - FONT_SCALE;
}

static guint32
flaw_colour (guint8 flaws)
{
  if (flaws & (ILGNET_THUMBS_DARK | ILGNET_THUMBS_UNIFORM))
    return 0xb8b8b8;
  if (flaws & ILGNET_THUMBS_TRANSITION)
    return 0xf6d6a8;
  if (flaws & ILGNET_THUMBS_BLUR)
    return 0xc8daf4;
  return 0xffffff;
}

gboolean
ilgnet_thumbs_plot_write (const char *path, const IlgnetThumbsFrame * f,
    int n, const IlgnetThumbsResult * r, GError ** error)
{
  Canvas c = { g_malloc (W * H * 3) };
  int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
  double t0 = n ? f[0].time / 1e9 : 0, t1 = n ? f[n - 1].time / 1e9 : 1;
  double span = MAX (t1 - t0, 1e-3);
  gboolean ok;

  memset (c.px, 0xff, W * H * 3);
#define X_OF(t) (LEFT + (int) (((t) - t0) / span * (pw - 1) + 0.5))
#define Y_OF(s) (TOP + (int) ((1.0 - (s)) * (ph - 1) + 0.5))

  /* Rejected frames as bands behind everything. */
  for (int i = 0; i < n; i++) {
    guint8 fl = r->hard[i] & ~ILGNET_THUMBS_ENDS;
    if (!fl)
      continue;
    double a = f[i].time / 1e9, b = i + 1 < n ? f[i + 1].time / 1e9 : a;
    box (&c, X_OF (a), TOP, MAX (X_OF (a), X_OF (b) - 1), TOP + ph - 1,
        flaw_colour (fl));
  }

  /* Grid and axes. */
  for (int q = 0; q <= 4; q++) {
    int y = Y_OF (q / 4.0);
    line (&c, LEFT, y, LEFT + pw - 1, y, q % 2 ? 0xe4e4e4 : 0xc8c8c8, 1);
  }
  text (&c, LEFT - 8 - text_width ("0"), Y_OF (0) - 5, "0", 0x404040);
  text (&c, LEFT - 8 - text_width ("0.5"), Y_OF (0.5) - 5, "0.5", 0x404040);
  text (&c, LEFT - 8 - text_width ("1"), Y_OF (1) - 5, "1", 0x404040);
  static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
    900, 1800, 3600
  };
  double step = steps[G_N_ELEMENTS (steps) - 1];
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (span / steps[i] <= 10) {
      step = steps[i];
      break;
    }
  for (double t = ceil (t0 / step) * step; t <= t1 + 1e-9; t += step) {
    int x = X_OF (t);
    char label[32];
    line (&c, x, TOP + ph, x, TOP + ph + 4, 0x404040, 1);
    if (step >= 60)
      g_snprintf (label, sizeof label, "%d:%02d", (int) t / 60, (int) t % 60);
    else
      g_snprintf (label, sizeof label, "%gs", t);
    text (&c, x - text_width (label) / 2, TOP + ph + 10, label, 0x404040);
  }
  line (&c, LEFT, TOP, LEFT, TOP + ph, 0x404040, 1);
  line (&c, LEFT, TOP + ph, LEFT + pw - 1, TOP + ph, 0x404040, 1);

  /* Score over time, sampled frames only. */
  int px = -1, py = -1;
  for (int i = 0; i < n; i++) {
    if (f[i].score < 0)
      continue;
    int x = X_OF (f[i].time / 1e9), y = Y_OF (CLAMP (f[i].score, 0.f, 1.f));
    if (px >= 0)
      line (&c, px, py, x, y, 0x2060c0, 2);
    box (&c, x - 1, y - 1, x + 1, y + 1, 0x2060c0);
    px = x;
    py = y;
  }

  /* Picks: a red line, a dot on the curve and the rank on top. */
  for (int p = 0; p < r->n_picks; p++) {
    const IlgnetThumbsFrame *pf = &f[r->picks[p].frame];
    int x = X_OF (pf->time / 1e9), y = Y_OF (CLAMP (pf->score, 0.f, 1.f));
    char label[8];
    line (&c, x, TOP + 14, x, TOP + ph - 1, 0xd02020, 1);
    box (&c, x - 3, y - 3, x + 3, y + 3, 0xd02020);
    g_snprintf (label, sizeof label, "%d", p + 1);
    box (&c, x - text_width (label) / 2 - 2, TOP, x + text_width (label) / 2
        + 2, TOP + 13, 0xd02020);
    text (&c, x - text_width (label) / 2, TOP + 2, label, 0xffffff);
  }
#undef X_OF
#undef Y_OF

  ok = ilgnet_thumbs_write_png (path, c.px, W, H, error);
  g_free (c.px);
  return ok;
}

gboolean
ilgnet_thumbs_write_png (const char *path, const guint8 * rgb, int width,
    int height, GError ** error)
{
  GstElement *pipe, *src, *sink;
  GError *err = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (width % 4 == 0, FALSE);
  pipe = gst_parse_launch ("appsrc name=src format=time ! pngenc ! "
      "filesink name=sink", &err);
  if (!pipe) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "cannot make a PNG encoder: %s", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (sink, "location", path, NULL);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      "RGB", "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "framerate", GST_TYPE_FRACTION, 0, 1, NULL);
  gst_app_src_set_caps (GST_APP_SRC (src), caps);
  gst_caps_unref (caps);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GstBuffer *buf = gst_buffer_new_memdup (rgb, (gsize) width * height * 3);
  GST_BUFFER_PTS (buf) = 0;
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));

  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (!msg || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    if (msg)
      gst_message_parse_error (msg, &err, NULL);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
        "cannot write %s: %s", path, err ? err->message : "timed out");
    g_clear_error (&err);
    ok = FALSE;
  }
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return ok;
}
