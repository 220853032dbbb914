/* GStreamer ILGNet element: the background scoring thread
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* One thread owns the libilgnet session.  The streaming thread only queues
 * jobs (a buffer ref and its video info); converting the frame to the small
 * BGRx image the network is fed from happens here. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "gstilgnetscorer.h"

GST_DEBUG_CATEGORY_EXTERN (gst_ilgnet_debug);
#define GST_CAT_DEFAULT gst_ilgnet_debug

/* The frame is reduced to at most this many times the network's input size
 * (shorter side) before the library's own area-averaging resize: enough
 * detail for crops, cheap to convert. */
#define ILGNET_SCORER_OVERSAMPLE 2
#define ILGNET_SCORER_MAX_SIDE 4096
/* How much nicer than the streaming threads the scorer runs in async mode. */
#define ILGNET_SCORER_NICE 5

struct _GstIlgnetScorer
{
  IlgnetModel *model;
  IlgnetSession *session;
  /* crop=multi: one trunk pass scores every anchor (made for the size of
   * the converted image, remade when it changes); NULL with box_failed
   * when the model cannot pool boxes, which then scores crops one by one */
  IlgnetSession *box_session;
  gint box_width, box_height;
  gint box_anchors;             /* ilgnet_model_box_anchors() */
  gboolean box_failed;
  GThread *thread;

  GMutex lock;
  GCond cond;
  GQueue queue;                 /* of GstIlgnetJob, oldest first */
  guint max_queue;
  gboolean running;             /* a job is being scored */
  gboolean flushing;
  gboolean quit;
  guint epoch;                  /* bumped by each flush */
  guint64 next_id;              /* ticket of the next pushed job */
  guint64 done_id;              /* every ticket below this is finished */

  /* Held while a result is handed out, so that a flush can wait for it. */
  GMutex deliver_lock;

  /* As given to gst_ilgnet_scorer_new(); @model holds the reference. */
  GstIlgnetScorerConfig config;

  GstClockTime warmup_time;

  /* Start-up, done on the thread itself (see gst_ilgnet_scorer_new). */
  gboolean started;
  GError *start_error;

  /* Scoring thread only. */
  GstVideoConverter *converter;
  GstVideoInfo conv_in, conv_out;
  guint8 *image;
  gsize image_size;
};

GstIlgnetJob *
gst_ilgnet_job_new (GstBuffer * buffer, const GstVideoInfo * info)
{
  GstIlgnetJob *job = g_new0 (GstIlgnetJob, 1);

  /* The buffer itself, not a copy sharing its memory: only a held buffer
   * keeps every kind of pool from recycling the memory (the element sends
   * a copy downstream instead, see prepare_output_buffer). */
  job->buffer = gst_buffer_ref (buffer);
  job->info = *info;
  job->pts = job->duration = GST_CLOCK_TIME_NONE;
  job->running_time = job->stream_time = GST_CLOCK_TIME_NONE;
  return job;
}

void
gst_ilgnet_job_free (GstIlgnetJob * job)
{
  if (!job)
    return;
  gst_clear_buffer (&job->buffer);
  g_free (job);
}

/* Size of the BGRx image a frame is converted to: square pixels, shorter
 * side at most OVERSAMPLE times the network's. */
static void
gst_ilgnet_scorer_target_size (const IlgnetInputSpec * spec,
    const GstVideoInfo * info, gint * out_w, gint * out_h)
{
  gdouble w = GST_VIDEO_INFO_WIDTH (info);
  gdouble h = GST_VIDEO_INFO_HEIGHT (info);
  gdouble par = 1.0, s, lim;
  gint net_short = MIN (spec->width, spec->height);

  if (GST_VIDEO_INFO_PAR_N (info) > 0 && GST_VIDEO_INFO_PAR_D (info) > 0)
    par = (gdouble) GST_VIDEO_INFO_PAR_N (info) / GST_VIDEO_INFO_PAR_D (info);
  if (par > 1.0)
    w *= par;
  else
    h /= par;

  lim = (gdouble) net_short *ILGNET_SCORER_OVERSAMPLE;
  s = MIN (1.0, lim / MIN (w, h));
  s = MIN (s, ILGNET_SCORER_MAX_SIDE / MAX (w, h));
  *out_w = CLAMP ((gint) lround (w * s), 1, ILGNET_SCORER_MAX_SIDE);
  *out_h = CLAMP ((gint) lround (h * s), 1, ILGNET_SCORER_MAX_SIDE);
}

