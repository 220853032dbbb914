/* GStreamer ILGNet element: a file written by a thread of its own
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_ILGNET_SCORE_FILE_H__
#define __GST_ILGNET_SCORE_FILE_H__

#include <glib.h>

G_BEGIN_DECLS

/* The score file's writer: whole records (one or more complete lines) are
 * queued without ever waiting, and a thread of its own opens the file and
 * writes them.  A reader that is slow, stalled or absent (a FIFO, a slow
 * share) therefore never holds up the caller.
 *
 * Policy, as filesink's: a record that cannot be written (no space, I/O
 * error, reader gone) stops the writer and is reported once through
 * @error_func with how many records it lost; the file then ends with the
 * last whole record (a short write is truncated back).  A queue that
 * overflows drops its oldest records; @overflow_func reports how many once
 * the writer has caught up (or at close). */
typedef struct _GstIlgnetScoreFile GstIlgnetScoreFile;

/* Called from the writer's thread, at most once: writing failed with
 * errno @errsv (opening, when @opening); @n_lost records were lost. */
typedef void (*GstIlgnetScoreFileErrorFunc) (gint errsv, gboolean opening,
    guint64 n_lost, gpointer user_data);
/* Called from the writer's thread: @n_dropped records were dropped from
 * the full queue since the last report. */
typedef void (*GstIlgnetScoreFileOverflowFunc) (guint64 n_dropped,
    gpointer user_data);

/* Starts the writer for @location (created or truncated), writing @header
 * (may be NULL) first, with a queue of at most @max_records.  Waits for the
 * first attempt to open the file, at most @open_wait: a path that cannot be
 * opened at all (no such directory, no permission) fails here with
 * @error; a FIFO without a reader, or a file system that does not answer,
 * is left to the thread and never waited for longer. */
GstIlgnetScoreFile *gst_ilgnet_score_file_new (const gchar * location,
    const gchar * header, guint max_records, GstClockTime open_wait,
    GstIlgnetScoreFileErrorFunc error_func,
    GstIlgnetScoreFileOverflowFunc overflow_func, gpointer user_data,
    GError ** error);

/* Queues @record (taken); never waits.  Returns TRUE when the queue was
 * full and this started dropping the oldest records (reported later). */
gboolean gst_ilgnet_score_file_push (GstIlgnetScoreFile * file,
    gchar * record);

/* Waits until every record queued so far is on its way to the file (or
 * the writer failed).  Returns FALSE when woken by set_flushing or
 * a failure instead. */
gboolean gst_ilgnet_score_file_drain (GstIlgnetScoreFile * file);

/* While flushing, drain() returns at once. */
void gst_ilgnet_score_file_set_flushing (GstIlgnetScoreFile * file,
    gboolean flushing);

/* Lets the writer finish the queue for at most @timeout, then stops it
 * wherever it is, and frees @file.  Returns the number of records that
 * were never written (queued, dropped or after a failure) and not already
 * reported; @errsv receives an error of closing the file (0 if none).  Once
 * this returns no callback runs; a thread stuck inside the kernel (a hung
 * network share) is left to finish on its own. */
guint64 gst_ilgnet_score_file_close (GstIlgnetScoreFile * file,
    GstClockTime timeout, gint * errsv);

G_END_DECLS

#endif /* __GST_ILGNET_SCORE_FILE_H__ */
