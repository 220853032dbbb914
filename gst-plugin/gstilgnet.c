/* GStreamer ILGNet aesthetic quality scoring element
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-ilgnet
 * @title: ilgnet
 *
 * Scores the aesthetic quality of video frames with ILGNet (Jin et al.,
 * "ILGNet: Inception Modules with Connected Local and Global Features for
 * Efficient Image Aesthetic Quality Classification", 2016) and attaches the
 * result to the stream.  The video itself passes through untouched.
 *
 * Every #GstIlgnet:interval of running time one frame is handed to a
 * background thread, which converts it to the network's input and scores it:
 * the network's probability that the frame is of "high" aesthetic quality,
 * 0..1.  The first frame is always analysed.  The thread is fed by a queue of
 * #GstIlgnet:max-queue frames; when the model is slower than the stream, the
 * oldest waiting frame is dropped (counted in #GstIlgnet:frames-dropped) and
 * the stream never waits.  The scorer holds the buffer upstream produced
 * until it is done with it (a copy sharing its memory goes downstream), so
 * at most #GstIlgnet:max-queue + 1 buffers of upstream's pool are held.
 *
 * Results reach the application in four ways:
 *
 * * a #GstIlgnetMeta on buffers (score, PTS of the analysed frame, crop
 *   rectangle, model name).  With `mode=async` (the default) every buffer
 *   leaving the element carries the latest result once there is one; compare
 *   the meta's PTS with the buffer's to know its age.  With `mode=sync` an
 *   analysed buffer waits for its own result (for offline tagging) and the
 *   element adds the scoring time to the pipeline latency.
 * * an element message named `ilgnet` per result (see below), unless
 *   #GstIlgnet:post-messages is %FALSE.
 * * a file of scores with timestamps (#GstIlgnet:location,
 *   #GstIlgnet:format): JSON lines, CSV or WebVTT subtitles.
 * * at end of stream, a tag event with a summary: `ilgnet-score-mean`,
 *   `ilgnet-score-max` (gdouble), `ilgnet-best-timestamp` (guint64, PTS of
 *   the best frame) and `ilgnet-frames-analysed` (guint).  Sinks post them
 *   as a tag message.
 *
 * #GstIlgnet:overlay draws a score gauge (and, with `overlay=crop`, the
 * suggested crop as a cyan box, or with `crop=multi` the frame outlined in
 * green when the framing should be kept) on the video, as a #GstVideoOverlayCompositionMeta when downstream supports it,
 * blended into the frame otherwise.
 *
 * ## The `ilgnet` message
 *
 * * `timestamp` (guint64): PTS of the analysed frame
 * * `stream-time`, `running-time`, `duration` (guint64) of that frame
 * * `frame` (guint64): its index among the buffers since the element started
 * * `score` (gdouble): 0..1, the score of the region the crop rectangle
 *   covers (with `crop=multi`: the suggested crop's score on this frame)
 * * `model` (string): the model's name
 * * `crop-x`, `crop-y`, `crop-width`, `crop-height` (gint): only with
 *   `crop=multi`, the suggested crop in frame pixels (see below)
 * * `frame-score` (gdouble): only with `crop=multi`, the whole frame's
 *   score on this frame (the framing as it is now)
 * * `keep-framing` (gboolean): only with `crop=multi`, %TRUE when the
 *   suggestion is the whole frame: no crop is clearly better, keep the
 *   framing as it is
 * * `crop-zoom` (gdouble): only with `crop=multi`, how much to zoom in for
 *   the suggested crop to fill the view (the frame-to-crop ratio of sides,
 *   the square root of the area ratio; 1 when keeping the framing)
 * * `crop-offset-x`, `crop-offset-y` (gdouble): only with `crop=multi`, the
 *   suggested crop's centre minus the frame's, in frame widths and heights
 *   (-0.5 .. 0.5; negative: left of / above the centre, where to turn the
 *   camera), so an application can say "move left, zoom in"
 *
 * ## The crop suggestion (`crop=multi`)
 *
 * With a model that has a framing map (ilgnet_model_has_framing()), each
 * analysed frame scores 276 candidate crops from one pass of the network
 * (ilgnet_score_boxes(): the trunk runs once on the frame at its own
 * aspect, each candidate from what it keeps and discards of the map):
 * the whole frame and GAIC-style anchors keeping the frame's aspect, 11
 * sizes from 1/2 to 11/12 of each side at 5 x 5 positions (55, 6 sizes
 * at 3 x 3, for a map that also weighs each box's own heads, which cost a
 * pass of the heads each: ilgnet_model_box_anchors()).  Other models
 * score up to 16 crops (the whole frame, 85 % and 70 % crops at the
 * corners, edges and centre, the centred square) by a full pass each.
 * Advice that jumps between near-equal candidates every few hundred
 * milliseconds is useless, so the suggestion is held steady, as camera apps
 * do: decisions use each candidate's score averaged with its previous
 * results (half weight to the newest frame), and the suggested crop only
 * changes when another candidate beats it, re-scored on the same frames, by
 * #GstIlgnet:crop-margin, or has led it for #GstIlgnet:crop-hold results in
 * a row.  The whole frame is suggested (`keep-framing`, and a rectangle
 * equal to the frame, which the overlay shows as a green frame outline
 * instead of a box) when it scores within
 * the margin of the best crop.  The suggestion starts afresh after a flush,
 * a seek or new segment, a new stream and a caps change.  `crop-margin=0
 * crop-hold=1` reports every frame's best candidate, as scored.
 *
 * ## The score file
 *
 * `format=jsonl` writes one JSON object a line: `frame`, `pts`,
 * `stream_time`, `running_time` (nanoseconds or null), `time` (stream time in
 * seconds), `score`, `crop` (object with `x`, `y`, `width`, `height`; with
 * `crop=multi`), with `crop=multi` also `frame_score`, `keep_framing`,
 * `crop_zoom`, `crop_offset_x` and `crop_offset_y` (as in the message; the
 * last three to 4 decimals), `model` and `wallclock` (UTC, ISO 8601).
 * `format=csv` writes the same fields as columns after a header line
 * (`crop_x`, `crop_y`, `crop_width`, `crop_height`, `frame_score`,
 * `keep_framing`, `crop_zoom`, `crop_offset_x`, `crop_offset_y` empty
 * without `crop=multi`).  `format=webvtt` writes
 * subtitles: one cue a result, from its stream time until the next result
 * (the last one until the end of the stream), with the text "score 0.734";
 * cues must be in time order, so results from before a backward seek's
 * position are left out.
 *
 * The file never holds up the video: it is opened and written by a thread
 * of its own, fed by a queue of whole records, so a slow disk or a FIFO
 * whose reader stalls or has not come yet delays neither buffers nor state
 * changes.  At end of stream the element waits until every score is
 * written (as filesink would), unless flushed or stopped.  Nothing is lost
 * silently:
 *
 * * a file that cannot be created fails the state change to PAUSED;
 * * a write that fails (no space left, an I/O error, a reader gone) is an
 *   element error (#GST_RESOURCE_ERROR_NO_SPACE_LEFT or
 *   #GST_RESOURCE_ERROR_WRITE, in every format) saying how many scores it
 *   lost; nothing more is written, and the file ends with the last whole
 *   record (a record cut short is truncated away);
 * * when more than 1024 scores wait to be written, the oldest are dropped,
 *   with a warning when that starts and one counting them once the file
 *   has caught up;
 * * stopping waits at most half a second for the file; a warning counts the
 *   scores still waiting, which are not written.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=300 ! ilgnet ! fakesink
 * ]| Prints an `ilgnet` message with the score twice a second of video.
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! ilgnet mode=sync interval=1000000000 location=scores.jsonl ! fakesink
 * ]| Scores one frame a second of a file and writes the scores as JSON lines.
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! ilgnet overlay=crop crop=multi ! videoconvert ! autovideosink
 * ]| Shows a live camera with a score gauge and the best crop.
 *
 * The model is #GstIlgnet:model, else `$ILGNET_MODEL`, else the default model
 * of the installation.  A missing or corrupt model file, or one that is not a
 * two-class image quality network, makes the state change to PAUSED fail with
 * an error message.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <gst/video/video.h>

#ifdef HAVE_GST_ANALYTICS
#include <gst/analytics/analytics.h>
#endif

#include "gstilgnet.h"
#include "gstilgnetmeta.h"
#include "gstilgnetoverlay.h"
#include "gstilgnetcropsuggest.h"
#include "gstilgnetresults.h"
#include "gstilgnetscorer.h"
#include "gstilgnetscorefile.h"
#include "gstilgnetsidecar.h"

GST_DEBUG_CATEGORY (gst_ilgnet_debug);
#define GST_CAT_DEFAULT gst_ilgnet_debug

#define DEFAULT_MODEL NULL
/* GST_CLOCK_TIME_NONE: chosen by the crop mode (see #GstIlgnet:interval). */
#define DEFAULT_INTERVAL GST_CLOCK_TIME_NONE
#define AUTO_INTERVAL (500 * GST_MSECOND)
#define AUTO_INTERVAL_MULTI (100 * GST_MSECOND)
#define DEFAULT_MODE GST_ILGNET_MODE_ASYNC
#define DEFAULT_CROP GST_ILGNET_CROP_SQUASH
#define DEFAULT_OVERLAY GST_ILGNET_OVERLAY_NONE
#define DEFAULT_POST_MESSAGES TRUE
#define DEFAULT_THREADS 0
#define DEFAULT_MAX_QUEUE 2
#define DEFAULT_LOCATION NULL
#define DEFAULT_FORMAT GST_ILGNET_SIDECAR_JSONL
#define DEFAULT_CROP_MARGIN GST_ILGNET_CROP_SUGGEST_DEFAULT_MARGIN
#define DEFAULT_CROP_HOLD GST_ILGNET_CROP_SUGGEST_DEFAULT_HOLD