static gboolean
gst_ilgnet_scorer_convert (GstIlgnetScorer * scorer, GstIlgnetJob * job,
    IlgnetImage * image, GError ** error)
{
  const IlgnetInputSpec *spec = ilgnet_model_get_input_spec (scorer->model);
  GstVideoFrame frame;
  GstVideoFrame out;
  GstBuffer *outbuf;
  gint ow, oh;

  gst_ilgnet_scorer_target_size (spec, &job->info, &ow, &oh);

  if (!scorer->converter || !gst_video_info_is_equal (&scorer->conv_in,
          &job->info) || GST_VIDEO_INFO_WIDTH (&scorer->conv_out) != ow
      || GST_VIDEO_INFO_HEIGHT (&scorer->conv_out) != oh) {
    GstStructure *config;

    g_clear_pointer (&scorer->converter, gst_video_converter_free);
    scorer->conv_in = job->info;
    /* The converter only changes size and format. */
    gst_video_info_set_interlaced_format (&scorer->conv_out,
        GST_VIDEO_FORMAT_BGRx, GST_VIDEO_INFO_INTERLACE_MODE (&job->info), ow,
        oh);
    GST_VIDEO_INFO_FPS_N (&scorer->conv_out) = GST_VIDEO_INFO_FPS_N (&job->info);
    GST_VIDEO_INFO_FPS_D (&scorer->conv_out) = GST_VIDEO_INFO_FPS_D (&job->info);
    GST_VIDEO_INFO_FIELD_ORDER (&scorer->conv_out) =
        GST_VIDEO_INFO_FIELD_ORDER (&job->info);
    config = gst_structure_new ("ilgnet-converter",
        GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, 1,
        GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
        GST_VIDEO_DITHER_NONE, NULL);
    scorer->converter = gst_video_converter_new (&job->info,
        &scorer->conv_out, config);
    if (!scorer->converter)
      goto no_converter;
    if (GST_VIDEO_INFO_SIZE (&scorer->conv_out) > scorer->image_size) {
      g_free (scorer->image);
      scorer->image_size = GST_VIDEO_INFO_SIZE (&scorer->conv_out);
      scorer->image = g_malloc (scorer->image_size);
    }
  }

  if (!gst_video_frame_map (&frame, &job->info, job->buffer, GST_MAP_READ))
    goto map_failed;

  outbuf = gst_buffer_new_wrapped_full (0, scorer->image,
      scorer->image_size, 0, GST_VIDEO_INFO_SIZE (&scorer->conv_out), NULL,
      NULL);
  if (!gst_video_frame_map (&out, &scorer->conv_out, outbuf, GST_MAP_WRITE)) {
    gst_buffer_unref (outbuf);
    gst_video_frame_unmap (&frame);
    goto map_failed;
  }
  gst_video_converter_frame (scorer->converter, &frame, &out);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (outbuf);

  image->data = scorer->image;
  image->width = ow;
  image->height = oh;
  image->stride = GST_VIDEO_INFO_PLANE_STRIDE (&scorer->conv_out, 0);
  image->format = ILGNET_PIXEL_BGRX;
  return TRUE;

  /* ERRORS */
no_converter:
  {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "cannot convert %s %dx%d frames for scoring",
        GST_VIDEO_INFO_NAME (&job->info), GST_VIDEO_INFO_WIDTH (&job->info),
        GST_VIDEO_INFO_HEIGHT (&job->info));
    return FALSE;
  }
map_failed:
  {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "cannot map a %s %dx%d frame (buffer of %" G_GSIZE_FORMAT
        " bytes too small?)", GST_VIDEO_INFO_NAME (&job->info),
        GST_VIDEO_INFO_WIDTH (&job->info), GST_VIDEO_INFO_HEIGHT (&job->info),
        gst_buffer_get_size (job->buffer));
    return FALSE;
  }
}

