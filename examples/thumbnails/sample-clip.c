/* ilgnet-sample-clip: makes a test video whose good and bad moments are
 * known, so thumbnail picks can be judged.
 *
 *   ilgnet-sample-clip OUT.webm|OUT.mkv|OUT.avi [--truth T.json] [--photo P]...
 *                      [--width 640] [--height 360] [--fps 25]
 *                      [--gain G] [--audio]
 *
 * Six shots, each a slowly panning still (a --photo, or else a generated
 * scene), joined by the things a picker must avoid: a fade to black, a
 * black gap, a fade in, a cross-fade and a blurred (out of focus) shot.
 * --truth writes the timeline: [{start, end, kind, shot}], kind one of
 * clean, fade, black, crossfade, blur.  --gain scales every pixel (0.15
 * makes a night-time video), --audio adds a tone track (WebM, Matroska). */
#include <gst/app/app.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum
{ CLEAN, FADE_OUT, BLACK, FADE_IN, CROSSFADE, BLUR } Kind;

static const char *kind_names[] = {
  "clean", "fade", "black", "fade", "crossfade", "blur"
};

typedef struct
{
  double length;
  Kind kind;
  int shot;                     /* shot shown (the incoming one for a cross-fade) */
} Segment;

static const Segment timeline[] = {
  {4.0, CLEAN, 0}, {1.0, FADE_OUT, 0}, {1.0, BLACK, -1}, {1.0, FADE_IN, 1},
  {4.0, CLEAN, 1}, {1.0, CROSSFADE, 2}, {4.0, CLEAN, 2}, {3.0, BLUR, 3},
  {4.0, CLEAN, 4}, {4.0, CLEAN, 5},
};

#define N_SHOTS 6
/* Sources are larger than the frame so that the camera can pan. */
#define PAN_MARGIN 1.25

typedef struct
{
  int width, height;
  guint8 *rgb;
} Image;

/* ---- generated scenes ------------------------------------------------ */

static guint32
hash (guint32 x)
{
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

static void
set_px (Image * im, int x, int y, double r, double g, double b)
{
  guint8 *p = im->rgb + ((gsize) y * im->width + x) * 3;
  p[0] = CLAMP ((int) r, 0, 255);
  p[1] = CLAMP ((int) g, 0, 255);
  p[2] = CLAMP ((int) b, 0, 255);
}

/* Landscapes and city views with distinct palettes: sky gradient, sun,
 * layered ridges or buildings with windows, textured ground.  Enough
 * structure and texture for sharpness and colour measures to mean
 * something. */
static void
generate_scene (Image * im, int seed)
{
  static const double palettes[N_SHOTS][4][3] = {
    {{40, 90, 200}, {250, 200, 120}, {30, 110, 50}, {250, 240, 200}},
    {{220, 110, 60}, {250, 220, 150}, {90, 50, 90}, {255, 250, 210}},
    {{20, 30, 70}, {90, 120, 190}, {30, 40, 50}, {255, 230, 120}},
    {{120, 190, 230}, {230, 240, 250}, {160, 120, 60}, {255, 255, 230}},
    {{150, 200, 160}, {240, 250, 220}, {70, 100, 140}, {240, 120, 60}},
    {{200, 80, 120}, {250, 190, 90}, {40, 70, 40}, {250, 250, 160}},
  };
  const double (*pal)[3] = palettes[seed % N_SHOTS];
  int w = im->width, h = im->height;
  gboolean city = seed % 3 == 2;
  double horizon = h * (0.45 + 0.1 * (seed % 2));
  double sun_x = w * (0.25 + 0.5 * ((seed * 37) % 10) / 10.0);
  double sun_y = h * 0.22, sun_r = h * 0.07;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double v = (double) y / horizon;
      double r = pal[0][0] + (pal[1][0] - pal[0][0]) * v;
      double g = pal[0][1] + (pal[1][1] - pal[0][1]) * v;
      double b = pal[0][2] + (pal[1][2] - pal[0][2]) * v;
      if (hypot (x - sun_x, y - sun_y) < sun_r) {
        r = pal[3][0];
        g = pal[3][1];
        b = pal[3][2];
      }
      set_px (im, x, y, r, g, b);
    }

  for (int layer = 0; layer < 3; layer++) {
    double shade = 0.6 + 0.2 * layer;
    double base = horizon + layer * h * 0.08;
    for (int x = 0; x < w; x++) {
      double top;
      if (city) {
        int bw = w / 18 + (int) (hash (x / (w / 18) + layer * 101 + seed) %
            (w / 30 + 1));
        int col = x / MAX (bw, 1);
        top = base - h * 0.05 - (hash (col * 7 + layer * 13 + seed) % 100)
            / 100.0 * h * 0.3;
      } else {
        top = base - h * 0.12 * (1 + sin (x * (0.006 + 0.003 * layer) + seed
                + layer)) - h * 0.03 * sin (x * 0.031 + layer * 2.0);
      }
      for (int y = MAX (0, (int) top); y < h; y++) {
        guint32 n = hash ((guint32) (x * 7919 + y * 104729 + seed));
        double tex = ((n & 255) / 255.0 - 0.5) * 40;
        double r = pal[2][0] * shade + tex, g = pal[2][1] * shade + tex,
            b = pal[2][2] * shade + tex;
        if (city && (x % 12) < 5 && (y % 16) < 7 && y > top + 6
            && (n >> 8) % 3 == 0) {
          r = pal[3][0];
          g = pal[3][1];
          b = pal[3][2];
        }
        set_px (im, x, y, r, g, b);
      }
    }
  }
}