/* Images scored together in crop=multi mode. */
#define ILGNET_MULTI_BATCH 4

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_INTERVAL,
  PROP_MODE,
  PROP_CROP,
  PROP_OVERLAY,
  PROP_POST_MESSAGES,
  PROP_THREADS,
  PROP_MAX_QUEUE,
  PROP_LOCATION,
  PROP_FORMAT,
  /* The read-only statistics, in a row: start() resets them as a range. */
  PROP_FRAMES_ANALYSED,
  PROP_FRAMES_DROPPED,
  PROP_LAST_SCORE,
  PROP_CROP_MARGIN,
  PROP_CROP_HOLD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A property's value; under the object lock. */
#define PROP_VALUE(self, name) (&(self)->props[PROP_##name])

struct _GstIlgnet
{
  GstBaseTransform parent;

  /* Properties, under the object lock: one GValue each, indexed by PROP_*
   * and of its pspec's type, so that set_property and get_property are a
   * copy whatever the property (read them with PROP_VALUE). */
  GValue props[N_PROPS];

  /* Set up in start(), used by the streaming thread. */
  IlgnetModel *model;
  gchar *model_name;
  GstIlgnetMode run_mode;
  GstVideoInfo info;
  gboolean have_info;
  guint64 n_frames;
  GstClockTime next_sample;     /* running time of the next frame to analyse */
  GstClockTime last_end;        /* stream time of the last buffer's end */
  GstIlgnetJob *pending_job;    /* sampled by prepare_output_buffer */
  gint check_allocation;        /* atomic: query downstream again */
  gboolean downstream_composition;
  GstIlgnetOverlay *overlay;    /* draws, and keeps what it drew */

  /* Guards the scorer pointer against flush events from other threads. */
  GMutex scorer_lock;
  GstIlgnetScorer *scorer;

  /* Results, written by the scoring thread, with a lock of their own. */
  GstIlgnetResults *results;

  /* The score file: records are formatted here and written by the score
   * file's own thread.  file_lock is never held while writing, and neither
   * transform_ip nor a state change waits for the file. */
  GMutex file_lock;
  GstIlgnetSidecar *sidecar;
  GstIlgnetScoreFile *score_file;
  gchar *score_location;        /* for messages, set in start() */
};

/* Records the score file's thread may be behind by before the oldest are
 * dropped (a few hundred bytes each). */
#define SCORE_FILE_MAX_RECORDS 1024
/* start() waits this long for the first attempt to open the score file, so
 * that a path that cannot be created fails the state change. */
#define SCORE_FILE_OPEN_WAIT (200 * GST_MSECOND)
/* stop() lets the score file's thread finish writing for this long; what
 * is still queued then is counted and reported, not waited for. */
#define SCORE_FILE_CLOSE_WAIT (500 * GST_MSECOND)