/* From the small image the scorer scored back to frame pixels. */
static void
gst_ilgnet_scorer_to_frame (const IlgnetRect * r, const IlgnetImage * image,
    gint fw, gint fh, GstVideoRectangle * out)
{
  if (r->width <= 0 || r->height <= 0) {
    out->x = out->y = 0;
    out->w = fw;
    out->h = fh;
    return;
  }
  out->x = gst_util_uint64_scale_int_round (r->x, fw, image->width);
  out->y = gst_util_uint64_scale_int_round (r->y, fh, image->height);
  out->w = gst_util_uint64_scale_int_round (r->width, fw, image->width);
  out->h = gst_util_uint64_scale_int_round (r->height, fh, image->height);
  out->w = CLAMP (out->w, 1, fw - out->x);
  out->h = CLAMP (out->h, 1, fh - out->y);
}

/* crop=multi, one pass, for a model with a framing map: the trunk once,
 * every anchor from its maps and what each discards.  A model without one
 * frames better scoring each crop by a full pass (framing-eval.py, the
 * default model without it: mean IoU 0.300 one-pass against 0.507 for 16
 * full passes).  Returns the number of candidates, 0 when the model is
 * not for it (the caller scores crops one by one), -1 on error. */
static gint
gst_ilgnet_scorer_score_anchors (GstIlgnetScorer * scorer,
    const IlgnetImage * image, IlgnetRect * rects, gfloat * scores,
    GError ** error)
{
  GError *err = NULL;
  gint n;

  if (!scorer->box_session && !scorer->box_failed
      && !ilgnet_model_has_framing (scorer->model))
    scorer->box_failed = TRUE;  /* asked once, not on every frame */
  if (scorer->box_failed)
    return 0;
  if (scorer->box_session && (scorer->box_width != image->width
          || scorer->box_height != image->height))
    g_clear_pointer (&scorer->box_session, ilgnet_session_free);
  if (!scorer->box_session) {
    scorer->box_anchors = ilgnet_model_box_anchors (scorer->model);
    scorer->box_session = ilgnet_box_session_new (scorer->model,
        image->width, image->height, scorer->box_anchors,
        scorer->config.threads, 0, &err);
    if (!scorer->box_session) {
      /* not retried on every frame (each try reopens the model): the
       * crops are scored one by one from now on */
      if (g_error_matches (err, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED))
        GST_INFO ("crop=multi scores crops one by one: %s", err->message);
      else
        GST_WARNING ("crop=multi scores crops one by one: %s", err->message);
      g_error_free (err);
      scorer->box_failed = TRUE;
      return 0;
    }
    scorer->box_width = image->width;
    scorer->box_height = image->height;
  }
  n = ilgnet_frame_anchors (image->width, image->height, rects,
      scorer->box_anchors);
  if (n < 1 || !ilgnet_score_boxes (scorer->box_session, image, rects, n,
          scores, error))
    return -1;
  return n;
}

/* crop=multi: every candidate's score, not only the best one's, so that
 * the element can hold its suggestion steady. */
static gboolean
gst_ilgnet_scorer_score_crops (GstIlgnetScorer * scorer,
    const IlgnetImage * image, gint fw, gint fh, GstIlgnetResult * result,
    GError ** error)
{
  IlgnetRect rects[GST_ILGNET_MAX_CANDIDATES];
  gint n, i, best = 0;

  n = gst_ilgnet_scorer_score_anchors (scorer, image, rects,
      result->crop_scores, error);
  if (n == 0)
    n = ilgnet_score_crops (scorer->session, image, rects,
        result->crop_scores, ILGNET_MAX_CROPS, error);
  if (n < 0)
    return FALSE;
  if (n < 1) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "no candidate crops for a %dx%d image", image->width, image->height);
    return FALSE;
  }
  for (i = 0; i < n; i++) {
    result->crop_scores[i] = CLAMP (result->crop_scores[i], 0.0f, 1.0f);
    gst_ilgnet_scorer_to_frame (&rects[i], image, fw, fh, &result->crops[i]);
    if (result->crop_scores[i] > result->crop_scores[best])
      best = i;
  }
  result->n_crops = n;
  result->frame_score = result->crop_scores[0];
  /* The frame's best until the element applies its hysteresis. */
  result->score = result->crop_scores[best];
  result->rect = result->crops[best];
  result->keep_framing = best == 0;
  return TRUE;
}

