/* The element's helpers that need no pipeline, on made-up results:
 *
 *  - GstIlgnetResults (gst-plugin/gstilgnetresults.c): the latest result is
 *    handed out until a flush; a result of earlier pictures (new segment,
 *    new caps) is counted in the summary but neither put on frames nor fed
 *    to the crop suggestion; the hysteresis holds the suggestion; the
 *    summary tags; the latency of mode=sync; one warning a run.
 *  - GstIlgnetOverlay (gst-plugin/gstilgnetoverlay.c): the composition is
 *    built again only when the score, the rectangle or the frame size
 *    changes; composed as a meta (merged with upstream's) or blended.
 *
 * GTest: `test-element-parts -p /results/stale` runs one test.
 */
#include <string.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstilgnetresults.h"
#include "gstilgnetoverlay.h"

/* The helpers log to the element's category. */
GST_DEBUG_CATEGORY (gst_ilgnet_debug);

static GstIlgnetResult
make_result (gfloat score, GstClockTime pts, guint cookie)
{
  GstIlgnetResult r;

  memset (&r, 0, sizeof (r));
  r.score = score;
  r.pts = pts;
  r.cookie = cookie;
  r.resize = ILGNET_RESIZE_SQUASH;
  r.rect = (GstVideoRectangle) {
  0, 0, 64, 48};
  return r;
}

/* crop=multi: the whole frame and two crops; @best is the one ahead. */
static GstIlgnetResult
make_multi (gint best, guint cookie)
{
  GstIlgnetResult r = make_result (0.0f, 0, cookie);
  gint i;

  r.resize = ILGNET_RESIZE_MULTI;
  r.n_crops = 3;
  for (i = 0; i < 3; i++) {
    r.crops[i] = (GstVideoRectangle) {
    4 * i, 2 * i, 64 - 8 * i, 48 - 4 * i};
    r.crop_scores[i] = i == best ? 0.9f : 0.3f;
  }
  return r;
}

static void
test_latest_until_flush (void)
{
  GstIlgnetResults *results = gst_ilgnet_results_new (NULL);
  GstIlgnetResult r = make_result (0.25f, 40 * GST_MSECOND, 0), got;

  gst_ilgnet_results_start (results, 0);
  g_assert_false (gst_ilgnet_results_get_latest (results, &got));
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);
  g_assert_true (gst_ilgnet_results_get_latest (results, &got));
  g_assert_cmpfloat (got.score, ==, 0.25f);
  g_assert_cmpuint (got.pts, ==, 40 * GST_MSECOND);
  gst_ilgnet_results_clear (results);
  g_assert_false (gst_ilgnet_results_get_latest (results, &got));
  gst_ilgnet_results_free (results);
}

static void
test_stale_result (void)
{
  GstIlgnetResults *results = gst_ilgnet_results_new (NULL);
  GstIlgnetResult got, r;
  guint old_cookie;
  GstTagList *tags;
  guint n;

  gst_ilgnet_results_start (results, 0);
  old_cookie = gst_ilgnet_results_get_cookie (results);
  r = make_result (0.5f, 0, old_cookie);
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);

  /* A new segment: the result stays on frames until a newer one... */
  gst_ilgnet_results_new_pictures (results, FALSE);
  g_assert_cmpuint (gst_ilgnet_results_get_cookie (results), !=, old_cookie);
  g_assert_true (gst_ilgnet_results_get_latest (results, &got));
  /* ... but a frame scored from before it is not put on new frames. */
  r = make_result (0.75f, GST_SECOND, old_cookie);
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);
  g_assert_true (gst_ilgnet_results_get_latest (results, &got));
  g_assert_cmpfloat (got.score, ==, 0.5f);

  /* New caps drop the latest result at once. */
  gst_ilgnet_results_new_pictures (results, TRUE);
  g_assert_false (gst_ilgnet_results_get_latest (results, &got));

  /* Every result counts in the summary. */
  tags = gst_ilgnet_results_summary (results);
  g_assert_nonnull (tags);
  g_assert_true (gst_tag_list_get_uint (tags,
          GST_ILGNET_TAG_FRAMES_ANALYSED, &n));
  g_assert_cmpuint (n, ==, 2);
  gst_tag_list_unref (tags);
  gst_ilgnet_results_free (results);
}