/* ---- photos ------------------------------------------------------------ */

static gboolean
load_photo (const char *path, Image * im, GError ** error)
{
  char *uri = gst_filename_to_uri (path, error);
  if (!uri)
    return FALSE;
  char *desc = g_strdup_printf ("uridecodebin uri=\"%s\" ! videoconvert ! "
      "videoscale ! video/x-raw,format=RGB,width=%d,height=%d,"
      "pixel-aspect-ratio=1/1 ! appsink name=sink", uri, im->width,
      im->height);
  GstElement *pipe = gst_parse_launch (desc, error);
  g_free (desc);
  g_free (uri);
  if (!pipe)
    return FALSE;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PAUSED);
  GstSample *sample = gst_app_sink_try_pull_preroll (GST_APP_SINK (sink),
      20 * GST_SECOND);
  gboolean ok = FALSE;
  if (sample) {
    GstVideoInfo info;
    GstVideoFrame vf;
    if (gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
        && gst_video_frame_map (&vf, &info, gst_sample_get_buffer (sample),
            GST_MAP_READ)) {
      for (int y = 0; y < im->height; y++)
        memcpy (im->rgb + (gsize) y * im->width * 3,
            (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&vf, 0) +
            (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&vf, 0), im->width * 3);
      gst_video_frame_unmap (&vf);
      ok = TRUE;
    }
    gst_sample_unref (sample);
  }
  if (!ok)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "cannot decode the photo %s", path);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return ok;
}

/* ---- rendering ------------------------------------------------------ */

/* The view of @src at pan position @u (0..1): a bilinear sample of a
 * frame-sized window sliding diagonally and zooming in a little. */
static void
view (const Image * src, double u, int shot, float *out, int w, int h)
{
  double zoom = 1.0 + 0.08 * u;
  double vw = src->width / PAN_MARGIN / zoom, vh = src->height / PAN_MARGIN /
      zoom;
  double dir = shot % 2 ? 1 : -1;
  double x0 = (src->width - vw) * (0.5 + dir * 0.35 * (u - 0.5));
  double y0 = (src->height - vh) * (0.5 + 0.2 * (u - 0.5));

  for (int y = 0; y < h; y++) {
    double sy = y0 + (y + 0.5) * vh / h - 0.5;
    int iy = CLAMP ((int) floor (sy), 0, src->height - 2);
    double fy = CLAMP (sy - iy, 0.0, 1.0);
    for (int x = 0; x < w; x++) {
      double sx = x0 + (x + 0.5) * vw / w - 0.5;
      int ix = CLAMP ((int) floor (sx), 0, src->width - 2);
      double fx = CLAMP (sx - ix, 0.0, 1.0);
      const guint8 *p = src->rgb + ((gsize) iy * src->width + ix) * 3;
      const guint8 *q = p + (gsize) src->width * 3;
      for (int c = 0; c < 3; c++)
        out[(y * w + x) * 3 + c] =
            (1 - fy) * ((1 - fx) * p[c] + fx * p[3 + c]) +
            fy * ((1 - fx) * q[c] + fx * q[3 + c]);
    }
  }
}