static gboolean
gst_ilgnet_scorer_score (GstIlgnetScorer * scorer, GstIlgnetJob * job,
    GstIlgnetResult * result, GError ** error)
{
  IlgnetImage image;
  IlgnetRect best = { 0, 0, 0, 0 };
  gint fw = GST_VIDEO_INFO_WIDTH (&job->info);
  gint fh = GST_VIDEO_INFO_HEIGHT (&job->info);
  gint64 start = g_get_monotonic_time ();
  float score = 0.0f;

  if (!gst_ilgnet_scorer_convert (scorer, job, &image, error))
    return FALSE;
  memset (result, 0, sizeof (*result));
  if (job->resize == ILGNET_RESIZE_MULTI) {
    if (!gst_ilgnet_scorer_score_crops (scorer, &image, fw, fh, result,
            error))
      return FALSE;
  } else {
    if (!ilgnet_score_image (scorer->session, &image, job->resize, &score,
            &best, error))
      return FALSE;
    result->score = CLAMP (score, 0.0f, 1.0f);
    gst_ilgnet_scorer_to_frame (&best, &image, fw, fh, &result->rect);
  }
  result->pts = job->pts;
  result->duration = job->duration;
  result->running_time = job->running_time;
  result->stream_time = job->stream_time;
  result->frame = job->frame;
  result->resize = job->resize;
  result->cookie = job->cookie;
  result->elapsed_ms = (g_get_monotonic_time () - start) / 1000.0;
  return TRUE;
}

static gboolean gst_ilgnet_scorer_check (GstIlgnetScorer * scorer,
    GError ** error);

/* Lowers the calling thread's priority: in async mode scoring must yield
 * the CPU to the streaming threads.  Threads libilgnet creates from here
 * inherit it. */
static void
gst_ilgnet_scorer_lower_priority (void)
{
#ifdef __linux__
  errno = 0;
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid),
          getpriority (PRIO_PROCESS, 0) + ILGNET_SCORER_NICE) < 0)
    GST_DEBUG ("cannot lower the scoring thread's priority: %s", g_strerror (errno));
#endif
}

static gboolean
gst_ilgnet_scorer_setup (GstIlgnetScorer * scorer, GError ** error)
{
  if (scorer->config.background)
    gst_ilgnet_scorer_lower_priority ();
  scorer->session = ilgnet_session_new (scorer->model,
      MAX (scorer->config.batch, 1), scorer->config.threads, error);
  return scorer->session && gst_ilgnet_scorer_check (scorer, error);
}

static gpointer
gst_ilgnet_scorer_loop (gpointer data)
{
  GstIlgnetScorer *scorer = data;
  GError *err = NULL;
  gboolean ok;

  /* The session is made here so that it belongs to this thread (and its
   * helper threads to its priority). */
  ok = gst_ilgnet_scorer_setup (scorer, &err);
  g_mutex_lock (&scorer->lock);
  scorer->started = TRUE;
  scorer->start_error = err;
  g_cond_broadcast (&scorer->cond);
  if (!ok) {
    g_mutex_unlock (&scorer->lock);
    return NULL;
  }

  for (;;) {
    GstIlgnetJob *job;
    GstIlgnetResult result;
    GError *err = NULL;
    gboolean ok;
    guint epoch;

    while (!scorer->quit && g_queue_is_empty (&scorer->queue))
      g_cond_wait (&scorer->cond, &scorer->lock);
    if (scorer->quit)
      break;

    job = g_queue_pop_head (&scorer->queue);
    scorer->running = TRUE;
    epoch = scorer->epoch;
    g_mutex_unlock (&scorer->lock);

    ok = gst_ilgnet_scorer_score (scorer, job, &result, &err);
    gst_ilgnet_job_free (job);

    g_mutex_lock (&scorer->deliver_lock);
    g_mutex_lock (&scorer->lock);
    /* A flush while we were scoring makes this result stale. */
    if (epoch == scorer->epoch) {
      g_mutex_unlock (&scorer->lock);
      if (ok)
        scorer->config.result_func (&result, scorer->config.user_data);
      else
        scorer->config.error_func (err, scorer->config.user_data);
      g_mutex_lock (&scorer->lock);
    }
    g_mutex_unlock (&scorer->deliver_lock);
    g_clear_error (&err);

    scorer->running = FALSE;
    /* FIFO: everything older than what is still queued is finished. */
    if (g_queue_is_empty (&scorer->queue))
      scorer->done_id = scorer->next_id;
    else
      scorer->done_id = MAX (scorer->done_id, scorer->next_id -
          g_queue_get_length (&scorer->queue));
    g_cond_broadcast (&scorer->cond);
  }
  g_mutex_unlock (&scorer->lock);
  return NULL;
}

