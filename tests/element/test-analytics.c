/* GStreamer's own analytics meta (GstAnalytics, GStreamer >= 1.24), read
 * back through the analytics API only: each scored buffer carries a
 * GstAnalyticsRelationMeta holding one GstAnalyticsClsMtd whose class
 * "ilgnet-high-quality" has the score as its level.  Built where
 * gstreamer-analytics-1.0 exists (not Debian 12's 1.22); the fresh-root
 * suite runs it on Debian 13's GStreamer 1.26 (tests/fresh). */
#include <gst/analytics/analytics.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>

#include "gstilgnetmeta.h"

static GstBuffer *
solid_rgb (gint w, gint h, guint8 v, GstClockTime pts)
{
  gsize size = (gsize) GST_ROUND_UP_4 (w * 3) * h;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buf, 0, v, size);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  return buf;
}

/* The classification results of @buf, through the analytics API alone. */
static guint
read_cls (GstBuffer * buf, GQuark * quark, gfloat * level)
{
  GstAnalyticsRelationMeta *rmeta = gst_buffer_get_analytics_relation_meta (buf);
  GstAnalyticsClsMtd cls;
  gpointer state = NULL;
  guint n = 0;

  if (!rmeta)
    return 0;
  while (gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_cls_mtd_get_mtd_type (), &cls)) {
    fail_unless_equals_int (gst_analytics_cls_mtd_get_length (&cls), 1);
    *quark = gst_analytics_cls_mtd_get_quark (&cls, 0);
    *level = gst_analytics_cls_mtd_get_level (&cls, 0);
    n++;
  }
  return n;
}

GST_START_TEST (test_cls_mtd)
{
  GstElement *e = gst_element_factory_make ("ilgnet", NULL);
  GstHarness *h;
  guint i;

  fail_unless (e != NULL, "no ilgnet element");
  g_object_set (e, "model", g_getenv ("ILGNET_TEST_TINY"), "threads", 1, NULL);
  gst_util_set_object_arg (G_OBJECT (e), "mode", "sync");
  g_object_set (e, "interval", (guint64) 0, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=64,"
      "height=48,framerate=25/1");
  for (i = 0; i < 6; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        solid_rgb (64, 48, (guint8) (30 + 40 * i), i * 40 * GST_MSECOND));
    GstIlgnetMeta *meta = gst_buffer_get_ilgnet_meta (out);
    GQuark quark = 0;
    gfloat level = -1;

    fail_unless (meta != NULL, "frame %u was not scored", i);
    fail_unless_equals_int (read_cls (out, &quark, &level), 1);
    fail_unless_equals_string (g_quark_to_string (quark),
        "ilgnet-high-quality");
    fail_unless (level >= 0 && level <= 1, "level %f", level);
    /* the same score as the element's own meta, to the float */
    fail_unless (level == meta->score, "frame %u: level %f, meta %f", i,
        level, meta->score);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
analytics_suite (void)
{
  Suite *s = suite_create ("ilgnet-analytics");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_cls_mtd);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (analytics);