/* Three box blurs approximate a Gaussian: an out-of-focus shot. */
static void
blur (float *img, int w, int h, int radius)
{
  float *tmp = g_new (float, (gsize) w * h * 3);
  for (int pass = 0; pass < 3; pass++) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          float s = 0;
          int n = 0;
          for (int d = -radius; d <= radius; d++) {
            int xx = CLAMP (x + d, 0, w - 1);
            s += img[(y * w + xx) * 3 + c];
            n++;
          }
          tmp[(y * w + x) * 3 + c] = s / n;
        }
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          float s = 0;
          int n = 0;
          for (int d = -radius; d <= radius; d++) {
            int yy = CLAMP (y + d, 0, h - 1);
            s += tmp[(yy * w + x) * 3 + c];
            n++;
          }
          img[(y * w + x) * 3 + c] = s / n;
        }
  }
  g_free (tmp);
}

/* Where shot @shot is in its own life at time @t: 0 at its first shown
 * frame, 1 at its last (transitions included), so pans run continuously. */
static double
shot_phase (int shot, double t)
{
  double start = -1, end = 0, at = 0;
  for (guint i = 0; i < G_N_ELEMENTS (timeline); i++) {
    const Segment *s = &timeline[i];
    gboolean shows = s->shot == shot || (s->kind == CROSSFADE
        && timeline[i - 1].shot == shot) || (s->kind == FADE_OUT
        && s->shot == shot);
    if (shows) {
      if (start < 0)
        start = at;
      end = at + s->length;
    }
    at += s->length;
  }
  return end > start ? CLAMP ((t - start) / (end - start), 0.0, 1.0) : 0;
}

static gboolean
write_truth (const char *path, GError ** error)
{
  JsonBuilder *b = json_builder_new ();
  double at = 0;
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (timeline); i++) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "start");
    json_builder_add_double_value (b, at);
    json_builder_set_member_name (b, "end");
    json_builder_add_double_value (b, at + timeline[i].length);
    json_builder_set_member_name (b, "kind");
    json_builder_add_string_value (b, kind_names[timeline[i].kind]);
    json_builder_set_member_name (b, "shot");
    json_builder_add_int_value (b, timeline[i].shot);
    json_builder_end_object (b);
    at += timeline[i].length;
  }
  json_builder_end_array (b);
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  gboolean ok = json_generator_to_file (gen, path, error);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return ok;
}

