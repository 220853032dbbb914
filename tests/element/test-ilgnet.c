/* GstHarness tests of the ilgnet element.
 *
 * Models (built into the build dir by tests/element/meson.build):
 *   ILGNET_TEST_TINY  a small ILGNet-shaped net (milliseconds a frame)
 *   ILGNET_TEST_SLOW  a deliberately slow one (hundreds of ms a frame)
 *   ILGNET_TEST_LOGITS the tiny net read at its logits: not a quality model
 *   ILGNET_TEST_REF   scores OpenCV DNN gives the tiny net for solid colours
 * ILGNET_TEST_LIGHT (set for valgrind) runs fewer state cycles, no 8K frame.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "gstilgnetmeta.h"

static const gchar *tiny_model, *slow_model, *logits_model;

/* Solid colours with the tiny model's reference score (OpenCV DNN). */
typedef struct
{
  guint8 r, g, b;
  gdouble score;
} RefColour;
static RefColour ref_colours[8];
static guint n_ref_colours;

/* A solid colour survives conversion and resizing exactly, so only float
 * summation order separates libilgnet from OpenCV. */
#define SCORE_TOLERANCE 1e-4

static void
load_references (void)
{
  const gchar *path = g_getenv ("ILGNET_TEST_REF");
  gchar *text = NULL, **lines;
  guint i;

  tiny_model = g_getenv ("ILGNET_TEST_TINY");
  slow_model = g_getenv ("ILGNET_TEST_SLOW");
  logits_model = g_getenv ("ILGNET_TEST_LOGITS");
  /* Runs before any test: check's assertions are not available yet. */
  if (!tiny_model || !slow_model || !logits_model || !path)
    g_error ("ILGNET_TEST_* not set: run through meson test");
  if (!g_file_get_contents (path, &text, NULL, NULL))
    g_error ("cannot read %s", path);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && n_ref_colours < G_N_ELEMENTS (ref_colours); i++) {
    guint r, g, b;
    gdouble s;

    if (sscanf (lines[i], "%u %u %u %lf", &r, &g, &b, &s) == 4) {
      ref_colours[n_ref_colours].r = r;
      ref_colours[n_ref_colours].g = g;
      ref_colours[n_ref_colours].b = b;
      ref_colours[n_ref_colours].score = s;
      n_ref_colours++;
    }
  }
  g_strfreev (lines);
  g_free (text);
  if (n_ref_colours < 3)
    g_error ("%s: too few reference colours", path);
}

/* ---- helpers ------------------------------------------------------------ */

/* An ilgnet element with @props ("name=value ...", no spaces in values)
 * set, in a harness. */
static GstHarness *
harness_new (const gchar * model, const gchar * props)
{
  GstElement *e = gst_element_factory_make ("ilgnet", NULL);
  gchar **kv = g_strsplit (props, " ", -1);
  GstHarness *h;
  guint i;

  fail_unless (e != NULL);
  g_object_set (e, "model", model, "threads", 1, NULL);
  for (i = 0; kv[i]; i++) {
    gchar *eq = strchr (kv[i], '=');

    if (!eq)
      continue;
    *eq = '\0';
    gst_util_set_object_arg (G_OBJECT (e), kv[i], eq + 1);
  }
  g_strfreev (kv);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static GstBus *
attach_bus (GstElement * element)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (element, bus);
  return bus;
}

/* A harness whose element posts on a bus of the test's own (@bus), where
 * the test reads its messages; teardown_with_bus() ends both. */
static GstHarness *
harness_new_with_bus (const gchar * model, const gchar * props,
    GstBus ** bus)
{
  GstHarness *h = harness_new (model, props);

  *bus = attach_bus (h->element);
  return h;
}

/* Ends a harness made with attach_bus(): the bus goes first, so that no
 * message of the teardown is left on it. */
static void
teardown_with_bus (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* The "ilgnet" element messages posted so far, oldest first. */
static GList *
pop_results (GstBus * bus)
{
  GList *list = NULL;
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "ilgnet"))
      list = g_list_append (list,
          gst_structure_copy (gst_message_get_structure (msg)));
    gst_message_unref (msg);
  }
  return list;
}

/* At least @n "ilgnet" messages (90 s at most, as wait_analysed):
 * frames-analysed counts a result just before its message is posted. */
static GList *
wait_results (GstBus * bus, guint n)
{
  gint64 end = g_get_monotonic_time () + 90 * G_TIME_SPAN_SECOND;
  GList *list = pop_results (bus);

  while (g_list_length (list) < n && g_get_monotonic_time () < end) {
    g_usleep (1000);
    list = g_list_concat (list, pop_results (bus));
  }
  return list;
}

static void
free_results (GList * list)
{
  g_list_free_full (list, (GDestroyNotify) gst_structure_free);
}

/* Exactly @n results were posted; frees them. */
static void
free_n_results (GList * results, guint n)
{
  fail_unless_equals_int (g_list_length (results), n);
  free_results (results);
}

static guint64
get_u64 (GstHarness * h, const gchar * prop)
{
  guint64 v;

  g_object_get (h->element, prop, &v, NULL);
  return v;
}

static guint64
element_analysed (GstElement * e)
{
  guint64 v;

  g_object_get (e, "frames-analysed", &v, NULL);
  return v;
}

/* Until @n frames were analysed, or 90 s (then FALSE): a deadline for a
 * hung scorer, not a speed check, so it is generous (valgrind on a loaded
 * 2-core machine needs well over 10 s for a few frames). */
static gboolean
element_wait_analysed (GstElement * e, guint64 n)
{
  gint64 end = g_get_monotonic_time () + 90 * G_TIME_SPAN_SECOND;

  while (element_analysed (e) < n) {
    if (g_get_monotonic_time () >= end)
      return FALSE;
    g_usleep (1000);
  }
  return TRUE;
}

static void
wait_analysed (GstHarness * h, guint64 n)
{
  fail_unless (element_wait_analysed (h->element, n), "timed out waiting "
      "for %" G_GUINT64_FORMAT " results", n);
}

static GstBuffer *
solid_rgb (gint w, gint h, const RefColour * c, GstClockTime pts)
{
  GstBuffer *buf;
  GstVideoInfo info;
  GstVideoFrame frame;
  gint x, y;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, w, h);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (y = 0; y < h; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    for (x = 0; x < w; x++) {
      row[3 * x] = c->r;
      row[3 * x + 1] = c->g;
      row[3 * x + 2] = c->b;
    }
  }
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  return buf;
}

/* A frame of any format filled with a byte pattern; with @pad, rows and
 * planes have extra bytes that only a GstVideoMeta describes. */
static GstBuffer *
pattern_frame (const GstVideoInfo * caps_info, gboolean pad, guint seed,
    GstClockTime pts)
{
  GstVideoInfo info = *caps_info;
  GstBuffer *buf;
  GstMapInfo map;
  gsize i;

  if (pad) {
    GstVideoAlignment align;

    gst_video_alignment_reset (&align);
    align.padding_right = 24;
    align.padding_bottom = 6;
    if (!gst_video_info_align (&info, &align))
      info = *caps_info;
  }
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) (i * 31 + seed * 7 + (i >> 7));
  gst_buffer_unmap (buf, &map);
  if (pad)
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_INFO_FORMAT (&info), GST_VIDEO_INFO_WIDTH (caps_info),
        GST_VIDEO_INFO_HEIGHT (caps_info), GST_VIDEO_INFO_N_PLANES (&info),
        info.offset, info.stride);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  return buf;
}

static gboolean
same_bytes (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean same;

  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  same = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return same;
}

static void
set_rgb_caps (GstHarness * h, gint w, gint hh)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=RGB,width=%d,height=%d,"
      "framerate=25/1", w, hh);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

/* ---- metadata ----------------------------------------------------------- */

/* mode=sync: each analysed buffer carries its own result, the score is the
 * network's (OpenCV DNN on the same colour), the pixels are untouched. */