static void
test_summary (void)
{
  GstIlgnetResults *results = gst_ilgnet_results_new (NULL);
  GstIlgnetResult r;
  GstTagList *tags;
  gdouble mean, max;
  guint64 best;

  gst_ilgnet_results_start (results, 0);
  g_assert_null (gst_ilgnet_results_summary (results));
  r = make_result (0.2f, 0, 0);
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);
  r = make_result (0.8f, 2 * GST_SECOND, 0);
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);
  r = make_result (0.5f, 3 * GST_SECOND, 0);
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);

  tags = gst_ilgnet_results_summary (results);
  g_assert_true (gst_tag_list_get_double (tags, GST_ILGNET_TAG_SCORE_MEAN,
          &mean));
  g_assert_cmpfloat_with_epsilon (mean, 0.5, 1e-6);
  g_assert_true (gst_tag_list_get_double (tags, GST_ILGNET_TAG_SCORE_MAX,
          &max));
  g_assert_cmpfloat_with_epsilon (max, 0.8, 1e-6);
  g_assert_true (gst_tag_list_get_uint64 (tags,
          GST_ILGNET_TAG_BEST_TIMESTAMP, &best));
  g_assert_cmpuint (best, ==, 2 * GST_SECOND);
  gst_tag_list_unref (tags);

  /* A new run forgets it all. */
  gst_ilgnet_results_start (results, 0);
  g_assert_null (gst_ilgnet_results_summary (results));
  gst_ilgnet_results_free (results);
}

/* The suggestion is held: one frame where another crop leads by less than
 * the hold does not move it; a stale result keeps its own best. */
static void
test_crop_held (void)
{
  GstIlgnetResults *results = gst_ilgnet_results_new (NULL);
  GstIlgnetResult r;
  guint cookie;
  gint i;

  gst_ilgnet_results_start (results, 0);
  cookie = gst_ilgnet_results_get_cookie (results);
  for (i = 0; i < 3; i++) {
    r = make_multi (1, cookie);
    gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);
    g_assert_cmpint (r.rect.x, ==, r.crops[1].x);
    g_assert_false (r.keep_framing);
  }
  /* Crop 2 ahead once: crop 1 is still suggested, with its own score. */
  r = make_multi (2, cookie);
  r.crop_scores[1] = 0.88f;
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);
  g_assert_cmpint (r.rect.x, ==, r.crops[1].x);
  g_assert_cmpfloat (r.score, ==, 0.88f);

  /* From before a seek: left as scored (the scorer's pick, crop 2). */
  gst_ilgnet_results_new_pictures (results, FALSE);
  r = make_multi (2, cookie);
  r.rect = r.crops[2];
  gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE);
  g_assert_cmpint (r.rect.x, ==, r.crops[2].x);
  gst_ilgnet_results_free (results);
}

static void
test_latency_and_failures (void)
{
  GstIlgnetResults *results = gst_ilgnet_results_new (NULL);
  GstIlgnetResult r = make_result (0.5f, 0, 0);

  gst_ilgnet_results_start (results, 30 * GST_MSECOND);
  g_assert_cmpuint (gst_ilgnet_results_get_latency (results), ==,
      30 * GST_MSECOND);
  /* Only mode=sync reports the scoring time, with headroom. */
  r.elapsed_ms = 40.0;
  g_assert_false (gst_ilgnet_results_add (results, &r, 0.04, 4, FALSE));
  g_assert_true (gst_ilgnet_results_add (results, &r, 0.04, 4, TRUE));
  g_assert_cmpuint (gst_ilgnet_results_get_latency (results), ==,
      60 * GST_MSECOND);
  r.elapsed_ms = 20.0;
  g_assert_false (gst_ilgnet_results_add (results, &r, 0.04, 4, TRUE));

  g_assert_true (gst_ilgnet_results_first_failure (results));
  g_assert_false (gst_ilgnet_results_first_failure (results));
  gst_ilgnet_results_start (results, 0);
  g_assert_true (gst_ilgnet_results_first_failure (results));
  gst_ilgnet_results_free (results);
}

/* An RGBA frame of @w x @h, black. */
static GstBuffer *
black_frame (GstVideoInfo * info, gint w, gint h)
{
  GstBuffer *buf;

  gst_video_info_set_format (info, GST_VIDEO_FORMAT_RGBA, w, h);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  gst_buffer_memset (buf, 0, 0, GST_VIDEO_INFO_SIZE (info));
  return buf;
}

/* Draws with @overlay as a composition meta; returns (a reference to)
 * the composition attached. */
static GstVideoOverlayComposition *
composed_keep (GstIlgnetOverlay * overlay, gint w, gint h, gfloat score,
    const GstVideoRectangle * rect, gboolean keep)
{
  GstVideoInfo info;
  GstBuffer *buf = black_frame (&info, w, h);
  GstVideoOverlayCompositionMeta *meta;
  GstVideoOverlayComposition *comp;

  g_assert_true (gst_ilgnet_overlay_draw (overlay, buf, &info, score, rect,
          keep, TRUE));
  meta = gst_buffer_get_video_overlay_composition_meta (buf);
  g_assert_nonnull (meta);
  comp = gst_video_overlay_composition_ref (meta->overlay);
  gst_buffer_unref (buf);
  return comp;
}