#define gst_ilgnet_parent_class parent_class
G_DEFINE_TYPE (GstIlgnet, gst_ilgnet, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (ilgnet, "ilgnet", GST_RANK_NONE,
    GST_TYPE_ILGNET, gst_ilgnet_results_register_tags ());

/* Formats put first in the caps, so that a free negotiation picks a common
 * 8-bit one rather than the first of GStreamer's list (ABGR64_LE). */
static const GstVideoFormat preferred_formats[] = {
  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YUY2,
  GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_BGRA,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR,
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444,
  GST_VIDEO_FORMAT_GRAY8,
};

/* Every raw format GstVideo knows, in system memory, preferred ones first. */
static GstCaps *
gst_ilgnet_template_caps (void)
{
  const GstVideoFormat *all;
  GArray *formats;
  GstCaps *caps;
  guint i, j, n_all;

  formats = g_array_new (FALSE, FALSE, sizeof (GstVideoFormat));
  g_array_append_vals (formats, preferred_formats,
      G_N_ELEMENTS (preferred_formats));
  all = gst_video_formats_raw (&n_all);
  for (i = 0; i < n_all; i++) {
    for (j = 0; j < G_N_ELEMENTS (preferred_formats); j++)
      if (all[i] == preferred_formats[j])
        break;
    if (j == G_N_ELEMENTS (preferred_formats))
      g_array_append_val (formats, all[i]);
  }
  caps = gst_video_make_raw_caps ((const GstVideoFormat *) formats->data,
      formats->len);
  g_array_free (formats, TRUE);
  return caps;
}

static const GEnumValue mode_values[] = {
  {GST_ILGNET_MODE_ASYNC, "Never hold buffers; attach the latest result",
      "async"},
  {GST_ILGNET_MODE_SYNC, "Hold each analysed buffer until it is scored",
      "sync"},
  {0, NULL, NULL}
};

static const GEnumValue crop_values[] = {
  {GST_ILGNET_CROP_SQUASH, "Scale the whole frame to the network's input",
      "squash"},
  {GST_ILGNET_CROP_CENTER, "Score the centred square", "center"},
  {GST_ILGNET_CROP_LETTERBOX, "Whole frame, aspect ratio kept, padded",
      "letterbox"},
  {GST_ILGNET_CROP_MULTI, "Score candidate crops; suggest a steady best",
      "multi"},
  {0, NULL, NULL}
};

static const GEnumValue overlay_mode_values[] = {
  {GST_ILGNET_OVERLAY_NONE, "Draw nothing", "none"},
  {GST_ILGNET_OVERLAY_GAUGE, "Draw a score gauge", "gauge"},
  {GST_ILGNET_OVERLAY_CROP, "Draw the gauge and the scored crop", "crop"},
  {0, NULL, NULL}
};

static const GEnumValue format_values[] = {
  {GST_ILGNET_SIDECAR_JSONL, "One JSON object a line", "jsonl"},
  {GST_ILGNET_SIDECAR_CSV, "Comma-separated values with a header", "csv"},
  {GST_ILGNET_SIDECAR_WEBVTT, "WebVTT subtitles", "webvtt"},
  {0, NULL, NULL}
};

/* Registers an enum type once, whichever thread asks first. */
static GType
register_enum_once (gsize * type, const gchar * name,
    const GEnumValue * values)
{
  if (g_once_init_enter (type)) {
    GType t = g_enum_register_static (name, values);
    g_once_init_leave (type, t);
  }
  return *type;
}

#define GST_TYPE_ILGNET_MODE (gst_ilgnet_mode_get_type ())
static GType
gst_ilgnet_mode_get_type (void)
{
  static gsize type = 0;

  return register_enum_once (&type, "GstIlgnetMode", mode_values);
}

#define GST_TYPE_ILGNET_CROP (gst_ilgnet_crop_get_type ())
static GType
gst_ilgnet_crop_get_type (void)
{
  static gsize type = 0;

  return register_enum_once (&type, "GstIlgnetCrop", crop_values);
}

#define GST_TYPE_ILGNET_OVERLAY_MODE (gst_ilgnet_overlay_mode_get_type ())
static GType
gst_ilgnet_overlay_mode_get_type (void)
{
  static gsize type = 0;

  return register_enum_once (&type, "GstIlgnetOverlayMode",
      overlay_mode_values);
}

#define GST_TYPE_ILGNET_FORMAT (gst_ilgnet_format_get_type ())
static GType
gst_ilgnet_format_get_type (void)
{
  static gsize type = 0;

  return register_enum_once (&type, "GstIlgnetFormat", format_values);
}

static IlgnetResize
crop_to_resize (GstIlgnetCrop crop)
{
  switch (crop) {
    case GST_ILGNET_CROP_CENTER:
      return ILGNET_RESIZE_CENTER;
    case GST_ILGNET_CROP_LETTERBOX:
      return ILGNET_RESIZE_LETTERBOX;
    case GST_ILGNET_CROP_MULTI:
      return ILGNET_RESIZE_MULTI;
    case GST_ILGNET_CROP_SQUASH:
    default:
      return ILGNET_RESIZE_SQUASH;
  }
}

/* ---- Results (scoring thread) ------------------------------------------- */

static void
gst_ilgnet_post_result (GstIlgnet * self, const GstIlgnetResult * r)
{
  GstStructure *s;

  s = gst_structure_new ("ilgnet",
      "timestamp", G_TYPE_UINT64, r->pts,
      "stream-time", G_TYPE_UINT64, r->stream_time,
      "running-time", G_TYPE_UINT64, r->running_time,
      "duration", G_TYPE_UINT64, r->duration,
      "frame", G_TYPE_UINT64, r->frame,
      "score", G_TYPE_DOUBLE, (gdouble) r->score,
      "model", G_TYPE_STRING, self->model_name, NULL);
  if (r->resize == ILGNET_RESIZE_MULTI) {
    gdouble zoom, dx, dy;

    gst_ilgnet_result_advice (r, &zoom, &dx, &dy);
    gst_structure_set (s, "crop-x", G_TYPE_INT, r->rect.x,
        "crop-y", G_TYPE_INT, r->rect.y,
        "crop-width", G_TYPE_INT, r->rect.w,
        "crop-height", G_TYPE_INT, r->rect.h,
        "frame-score", G_TYPE_DOUBLE, (gdouble) r->frame_score,
        "keep-framing", G_TYPE_BOOLEAN, r->keep_framing,
        "crop-zoom", G_TYPE_DOUBLE, zoom,
        "crop-offset-x", G_TYPE_DOUBLE, dx,
        "crop-offset-y", G_TYPE_DOUBLE, dy, NULL);
  }
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* Under the object lock. */
static void
add_to_counter (GValue * counter, guint64 n)
{
  g_value_set_uint64 (counter, g_value_get_uint64 (counter) + n);
}

static void
gst_ilgnet_on_result (const GstIlgnetResult * scored, gpointer user_data)
{
  GstIlgnet *self = user_data;
  GstIlgnetResult result = *scored;
  const GstIlgnetResult *r = &result;
  gboolean post, latency_changed = FALSE, dropping = FALSE;
  gdouble margin;
  guint hold;

  GST_OBJECT_LOCK (self);
  margin = g_value_get_double (PROP_VALUE (self, CROP_MARGIN));
  hold = g_value_get_uint (PROP_VALUE (self, CROP_HOLD));
  GST_OBJECT_UNLOCK (self);

  latency_changed = gst_ilgnet_results_add (self->results, &result, margin,
      hold, self->run_mode == GST_ILGNET_MODE_SYNC);

  /* Queued, never written here: the file's reader may be stalled. */
  g_mutex_lock (&self->file_lock);
  if (self->score_file) {
    gchar *record = gst_ilgnet_sidecar_format (self->sidecar, r,
        r->resize == ILGNET_RESIZE_MULTI);

    if (record)
      dropping = gst_ilgnet_score_file_push (self->score_file, record);
  }
  g_mutex_unlock (&self->file_lock);
  if (dropping)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Score file \"%s\" is written slower than scores come: dropping "
            "the oldest scores", self->score_location), (NULL));

  GST_OBJECT_LOCK (self);
  add_to_counter (PROP_VALUE (self, FRAMES_ANALYSED), 1);
  g_value_set_double (PROP_VALUE (self, LAST_SCORE), r->score);
  post = g_value_get_boolean (PROP_VALUE (self, POST_MESSAGES));
  GST_OBJECT_UNLOCK (self);

  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT " at %" GST_TIME_FORMAT
      ": score %.4f (%.1f ms)", r->frame, GST_TIME_ARGS (r->pts), r->score,
      r->elapsed_ms);
  if (post)
    gst_ilgnet_post_result (self, r);
  if (latency_changed)
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_latency (GST_OBJECT_CAST (self)));
}