GST_START_TEST (test_sync_meta)
{
  GstHarness *h = harness_new (tiny_model, "mode=sync interval=0");
  guint i;

  set_rgb_caps (h, 64, 48);
  for (i = 0; i < 2 * n_ref_colours; i++) {
    const RefColour *c = &ref_colours[i % n_ref_colours];
    GstClockTime pts = i * 40 * GST_MSECOND;
    GstBuffer *in = solid_rgb (64, 48, c, pts);
    GstBuffer *copy = gst_buffer_copy_deep (in);
    GstBuffer *out = gst_harness_push_and_pull (h, in);
    GstIlgnetMeta *meta = gst_buffer_get_ilgnet_meta (out);

    fail_unless (meta != NULL, "no meta on frame %u", i);
    fail_unless_equals_uint64 (meta->pts, pts);
    fail_unless_equals_uint64 (meta->frame, i);
    fail_unless (fabs (meta->score - c->score) < SCORE_TOLERANCE,
        "colour %u,%u,%u: score %f, OpenCV %f", c->r, c->g, c->b,
        meta->score, c->score);
    /* squash scores the whole frame */
    fail_unless_equals_int (meta->x, 0);
    fail_unless_equals_int (meta->y, 0);
    fail_unless_equals_int (meta->width, 64);
    fail_unless_equals_int (meta->height, 48);
    fail_unless (meta->model != NULL && meta->model[0] != '\0');
    fail_unless (same_bytes (out, copy), "frame %u was modified", i);
    gst_buffer_unref (copy);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_u64 (h, "frames-analysed"),
      2 * n_ref_colours);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* mode=async: buffers are not held; once the first frame is scored every
 * later buffer carries that result, with the analysed frame's PTS. */
GST_START_TEST (test_async_meta)
{
  GstHarness *h = harness_new (tiny_model, "interval=10000000000");
  const RefColour *c = &ref_colours[1];
  gdouble last;
  guint i;

  set_rgb_caps (h, 64, 48);
  gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (64, 48, c,
              GST_SECOND)));
  wait_analysed (h, 1);
  for (i = 1; i < 6; i++) {
    GstClockTime pts = GST_SECOND + i * 40 * GST_MSECOND;
    GstBuffer *out = gst_harness_push_and_pull (h, solid_rgb (64, 48,
            &ref_colours[0], pts));
    GstIlgnetMeta *meta = gst_buffer_get_ilgnet_meta (out);

    fail_unless (meta != NULL);
    fail_unless_equals_uint64 (meta->pts, GST_SECOND);
    fail_unless_equals_uint64 (meta->frame, 0);
    fail_unless (fabs (meta->score - c->score) < SCORE_TOLERANCE);
    gst_buffer_unref (out);
  }
  /* Only the first frame is due within a 10 s interval. */
  fail_unless_equals_uint64 (get_u64 (h, "frames-analysed"), 1);
  g_object_get (h->element, "last-score", &last, NULL);
  fail_unless (fabs (last - c->score) < SCORE_TOLERANCE);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- buffer ownership ---------------------------------------------------- */

static void
buffer_finalized (gpointer data, GstMiniObject * obj)
{
  g_atomic_int_set ((gint *) data, TRUE);
}

static void
fill_rgb (GstBuffer * buf, const RefColour * c)
{
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i + 2 < map.size; i += 3) {
    map.data[i] = c->r;
    map.data[i + 1] = c->g;
    map.data[i + 2] = c->b;
  }
  gst_buffer_unmap (buf, &map);
}

/* A frame being scored stays the element's until the scorer is done: the
 * buffer upstream allocated (which a pool would recycle) is held, a buffer
 * sharing its memory goes downstream, and what downstream writes into that
 * is not what gets scored. */
GST_START_TEST (test_scored_buffer_held)
{
  const RefColour black = { 0, 0, 0, 0.0 };
  const RefColour *c = &ref_colours[1];
  GstHarness *h;
  GstBuffer *in, *out;
  GstMemory *mem;
  GstMapInfo map;
  gdouble s_colour, s_black, last;
  gint finalized = FALSE;
  GstBuffer *ref;

  /* The slow model's scores of both colours, held (sync) frames. */
  h = harness_new (slow_model, "mode=sync interval=0");
  set_rgb_caps (h, 64, 48);
  gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (64, 48, c, 0)));
  g_object_get (h->element, "last-score", &s_colour, NULL);
  gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (64, 48, &black,
              40 * GST_MSECOND)));
  g_object_get (h->element, "last-score", &s_black, NULL);
  gst_harness_teardown (h);
  fail_unless (fabs (s_colour - s_black) > 1e-3,
      "the test needs colours the model tells apart (%f, %f)", s_colour,
      s_black);

  h = harness_new (slow_model, "interval=0");
  set_rgb_caps (h, 64, 48);
  in = solid_rgb (64, 48, c, 0);
  mem = gst_memory_ref (gst_buffer_peek_memory (in, 0));
  gst_mini_object_weak_ref (GST_MINI_OBJECT (in), buffer_finalized,
      &finalized);
  ref = in;
  out = gst_harness_push_and_pull (h, in);
  /* No pixel copy, but not the same buffer. */
  fail_unless (out != ref);
  fail_unless (gst_buffer_peek_memory (out, 0) == mem);
  /* Downstream draws on its buffer... */
  fill_rgb (out, &black);
  gst_buffer_unref (out);
  /* ...while the model, hundreds of ms a frame, still holds the frame. */
  fail_if (g_atomic_int_get (&finalized), "a frame being scored was freed");
  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  fail_unless (map.data[0] == c->r && map.data[1] == c->g
      && map.data[2] == c->b, "downstream wrote into the scored frame");
  gst_memory_unmap (mem, &map);

  wait_analysed (h, 1);
  fail_unless (g_atomic_int_get (&finalized), "the scored frame was kept");
  g_object_get (h->element, "last-score", &last, NULL);
  fail_unless (fabs (last - s_colour) < 1e-6, "scored %f, the colour gives "
      "%f, black %f", last, s_colour, s_black);
  gst_memory_unref (mem);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A frame still being scored when a new segment starts is reported, but
 * its result is not put on the new segment's frames (nor fed to the crop
 * advice, which restarts with the segment). */
GST_START_TEST (test_segment_stale_result)
{
  GstBus *bus;
  GstHarness *h = harness_new_with_bus (slow_model, "interval=10000000000", &bus);
  GstSegment seg;
  GstBuffer *out;
  GList *results;

  set_rgb_caps (h, 64, 48);
  gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (64, 48,
              &ref_colours[0], 0)));
  /* The slow model is still at it (hundreds of ms). */
  fail_unless_equals_uint64 (get_u64 (h, "frames-analysed"), 0);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  wait_analysed (h, 1);

  out = gst_harness_push_and_pull (h, solid_rgb (64, 48, &ref_colours[1],
          40 * GST_MSECOND));
  fail_unless (gst_buffer_get_ilgnet_meta (out) == NULL,
      "a result of the previous segment was put on a new frame");
  gst_buffer_unref (out);
  results = wait_results (bus, 1);
  free_n_results (results, 1);
  teardown_with_bus (h, bus);
}

GST_END_TEST;

/* ---- drop-oldest ---------------------------------------------------------- */

/* A model slower than the stream: the streaming thread never waits, the
 * oldest waiting frame is dropped, the newest is always scored. */
GST_START_TEST (test_drop_oldest)
{
  GstBus *bus;
  GstHarness *h = harness_new_with_bus (slow_model, "interval=0 max-queue=2", &bus);
  const guint n = 30;
  guint64 analysed, dropped;
  GList *results, *l;
  guint64 prev = 0;
  gboolean first = TRUE;
  guint i;

  set_rgb_caps (h, 64, 48);
  for (i = 0; i < n; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (64, 48,
                &ref_colours[i % n_ref_colours], i * 40 * GST_MSECOND)));
  /* All pushed long before the slow model could score them all. */
  fail_unless (get_u64 (h, "frames-dropped") > 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  analysed = get_u64 (h, "frames-analysed");
  dropped = get_u64 (h, "frames-dropped");
  fail_unless_equals_uint64 (analysed + dropped, n);
  fail_unless (analysed >= 1 && analysed <= n - 1);

  results = pop_results (bus);
  fail_unless_equals_int (g_list_length (results), analysed);
  for (l = results; l; l = l->next) {
    guint64 frame;

    fail_unless (gst_structure_get_uint64 (l->data, "frame", &frame));
    fail_unless (first || frame > prev, "results out of order");
    prev = frame;
    first = FALSE;
  }
  /* drop-oldest keeps the newest frame */
  fail_unless_equals_uint64 (prev, n - 1);
  free_results (results);
  teardown_with_bus (h, bus);
}

GST_END_TEST;

/* ---- interval sampling --------------------------------------------------- */

/* Which of @pts (running times) an interval grid picks: the first frame,
 * then the first at or after each multiple of @interval after it (a new
 * start when a whole interval passed without frames). */
static gboolean *
expected_samples (const GstClockTime * rt, guint n, GstClockTime interval)
{
  gboolean *take = g_new0 (gboolean, n);
  GstClockTime next = 0;
  guint i;

  for (i = 0; i < n; i++) {
    if (i == 0 || rt[i] >= next) {
      take[i] = TRUE;
      next = (i > 0 && rt[i] - next < interval) ? next + interval :
          rt[i] + interval;
    }
  }
  return take;
}