static GstVideoOverlayComposition *
composed (GstIlgnetOverlay * overlay, gint w, gint h, gfloat score,
    const GstVideoRectangle * rect)
{
  return composed_keep (overlay, w, h, score, rect, FALSE);
}

/* Draws again: the composition is @prev when @same, a new one otherwise
 * (@prev is held meanwhile, so a new one cannot reuse its address).
 * Returns the one drawn now; @prev is released. */
static GstVideoOverlayComposition *
again (GstIlgnetOverlay * overlay, GstVideoOverlayComposition * prev,
    gint w, gint h, gfloat score, const GstVideoRectangle * rect,
    gboolean same)
{
  GstVideoOverlayComposition *now = composed (overlay, w, h, score, rect);

  g_assert_cmpint (now == prev, ==, same);
  gst_video_overlay_composition_unref (prev);
  return now;
}

static void
test_overlay_cached (void)
{
  GstIlgnetOverlay *overlay = gst_ilgnet_overlay_new ();
  GstVideoRectangle rect = { 10, 10, 100, 60 };
  GstVideoOverlayComposition *c = composed (overlay, 320, 180, 0.5f, NULL);

  c = again (overlay, c, 320, 180, 0.5f, NULL, TRUE);
  c = again (overlay, c, 320, 180, 0.6f, NULL, FALSE);
  c = again (overlay, c, 320, 180, 0.6f, &rect, FALSE);
  c = again (overlay, c, 320, 180, 0.6f, &rect, TRUE);
  rect.x = 20;
  c = again (overlay, c, 320, 180, 0.6f, &rect, FALSE);
  c = again (overlay, c, 640, 360, 0.6f, &rect, FALSE);
  gst_ilgnet_overlay_reset (overlay);
  c = again (overlay, c, 640, 360, 0.6f, &rect, FALSE);
  /* the keep state is part of what was drawn */
  {
    GstVideoOverlayComposition *k = composed_keep (overlay, 640, 360, 0.6f,
        NULL, TRUE);
    g_assert_true (k != c);
    gst_video_overlay_composition_unref (c);
    c = composed_keep (overlay, 640, 360, 0.6f, NULL, TRUE);
    g_assert_true (c == k);
    gst_video_overlay_composition_unref (k);
    /* the gauge and the frame's four edges */
    g_assert_cmpuint (gst_video_overlay_composition_n_rectangles (c), ==, 5);
  }
  gst_video_overlay_composition_unref (c);
  gst_ilgnet_overlay_free (overlay);
}

/* The fixture of the drawing tests: an overlay and a black 320x180 frame. */
typedef struct
{
  GstIlgnetOverlay *overlay;
  GstVideoInfo info;
  GstBuffer *buf;
} Canvas;

static void
canvas_setup (Canvas * c, gconstpointer unused)
{
  c->overlay = gst_ilgnet_overlay_new ();
  c->buf = black_frame (&c->info, 320, 180);
}

static void
canvas_teardown (Canvas * c, gconstpointer unused)
{
  gst_buffer_unref (c->buf);
  gst_ilgnet_overlay_free (c->overlay);
}

/* A composition upstream attached (subtitles) is kept: one meta with its
 * rectangles and the gauge's. */
static void
test_overlay_merged (Canvas * c, gconstpointer unused)
{
  GstBuffer *pixels = gst_buffer_new_allocate (NULL, 8 * 8 * 4, NULL);
  GstVideoOverlayRectangle *sub;
  GstVideoOverlayComposition *upstream;
  GstVideoOverlayCompositionMeta *meta;
  guint n = 0;
  gpointer state = NULL;

  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, 8, 8);
  sub = gst_video_overlay_rectangle_new_raw (pixels, 0, 0, 8, 8,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  upstream = gst_video_overlay_composition_new (sub);
  gst_buffer_add_video_overlay_composition_meta (c->buf, upstream);

  g_assert_true (gst_ilgnet_overlay_draw (c->overlay, c->buf, &c->info, 0.5f,
          NULL, FALSE, TRUE));
  while ((meta = (GstVideoOverlayCompositionMeta *)
          gst_buffer_iterate_meta_filtered (c->buf, &state,
              GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE))) {
    n++;
    /* upstream's rectangle and the gauge */
    g_assert_cmpuint (gst_video_overlay_composition_n_rectangles
        (meta->overlay), ==, 2);
  }
  g_assert_cmpuint (n, ==, 1);

  gst_video_overlay_composition_unref (upstream);
  gst_video_overlay_rectangle_unref (sub);
  gst_buffer_unref (pixels);
}