static void
gst_ilgnet_on_error (const GError * error, gpointer user_data)
{
  GstIlgnet *self = user_data;

  /* Once per run: the same cause usually repeats on every frame. */
  if (gst_ilgnet_results_first_failure (self->results))
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Could not score a frame: %s", error->message), (NULL));
  else
    GST_DEBUG_OBJECT (self, "could not score a frame: %s", error->message);
}

/* The score file's write-failure policy, as filesink's: an element error,
 * saying how many scores were lost.  From the score file's thread. */
static void
gst_ilgnet_on_file_error (gint errsv, gboolean opening, guint64 n_lost,
    gpointer user_data)
{
  GstIlgnet *self = user_data;
  GstResourceError code = opening ? GST_RESOURCE_ERROR_OPEN_WRITE :
      (errsv == ENOSPC || errsv == EDQUOT || errsv == EFBIG) ?
      GST_RESOURCE_ERROR_NO_SPACE_LEFT : GST_RESOURCE_ERROR_WRITE;
  gchar *lost = n_lost ? g_strdup_printf ("%" G_GUINT64_FORMAT " score%s "
      "lost, no more will be written", n_lost, n_lost == 1 ? "" : "s") :
      g_strdup ("no scores will be written");

  /* One message for every format and cause, like filesink's. */
  gst_element_message_full (GST_ELEMENT_CAST (self), GST_MESSAGE_ERROR,
      GST_RESOURCE_ERROR, code,
      g_strdup_printf ("Could not %s score file \"%s\": %s; %s",
          opening ? "open" : "write", self->score_location,
          g_strerror (errsv), lost), NULL, __FILE__, GST_FUNCTION, __LINE__);
  g_free (lost);
}

static void
gst_ilgnet_on_file_overflow (guint64 n_dropped, gpointer user_data)
{
  GstIlgnet *self = user_data;

  GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
      ("Score file \"%s\" fell behind: %" G_GUINT64_FORMAT " of the oldest "
          "scores waiting were dropped", self->score_location, n_dropped),
      (NULL));
}

/* Ends the score file, waiting at most SCORE_FILE_CLOSE_WAIT for its
 * thread; reports what was never written. */
static void
gst_ilgnet_close_score_file (GstIlgnet * self)
{
  GstIlgnetSidecar *sidecar;
  GstIlgnetScoreFile *file;
  guint64 lost;
  gchar *record;
  gint errsv = 0;

  g_mutex_lock (&self->file_lock);
  sidecar = self->sidecar;
  file = self->score_file;
  self->sidecar = NULL;
  self->score_file = NULL;
  g_mutex_unlock (&self->file_lock);
  if (!file)
    return;

  if ((record = gst_ilgnet_sidecar_finish (sidecar, self->last_end)))
    gst_ilgnet_score_file_push (file, record);
  gst_ilgnet_sidecar_free (sidecar);
  lost = gst_ilgnet_score_file_close (file, SCORE_FILE_CLOSE_WAIT, &errsv);
  if (errsv)
    GST_ELEMENT_ERROR (self, RESOURCE, CLOSE,
        ("Could not close score file \"%s\": %s", self->score_location,
            g_strerror (errsv)), (NULL));
  if (lost)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Score file \"%s\": %" G_GUINT64_FORMAT " score%s not written: "
            "it was not taking them when the element stopped",
            self->score_location, lost, lost == 1 ? "" : "s"), (NULL));
  g_clear_pointer (&self->score_location, g_free);
}

/* ---- Start / stop ------------------------------------------------------ */

/* Opens @model_path, else $ILGNET_MODEL or the default model, and returns
 * the path it opened; NULL (with an error message posted) when there is no
 * usable model. */
static gchar *
gst_ilgnet_open_model (GstIlgnet * self, const gchar * model_path)
{
  gchar *path = g_strdup (model_path);
  GError *err = NULL;

  if (!path && !(path = ilgnet_default_model_path (&err)))
    goto no_model;

  GST_DEBUG_OBJECT (self, "loading model %s", path);
  self->model = ilgnet_model_open (path, &err);
  if (!self->model)
    goto open_failed;
  self->model_name = g_strdup (ilgnet_model_get_name (self->model));
  return path;

  /* ERRORS */
no_model:
  {
    /* The reason (which path, and what is wrong with it) in the main
     * line: applications often show only that. */
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No ILGNet model: %s", err->message),
        ("set the \"model\" property or $ILGNET_MODEL"));
    g_clear_error (&err);
    return NULL;
  }
open_failed:
  {
    /* libilgnet's messages name the file. */
    if (!g_file_test (path, G_FILE_TEST_EXISTS))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("ILGNet model not found: %s", err->message), (NULL));
    else if (g_error_matches (err, ILGNET_ERROR, ILGNET_ERROR_IO))
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read ILGNet model: %s", err->message), (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Not a usable ILGNet model: %s", err->message), (NULL));
    g_clear_error (&err);
    g_free (path);
    return NULL;
  }
}

/* Starts the score file's writer; FALSE (with an error message posted)
 * when @location cannot be created. */