/* Scores black, mid-grey and white images: proves the model runs and that
 * what it gives is a probability (a network read at its logits is not a
 * quality classifier), and tells how long a frame takes (the latency of
 * mode=sync). */
static gboolean
gst_ilgnet_scorer_check (GstIlgnetScorer * scorer, GError ** error)
{
  static const guint8 levels[] = { 128, 0, 255 };
  const IlgnetInputSpec *spec = ilgnet_model_get_input_spec (scorer->model);
  gsize size = (gsize) spec->width * spec->height * 4;
  IlgnetImage image;
  guint8 *pixels;
  guint i;

  if (spec->channels != 3 || spec->width <= 0 || spec->height <= 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "model \"%s\" takes %d-channel input, not a colour image",
        ilgnet_model_get_name (scorer->model), spec->channels);
    return FALSE;
  }

  pixels = g_malloc (size);
  image.data = pixels;
  image.width = spec->width;
  image.height = spec->height;
  image.stride = spec->width * 4;
  image.format = ILGNET_PIXEL_BGRX;
  for (i = 0; i < G_N_ELEMENTS (levels); i++) {
    float score = -1.0f;
    gint64 start = g_get_monotonic_time ();

    memset (pixels, levels[i], size);
    if (!ilgnet_score_image (scorer->session, &image, ILGNET_RESIZE_SQUASH,
            &score, NULL, error)) {
      g_free (pixels);
      return FALSE;
    }
    /* The first run pages the weights in: the next ones are typical. */
    if (i == 1 || G_N_ELEMENTS (levels) == 1)
      scorer->warmup_time = (g_get_monotonic_time () - start) * GST_USECOND;
    if (!isfinite (score) || score < 0.0f || score > 1.0f) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
          "model \"%s\" is not a quality classifier: its score %g is not "
          "a probability", ilgnet_model_get_name (scorer->model), score);
      g_free (pixels);
      return FALSE;
    }
  }
  g_free (pixels);
  return TRUE;
}

GstIlgnetScorer *
gst_ilgnet_scorer_new (const GstIlgnetScorerConfig * config, GError ** error)
{
  GstIlgnetScorer *scorer;

  g_return_val_if_fail (config != NULL && config->model != NULL, NULL);
  g_return_val_if_fail (config->result_func != NULL
      && config->error_func != NULL, NULL);

  scorer = g_new0 (GstIlgnetScorer, 1);
  scorer->config = *config;
  scorer->model = ilgnet_model_ref (config->model);
  scorer->max_queue = MAX (config->max_queue, 1);
  g_mutex_init (&scorer->lock);
  g_mutex_init (&scorer->deliver_lock);
  g_cond_init (&scorer->cond);
  g_queue_init (&scorer->queue);

  scorer->thread = g_thread_try_new ("ilgnet-scorer", gst_ilgnet_scorer_loop,
      scorer, error);
  if (!scorer->thread) {
    gst_ilgnet_scorer_free (scorer);
    return NULL;
  }

  /* Wait for the session and the check run: their errors are the caller's
   * (a model that cannot run fails the state change). */
  g_mutex_lock (&scorer->lock);
  while (!scorer->started)
    g_cond_wait (&scorer->cond, &scorer->lock);
  g_mutex_unlock (&scorer->lock);
  if (scorer->start_error) {
    g_propagate_error (error, scorer->start_error);
    scorer->start_error = NULL;
    gst_ilgnet_scorer_free (scorer);
    return NULL;
  }
  return scorer;
}