/* Without composition support the gauge is blended into the frame, at
 * the bottom left; a frame too small for it is left alone. */
static void
test_overlay_blended (Canvas * c, gconstpointer unused)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstMapInfo map;
  gsize i, lit = 0, lit_top = 0;

  g_assert_true (gst_ilgnet_overlay_draw (c->overlay, c->buf, &c->info, 1.0f,
          NULL, FALSE, FALSE));
  g_assert_null (gst_buffer_get_video_overlay_composition_meta (c->buf));
  gst_buffer_map (c->buf, &map, GST_MAP_READ);
  for (i = 0; i < map.size; i += 4)
    if (map.data[i] || map.data[i + 1] || map.data[i + 2]) {
      lit++;
      if (i < map.size / 2)
        lit_top++;
    }
  gst_buffer_unmap (c->buf, &map);
  g_assert_cmpuint (lit, >, 0);
  g_assert_cmpuint (lit_top, ==, 0);

  buf = black_frame (&info, 4, 4);
  g_assert_true (gst_ilgnet_overlay_draw (c->overlay, buf, &info, 1.0f, NULL,
          FALSE, FALSE));
  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (i = 0; i < map.size; i++)
    g_assert_cmpuint (map.data[i], ==, 0);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
}

/* RGBA pixel (x, y) of a mapped 320-wide frame. */
static const guint8 *
pixel (const GstMapInfo * map, gint x, gint y)
{
  return map->data + ((gsize) y * 320 + x) * 4;
}

/* Keep the framing: the frame's edges turn green and no box is drawn;
 * a suggested crop: a cyan box on its edges, the frame's edges left alone. */
static void
test_overlay_keep (Canvas * c, gconstpointer unused)
{
  GstVideoRectangle rect = { 40, 30, 200, 110 };
  GstVideoInfo info;
  GstBuffer *buf;
  GstMapInfo map;
  const guint8 *p;

  g_assert_true (gst_ilgnet_overlay_draw (c->overlay, c->buf, &c->info, 0.5f,
          NULL, TRUE, FALSE));
  gst_buffer_map (c->buf, &map, GST_MAP_READ);
  p = pixel (&map, 160, 0);     /* top edge, middle */
  g_assert_cmpuint (p[1], >, 150);
  g_assert_cmpuint (p[0], <, 100);
  g_assert_cmpuint (p[2], <, 100);
  p = pixel (&map, 319, 90);    /* right edge */
  g_assert_cmpuint (p[1], >, 150);
  g_assert_cmpuint (p[2], <, 100);
  p = pixel (&map, 40, 30);     /* where a box would be: nothing */
  g_assert_cmpuint (p[0] + p[1] + p[2], ==, 0);
  gst_buffer_unmap (c->buf, &map);

  buf = black_frame (&info, 320, 180);
  g_assert_true (gst_ilgnet_overlay_draw (c->overlay, buf, &info, 0.5f,
          &rect, FALSE, FALSE));
  gst_buffer_map (buf, &map, GST_MAP_READ);
  p = pixel (&map, 100, 30);    /* the box's top edge: cyan */
  g_assert_cmpuint (p[1], >, 150);
  g_assert_cmpuint (p[2], >, 150);
  p = pixel (&map, 160, 0);     /* the frame's edge: untouched */
  g_assert_cmpuint (p[0] + p[1] + p[2], ==, 0);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  GST_DEBUG_CATEGORY_INIT (gst_ilgnet_debug, "ilgnet", 0, "ilgnet parts");
  gst_ilgnet_results_register_tags ();

  g_test_add_func ("/results/latest-until-flush", test_latest_until_flush);
  g_test_add_func ("/results/stale", test_stale_result);
  g_test_add_func ("/results/summary", test_summary);
  g_test_add_func ("/results/crop-held", test_crop_held);
  g_test_add_func ("/results/latency-and-failures",
      test_latency_and_failures);
  g_test_add_func ("/overlay/cached", test_overlay_cached);
  g_test_add ("/overlay/merged", Canvas, NULL, canvas_setup,
      test_overlay_merged, canvas_teardown);
  g_test_add ("/overlay/blended", Canvas, NULL, canvas_setup,
      test_overlay_blended, canvas_teardown);
  g_test_add ("/overlay/keep", Canvas, NULL, canvas_setup,
      test_overlay_keep, canvas_teardown);
  return g_test_run ();
}