static gboolean
gst_ilgnet_open_score_file (GstIlgnet * self, const gchar * location,
    GstIlgnetSidecarFormat format)
{
  GstIlgnetSidecar *sidecar = gst_ilgnet_sidecar_new (format,
      self->model_name);
  GstIlgnetScoreFile *file;
  GError *err = NULL;

  g_free (self->score_location);
  self->score_location = g_strdup (location);
  /* Opened by the file's own thread: a FIFO without a reader does not
   * hold up the state change. */
  file = gst_ilgnet_score_file_new (location,
      gst_ilgnet_sidecar_header (sidecar), SCORE_FILE_MAX_RECORDS,
      SCORE_FILE_OPEN_WAIT, gst_ilgnet_on_file_error,
      gst_ilgnet_on_file_overflow, self, &err);
  if (!file)
    goto open_failed;

  g_mutex_lock (&self->file_lock);
  self->sidecar = sidecar;
  self->score_file = file;
  g_mutex_unlock (&self->file_lock);
  return TRUE;

  /* ERRORS */
open_failed:
  {
    gst_ilgnet_sidecar_free (sidecar);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open score file: %s", err->message), (NULL));
    g_clear_error (&err);
    return FALSE;
  }
}

static gboolean
gst_ilgnet_start (GstBaseTransform * trans)
{
  GstIlgnet *self = GST_ILGNET (trans);
  GstIlgnetScorerConfig config = { NULL, };
  GstIlgnetSidecarFormat format;
  gchar *model_path, *location, *path;
  GstIlgnetScorer *scorer;
  GError *err = NULL;
  guint i;

  GST_OBJECT_LOCK (self);
  model_path = g_value_dup_string (PROP_VALUE (self, MODEL));
  location = g_value_dup_string (PROP_VALUE (self, LOCATION));
  format = g_value_get_enum (PROP_VALUE (self, FORMAT));
  self->run_mode = g_value_get_enum (PROP_VALUE (self, MODE));
  config.threads = g_value_get_int (PROP_VALUE (self, THREADS));
  config.max_queue = g_value_get_uint (PROP_VALUE (self, MAX_QUEUE));
  config.batch = g_value_get_enum (PROP_VALUE (self, CROP)) ==
      GST_ILGNET_CROP_MULTI ? ILGNET_MULTI_BATCH : 1;
  /* The read-only statistics start again: frames-analysed,
   * frames-dropped, last-score. */
  for (i = PROP_FRAMES_ANALYSED; i <= PROP_LAST_SCORE; i++)
    g_param_value_set_default (properties[i], &self->props[i]);
  GST_OBJECT_UNLOCK (self);

  path = gst_ilgnet_open_model (self, model_path);
  g_free (model_path);
  if (!path)
    goto failed;

  config.model = self->model;
  config.background = self->run_mode == GST_ILGNET_MODE_ASYNC;
  config.result_func = gst_ilgnet_on_result;
  config.error_func = gst_ilgnet_on_error;
  config.user_data = self;
  scorer = gst_ilgnet_scorer_new (&config, &err);
  if (!scorer)
    goto scorer_failed;
  gst_ilgnet_results_start (self->results,
      gst_ilgnet_scorer_get_warmup_time (scorer) * 3 / 2);

  if (location && !gst_ilgnet_open_score_file (self, location, format)) {
    gst_ilgnet_scorer_free (scorer);
    goto failed;
  }

  self->have_info = FALSE;
  self->n_frames = 0;
  self->next_sample = GST_CLOCK_TIME_NONE;
  self->last_end = GST_CLOCK_TIME_NONE;
  g_atomic_int_set (&self->check_allocation, TRUE);

  g_mutex_lock (&self->scorer_lock);
  self->scorer = scorer;
  g_mutex_unlock (&self->scorer_lock);

  GST_INFO_OBJECT (self, "model \"%s\" (%s), check run %" GST_TIME_FORMAT,
      self->model_name, path,
      GST_TIME_ARGS (gst_ilgnet_scorer_get_warmup_time (scorer)));
  g_free (path);
  g_free (location);
  return TRUE;

  /* ERRORS */
scorer_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot run ILGNet model \"%s\": %s", path, err->message), (NULL));
    g_clear_error (&err);
    goto failed;
  }
failed:
  {
    g_clear_pointer (&self->model, ilgnet_model_unref);
    g_clear_pointer (&self->model_name, g_free);
    g_free (path);
    g_free (location);
    return FALSE;
  }
}

static gboolean
gst_ilgnet_stop (GstBaseTransform * trans)
{
  GstIlgnet *self = GST_ILGNET (trans);
  GstIlgnetScorer *scorer;

  g_mutex_lock (&self->scorer_lock);
  scorer = self->scorer;
  self->scorer = NULL;
  g_mutex_unlock (&self->scorer_lock);
  /* Joins the thread: no result callback runs after this. */
  gst_ilgnet_scorer_free (scorer);

  gst_ilgnet_close_score_file (self);
  gst_ilgnet_results_clear (self->results);

  g_clear_pointer (&self->pending_job, gst_ilgnet_job_free);
  gst_ilgnet_overlay_reset (self->overlay);
  g_clear_pointer (&self->model, ilgnet_model_unref);
  g_clear_pointer (&self->model_name, g_free);
  self->have_info = FALSE;
  return TRUE;
}

static void
gst_ilgnet_set_file_flushing (GstIlgnet * self, gboolean flushing)
{
  g_mutex_lock (&self->file_lock);
  if (self->score_file)
    gst_ilgnet_score_file_set_flushing (self->score_file, flushing);
  g_mutex_unlock (&self->file_lock);
}

static GstStateChangeReturn
gst_ilgnet_change_state (GstElement * element, GstStateChange transition)
{
  GstIlgnet *self = GST_ILGNET (element);

  /* A buffer waiting for its score (mode=sync) holds the stream lock that
   * deactivating the pads needs: release it first. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_mutex_lock (&self->scorer_lock);
    if (self->scorer)
      gst_ilgnet_scorer_set_flushing (self->scorer, TRUE);
    g_mutex_unlock (&self->scorer_lock);
    /* ... and so does EOS waiting for the score file. */
    gst_ilgnet_set_file_flushing (self, TRUE);
  }

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* ---- Caps, events, queries -------------------------------------------- */

static gboolean
gst_ilgnet_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstIlgnet *self = GST_ILGNET (trans);
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, incaps))
    goto invalid_caps;

  if (self->have_info && !gst_video_info_is_equal (&info, &self->info)) {
    /* Results so far describe frames of another size or format. */
    gst_ilgnet_results_new_pictures (self->results, TRUE);
    gst_ilgnet_overlay_reset (self->overlay);
  }
  self->info = info;
  self->have_info = TRUE;
  g_atomic_int_set (&self->check_allocation, TRUE);
  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, incaps);
  return TRUE;

  /* ERRORS */
