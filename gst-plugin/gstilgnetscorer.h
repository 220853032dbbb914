/* GStreamer ILGNet element: the background scoring thread
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_SCORER_H__
#define __GST_ILGNET_SCORER_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "ilgnet.h"
#include "gstilgnetresult.h"

G_BEGIN_DECLS

/* A frame to score.  The scorer owns it once pushed. */
typedef struct
{
  GstBuffer *buffer;            /* the frame, held until scored */
  GstVideoInfo info;
  IlgnetResize resize;
  GstClockTime pts, duration, running_time, stream_time;
  guint64 frame;                /* index among the buffers seen */
  guint cookie;                 /* caller's tag, copied to the result */
} GstIlgnetJob;

/* Called on the scoring thread for each finished job that was not flushed.
 * It must not call back into the scorer. */
typedef void (*GstIlgnetResultFunc) (const GstIlgnetResult * result,
    gpointer user_data);
/* Called on the scoring thread when a frame could not be scored. */
typedef void (*GstIlgnetErrorFunc) (const GError * error, gpointer user_data);

typedef struct _GstIlgnetScorer GstIlgnetScorer;

/* How the scoring thread is set up: what gst_ilgnet_scorer_new() needs,
 * named rather than passed as a long list of positional arguments. */
typedef struct
{
  IlgnetModel *model;           /* referenced by the scorer */
  gint threads;                 /* threads of one network run, 0: all cores */
  guint max_queue;              /* jobs waiting before the oldest is dropped */
  gint batch;                   /* images scored together */
  gboolean background;          /* run below the caller's priority */
  GstIlgnetResultFunc result_func;
  GstIlgnetErrorFunc error_func;
  gpointer user_data;           /* for both callbacks */
} GstIlgnetScorerConfig;

/* Starts the scoring thread, which makes a session of @config->batch
 * images and @config->threads threads for the model and scores test images
 * once; fails (with @error) when the model cannot run or is not a quality
 * classifier.  A background scorer runs at a lower priority than the
 * caller's, so that it yields the CPU to the streaming threads. */
GstIlgnetScorer *gst_ilgnet_scorer_new (const GstIlgnetScorerConfig * config,
    GError ** error);
void gst_ilgnet_scorer_free (GstIlgnetScorer * scorer);

/* How long the check run done by gst_ilgnet_scorer_new() took, in ns. */
GstClockTime gst_ilgnet_scorer_get_warmup_time (GstIlgnetScorer * scorer);

GstIlgnetJob *gst_ilgnet_job_new (GstBuffer * buffer,
    const GstVideoInfo * info);
void gst_ilgnet_job_free (GstIlgnetJob * job);

/* Queues @job (taking it).  When the queue is full the oldest pending job is
 * dropped; returns how many were dropped.  @id receives the job's ticket for
 * gst_ilgnet_scorer_wait().  While flushing the job itself is dropped. */
guint gst_ilgnet_scorer_push (GstIlgnetScorer * scorer, GstIlgnetJob * job,
    guint64 * id);
/* Blocks until job @id is finished or dropped.  FALSE when flushing. */
gboolean gst_ilgnet_scorer_wait (GstIlgnetScorer * scorer, guint64 id);
/* Blocks until nothing is pending or running.  FALSE when flushing. */
gboolean gst_ilgnet_scorer_drain (GstIlgnetScorer * scorer);
/* Entering flushing drops pending jobs, wakes every waiter and guarantees that
 * no result of an earlier job is delivered after this returns. */
void gst_ilgnet_scorer_set_flushing (GstIlgnetScorer * scorer,
    gboolean flushing);

G_END_DECLS

#endif /* __GST_ILGNET_SCORER_H__ */
