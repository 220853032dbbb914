/* GStreamer ILGNet element: the results kept between frames
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstilgnetresults.h"
#include "gstilgnetcropsuggest.h"

GST_DEBUG_CATEGORY_EXTERN (gst_ilgnet_debug);
#define GST_CAT_DEFAULT gst_ilgnet_debug

G_STATIC_ASSERT (GST_ILGNET_MAX_CANDIDATES <= GST_ILGNET_CROP_SUGGEST_MAX);

struct _GstIlgnetResults
{
  GstObject *owner;             /* for log lines only */

  GMutex lock;
  /* Bumped by new_pictures() under the lock, atomically: the streaming
   * thread reads it for every analysed frame without taking the lock. */
  guint cookie;
  gboolean have_result;
  GstIlgnetResult result;       /* the latest one of the current pictures */
  GstIlgnetCropSuggest suggest; /* crop=multi: the suggestion held */
  guint64 n_results;
  gdouble score_sum;
  gfloat score_max;
  GstClockTime best_pts;
  GstClockTime latency;
  gint failed;                  /* atomic: a frame could not be scored */
};

void
gst_ilgnet_results_register_tags (void)
{
  gst_tag_register (GST_ILGNET_TAG_SCORE_MEAN, GST_TAG_FLAG_META,
      G_TYPE_DOUBLE, "ILGNet mean score",
      "mean aesthetic quality score (0..1) of the frames analysed by ilgnet",
      gst_tag_merge_use_first);
  gst_tag_register (GST_ILGNET_TAG_SCORE_MAX, GST_TAG_FLAG_META,
      G_TYPE_DOUBLE, "ILGNet best score",
      "highest aesthetic quality score (0..1) of the frames analysed by "
      "ilgnet", gst_tag_merge_use_first);
  gst_tag_register (GST_ILGNET_TAG_BEST_TIMESTAMP, GST_TAG_FLAG_META,
      G_TYPE_UINT64, "ILGNet best timestamp",
      "presentation timestamp (ns) of the frame with the highest score",
      gst_tag_merge_use_first);
  gst_tag_register (GST_ILGNET_TAG_FRAMES_ANALYSED, GST_TAG_FLAG_META,
      G_TYPE_UINT, "ILGNet frames analysed",
      "number of frames the ilgnet summary covers", gst_tag_merge_use_first);
}

GstIlgnetResults *
gst_ilgnet_results_new (GstObject * owner)
{
  GstIlgnetResults *results = g_new0 (GstIlgnetResults, 1);

  results->owner = owner;
  g_mutex_init (&results->lock);
  gst_ilgnet_crop_suggest_reset (&results->suggest);
  results->best_pts = GST_CLOCK_TIME_NONE;
  return results;
}

void
gst_ilgnet_results_free (GstIlgnetResults * results)
{
  g_mutex_clear (&results->lock);
  g_free (results);
}

void
gst_ilgnet_results_start (GstIlgnetResults * results, GstClockTime latency)
{
  g_mutex_lock (&results->lock);
  g_atomic_int_set (&results->cookie, 0);
  results->have_result = FALSE;
  gst_ilgnet_crop_suggest_reset (&results->suggest);
  results->n_results = 0;
  results->score_sum = 0.0;
  results->score_max = 0.0f;
  results->best_pts = GST_CLOCK_TIME_NONE;
  g_atomic_int_set (&results->failed, FALSE);
  results->latency = latency;
  g_mutex_unlock (&results->lock);
}

void
gst_ilgnet_results_clear (GstIlgnetResults * results)
{
  g_mutex_lock (&results->lock);
  results->have_result = FALSE;
  gst_ilgnet_crop_suggest_reset (&results->suggest);
  g_mutex_unlock (&results->lock);
}

void
gst_ilgnet_results_new_pictures (GstIlgnetResults * results,
    gboolean new_caps)
{
  g_mutex_lock (&results->lock);
  g_atomic_int_inc (&results->cookie);
  if (new_caps)
    results->have_result = FALSE;
  gst_ilgnet_crop_suggest_reset (&results->suggest);
  g_mutex_unlock (&results->lock);
}