invalid_caps:
  {
    GST_ERROR_OBJECT (self, "invalid caps %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
}

static void
gst_ilgnet_push_summary (GstIlgnet * self)
{
  GstTagList *tags;
  GstIlgnetScoreFile *file = NULL;

  /* The file is complete at EOS, whether or not the element is stopped:
   * the streaming thread waits for the writer here (as filesink would
   * write), but a flush or a state change to READY ends the wait. */
  g_mutex_lock (&self->file_lock);
  if (self->score_file) {
    gchar *record = gst_ilgnet_sidecar_finish (self->sidecar, self->last_end);

    if (record)
      gst_ilgnet_score_file_push (self->score_file, record);
    file = self->score_file;
  }
  g_mutex_unlock (&self->file_lock);
  /* Not freed before stop(), which needs this thread out of here first. */
  if (file)
    gst_ilgnet_score_file_drain (file);

  tags = gst_ilgnet_results_summary (self->results);

  if (tags) {
    GST_DEBUG_OBJECT (self, "summary %" GST_PTR_FORMAT, tags);
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
        gst_event_new_tag (tags));
  }
}

static gboolean
gst_ilgnet_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstIlgnet *self = GST_ILGNET (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->scorer_lock);
      if (self->scorer)
        gst_ilgnet_scorer_set_flushing (self->scorer, TRUE);
      g_mutex_unlock (&self->scorer_lock);
      gst_ilgnet_set_file_flushing (self, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_ilgnet_set_file_flushing (self, FALSE);
      g_mutex_lock (&self->scorer_lock);
      if (self->scorer)
        gst_ilgnet_scorer_set_flushing (self->scorer, FALSE);
      g_mutex_unlock (&self->scorer_lock);
      gst_ilgnet_results_clear (self->results);
      self->next_sample = GST_CLOCK_TIME_NONE;
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_SEGMENT:
      /* Other pictures (a new stream, a seek): advice starts afresh, and a
       * frame of the old segment still being scored is reported but neither
       * feeds the new crop advice nor goes on the new frames. */
      gst_ilgnet_results_new_pictures (self->results, FALSE);
      break;
    case GST_EVENT_EOS:
      /* The summary and the score file cover every frame taken. */
      if (self->scorer)
        gst_ilgnet_scorer_drain (self->scorer);
      gst_ilgnet_push_summary (self);
      break;
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_ilgnet_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstIlgnet *self = GST_ILGNET (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE)
    g_atomic_int_set (&self->check_allocation, TRUE);

  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

static gboolean
gst_ilgnet_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstIlgnet *self = GST_ILGNET (trans);
  gboolean ret;

  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
      query);

  if (ret && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY
      && self->run_mode == GST_ILGNET_MODE_SYNC) {
    gboolean live;
    GstClockTime min, max, ours;

    ours = gst_ilgnet_results_get_latency (self->results);

    gst_query_parse_latency (query, &live, &min, &max);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
    GST_DEBUG_OBJECT (self, "added %" GST_TIME_FORMAT " of latency",
        GST_TIME_ARGS (ours));
  }
  return ret;
}

/* ---- Streaming --------------------------------------------------------- */

static gboolean
gst_ilgnet_should_sample (GstIlgnet * self, GstClockTime rt,
    GstClockTime interval)
{
  if (!GST_CLOCK_TIME_IS_VALID (self->next_sample)) {
    /* The first frame, and the first after a flush. */
  } else if (!GST_CLOCK_TIME_IS_VALID (rt)) {
    return interval == 0;
  } else if (rt < self->next_sample) {
    /* Running time went back (a new segment): start the grid again. */
    if (self->next_sample - rt <= interval)
      return FALSE;
  } else if (rt - self->next_sample < interval) {
    /* On the grid: no drift from frame durations that do not divide it. */
    self->next_sample += interval;
    return TRUE;
  }

  self->next_sample = GST_CLOCK_TIME_IS_VALID (rt) ? rt + interval : 0;
  return TRUE;
}

static void
gst_ilgnet_check_allocation (GstIlgnet * self)
{
  GstPad *srcpad = GST_BASE_TRANSFORM_SRC_PAD (self);
  GstCaps *caps = gst_pad_get_current_caps (srcpad);
  GstQuery *query;

  self->downstream_composition = FALSE;
  if (!caps)
    return;
  query = gst_query_new_allocation (caps, FALSE);
  if (gst_pad_peer_query (srcpad, query))
    self->downstream_composition = gst_query_find_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_query_unref (query);
  gst_caps_unref (caps);
  GST_DEBUG_OBJECT (self, "downstream %s overlay composition meta",
      self->downstream_composition ? "supports" : "does not support");
}

static void
gst_ilgnet_draw_overlay (GstIlgnet * self, GstBuffer * buf,
    const GstIlgnetResult * r, GstIlgnetOverlayMode mode)
{
  gint w = GST_VIDEO_INFO_WIDTH (&self->info);
  gint h = GST_VIDEO_INFO_HEIGHT (&self->info);
  /* A rectangle equal to the frame says nothing: draw it only when it is a
   * real crop; crop=multi's "keep the framing" is the green frame. */
  gboolean keep = mode == GST_ILGNET_OVERLAY_CROP
      && r->resize == ILGNET_RESIZE_MULTI && r->keep_framing;
  gboolean with_rect = mode == GST_ILGNET_OVERLAY_CROP && !keep
      && (r->rect.x != 0 || r->rect.y != 0 || r->rect.w != w
      || r->rect.h != h);

  if (g_atomic_int_compare_and_exchange (&self->check_allocation, TRUE,
          FALSE))
    gst_ilgnet_check_allocation (self);

  if (!gst_ilgnet_overlay_draw (self->overlay, buf, &self->info, r->score,
          with_rect ? &r->rect : NULL, keep, self->downstream_composition))
    GST_WARNING_OBJECT (self, "cannot map the frame to draw on it");
}

static void
gst_ilgnet_attach (GstIlgnet * self, GstBuffer * buf,
    const GstIlgnetResult * r)
{
  gst_buffer_add_ilgnet_meta (buf, r->score, r->pts, r->frame, &r->rect,
      self->model_name);

#ifdef HAVE_GST_ANALYTICS
  {
    GstAnalyticsRelationMeta *rmeta;
    GstAnalyticsClsMtd cls;

    rmeta = gst_buffer_get_analytics_relation_meta (buf);
    if (!rmeta)
      rmeta = gst_buffer_add_analytics_relation_meta (buf);
    if (rmeta)
      gst_analytics_relation_meta_add_one_cls_mtd (rmeta, r->score,
          g_quark_from_static_string ("ilgnet-high-quality"), &cls);
  }
#endif
}

static GstClockTime
gst_ilgnet_running_time (GstIlgnet * self, GstBuffer * buf)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime pts = GST_BUFFER_PTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (pts) || trans->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, pts);
}

