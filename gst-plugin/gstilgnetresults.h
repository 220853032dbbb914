/* GStreamer ILGNet element: the results kept between frames
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_RESULTS_H__
#define __GST_ILGNET_RESULTS_H__

#include <gst/gst.h>

#include "gstilgnetresult.h"

G_BEGIN_DECLS

/* Tags of the summary sent downstream at end of stream. */
/**
 * GST_ILGNET_TAG_SCORE_MEAN:
 *
 * Mean ILGNet score of the frames analysed (gdouble, 0..1).
 */
#define GST_ILGNET_TAG_SCORE_MEAN "ilgnet-score-mean"
/**
 * GST_ILGNET_TAG_SCORE_MAX:
 *
 * Highest ILGNet score of the frames analysed (gdouble, 0..1).
 */
#define GST_ILGNET_TAG_SCORE_MAX "ilgnet-score-max"
/**
 * GST_ILGNET_TAG_BEST_TIMESTAMP:
 *
 * PTS of the frame with the highest score (guint64, nanoseconds).
 */
#define GST_ILGNET_TAG_BEST_TIMESTAMP "ilgnet-best-timestamp"
/**
 * GST_ILGNET_TAG_FRAMES_ANALYSED:
 *
 * How many frames the summary covers (guint).
 */
#define GST_ILGNET_TAG_FRAMES_ANALYSED "ilgnet-frames-analysed"

/* Registers the four tags above (once per process, before the element's
 * first summary). */
void gst_ilgnet_results_register_tags (void);

/* What the element knows of the scores so far: the latest result (put on
 * buffers), the crop suggestion held steady across results (crop=multi),
 * the statistics of the summary tags and the scoring time (latency of
 * mode=sync).  The scoring thread writes, the streaming thread and queries
 * read: everything is under the object's own lock, which is never held
 * while calling out. */
typedef struct _GstIlgnetResults GstIlgnetResults;

/* @owner only names the log lines (not referenced). */
GstIlgnetResults *gst_ilgnet_results_new (GstObject * owner);
void gst_ilgnet_results_free (GstIlgnetResults * results);

/* A new run: forgets everything; @latency is the first latency estimate
 * (from the scorer's check run). */
void gst_ilgnet_results_start (GstIlgnetResults * results,
    GstClockTime latency);

/* The latest result no longer describes the frames (a flush, stopping):
 * it is no longer handed out, and the crop suggestion starts afresh.  The
 * statistics are kept. */
void gst_ilgnet_results_clear (GstIlgnetResults * results);

/* Other pictures follow (a new stream, a new segment, or with @new_caps
 * another size or format): the crop suggestion starts afresh, and a result
 * of a frame pushed before this is still counted and returned by add() but
 * feeds neither the suggestion nor get_latest().  With @new_caps the
 * latest result is dropped too. */
void gst_ilgnet_results_new_pictures (GstIlgnetResults * results,
    gboolean new_caps);

/* The tag a job is given (GstIlgnetJob.cookie): tells add() whether its
 * result came from before new_pictures(). */
guint gst_ilgnet_results_get_cookie (GstIlgnetResults * results);

/* Takes one scored frame.  With crop=multi (a result with candidate crops)
 * of current pictures, @result's rectangle, score and keep_framing are
 * set to the suggestion held by the hysteresis (@margin, @hold; see
 * gst_ilgnet_crop_suggest_update()).  Returns TRUE when @sync and the
 * scoring time exceeded the latency reported so far, which is then raised
 * with headroom (the caller posts a latency message). */
gboolean gst_ilgnet_results_add (GstIlgnetResults * results,
    GstIlgnetResult * result, gdouble margin, guint hold, gboolean sync);

/* Copies the latest result of the current pictures to @result; FALSE when
 * there is none. */
gboolean gst_ilgnet_results_get_latest (GstIlgnetResults * results,
    GstIlgnetResult * result);

/* The scoring time mode=sync adds to the pipeline's latency. */
GstClockTime gst_ilgnet_results_get_latency (GstIlgnetResults * results);

/* TRUE the first time in a run only: a scoring failure usually repeats on
 * every frame, and is worth one warning. */
gboolean gst_ilgnet_results_first_failure (GstIlgnetResults * results);

/* The summary of the run (the four tags above), or NULL before any
 * result. */
GstTagList *gst_ilgnet_results_summary (GstIlgnetResults * results);

G_END_DECLS

#endif /* __GST_ILGNET_RESULTS_H__ */