static void
check_interval (gboolean live)
{
  const GstClockTime interval = 200 * GST_MSECOND;
  const GstClockTime base = live ? 3600 * GST_SECOND : 0;
  GstHarness *h;
  GstClockTime rt[60], pts = 0;
  gboolean *take;
  GstSegment segment;
  gchar *props;
  guint i, n = G_N_ELEMENTS (rt), n_taken = 0;
  GRand *rand = g_rand_new_with_seed (live ? 7 : 3);

  props = g_strdup_printf ("mode=sync interval=%" G_GUINT64_FORMAT, interval);
  h = harness_new (tiny_model, props);
  g_free (props);
  gst_harness_set_live (h, live);
  set_rgb_caps (h, 32, 24);
  if (live) {
    /* Live sources stamp buffers with clock times: the segment maps them
     * to running time from 0. */
    gst_segment_init (&segment, GST_FORMAT_TIME);
    segment.start = base;
    segment.time = 0;
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  }

  /* Irregular frame times (variable frame rate, jitter), 15..70 ms apart. */
  for (i = 0; i < n; i++) {
    rt[i] = pts;
    pts += (15 + g_rand_int_range (rand, 0, 56)) * GST_MSECOND;
  }
  take = expected_samples (rt, n, interval);

  for (i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, solid_rgb (32, 24,
            &ref_colours[0], base + rt[i]));
    GstIlgnetMeta *meta = gst_buffer_get_ilgnet_meta (out);

    fail_unless (meta != NULL);
    /* In sync mode a buffer carries its own result iff it was analysed. */
    fail_unless_equals_int (meta->pts == base + rt[i], take[i]);
    n_taken += take[i];
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_u64 (h, "frames-analysed"), n_taken);
  fail_unless (n_taken >= pts / interval - 1 && n_taken <= pts / interval + 1);
  g_free (take);
  g_rand_free (rand);
  gst_harness_teardown (h);
}

GST_START_TEST (test_interval_nonlive)
{
  check_interval (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_interval_live)
{
  check_interval (TRUE);
}

GST_END_TEST;

/* Without interval set, crop=multi analyses every 100 ms (framing feedback
 * about ten times a second), other modes every 500 ms; the property reads
 * GST_CLOCK_TIME_NONE ("chosen by crop"). */
static void
check_default_interval (const gchar * props, GstClockTime expect)
{
  GstHarness *h = harness_new (tiny_model, props);
  GstClockTime rt[45], interval;
  gboolean *take;
  guint i, n = G_N_ELEMENTS (rt), n_taken = 0;

  g_object_get (h->element, "interval", &interval, NULL);
  fail_unless_equals_uint64 (interval, GST_CLOCK_TIME_NONE);
  set_rgb_caps (h, 32, 24);
  for (i = 0; i < n; i++)
    rt[i] = i * GST_SECOND / 30;        /* 1.5 s at 30 fps */
  take = expected_samples (rt, n, expect);
  for (i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, solid_rgb (32, 24,
            &ref_colours[0], rt[i]));
    GstIlgnetMeta *meta = gst_buffer_get_ilgnet_meta (out);

    fail_unless (meta != NULL);
    fail_unless_equals_int (meta->pts == rt[i], take[i]);
    n_taken += take[i];
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_u64 (h, "frames-analysed"), n_taken);
  fail_unless_equals_int (n_taken, expect == 100 * GST_MSECOND ? 15 : 3);
  g_free (take);
  gst_harness_teardown (h);
}

GST_START_TEST (test_interval_default)
{
  check_default_interval ("mode=sync", 500 * GST_MSECOND);
  check_default_interval ("mode=sync crop=multi", 100 * GST_MSECOND);
}

GST_END_TEST;

/* ---- latency --------------------------------------------------------------- */

GST_START_TEST (test_latency)
{
  GstHarness *h;
  GstClockTime lat;

  h = harness_new (slow_model, "mode=async");
  gst_harness_set_live (h, TRUE);
  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  set_rgb_caps (h, 32, 24);
  lat = gst_harness_query_latency (h);
  fail_unless_equals_uint64 (lat, 10 * GST_MSECOND);
  gst_harness_teardown (h);

  /* sync holds buffers for a network run: at least the slow model's time
   * measured when it started. */
  h = harness_new (slow_model, "mode=sync");
  gst_harness_set_live (h, TRUE);
  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  set_rgb_caps (h, 32, 24);
  lat = gst_harness_query_latency (h);
  fail_unless (lat > 10 * GST_MSECOND + 20 * GST_MSECOND,
      "sync latency %" GST_TIME_FORMAT, GST_TIME_ARGS (lat));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- flush, seek, EOS -------------------------------------------------------- */

typedef struct
{
  GstHarness *h;
  GstBuffer *buf;
  GstFlowReturn ret;
} PushData;

static gpointer
push_thread (gpointer data)
{
  PushData *pd = data;

  pd->ret = gst_harness_push (pd->h, pd->buf);
  return NULL;
}

/* A buffer waiting for its score in sync mode is released by a flush, the
 * score of the flushed frame is discarded, and the next frame gets its own
 * score (not a stale one). */
GST_START_TEST (test_flush_sync)
{
  GstBus *bus;
  GstHarness *h = harness_new_with_bus (slow_model, "mode=sync interval=0", &bus);
  PushData pd;
  GThread *thread;
  GstBuffer *out;
  GstIlgnetMeta *meta;
  GList *results, *l;
  GstSegment segment;

  set_rgb_caps (h, 32, 24);
  pd.h = h;
  pd.buf = solid_rgb (32, 24, &ref_colours[0], 0);
  pd.ret = GST_FLOW_OK;
  thread = g_thread_new ("push", push_thread, &pd);
  /* Let the frame reach the scorer; the slow model takes far longer. */
  g_usleep (50 * 1000);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_thread_join (thread);
  fail_unless_equals_int (pd.ret, GST_FLOW_FLUSHING);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));

  out = gst_harness_push_and_pull (h, solid_rgb (32, 24, &ref_colours[1],
          5 * GST_SECOND));
  meta = gst_buffer_get_ilgnet_meta (out);
  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (meta->pts, 5 * GST_SECOND);
  gst_buffer_unref (out);

  results = pop_results (bus);
  for (l = results; l; l = l->next) {
    guint64 ts;
    gst_structure_get_uint64 (l->data, "timestamp", &ts);
    fail_unless (ts != 0, "the flushed frame's score was posted");
  }
  free_n_results (results, 1);
  teardown_with_bus (h, bus);
}

GST_END_TEST;

/* A seek (flush + new segment) in async mode: no buffer after it carries a
 * result from before it. */
GST_START_TEST (test_seek_async)
{
  GstHarness *h = harness_new (tiny_model, "interval=0");
  GstSegment segment;
  GstBuffer *out;
  GstIlgnetMeta *meta;
  guint64 before = 0;
  guint i;

  set_rgb_caps (h, 32, 24);
  for (i = 0; i < 5; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (32, 24,
                &ref_colours[0], i * 40 * GST_MSECOND)));
  wait_analysed (h, 1);

  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = segment.time = 60 * GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));

  for (i = 0; i < 20; i++) {
    GstClockTime pts = 60 * GST_SECOND + i * 40 * GST_MSECOND;

    /* Counted before the push: the scorer may finish the first frame after
     * the seek before this thread reads the counter again. */
    if (i == 0)
      before = get_u64 (h, "frames-analysed");
    out = gst_harness_push_and_pull (h, solid_rgb (32, 24, &ref_colours[1],
            pts));
    meta = gst_buffer_get_ilgnet_meta (out);
    if (meta)
      fail_unless (meta->pts >= 60 * GST_SECOND && meta->pts <= pts,
          "stale result %" GST_TIME_FORMAT " after seek",
          GST_TIME_ARGS (meta->pts));
    gst_buffer_unref (out);
    if (i == 0)
      wait_analysed (h, before + 1);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* EOS waits for pending scores and sends a summary tag event that agrees
 * with the posted results. */
GST_START_TEST (test_eos_summary)
{
  GstBus *bus;
  GstHarness *h = harness_new_with_bus (tiny_model, "interval=0 max-queue=64", &bus);
  GstEvent *ev;
  GstTagList *tags = NULL;
  GList *results, *l;
  gdouble mean, max, sum = 0.0, best = -1.0;
  guint64 best_ts = 0, ts;
  guint n = 12, count, i;

  set_rgb_caps (h, 32, 24);
  for (i = 0; i < n; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (32, 24,
                &ref_colours[i % n_ref_colours], i * 40 * GST_MSECOND)));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* max-queue=64: nothing dropped, all scored before EOS went on. */
  fail_unless_equals_uint64 (get_u64 (h, "frames-analysed"), n);

  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_TAG) {
      GstTagList *t;
      gst_event_parse_tag (ev, &t);
      if (gst_tag_list_get_tag_size (t, "ilgnet-score-mean") > 0)
        tags = gst_tag_list_copy (t);
    }
    gst_event_unref (ev);
  }
  fail_unless (tags != NULL, "no summary tags");

  results = pop_results (bus);
  fail_unless_equals_int (g_list_length (results), n);
  for (l = results; l; l = l->next) {
    gdouble s;
    gst_structure_get_double (l->data, "score", &s);
    gst_structure_get_uint64 (l->data, "timestamp", &ts);
    sum += s;
    if (s > best) {
      best = s;
      best_ts = ts;
    }
  }
  fail_unless (gst_tag_list_get_double (tags, "ilgnet-score-mean", &mean));
  fail_unless (gst_tag_list_get_double (tags, "ilgnet-score-max", &max));
  fail_unless (gst_tag_list_get_uint (tags, "ilgnet-frames-analysed",
          &count));
  fail_unless (gst_tag_list_get_uint64 (tags, "ilgnet-best-timestamp", &ts));
  fail_unless (fabs (mean - sum / n) < 1e-6);
  fail_unless (fabs (max - best) < 1e-6);
  fail_unless_equals_uint64 (ts, best_ts);
  fail_unless_equals_int (count, n);

  gst_tag_list_unref (tags);
  free_results (results);
  teardown_with_bus (h, bus);
}