int
main (int argc, char **argv)
{
  int width = 640, height = 360, fps = 25;
  char *truth = NULL;
  char **photos = NULL;
  double gain_all = 1.0;
  gboolean audio = FALSE;
  GError *error = NULL;
  GOptionEntry entries[] = {
    {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width (640)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height (360)", "H"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second (25)", "N"},
    {"truth", 0, 0, G_OPTION_ARG_FILENAME, &truth,
        "Write the timeline as JSON", "FILE"},
    {"gain", 0, 0, G_OPTION_ARG_DOUBLE, &gain_all,
        "Scale every pixel by G (1.0)", "G"},
    {"audio", 0, 0, G_OPTION_ARG_NONE, &audio, "Add a tone track", NULL},
    {"photo", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &photos,
        "A photo for the next shot (repeatable); generated scenes fill in",
        "FILE"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("OUT.webm|OUT.mkv|OUT.avi");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2) {
    g_printerr ("ilgnet-sample-clip: %s\n", error ? error->message :
        "usage: ilgnet-sample-clip OUT.webm [--truth FILE] [--photo P]...");
    return 2;
  }
  g_option_context_free (ctx);
  if (width < 32 || height < 32 || width > 4096 || height > 4096 || fps < 1
      || fps > 120 || gain_all < 0 || gain_all > 4) {
    g_printerr ("ilgnet-sample-clip: size 32..4096, fps 1..120, gain 0..4\n");
    return 2;
  }

  Image src[N_SHOTS];
  int n_photos = photos ? g_strv_length (photos) : 0;
  for (int s = 0; s < N_SHOTS; s++) {
    src[s].width = (int) (width * PAN_MARGIN);
    src[s].height = (int) (height * PAN_MARGIN);
    src[s].rgb = g_malloc ((gsize) src[s].width * src[s].height * 3);
    if (s < n_photos) {
      if (!load_photo (photos[s], &src[s], &error)) {
        g_printerr ("ilgnet-sample-clip: %s\n", error->message);
        return 1;
      }
    } else {
      generate_scene (&src[s], s);
    }
  }

  /* VP8 (WebM, Matroska) or Motion JPEG (AVI): Debian 12's libav video
   * encoders emit no timestamps, so they are not used. */
  char *desc;
  double total = 0;
  for (guint i = 0; i < G_N_ELEMENTS (timeline); i++)
    total += timeline[i].length;
  gboolean avi = g_str_has_suffix (argv[1], ".avi");
  char *tone = audio && !avi ? g_strdup_printf ("audiotestsrc "
      "samplesperbuffer=1024 num-buffers=%d volume=0.1 ! audioconvert ! "
      "vorbisenc ! queue ! mux. ", (int) (total * 44100 / 1024)) :
      g_strdup ("");
  if (avi)
    desc = g_strdup ("appsrc name=src format=time ! videoconvert ! "
        "jpegenc quality=90 ! avimux ! filesink name=sink");
  else
    desc = g_strdup_printf ("appsrc name=src format=time ! videoconvert ! "
        "vp8enc deadline=1 cpu-used=4 target-bitrate=%d keyframe-max-dist=%d "
        "! queue ! %s name=mux ! filesink name=sink %s",
        MIN (width * height * 12, 20000000), fps,
        g_str_has_suffix (argv[1], ".mkv") ? "matroskamux" : "webmmux", tone);
  g_free (tone);
  GstElement *pipe = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipe) {
    g_printerr ("ilgnet-sample-clip: %s\n", error->message);
    return 1;
  }
  GstElement *appsrc = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (sink, "location", argv[1], NULL);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      "RGB", "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "framerate", GST_TYPE_FRACTION, fps, 1, "pixel-aspect-ratio",
      GST_TYPE_FRACTION, 1, 1, NULL);
  gst_app_src_set_caps (GST_APP_SRC (appsrc), caps);
  gst_caps_unref (caps);
  g_object_set (appsrc, "block", TRUE, "max-bytes", (guint64) width * height
      * 3 * 4, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, width, height);
  float *a = g_new (float, (gsize) width * height * 3);
  float *b = g_new (float, (gsize) width * height * 3);
  int n_frames = (int) (total * fps + 0.5);

  for (int f = 0; f < n_frames; f++) {
    double t = (f + 0.5) / fps, at = 0;
    guint si = 0;
    while (si + 1 < G_N_ELEMENTS (timeline) && t >= at + timeline[si].length)
      at += timeline[si++].length;
    const Segment *seg = &timeline[si];
    double u = (t - at) / seg->length;
    float gain = gain_all;

    if (seg->kind == BLACK) {
      memset (a, 0, sizeof (float) * width * height * 3);
    } else {
      view (&src[seg->shot], shot_phase (seg->shot, t), seg->shot, a, width,
          height);
      if (seg->kind == BLUR)
        blur (a, width, height, MAX (2, width / 64));
      if (seg->kind == FADE_OUT)
        gain *= 1 - u;
      if (seg->kind == FADE_IN)
        gain *= u;
      if (seg->kind == CROSSFADE) {
        int prev = timeline[si - 1].shot;
        view (&src[prev], shot_phase (prev, t), prev, b, width, height);
        for (gsize k = 0; k < (gsize) width * height * 3; k++)
          a[k] = (1 - u) * b[k] + u * a[k];
      }
    }

    GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    GstVideoFrame vf;
    gst_video_frame_map (&vf, &info, buf, GST_MAP_WRITE);
    for (int y = 0; y < height; y++) {
      guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&vf, 0) +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&vf, 0);
      for (int x = 0; x < width * 3; x++)
        row[x] = CLAMP ((int) (a[y * width * 3 + x] * gain + 0.5f), 0, 255);
    }
    gst_video_frame_unmap (&vf);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (f, GST_SECOND, fps);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (1, GST_SECOND, fps);
    if (gst_app_src_push_buffer (GST_APP_SRC (appsrc), buf) != GST_FLOW_OK)
      break;
  }
  gst_app_src_end_of_stream (GST_APP_SRC (appsrc));

  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  int rc = 0;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("ilgnet-sample-clip: cannot write %s: %s\n", argv[1],
        err->message);
    g_clear_error (&err);
    rc = 1;
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (appsrc);
  gst_object_unref (sink);
  gst_object_unref (pipe);

  if (rc == 0 && truth && !write_truth (truth, &error)) {
    g_printerr ("ilgnet-sample-clip: %s\n", error->message);
    rc = 1;
  }
  if (rc == 0)
    g_print ("wrote %s (%dx%d, %d fps, %.0f s)\n", argv[1], width, height, fps,
        total);
  for (int s = 0; s < N_SHOTS; s++)
    g_free (src[s].rgb);
  g_free (a);
  g_free (b);
  g_free (truth);
  g_strfreev (photos);
  return rc;
}