void
gst_ilgnet_scorer_free (GstIlgnetScorer * scorer)
{
  if (!scorer)
    return;

  if (scorer->thread) {
    g_mutex_lock (&scorer->lock);
    scorer->quit = TRUE;
    scorer->flushing = TRUE;
    scorer->epoch++;
    g_cond_broadcast (&scorer->cond);
    g_mutex_unlock (&scorer->lock);
    g_thread_join (scorer->thread);
  }
  g_queue_clear_full (&scorer->queue, (GDestroyNotify) gst_ilgnet_job_free);
  g_clear_pointer (&scorer->converter, gst_video_converter_free);
  g_free (scorer->image);
  g_clear_pointer (&scorer->session, ilgnet_session_free);
  g_clear_pointer (&scorer->box_session, ilgnet_session_free);
  ilgnet_model_unref (scorer->model);
  g_mutex_clear (&scorer->lock);
  g_mutex_clear (&scorer->deliver_lock);
  g_cond_clear (&scorer->cond);
  g_free (scorer);
}

GstClockTime
gst_ilgnet_scorer_get_warmup_time (GstIlgnetScorer * scorer)
{
  return scorer->warmup_time;
}

guint
gst_ilgnet_scorer_push (GstIlgnetScorer * scorer, GstIlgnetJob * job,
    guint64 * id)
{
  guint dropped = 0;

  g_mutex_lock (&scorer->lock);
  if (id)
    *id = scorer->next_id;
  scorer->next_id++;
  if (scorer->flushing) {
    g_mutex_unlock (&scorer->lock);
    gst_ilgnet_job_free (job);
    return 1;
  }
  while (g_queue_get_length (&scorer->queue) >= scorer->max_queue) {
    gst_ilgnet_job_free (g_queue_pop_head (&scorer->queue));
    dropped++;
  }
  g_queue_push_tail (&scorer->queue, job);
  g_cond_broadcast (&scorer->cond);
  g_mutex_unlock (&scorer->lock);
  return dropped;
}

static gboolean
job_finished (GstIlgnetScorer * scorer, guint64 id)
{
  return scorer->done_id > id;
}

static gboolean
idle (GstIlgnetScorer * scorer, guint64 unused)
{
  return !scorer->running && g_queue_is_empty (&scorer->queue);
}

/* Blocks until @done (called under the lock) is TRUE or a flush starts;
 * FALSE for a flush. */
static gboolean
wait_until (GstIlgnetScorer * scorer,
    gboolean (*done) (GstIlgnetScorer *, guint64), guint64 id)
{
  gboolean ok;

  g_mutex_lock (&scorer->lock);
  while (!scorer->flushing && !done (scorer, id))
    g_cond_wait (&scorer->cond, &scorer->lock);
  ok = !scorer->flushing;
  g_mutex_unlock (&scorer->lock);
  return ok;
}

gboolean
gst_ilgnet_scorer_wait (GstIlgnetScorer * scorer, guint64 id)
{
  return wait_until (scorer, job_finished, id);
}

gboolean
gst_ilgnet_scorer_drain (GstIlgnetScorer * scorer)
{
  return wait_until (scorer, idle, 0);
}

void
gst_ilgnet_scorer_set_flushing (GstIlgnetScorer * scorer, gboolean flushing)
{
  g_mutex_lock (&scorer->lock);
  scorer->flushing = flushing;
  if (flushing) {
    scorer->epoch++;
    g_queue_clear_full (&scorer->queue, (GDestroyNotify) gst_ilgnet_job_free);
    scorer->done_id = scorer->next_id;
  }
  g_cond_broadcast (&scorer->cond);
  g_mutex_unlock (&scorer->lock);

  /* Wait out a result being handed out right now: after this, the caller
   * sees no result from before the flush. */
  if (flushing) {
    g_mutex_lock (&scorer->deliver_lock);
    g_mutex_unlock (&scorer->deliver_lock);
  }
}