GST_END_TEST;

/* A flushing seek in a real pipeline: after it, no buffer carries a result
 * from before it, and results come again. */
typedef struct
{
  GMutex lock;
  GstElement *ilgnet;
  guint64 before_seek;          /* frames-analysed when the seek was sent */
  guint after, with_meta, stale;
  gboolean timed_out;
} SeekCheck;

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, SeekCheck * c)
{
  GstIlgnetMeta *meta = gst_buffer_get_ilgnet_meta (buf);
  gboolean first;

  if (GST_BUFFER_PTS (buf) < 5 * GST_SECOND)
    return;
  g_mutex_lock (&c->lock);
  first = ++c->after == 1;
  if (meta) {
    c->with_meta++;
    if (meta->pts < 5 * GST_SECOND || meta->pts > GST_BUFFER_PTS (buf))
      c->stale++;
  }
  g_mutex_unlock (&c->lock);
  /* The first frame after a flush is always analysed.  Holding the stream
   * here until its score is in makes "results come again" independent of
   * the machine's speed: every later buffer passes the element after it.
   * (A score from before the seek is never counted after it.) */
  if (first && !element_wait_analysed (c->ilgnet, c->before_seek + 1))
    c->timed_out = TRUE;
}

GST_START_TEST (test_pipeline_seek)
{
  gchar *line = g_strdup_printf ("videotestsrc ! video/x-raw,width=64,"
      "height=48,framerate=30/1 ! ilgnet name=i model=\"%s\" threads=1 "
      "interval=0 ! identity sleep-time=5000 ! fakesink name=sink "
      "signal-handoffs=true sync=false", tiny_model);
  GstElement *pipe = gst_parse_launch (line, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstMessage *msg;
  SeekCheck c = { 0, };

  g_free (line);
  g_mutex_init (&c.lock);
  c.ilgnet = gst_bin_get_by_name (GST_BIN (pipe), "i");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &c);
  /* Prerolled on the first frame (analysed: the first always is; the
   * stream waits in the sink meanwhile, so no other frame was), then seek,
   * then play. */
  fail_unless (gst_element_set_state (pipe, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (pipe, NULL, NULL, GST_CLOCK_TIME_NONE)
      == GST_STATE_CHANGE_SUCCESS);
  fail_unless (element_wait_analysed (c.ilgnet, 1),
      "the preroll frame was never scored");
  c.before_seek = element_analysed (c.ilgnet);
  fail_unless (gst_element_seek (pipe, 1.0, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 5 * GST_SECOND,
          GST_SEEK_TYPE_SET, 8 * GST_SECOND));
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 110 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);

  /* 3 s at 30 fps after the seek (5 ms each: time for results to come). */
  fail_unless_equals_int (c.after, 90);
  fail_if (c.timed_out, "the first frame after the seek was never scored");
  fail_unless (c.with_meta > 0);
  fail_unless_equals_int (c.stale, 0);
  g_mutex_clear (&c.lock);
  gst_object_unref (c.ilgnet);
  gst_object_unref (sink);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* ---- renegotiation ------------------------------------------------------------ */

GST_START_TEST (test_renegotiate)
{
  static const struct
  {
    const gchar *format;
    gint w, h;
  } steps[] = {
    {"RGB", 64, 48}, {"I420", 33, 17}, {"GRAY8", 640, 360},
    {"I420", 7680, 4320}, {"NV12", 64, 48}, {"BGRx", 1, 1},
  };
  GstHarness *h = harness_new (tiny_model, "mode=sync interval=0");
  guint s, i, frame = 0;

  for (s = 0; s < G_N_ELEMENTS (steps); s++) {
    GstVideoInfo info;
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
        "framerate=25/1", steps[s].format, steps[s].w, steps[s].h);

    /* Under valgrind an 8K frame costs half a minute. */
    if (steps[s].w * steps[s].h > 4096 * 2160
        && g_getenv ("ILGNET_TEST_LIGHT")) {
      g_free (caps);
      continue;
    }
    gst_harness_set_src_caps_str (h, caps);
    g_free (caps);
    gst_video_info_set_format (&info,
        gst_video_format_from_string (steps[s].format), steps[s].w,
        steps[s].h);
    for (i = 0; i < 3; i++, frame++) {
      GstClockTime pts = frame * 40 * GST_MSECOND;
      GstBuffer *out = gst_harness_push_and_pull (h, pattern_frame (&info,
              FALSE, frame, pts));
      GstIlgnetMeta *meta = gst_buffer_get_ilgnet_meta (out);

      fail_unless (meta != NULL);
      fail_unless_equals_uint64 (meta->pts, pts);
      fail_unless_equals_int (meta->width, steps[s].w);
      fail_unless_equals_int (meta->height, steps[s].h);
      fail_unless (meta->score >= 0.0f && meta->score <= 1.0f);
      gst_buffer_unref (out);
    }
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- every raw format, odd sizes, padded strides ------------------------------- */

GST_START_TEST (test_all_formats)
{
  static const gint sizes[][2] = { {1, 1}, {7, 5}, {64, 48} };
  GstHarness *h = harness_new (tiny_model, "mode=sync interval=0");
  GstCaps *templ = gst_pad_get_pad_template_caps (GST_PAD_PEER (h->srcpad));
  const GValue *formats = gst_structure_get_value (gst_caps_get_structure
      (templ, 0), "format");
  guint f, s, n_formats = gst_value_list_get_size (formats), tested = 0;
  guint64 frame = 0;
  GString *failed = g_string_new (NULL);

  fail_unless (n_formats > 80, "only %u formats in the template", n_formats);
  for (f = 0; f < n_formats; f++) {
    const gchar *name = g_value_get_string (gst_value_list_get_value (formats,
            f));
    GstVideoFormat format = gst_video_format_from_string (name);

    for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
      gint pad;

      for (pad = 0; pad <= (sizes[s][0] > 1); pad++) {
        GstVideoInfo info;
        GstBuffer *in, *copy, *out;
        GstIlgnetMeta *meta;
        GstClockTime pts = frame * 40 * GST_MSECOND;
        GstCaps *caps;

        /* Tiled formats only exist in whole tiles. */
        if (!gst_video_info_set_format (&info, format, sizes[s][0],
                sizes[s][1]))
          continue;
        caps = gst_video_info_to_caps (&info);
        gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 25, 1,
            NULL);
        gst_harness_set_src_caps (h, caps);

        in = pattern_frame (&info, pad, f, pts);
        copy = gst_buffer_copy_deep (in);
        out = gst_harness_push_and_pull (h, in);
        meta = gst_buffer_get_ilgnet_meta (out);
        if (!meta || meta->pts != pts || !(meta->score >= 0.0f
                && meta->score <= 1.0f))
          g_string_append_printf (failed, " %s/%dx%d%s", name, sizes[s][0],
              sizes[s][1], pad ? "/padded" : "");
        fail_unless (same_bytes (out, copy), "%s %dx%d modified", name,
            sizes[s][0], sizes[s][1]);
        gst_buffer_unref (copy);
        gst_buffer_unref (out);
        frame++;
        tested++;
      }
    }
  }
  GST_INFO ("%u format/size combinations", tested);
  fail_unless (failed->len == 0, "not scored:%s", failed->str);
  fail_unless (tested > 2 * n_formats);
  g_string_free (failed, TRUE);
  gst_caps_unref (templ);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- overlay -------------------------------------------------------------------- */

/* How many bytes differ between two frames, in the rows [y0, y1). */
static guint
count_changed (GstBuffer * a, GstBuffer * b, gint stride, gint y0, gint y1)
{
  GstMapInfo ma, mb;
  guint n = 0;
  gsize i;

  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  for (i = (gsize) y0 * stride; i < (gsize) y1 * stride && i < ma.size; i++)
    n += ma.data[i] != mb.data[i];
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return n;
}

GST_START_TEST (test_overlay_blend)
{
  GstHarness *h = harness_new (tiny_model, "mode=sync overlay=gauge");
  GstBuffer *in, *copy, *out;
  gint stride = GST_ROUND_UP_4 (320 * 3);

  set_rgb_caps (h, 320, 240);
  in = solid_rgb (320, 240, &ref_colours[0], 0);
  copy = gst_buffer_copy_deep (in);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (gst_buffer_get_ilgnet_meta (out) != NULL);
  fail_if (gst_buffer_get_video_overlay_composition_meta (out));
  /* The gauge sits at the bottom left: the top half is untouched, the
   * bottom quarter has a few thousand changed bytes. */
  fail_unless_equals_int (count_changed (out, copy, stride, 0, 120), 0);
  fail_unless (count_changed (out, copy, stride, 180, 240) > 1000);
  gst_buffer_unref (copy);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_overlay_meta)
{
  GstHarness *h = harness_new (tiny_model, "mode=sync overlay=gauge");
  GstBuffer *in, *copy, *out;
  GstVideoOverlayCompositionMeta *cmeta;
  GstVideoOverlayRectangle *rect;
  gint x, y;
  guint w, hh;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  set_rgb_caps (h, 320, 240);
  in = solid_rgb (320, 240, &ref_colours[0], 0);
  copy = gst_buffer_copy_deep (in);
  out = gst_harness_push_and_pull (h, in);
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (cmeta != NULL, "downstream composes, but no meta");
  fail_unless (same_bytes (out, copy), "pixels drawn on anyway");
  fail_unless (gst_video_overlay_composition_n_rectangles (cmeta->overlay)
      >= 1);
  rect = gst_video_overlay_composition_get_rectangle (cmeta->overlay, 0);
  gst_video_overlay_rectangle_get_render_rectangle (rect, &x, &y, &w, &hh);
  fail_unless (x >= 0 && y >= 120 && x + w <= 320 && y + hh <= 240);
  gst_buffer_unref (copy);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The gauge is blended into frames of every format downstream cannot
 * compose for. */
GST_START_TEST (test_overlay_all_formats)
{
  GstHarness *h = harness_new (tiny_model, "mode=sync interval=0 overlay=gauge");
  GstCaps *templ = gst_pad_get_pad_template_caps (GST_PAD_PEER (h->srcpad));
  const GValue *formats = gst_structure_get_value (gst_caps_get_structure
      (templ, 0), "format");
  guint f, n_formats = gst_value_list_get_size (formats);
  GString *unchanged = g_string_new (NULL);

  for (f = 0; f < n_formats; f++) {
    const gchar *name = g_value_get_string (gst_value_list_get_value (formats,
            f));
    GstVideoInfo info;
    GstBuffer *in, *copy, *out;
    GstCaps *caps;

    fail_unless (gst_video_info_set_format (&info,
            gst_video_format_from_string (name), 128, 96));
    caps = gst_video_info_to_caps (&info);
    gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 25, 1, NULL);
    gst_harness_set_src_caps (h, caps);
    in = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
    gst_buffer_memset (in, 0, 0x10, GST_VIDEO_INFO_SIZE (&info));
    GST_BUFFER_PTS (in) = f * 40 * GST_MSECOND;
    copy = gst_buffer_copy_deep (in);
    out = gst_harness_push_and_pull (h, in);
    fail_unless (gst_buffer_get_ilgnet_meta (out) != NULL);
    if (same_bytes (out, copy))
      g_string_append_printf (unchanged, " %s", name);
    gst_buffer_unref (copy);
    gst_buffer_unref (out);
  }
  fail_unless (unchanged->len == 0, "no gauge drawn on:%s", unchanged->str);
  g_string_free (unchanged, TRUE);
  gst_caps_unref (templ);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- crop=multi ------------------------------------------------------------------ */

/* The best reference colour on the left two thirds, the worst on the
 * right: cropping the right third away pays off. */
static GstBuffer *
split_rgb (gint w, gint h, GstClockTime pts)
{
  const RefColour *best = &ref_colours[0], *worst = &ref_colours[0];
  GstBuffer *buf;
  GstMapInfo map;
  gint x, y;
  guint i;

  for (i = 0; i < n_ref_colours; i++) {
    if (ref_colours[i].score > best->score)
      best = &ref_colours[i];
    if (ref_colours[i].score < worst->score)
      worst = &ref_colours[i];
  }
  buf = solid_rgb (w, h, best, pts);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (y = 0; y < h; y++)
    for (x = w * 2 / 3; x < w; x++) {
      guint8 *p = map.data + y * GST_ROUND_UP_4 (w * 3) + 3 * x;
      p[0] = worst->r;
      p[1] = worst->g;
      p[2] = worst->b;
    }
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* The best of the candidate crops scores at least as well as the whole
 * frame (which is one of the candidates); the message, the meta and the
 * drawn rectangle agree on where it is. */
GST_START_TEST (test_multi_crop)
{
  GstHarness *hs = harness_new (tiny_model, "mode=sync interval=0");
  GstHarness *hm = harness_new (tiny_model,
      "mode=sync interval=0 crop=multi overlay=crop");
  GstBus *bus = attach_bus (hm->element);
  GstBuffer *in, *copy, *out_s, *out_m;
  GstIlgnetMeta *ms, *mm;
  GstMapInfo map, orig;
  GList *results;
  gint cx, cy, cw, ch;
  const gint w = 160, h = 90;

  in = split_rgb (w, h, 0);
  copy = gst_buffer_copy_deep (in);

  set_rgb_caps (hs, w, h);
  set_rgb_caps (hm, w, h);
  out_s = gst_harness_push_and_pull (hs, gst_buffer_copy_deep (in));
  out_m = gst_harness_push_and_pull (hm, in);
  ms = gst_buffer_get_ilgnet_meta (out_s);
  mm = gst_buffer_get_ilgnet_meta (out_m);
  fail_unless (ms != NULL && mm != NULL);
  fail_unless (mm->score >= ms->score - 1e-6, "multi %f < squash %f",
      mm->score, ms->score);
  fail_unless (mm->x >= 0 && mm->y >= 0 && mm->width > 0 && mm->height > 0
      && mm->x + mm->width <= w && mm->y + mm->height <= h);
  /* Cutting away the worst colour must pay off here. */
  fail_unless (mm->score > ms->score + 1e-4 && mm->width < w,
      "no better crop: %f vs %f, %dx%d", mm->score, ms->score, mm->width,
      mm->height);

  results = pop_results (bus);
  fail_unless_equals_int (g_list_length (results), 1);
  fail_unless (gst_structure_get_int (results->data, "crop-x", &cx));
  fail_unless (gst_structure_get_int (results->data, "crop-y", &cy));
  fail_unless (gst_structure_get_int (results->data, "crop-width", &cw));
  fail_unless (gst_structure_get_int (results->data, "crop-height", &ch));
  fail_unless (cx == mm->x && cy == mm->y && cw == mm->width
      && ch == mm->height);
  free_results (results);

  /* The rectangle is drawn: its left edge changed the frame. */
  gst_buffer_map (out_m, &map, GST_MAP_READ);
  gst_buffer_map (copy, &orig, GST_MAP_READ);
  {
    gsize off = (mm->y + mm->height / 2) * GST_ROUND_UP_4 (w * 3) +
        3 * mm->x;
    fail_unless (memcmp (map.data + off, orig.data + off, 3) != 0);
  }
  gst_buffer_unmap (copy, &orig);
  gst_buffer_unmap (out_m, &map);

  gst_buffer_unref (copy);
  gst_buffer_unref (out_s);
  gst_buffer_unref (out_m);
  gst_element_set_bus (hm->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
  gst_harness_teardown (hm);
}

GST_END_TEST;

static void
get_suggestion (const GstStructure * s, GstVideoRectangle * r,
    gdouble * score, gdouble * frame_score, gboolean * keep)
{
  fail_unless (gst_structure_get_int (s, "crop-x", &r->x));
  fail_unless (gst_structure_get_int (s, "crop-y", &r->y));
  fail_unless (gst_structure_get_int (s, "crop-width", &r->w));
  fail_unless (gst_structure_get_int (s, "crop-height", &r->h));
  fail_unless (gst_structure_get_double (s, "score", score));
  fail_unless (gst_structure_get_double (s, "frame-score", frame_score));
  fail_unless (gst_structure_get_boolean (s, "keep-framing", keep));
}

/* The advice fields say what the rectangle says: zoom in by the ratio of
 * sides (square root of the areas'), offset of the centres in frame sizes. */
static void
check_advice (const GstStructure * s, const GstVideoRectangle * r, gint w,
    gint h)
{
  gdouble zoom, dx, dy;

  fail_unless (gst_structure_get_double (s, "crop-zoom", &zoom));
  fail_unless (gst_structure_get_double (s, "crop-offset-x", &dx));
  fail_unless (gst_structure_get_double (s, "crop-offset-y", &dy));
  fail_unless (fabs (zoom - sqrt ((gdouble) w * h / ((gdouble) r->w * r->h)))
      < 1e-9 && zoom >= 1.0, "crop-zoom %f for %dx%d in %dx%d", zoom, r->w,
      r->h, w, h);
  fail_unless (fabs (dx - (r->x + r->w / 2.0 - w / 2.0) / w) < 1e-9
      && fabs (dy - (r->y + r->h / 2.0 - h / 2.0) / h) < 1e-9,
      "offset %f,%f for %d,%d %dx%d", dx, dy, r->x, r->y, r->w, r->h);
}

/* crop=multi holds its suggestion: a uniform frame, on which no crop is
 * better, keeps the crop suggested for the frames before it; after a seek
 * (flush and new segment) the same frame gets "keep the framing" (the whole
 * frame).  frame-score is the whole frame's score (crop=squash on the same
 * frame), score the suggested crop's. */
GST_START_TEST (test_multi_crop_steady)
{
  GstHarness *hs = harness_new (tiny_model, "mode=sync interval=0");
  GstHarness *hm = harness_new (tiny_model,
      "mode=sync interval=0 crop=multi crop-margin=0.001 crop-hold=1000");
  GstBus *bus = attach_bus (hm->element);
  const gint w = 160, h = 90;
  GstVideoRectangle r, held;
  gdouble score, frame_score;
  gboolean keep;
  GstBuffer *out;
  GstIlgnetMeta *ms, *mm;
  GstSegment segment;
  GList *results;

  set_rgb_caps (hs, w, h);
  set_rgb_caps (hm, w, h);
  out = gst_harness_push_and_pull (hs, split_rgb (w, h, 0));
  ms = gst_buffer_get_ilgnet_meta (out);
  fail_unless (ms != NULL);
  gst_buffer_unref (gst_harness_push_and_pull (hm, split_rgb (w, h, 0)));
  gst_buffer_unref (gst_harness_push_and_pull (hm, split_rgb (w, h,
              40 * GST_MSECOND)));
  results = pop_results (bus);
  fail_unless_equals_int (g_list_length (results), 2);
  get_suggestion (g_list_last (results)->data, &held, &score, &frame_score,
      &keep);
  fail_unless (!keep && held.w < w, "no crop suggested: %dx%d", held.w,
      held.h);
  check_advice (g_list_last (results)->data, &held, w, h);
  fail_unless (fabs (frame_score - ms->score) < SCORE_TOLERANCE,
      "frame-score %f, squash %f", frame_score, ms->score);
  /* Else the uniform frame below could not tell holding from following. */
  fail_unless (score > frame_score + 0.003, "crop %f vs frame %f", score,
      frame_score);
  free_results (results);
  gst_buffer_unref (out);

  /* Held: the crop's score on this frame is the frame's. */
  out = gst_harness_push_and_pull (hm, solid_rgb (w, h, &ref_colours[0],
          80 * GST_MSECOND));
  results = pop_results (bus);
  fail_unless_equals_int (g_list_length (results), 1);
  get_suggestion (results->data, &r, &score, &frame_score, &keep);
  fail_unless (!keep && r.x == held.x && r.y == held.y && r.w == held.w
      && r.h == held.h, "suggestion moved to %d,%d %dx%d", r.x, r.y, r.w,
      r.h);
  fail_unless (fabs (score - ref_colours[0].score) < SCORE_TOLERANCE
      && fabs (frame_score - ref_colours[0].score) < SCORE_TOLERANCE);
  mm = gst_buffer_get_ilgnet_meta (out);
  fail_unless (mm != NULL && mm->x == held.x && mm->width == held.w);
  free_results (results);
  gst_buffer_unref (out);

  /* A seek: advice starts afresh. */
  fail_unless (gst_harness_push_event (hm, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (hm, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (hm, gst_event_new_segment (&segment)));
  out = gst_harness_push_and_pull (hm, solid_rgb (w, h, &ref_colours[0],
          0));
  results = pop_results (bus);
  fail_unless_equals_int (g_list_length (results), 1);
  get_suggestion (results->data, &r, &score, &frame_score, &keep);
  fail_unless (keep && r.x == 0 && r.y == 0 && r.w == w && r.h == h,
      "not the whole frame after a seek: %d,%d %dx%d", r.x, r.y, r.w, r.h);
  check_advice (results->data, &r, w, h);       /* zoom 1, offsets 0 */
  fail_unless (fabs (score - frame_score) < 1e-6);
  mm = gst_buffer_get_ilgnet_meta (out);
  fail_unless (mm != NULL && mm->x == 0 && mm->y == 0 && mm->width == w
      && mm->height == h);
  free_results (results);
  gst_buffer_unref (out);

  gst_element_set_bus (hm->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
  gst_harness_teardown (hm);
}

GST_END_TEST;

/* ---- score file ---------------------------------------------------------------- */

/* 25 frames through the element writing a score file: the messages
 * posted and the file, whole and as lines. */
typedef struct
{
  GList *results;
  gchar *text;
  gchar **lines;
} SidecarRun;

static SidecarRun *
run_with_sidecar (const gchar * format, const gchar * extra)
{
  SidecarRun *run = g_new0 (SidecarRun, 1);
  gchar *dir = g_dir_make_tmp ("ilgnet-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "scores", NULL);
  gchar *props = g_strdup_printf ("mode=sync interval=100000000 format=%s "
      "location=%s %s", format, path, extra);
  GstBus *bus;
  GstHarness *h = harness_new_with_bus (tiny_model, props, &bus);
  gchar *at_eos = NULL;
  guint i;

  set_rgb_caps (h, 32, 24);
  for (i = 0; i < 25; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h, solid_rgb (32, 24,
                &ref_colours[i % n_ref_colours], i * 40 * GST_MSECOND)));
  gst_harness_push_event (h, gst_event_new_eos ());
  run->results = pop_results (bus);
  /* Complete at EOS already, and unchanged by closing. */
  fail_unless (g_file_get_contents (path, &at_eos, NULL, NULL));
  teardown_with_bus (h, bus);

  fail_unless (g_file_get_contents (path, &run->text, NULL, NULL));
  fail_unless_equals_string (run->text, at_eos);
  run->lines = g_strsplit (run->text, "\n", -1);
  g_free (at_eos);
  g_unlink (path);
  g_rmdir (dir);
  g_free (props);
  g_free (path);
  g_free (dir);
  return run;
}

/* One record a result after @header lines, and nothing after the last
 * record's newline. */
static void
check_one_line_a_result (SidecarRun * run, guint header)
{
  guint n = g_list_length (run->results);

  fail_unless_equals_int (g_strv_length (run->lines), header + n + 1);
  fail_unless_equals_string (run->lines[header + n], "");
}

/* Line @i of a CSV score file, split into its 17 columns. */
static gchar **
csv_columns (SidecarRun * run, guint i)
{
  gchar **cols = g_strsplit (run->lines[i], ",", -1);

  fail_unless (g_strv_length (cols) == 17, "line %s", run->lines[i]);
  return cols;
}

static void
sidecar_run_free (SidecarRun * run)
{
  g_strfreev (run->lines);
  g_free (run->text);
  free_results (run->results);
  g_free (run);
}

GST_START_TEST (test_sidecar_jsonl)
{
  SidecarRun *run = run_with_sidecar ("jsonl", "");
  GList *l;
  guint i = 0;

  fail_unless (g_list_length (run->results) >= 9);
  check_one_line_a_result (run, 0);
  for (l = run->results; l; l = l->next, i++) {
    JsonNode *node;
    JsonObject *obj;
    gdouble s;
    guint64 ts, st, frame;
    GError *err = NULL;

    node = json_from_string (run->lines[i], &err);
    fail_unless (node != NULL && JSON_NODE_HOLDS_OBJECT (node), "line %u: %s",
        i, err ? err->message : run->lines[i]);
    obj = json_node_get_object (node);
    gst_structure_get_double (l->data, "score", &s);
    gst_structure_get_uint64 (l->data, "timestamp", &ts);
    gst_structure_get_uint64 (l->data, "stream-time", &st);
    gst_structure_get_uint64 (l->data, "frame", &frame);
    fail_unless_equals_uint64 (json_object_get_int_member (obj, "frame"),
        frame);
    fail_unless_equals_uint64 (json_object_get_int_member (obj, "pts"), ts);
    fail_unless_equals_uint64 (json_object_get_int_member (obj,
            "stream_time"), st);
    fail_unless (fabs (json_object_get_double_member (obj, "time") -
            (gdouble) st / GST_SECOND) < 1e-9);
    fail_unless (fabs (json_object_get_double_member (obj, "score") - s) <
        1e-6);
    fail_unless_equals_string (json_object_get_string_member (obj, "model"),
        "element-tiny");
    fail_unless (g_str_has_suffix (json_object_get_string_member (obj,
                "wallclock"), "Z"));
    fail_if (json_object_has_member (obj, "crop"));
    json_node_unref (node);
  }
  sidecar_run_free (run);
}

GST_END_TEST;

GST_START_TEST (test_sidecar_csv)
{
  SidecarRun *run = run_with_sidecar ("csv", "");
  GList *l;
  guint i;

  fail_unless (g_str_has_prefix (run->lines[0], "frame,pts,"));
  check_one_line_a_result (run, 1);
  for (l = run->results, i = 1; l; l = l->next, i++) {
    gchar **cols = csv_columns (run, i);
    gdouble s;
    guint64 ts, frame;

    gst_structure_get_double (l->data, "score", &s);
    gst_structure_get_uint64 (l->data, "timestamp", &ts);
    gst_structure_get_uint64 (l->data, "frame", &frame);
    fail_unless_equals_uint64 (g_ascii_strtoull (cols[0], NULL, 10), frame);
    fail_unless_equals_uint64 (g_ascii_strtoull (cols[1], NULL, 10), ts);
    fail_unless (fabs (g_ascii_strtod (cols[5], NULL) - s) < 1e-5);
    g_strfreev (cols);
  }
  sidecar_run_free (run);
}

GST_END_TEST;

/* crop=multi: the crop and the whole frame's own score and verdict, in the
 * CSV as in the messages. */
GST_START_TEST (test_sidecar_csv_multi)
{
  SidecarRun *run = run_with_sidecar ("csv", "crop=multi");
  GList *l;
  guint i;

  fail_unless (strstr (run->lines[0], ",frame_score,keep_framing,crop_zoom,"
          "crop_offset_x,crop_offset_y,model,") != NULL);
  fail_unless (run->results != NULL);
  for (l = run->results, i = 1; l; l = l->next, i++) {
    gchar **cols = csv_columns (run, i);
    gdouble s, fs;
    gboolean keep;

    fail_unless (gst_structure_get_double (l->data, "score", &s));
    fail_unless (gst_structure_get_double (l->data, "frame-score", &fs));
    fail_unless (gst_structure_get_boolean (l->data, "keep-framing", &keep));
    fail_unless (fabs (g_ascii_strtod (cols[5], NULL) - s) < 1e-5);
    fail_unless (fabs (g_ascii_strtod (cols[10], NULL) - fs) < 1e-5);
    fail_unless_equals_string (cols[11], keep ? "true" : "false");
    /* the advice, to 4 decimals */
    {
      static const gchar *fields[] = { "crop-zoom", "crop-offset-x",
        "crop-offset-y"
      };
      guint f;
      for (f = 0; f < 3; f++) {
        gdouble v;
        fail_unless (gst_structure_get_double (l->data, fields[f], &v));
        fail_unless (fabs (g_ascii_strtod (cols[12 + f], NULL) - v) < 5.1e-5,
            "%s %f in %s", fields[f], v, run->lines[i]);
      }
    }
    /* Keeping the framing means the crop is the frame. */
    if (keep)
      fail_unless (atoi (cols[8]) == 32 && atoi (cols[9]) == 24, "%s",
          run->lines[i]);
    g_strfreev (cols);
  }
  sidecar_run_free (run);
}

GST_END_TEST;

static GstClockTime
parse_vtt_time (const gchar * s)
{
  guint hh, mm, ss, ms;

  fail_unless (sscanf (s, "%u:%u:%u.%u", &hh, &mm, &ss, &ms) == 4, "%s", s);
  return ((hh * 3600 + mm * 60 + ss) * 1000 + ms) * GST_MSECOND;
}

GST_START_TEST (test_sidecar_webvtt)
{
  SidecarRun *run = run_with_sidecar ("webvtt", "");
  GList *l;
  GstClockTime prev_end = GST_CLOCK_TIME_NONE;
  guint i, cues = 0;

  fail_unless_equals_string (run->lines[0], "WEBVTT");
  l = run->results;
  for (i = 1; run->lines[i]; i++) {
    gchar *arrow = strstr (run->lines[i], " --> ");
    GstClockTime start, end;
    guint64 ts;
    gdouble s, cs;

    if (!arrow)
      continue;
    start = parse_vtt_time (run->lines[i]);
    end = parse_vtt_time (arrow + 5);
    fail_unless (end > start);
    /* each cue lasts until the next result */
    if (GST_CLOCK_TIME_IS_VALID (prev_end))
      fail_unless_equals_uint64 (prev_end, start);
    prev_end = end;
    fail_unless (l != NULL);
    gst_structure_get_uint64 (l->data, "stream-time", &ts);
    gst_structure_get_double (l->data, "score", &s);
    fail_unless_equals_uint64 (start, ts / GST_MSECOND * GST_MSECOND);
    fail_unless (sscanf (run->lines[i + 1], "score %lf", &cs) == 1);
    fail_unless (fabs (cs - s) < 1e-3);
    l = l->next;
    cues++;
  }
  fail_unless_equals_int (cues, g_list_length (run->results));
  /* the last cue ends with the stream: 25 frames of 40 ms */
  fail_unless_equals_uint64 (prev_end, 1000 * GST_MSECOND);
  sidecar_run_free (run);
}

GST_END_TEST;

/* ---- bad models ---------------------------------------------------------------- */

/* The state change to PAUSED fails, with an error message: its GError. */
static GError *
start_error (GstElement * e, GstBus * bus)
{
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, NULL);
  gst_message_unref (msg);
  return err;
}

/* The error's main line (all an application may show) names @what and
 * says @expect, on one line; @err is freed. */
static void
check_error_says (GError * err, const gchar * what, const gchar * expect)
{
  fail_unless (strstr (err->message, what) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, expect) != NULL, "'%s' not in '%s'",
      expect, err->message);
  fail_unless (strchr (err->message, '\n') == NULL);
  g_error_free (err);
}

static void
free_element (GstElement * e, GstBus * bus)
{
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

/* Starting fails with an error message naming the file, not a crash. */
static void
check_start_fails (const gchar * model, const gchar * expect)
{
  GstElement *e = gst_element_factory_make ("ilgnet", NULL);
  GstBus *bus = attach_bus (e);

  g_object_set (e, "model", model, NULL);
  check_error_says (start_error (e, bus), model, expect);
  free_element (e, bus);
}

GST_START_TEST (test_bad_models)
{
  gchar *dir = g_dir_make_tmp ("ilgnet-XXXXXX", NULL);
  gchar *missing = g_build_filename (dir, "missing.ilgnet", NULL);
  gchar *truncated = g_build_filename (dir, "truncated.ilgnet", NULL);
  gchar *garbage = g_build_filename (dir, "garbage.ilgnet", NULL);
  gchar *data;
  gsize len;

  /* half of a good file, and a text file */
  fail_unless (g_file_get_contents (tiny_model, &data, &len, NULL));
  fail_unless (g_file_set_contents (truncated, data, len / 2, NULL));
  fail_unless (g_file_set_contents (garbage, "not a model\n", -1, NULL));
  g_free (data);

  check_start_fails (missing, "not found");
  check_start_fails (truncated, "ILGNet model");
  check_start_fails (garbage, "ILGNet model");
  check_start_fails (logits_model, "not a quality classifier");

  g_unlink (truncated);
  g_unlink (garbage);
  g_rmdir (dir);
  g_free (missing);
  g_free (truncated);
  g_free (garbage);
  g_free (dir);
}

GST_END_TEST;

/* With no "model" property, $ILGNET_MODEL: the error's main line names the
 * path and the true reason (missing, or a directory). */
static void
check_env_model_fails (const gchar * env, const gchar * expect)
{
  GstElement *e = gst_element_factory_make ("ilgnet", NULL);
  GstBus *bus = attach_bus (e);
  GError *err;

  g_setenv ("ILGNET_MODEL", env, TRUE);
  err = start_error (e, bus);
  g_unsetenv ("ILGNET_MODEL");
  check_error_says (err, env, expect);
  free_element (e, bus);
}

GST_START_TEST (test_env_model)
{
  gchar *dir = g_dir_make_tmp ("ilgnet-XXXXXX", NULL);
  gchar *missing = g_build_filename (dir, "missing.ilgnet", NULL);

  check_env_model_fails (missing, "does not exist");
  check_env_model_fails (dir, "is a directory");
  g_rmdir (dir);
  g_free (missing);
  g_free (dir);
}

GST_END_TEST;

/* A score file that cannot be created fails the start, naming it. */
GST_START_TEST (test_bad_location)
{
  GstElement *e = gst_element_factory_make ("ilgnet", NULL);
  GstBus *bus = attach_bus (e);
  const gchar *location = "/nonexistent-ilgnet-dir/scores.jsonl";
  GError *err;

  g_object_set (e, "model", tiny_model, "threads", 1, "location", location,
      NULL);
  err = start_error (e, bus);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE));
  check_error_says (err, location, "score file");
  /* and the element is usable again once fixed */
  g_object_set (e, "location", NULL, NULL);
  fail_unless (gst_element_set_state (e, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  free_element (e, bus);
}

GST_END_TEST;

/* ---- state changes under load ----------------------------------------------------- */

/* Threads of this process whose name starts with @prefix. */
static guint
count_threads (const gchar * prefix)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  guint n = 0;

  if (!dir)
    return 0;
  while ((tid = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL)
        && g_str_has_prefix (comm, prefix))
      n++;
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  return n;
}

/* count_threads() once it is at most @want (5 s at most): a joined thread
 * may stay listed in /proc for a moment after g_thread_join() returns. */
static guint
settled_thread_count (const gchar * prefix, guint want)
{
  gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  guint n = count_threads (prefix);

  while (n > want && g_get_monotonic_time () < end) {
    g_usleep (20 * 1000);
    n = count_threads (prefix);
  }
  return n;
}

static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (!dir)
    return 0;
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

static gsize
rss_kb (void)
{
  gchar *text = NULL, *p;
  gsize kb = 0;

  if (g_file_get_contents ("/proc/self/status", &text, NULL, NULL)
      && (p = strstr (text, "VmRSS:")))
    kb = g_ascii_strtoull (p + 6, NULL, 10);
  g_free (text);
  return kb;
}

/* NULL -> PLAYING -> NULL many times while frames stream and are scored:
 * no deadlock, no thread or file left behind, no memory growth. */
GST_START_TEST (test_state_cycles)
{
  /* Fewer under valgrind. */
  guint cycles = g_getenv ("ILGNET_TEST_LIGHT") ? 3 : 200, i;
  gchar *line;
  GstElement *pipe, *ilgnet;
  guint fds0 = 0, threads0 = 0, playing;
  gsize rss0 = 0;

  line = g_strdup_printf ("videotestsrc ! video/x-raw,width=160,height=120,"
      "framerate=300/1 ! ilgnet name=i model=\"%s\" threads=1 interval=0 "
      "overlay=gauge ! fakesink sync=false", tiny_model);
  pipe = gst_parse_launch (line, NULL);
  g_free (line);
  fail_unless (pipe != NULL);
  ilgnet = gst_bin_get_by_name (GST_BIN (pipe), "i");

  for (i = 0; i < cycles; i++) {
    guint64 analysed = 0;
    gint64 end;

    fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    /* A deadline for a hung scorer, not a speed check: under valgrind on a
     * loaded machine a few results take well over 10 s. */
    end = g_get_monotonic_time () + 90 * G_TIME_SPAN_SECOND;
    /* Stop while frames are queued and being scored, at varying points. */
    while (analysed < 1 + i % 3) {
      fail_unless (g_get_monotonic_time () < end, "cycle %u: no results", i);
      g_usleep (500);
      g_object_get (ilgnet, "frames-analysed", &analysed, NULL);
    }
    playing = count_threads ("ilgnet");
    fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    /* The scorer is joined at each stop.  Threads a library starts once
     * from it (OpenBLAS) keep its name: count from after the first stop.
     * The count after a stop never grows; it may come down once, when the
     * first was read while the joined scorer was still listed. */
    if (i == 0) {
      threads0 = count_threads ("ilgnet");
    } else {
      guint n = settled_thread_count ("ilgnet", threads0);

      fail_unless (playing > n, "no scorer thread while playing");
      fail_unless (n <= threads0, "%u threads after stop %u, %u after the "
          "one before", n, i, threads0);
      threads0 = n;
    }
    if (i == MIN (cycles - 1, 9)) {
      /* After warm-up: allocator pools and caches have settled. */
      fds0 = count_fds ();
      rss0 = rss_kb ();
    }
  }
  fail_unless_equals_int (count_fds (), fds0);
  /* A leak of one small frame a cycle would be > 4 MB over 200 cycles.
   * Not under AddressSanitizer, whose quarantine keeps freed memory
   * (tests/run.sh --sanitize; its leak checks are valgrind's run). */
#ifndef __SANITIZE_ADDRESS__
  if (cycles >= 100)
#else
  if (FALSE)
#endif
    fail_unless (rss_kb () < rss0 + 4096, "RSS grew from %" G_GSIZE_FORMAT
        " to %" G_GSIZE_FORMAT " kB", rss0, rss_kb ());
  gst_object_unref (ilgnet);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* A test and its name, which GST_CHECKS matches. */
typedef struct
{
  TFun func;
  const gchar *name;
} NamedTest;

#define T(f) {f, #f}

/* One TCase a concern, so that a concern runs alone (CK_RUN_CASE=overlay;
 * meson runs each as element-harness-NAME) and so does one test
 * (GST_CHECKS=test_overlay_blend); the timeout is each test's own. */
static void
add_case (Suite * s, const gchar * name, const NamedTest * tests)
{
  TCase *tc = tcase_create (name);

  tcase_set_timeout (tc, 120);
  /* The function form of tcase_add_test(), which takes the name apart
   * (GStreamer's wrapper of it applies GST_CHECKS). */
  for (; tests->func; tests++)
    _tcase_add_test (tc, tests->func, tests->name, 0, 0, 0, 1);
  suite_add_tcase (s, tc);
}

static Suite *
ilgnet_suite (void)
{
  Suite *s = suite_create ("ilgnet");

  load_references ();
  /* What buffers carry, in both modes. */
  add_case (s, "results", (const NamedTest[]) {
        T (test_sync_meta), T (test_async_meta), T (test_scored_buffer_held),
        T (test_segment_stale_result), T (test_drop_oldest), {NULL}});
  /* Which frames are analysed, and the latency reported. */
  add_case (s, "timing", (const NamedTest[]) {
        T (test_interval_nonlive), T (test_interval_live),
        T (test_interval_default), T (test_latency),
        {NULL}});
  /* Flushes, seeks, EOS and caps changes. */
  add_case (s, "events", (const NamedTest[]) {
        T (test_flush_sync), T (test_seek_async), T (test_eos_summary),
        T (test_pipeline_seek), T (test_renegotiate), {NULL}});
  /* Every raw format at odd sizes and strides. */
  add_case (s, "formats", (const NamedTest[]) {
        T (test_all_formats), {NULL}});
  /* The gauge and crop drawn, composed or blended. */
  add_case (s, "overlay", (const NamedTest[]) {
        T (test_overlay_blend), T (test_overlay_meta),
        T (test_overlay_all_formats), {NULL}});
  /* crop=multi and its steady suggestion. */
  add_case (s, "crop", (const NamedTest[]) {
        T (test_multi_crop), T (test_multi_crop_steady), {NULL}});
  /* The score file's formats through the element. */
  add_case (s, "score-file", (const NamedTest[]) {
        T (test_sidecar_jsonl), T (test_sidecar_csv),
        T (test_sidecar_csv_multi), T (test_sidecar_webvtt), {NULL}});
  /* Bad models and locations: one clear error each. */
  add_case (s, "errors", (const NamedTest[]) {
        T (test_bad_models), T (test_env_model), T (test_bad_location),
        {NULL}});
  /* State cycles leak nothing and leave no thread. */
  add_case (s, "state", (const NamedTest[]) {
        T (test_state_cycles), {NULL}});
  return s;
}

GST_CHECK_MAIN (ilgnet);
