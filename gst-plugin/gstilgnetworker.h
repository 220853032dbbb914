/* GStreamer ILGNet element: the background scoring thread
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_WORKER_H__
#define __GST_ILGNET_WORKER_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "ilgnet.h"

G_BEGIN_DECLS

/* A frame to score.  The worker owns it once pushed. */
typedef struct
{
  GstBuffer *buffer;            /* the frame, held until scored */
  GstVideoInfo info;
  IlgnetResize resize;
  GstClockTime pts, duration, running_time, stream_time;
  guint64 frame;                /* index among the buffers seen */
  guint cookie;                 /* caller's tag, copied to the result */
} GstIlgnetJob;

typedef struct
{
  gfloat score;
  GstVideoRectangle rect;       /* region the score belongs to, frame pixels */
  IlgnetResize resize;
  GstClockTime pts, duration, running_time, stream_time;
  guint64 frame;
  guint cookie;
  gdouble elapsed_ms;           /* conversion + inference */

  /* crop=multi: every candidate crop and its score, frame pixels; 0 is the
   * whole frame.  The element picks @rect among them (and sets @score to
   * that candidate's score). */
  gint n_crops;
  GstVideoRectangle crops[ILGNET_MAX_CROPS];
  gfloat crop_scores[ILGNET_MAX_CROPS];
  gfloat frame_score;           /* crop=multi: the whole frame's score */
  gboolean keep_framing;        /* crop=multi: @rect is the whole frame */
} GstIlgnetResult;

/* Called on the worker thread for each finished job that was not flushed.
 * It must not call back into the worker. */
typedef void (*GstIlgnetResultFunc) (const GstIlgnetResult * result,
    gpointer user_data);
/* Called on the worker thread when a frame could not be scored. */
typedef void (*GstIlgnetErrorFunc) (const GError * error, gpointer user_data);

typedef struct _GstIlgnetWorker GstIlgnetWorker;

/* Starts the scoring thread, which makes a session of @batch images and
 * @threads threads for @model and scores test images once; fails (with
 * @error) when the model cannot run or is not a quality classifier.
 * @background runs the thread at a lower priority than the caller's. */
GstIlgnetWorker *gst_ilgnet_worker_new (IlgnetModel * model, gint threads,
    guint max_queue, gint batch, gboolean background,
    GstIlgnetResultFunc result_func, GstIlgnetErrorFunc error_func,
    gpointer user_data, GError ** error);
void gst_ilgnet_worker_free (GstIlgnetWorker * worker);

/* How long the check run done by gst_ilgnet_worker_new() took, in ns. */
GstClockTime gst_ilgnet_worker_get_warmup_time (GstIlgnetWorker * worker);

GstIlgnetJob *gst_ilgnet_job_new (GstBuffer * buffer,
    const GstVideoInfo * info);
void gst_ilgnet_job_free (GstIlgnetJob * job);

/* Queues @job (taking it).  When the queue is full the oldest pending job is
 * dropped; returns how many were dropped.  @id receives the job's ticket for
 * gst_ilgnet_worker_wait().  While flushing the job itself is dropped. */
guint gst_ilgnet_worker_push (GstIlgnetWorker * worker, GstIlgnetJob * job,
    guint64 * id);
/* Blocks until job @id is finished or dropped.  FALSE when flushing. */
gboolean gst_ilgnet_worker_wait (GstIlgnetWorker * worker, guint64 id);
/* Blocks until nothing is pending or running.  FALSE when flushing. */
gboolean gst_ilgnet_worker_drain (GstIlgnetWorker * worker);
/* Entering flushing drops pending jobs, wakes every waiter and guarantees that
 * no result of an earlier job is delivered after this returns. */
void gst_ilgnet_worker_set_flushing (GstIlgnetWorker * worker,
    gboolean flushing);

G_END_DECLS

#endif /* __GST_ILGNET_WORKER_H__ */