guint
gst_ilgnet_results_get_cookie (GstIlgnetResults * results)
{
  return g_atomic_int_get (&results->cookie);
}

/* crop=multi: report the suggestion held steady by the hysteresis, with
 * its score on this frame, rather than this frame's best candidate. */
static void
suggest_crop (GstIlgnetResults * results, GstIlgnetResult * r,
    gdouble margin, guint hold)
{
  gint i = gst_ilgnet_crop_suggest_update (&results->suggest, r->crops,
      r->crop_scores, r->n_crops, margin, hold);

  if (G_UNLIKELY (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >=
          GST_LEVEL_LOG)) {
    GString *s = g_string_new (NULL);
    gint j;

    for (j = 0; j < r->n_crops; j++)
      g_string_append_printf (s, " %.4f", r->crop_scores[j]);
    GST_LOG_OBJECT (results->owner, "frame %" G_GUINT64_FORMAT
        " crop scores%s: suggesting %d", r->frame, s->str, i);
    g_string_free (s, TRUE);
  }
  r->rect = r->crops[i];
  r->score = r->crop_scores[i];
  r->keep_framing = i == 0;
}

gboolean
gst_ilgnet_results_add (GstIlgnetResults * results, GstIlgnetResult * r,
    gdouble margin, guint hold, gboolean sync)
{
  gboolean latency_changed = FALSE;

  g_mutex_lock (&results->lock);
  /* Frames of the previous pictures keep their own best candidate. */
  if (r->resize == ILGNET_RESIZE_MULTI && r->n_crops > 0
      && r->cookie == results->cookie)
    suggest_crop (results, r, margin, hold);
  /* A result for a frame of the previous caps is reported, but not put on
   * frames of the new size. */
  if (r->cookie == results->cookie) {
    results->result = *r;
    results->have_result = TRUE;
  }
  if (results->n_results == 0 || r->score > results->score_max) {
    results->score_max = r->score;
    results->best_pts = r->pts;
  }
  results->n_results++;
  results->score_sum += r->score;
  if (sync && r->elapsed_ms * GST_MSECOND > results->latency) {
    /* Headroom so that jitter does not make every frame late. */
    results->latency = (GstClockTime) (r->elapsed_ms * 1.5 * GST_MSECOND);
    latency_changed = TRUE;
  }
  g_mutex_unlock (&results->lock);
  return latency_changed;
}

/* The getters hold the lock for as long as they read: a GMutexLocker
 * releases it on return. */
gboolean
gst_ilgnet_results_get_latest (GstIlgnetResults * results,
    GstIlgnetResult * result)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&results->lock);

  if (results->have_result)
    *result = results->result;
  return results->have_result;
}

GstClockTime
gst_ilgnet_results_get_latency (GstIlgnetResults * results)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&results->lock);

  return results->latency;
}

gboolean
gst_ilgnet_results_first_failure (GstIlgnetResults * results)
{
  return g_atomic_int_compare_and_exchange (&results->failed, FALSE, TRUE);
}

GstTagList *
gst_ilgnet_results_summary (GstIlgnetResults * results)
{
  GstTagList *tags = NULL;

  g_mutex_lock (&results->lock);
  if (results->n_results > 0) {
    tags = gst_tag_list_new (GST_ILGNET_TAG_SCORE_MEAN,
        results->score_sum / results->n_results,
        GST_ILGNET_TAG_SCORE_MAX, (gdouble) results->score_max,
        GST_ILGNET_TAG_FRAMES_ANALYSED, (guint) results->n_results, NULL);
    if (GST_CLOCK_TIME_IS_VALID (results->best_pts))
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE,
          GST_ILGNET_TAG_BEST_TIMESTAMP, (guint64) results->best_pts, NULL);
  }
  g_mutex_unlock (&results->lock);
  return tags;
}