/* A frame picked for scoring keeps its own buffer (the one a buffer pool
 * handed out) until the scorer is done with it, and a new buffer sharing
 * its memory goes downstream instead.  The pool thus gets the buffer back
 * only once nothing reads it: a pool that recycles memory without looking
 * at its refcount (v4l2src's) cannot overwrite a frame being scored, and
 * downstream writes copy the memory instead of changing what is scored.
 * Frames not picked cost nothing. */
static GstFlowReturn
gst_ilgnet_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * inbuf, GstBuffer ** outbuf)
{
  GstIlgnet *self = GST_ILGNET (trans);
  GstClockTime interval;

  g_clear_pointer (&self->pending_job, gst_ilgnet_job_free);
  if (G_LIKELY (self->have_info)
      && !GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_GAP)) {
    GST_OBJECT_LOCK (self);
    interval = g_value_get_uint64 (PROP_VALUE (self, INTERVAL));
    /* Framing feedback is read while the camera moves: it refreshes about
     * ten times a second; scores alone are sampled twice a second. */
    if (interval == GST_CLOCK_TIME_NONE)
      interval = g_value_get_enum (PROP_VALUE (self, CROP)) ==
          GST_ILGNET_CROP_MULTI ? AUTO_INTERVAL_MULTI : AUTO_INTERVAL;
    GST_OBJECT_UNLOCK (self);
    if (gst_ilgnet_should_sample (self, gst_ilgnet_running_time (self, inbuf),
            interval)) {
      self->pending_job = gst_ilgnet_job_new (inbuf, &self->info);
      *outbuf = gst_buffer_copy (inbuf);
      return *outbuf ? GST_FLOW_OK : GST_FLOW_ERROR;
    }
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->prepare_output_buffer
      (trans, inbuf, outbuf);
}

static GstFlowReturn
gst_ilgnet_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstIlgnet *self = GST_ILGNET (trans);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime rt, st = GST_CLOCK_TIME_NONE;
  GstIlgnetJob *job;
  GstIlgnetOverlayMode overlay;
  GstIlgnetCrop crop;
  GstIlgnetResult result;
  guint64 frame;

  job = self->pending_job;
  self->pending_job = NULL;
  if (G_UNLIKELY (!self->have_info))
    goto not_negotiated;

  GST_OBJECT_LOCK (self);
  overlay = g_value_get_enum (PROP_VALUE (self, OVERLAY));
  crop = g_value_get_enum (PROP_VALUE (self, CROP));
  GST_OBJECT_UNLOCK (self);

  frame = self->n_frames++;
  rt = gst_ilgnet_running_time (self, buf);
  if (GST_CLOCK_TIME_IS_VALID (pts) && trans->segment.format == GST_FORMAT_TIME) {
    st = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID (st))
      self->last_end = st + (GST_BUFFER_DURATION_IS_VALID (buf) ?
          GST_BUFFER_DURATION (buf) : 0);
  }

  if (job) {
    guint64 id;
    guint dropped;

    job->resize = crop_to_resize (crop);
    job->pts = pts;
    job->duration = GST_BUFFER_DURATION (buf);
    job->running_time = rt;
    job->stream_time = st;
    job->frame = frame;
    job->cookie = gst_ilgnet_results_get_cookie (self->results);

    dropped = gst_ilgnet_scorer_push (self->scorer, job, &id);
    if (dropped) {
      GST_OBJECT_LOCK (self);
      add_to_counter (PROP_VALUE (self, FRAMES_DROPPED), dropped);
      GST_OBJECT_UNLOCK (self);
      GST_DEBUG_OBJECT (self, "scorer busy, dropped %u frame(s)", dropped);
    }
    if (self->run_mode == GST_ILGNET_MODE_SYNC
        && !gst_ilgnet_scorer_wait (self->scorer, id))
      goto flushing;
  }

  if (gst_ilgnet_results_get_latest (self->results, &result)) {
    gst_ilgnet_attach (self, buf, &result);
    if (overlay != GST_ILGNET_OVERLAY_NONE)
      gst_ilgnet_draw_overlay (self, buf, &result, overlay);
  }
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("buffer before caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
flushing:
  {
    GST_DEBUG_OBJECT (self, "flushing while waiting for a score");
    return GST_FLOW_FLUSHING;
  }
}

/* ---- GObject ------------------------------------------------------------ */

static void
gst_ilgnet_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstIlgnet *self = GST_ILGNET (object);

  if (prop_id == PROP_0 || prop_id >= N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (self);
  g_value_copy (value, &self->props[prop_id]);
  /* Another overlay may need downstream's composition support. */
  if (prop_id == PROP_OVERLAY)
    g_atomic_int_set (&self->check_allocation, TRUE);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_ilgnet_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstIlgnet *self = GST_ILGNET (object);

  if (prop_id == PROP_0 || prop_id >= N_PROPS) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (self);
  g_value_copy (&self->props[prop_id], value);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_ilgnet_finalize (GObject * object)
{
  GstIlgnet *self = GST_ILGNET (object);
  guint i;

  for (i = 1; i < N_PROPS; i++)
    g_value_unset (&self->props[i]);
  g_mutex_clear (&self->scorer_lock);
  gst_ilgnet_results_free (self->results);
  gst_ilgnet_overlay_free (self->overlay);
  g_mutex_clear (&self->file_lock);
  g_free (self->score_location);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_ilgnet_class_init (GstIlgnetClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstCaps *caps;

  GST_DEBUG_CATEGORY_INIT (gst_ilgnet_debug, "ilgnet", 0,
      "ILGNet aesthetic quality scoring");

  gobject_class->set_property = gst_ilgnet_set_property;
  gobject_class->get_property = gst_ilgnet_get_property;
  gobject_class->finalize = gst_ilgnet_finalize;

  /**
   * GstIlgnet:model:
   *
   * Path of the .ilgnet model file.  When unset: `$ILGNET_MODEL`, else the
   * default model of the build tree or of the installation.
   */
  properties[PROP_MODEL] =
      g_param_spec_string ("model", "Model",
          "Path of the .ilgnet model file (NULL: $ILGNET_MODEL, else the default)",
          DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY);

  /**
   * GstIlgnet:interval:
   *
   * Running time between two analysed frames.  The first frame (and the
   * first after a flush) is always analysed, then the first frame at or
   * after each further interval, on a grid that starts at that first frame
   * and does not drift with frame durations.  0 analyses as many frames as
   * the model keeps up with.  Frames without a timestamp are only analysed
   * with 0.  GST_CLOCK_TIME_NONE (the default) picks it by #GstIlgnet:crop:
   * 100 ms with crop=multi (a framing suggestion about ten times a
   * second), 500 ms otherwise.
   */
  properties[PROP_INTERVAL] =
      g_param_spec_uint64 ("interval", "Interval",
          "Running time between analysed frames in ns (0: all; NONE: by crop)",
          0, G_MAXUINT64, DEFAULT_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstIlgnet:mode:
   *
   * async: buffers never wait; once a result exists every buffer carries the
   * latest one.  sync: an analysed buffer waits for its own result, and the
   * scoring time is reported as latency.
   */
  properties[PROP_MODE] =
      g_param_spec_enum ("mode", "Mode",
          "async: buffers never wait; sync: an analysed buffer waits for its score",
          GST_TYPE_ILGNET_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY);

  /**
   * GstIlgnet:crop:
   *
   * How a frame is fitted to the network's square input.  multi scores
   * candidate crops (276 from one network run with a model that has a
   * framing map, as the default model; else up to 16, one run each) and
   * suggests one, held steady from result to result (see
   * #GstIlgnet:crop-margin, #GstIlgnet:crop-hold), with its rectangle.
   */
  properties[PROP_CROP] =
      g_param_spec_enum ("crop", "Crop",
          "How a frame is fitted to the network's input",
          GST_TYPE_ILGNET_CROP, DEFAULT_CROP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstIlgnet:crop-margin:
   *
   * With crop=multi: how much better (in probability of "high quality",
   * scored on the same frame) another candidate must be than the crop
   * suggested so far to replace it at once; also how close the whole frame
   * must come to the best crop for the suggestion to be the whole frame
   * ("keep the framing as is").  0 with #GstIlgnet:crop-hold 1 follows the
   * best candidate of every frame.
   */
  properties[PROP_CROP_MARGIN] =
      g_param_spec_double ("crop-margin", "Crop margin",
          "crop=multi: score margin by which another crop wins at once",
          0.0, 1.0, DEFAULT_CROP_MARGIN,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstIlgnet:crop-hold:
   *
   * With crop=multi: a candidate that is the frame's pick without beating
   * the suggestion by #GstIlgnet:crop-margin replaces it after leading this
   * many results in a row.  0 and 1 switch on the first result.
   */
  properties[PROP_CROP_HOLD] =
      g_param_spec_uint ("crop-hold", "Crop hold",
          "crop=multi: results in a row a near-equal crop must lead to win",
          0, 1000, DEFAULT_CROP_HOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstIlgnet:overlay:
   *
   * Draws the latest score as a gauge at the bottom left of the video, and
   * with crop the rectangle it belongs to (the suggested crop with
   * crop=multi).  Downstream composes it when it supports
   * #GstVideoOverlayCompositionMeta; otherwise it is blended into the frame.
   */
  properties[PROP_OVERLAY] =
      g_param_spec_enum ("overlay", "Overlay",
          "What to draw on the video", GST_TYPE_ILGNET_OVERLAY_MODE,
          DEFAULT_OVERLAY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstIlgnet:post-messages:
   *
   * Post an element message named "ilgnet" on the bus for each result.
   */
  properties[PROP_POST_MESSAGES] =
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post an \"ilgnet\" element message for each result",
          DEFAULT_POST_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstIlgnet:threads:
   *
   * Threads one network run may use; 0 uses every core.  Scoring always
   * happens away from the streaming thread.
   */
  properties[PROP_THREADS] =
      g_param_spec_int ("threads", "Threads",
          "Inference threads (0: all cores)", 0, 256, DEFAULT_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY);

  /**
   * GstIlgnet:max-queue:
   *
   * Frames waiting to be scored.  When full, the oldest waiting frame is
   * dropped and counted in #GstIlgnet:frames-dropped.
   */
  properties[PROP_MAX_QUEUE] =
      g_param_spec_uint ("max-queue", "Max queue",
          "Frames waiting to be scored; when full the oldest is dropped",
          1, 64, DEFAULT_MAX_QUEUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY);

  /**
   * GstIlgnet:location:
   *
   * File to write every result to, in #GstIlgnet:format.  Created when the
   * element starts and written by a thread of its own, never holding up the
   * video; NULL writes nothing.  A write that fails is an element error
   * counting the scores lost, and the file keeps whole records only; over
   * 1024 scores waiting, the oldest are dropped with a warning (see "The
   * score file" above).
   */
  properties[PROP_LOCATION] =
      g_param_spec_string ("location", "Location",
          "File to write every score to (NULL: none)",
          DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY);

  /**
   * GstIlgnet:format:
   *
   * Format of #GstIlgnet:location: JSON lines, CSV or WebVTT.
   */
  properties[PROP_FORMAT] =
      g_param_spec_enum ("format", "Format",
          "Format of the score file", GST_TYPE_ILGNET_FORMAT, DEFAULT_FORMAT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY);

  /**
   * GstIlgnet:frames-analysed:
   *
   * Frames scored since the element started.
   */
  properties[PROP_FRAMES_ANALYSED] =
      g_param_spec_uint64 ("frames-analysed", "Frames analysed",
          "Frames scored since the element started", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstIlgnet:frames-dropped:
   *
   * Frames taken for scoring but dropped because the model was busy.
   */
  properties[PROP_FRAMES_DROPPED] =
      g_param_spec_uint64 ("frames-dropped", "Frames dropped",
          "Frames dropped from the scoring queue because the model was busy",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstIlgnet:last-score:
   *
   * The latest score, 0..1, or -1 before the first.
   */
  properties[PROP_LAST_SCORE] =
      g_param_spec_double ("last-score", "Last score",
          "The latest score (0..1; -1: none yet)", -1.0, 1.0, -1.0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  caps = gst_ilgnet_template_caps ();
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
  gst_element_class_set_static_metadata (element_class,
      "ILGNet aesthetic quality scorer", "Filter/Analyzer/Video",
      "Scores the aesthetic quality of video frames with ILGNet in a "
      "background thread and attaches the scores as metadata",
      "gst-ilgnet developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_ilgnet_change_state);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_ilgnet_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_ilgnet_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_ilgnet_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_ilgnet_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_ilgnet_src_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_ilgnet_query);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_ilgnet_prepare_output_buffer);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_ilgnet_transform_ip);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_ILGNET_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ILGNET_CROP, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ILGNET_OVERLAY_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ILGNET_FORMAT, 0);
}

static void
gst_ilgnet_init (GstIlgnet * self)
{
  guint i;

  for (i = 1; i < N_PROPS; i++) {
    g_value_init (&self->props[i], G_PARAM_SPEC_VALUE_TYPE (properties[i]));
    g_param_value_set_default (properties[i], &self->props[i]);
  }
  self->results = gst_ilgnet_results_new (GST_OBJECT_CAST (self));
  self->overlay = gst_ilgnet_overlay_new ();
  g_mutex_init (&self->scorer_lock);
  g_mutex_init (&self->file_lock);

  /* Buffers leave as they came; only metadata is added (and the overlay
   * drawn when downstream cannot compose it). */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}
