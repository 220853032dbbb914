/* GStreamer ILGNet element: a file written by a thread of its own
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gst/gst.h>

#include "gstilgnetscorefile.h"

/* How often a FIFO without a reader is tried again. */
#define RETRY_OPEN_US (20 * G_TIME_SPAN_MILLISECOND)
/* After close()'s timeout, how long the thread has to notice it must stop
 * (it is woken out of poll(); only a write stuck in the kernel takes
 * longer, and is then left behind). */
#define ABORT_WAIT_US (200 * G_TIME_SPAN_MILLISECOND)

typedef enum
{
  WRITE_OK,
  WRITE_FAILED,
  WRITE_ABORTED
} WriteResult;

struct _GstIlgnetScoreFile
{
  gint refcount;                /* the owner and the thread */
  gchar *location;
  gchar *header;
  guint max_records;
  GstIlgnetScoreFileErrorFunc error_func;
  GstIlgnetScoreFileOverflowFunc overflow_func;
  gpointer user_data;
  GThread *thread;

  /* Written by the owner's threads, read by the writer: under lock. */
  GMutex lock;
  GCond cond;
  GQueue queue;                 /* of gchar *, whole records */
  gboolean in_flight;           /* a record is being written */
  gboolean opened;              /* first attempt done, maybe waiting */
  gint open_errsv;              /* the first attempt failed with this */
  gboolean handed_over;         /* new() has returned: report errors */
  gboolean closing;             /* write what is queued, then exit */
  gboolean aborting;            /* exit now */
  gboolean flushing;
  gboolean failed;
  gboolean done;                /* the thread has left its loop */
  guint64 n_dropped;            /* by overflow, not reported yet */
  guint64 n_lost;               /* never written, not reported yet */
  gint close_errsv;

  /* Callbacks never run once close() has set abandoned; recursive so that
   * a callback that ends up in close() (a bus sync handler stopping the
   * pipeline) does not deadlock. */
  GRecMutex cb_lock;
  gboolean abandoned;

  /* The writer's own. */
  int fd;
  int wake[2];                  /* a byte arrives when aborting */
  gboolean regular;             /* a regular file: can be truncated */
  off_t committed;              /* end of the last whole record */
};

static void
score_file_unref (GstIlgnetScoreFile * file)
{
  if (!g_atomic_int_dec_and_test (&file->refcount))
    return;
  g_queue_clear_full (&file->queue, g_free);
  if (file->wake[0] >= 0)
    close (file->wake[0]);
  if (file->wake[1] >= 0)
    close (file->wake[1]);
  g_mutex_clear (&file->lock);
  g_cond_clear (&file->cond);
  g_rec_mutex_clear (&file->cb_lock);
  g_free (file->location);
  g_free (file->header);
  g_free (file);
}

/* A reader that went away raises SIGPIPE for the writing thread: it is
 * blocked in the writer (write() returns EPIPE instead) and taken back here
 * so that none is left pending. */
static void
consume_signal (int sig)
{
  sigset_t set;
  struct timespec zero = { 0, 0 };

  sigemptyset (&set);
  sigaddset (&set, sig);
  while (sigtimedwait (&set, NULL, &zero) == sig);
}

static WriteResult
write_record (GstIlgnetScoreFile * file, const gchar * data, gsize len,
    gint * errsv)
{
  gsize off = 0;

  /* The fd is non-blocking: a FIFO that is full waits in poll(), where
   * aborting can wake it.  A record of at most PIPE_BUF bytes goes into a
   * FIFO whole or not at all, so a reader never sees half of one. */
  while (off < len) {
    ssize_t n = write (file->fd, data + off, len - off);

    if (n > 0) {
      off += n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p[2] = { {file->fd, POLLOUT, 0}, {file->wake[0], POLLIN,
              0}
      };

      if (poll (p, 2, -1) < 0 && errno != EINTR) {
        *errsv = errno;
        return WRITE_FAILED;
      }
      if (p[1].revents)
        return WRITE_ABORTED;
      continue;
    }
    *errsv = n < 0 ? errno : ENOSPC;
    if (*errsv == EPIPE)
      consume_signal (SIGPIPE);
    /* Never leave a cut-off record: back to the last whole one. */
    if (off > 0 && file->regular && ftruncate (file->fd, file->committed) != 0)
      GST_WARNING ("cannot truncate \"%s\" back to %" G_GINT64_FORMAT
          " bytes: %s", file->location, (gint64) file->committed,
          g_strerror (errno));
    return WRITE_FAILED;
  }
  file->committed += len;
  return WRITE_OK;
}

static void
report_error (GstIlgnetScoreFile * file, gint errsv, gboolean opening,
    guint64 n_lost)
{
  g_rec_mutex_lock (&file->cb_lock);
  if (!file->abandoned)
    file->error_func (errsv, opening, n_lost, file->user_data);
  g_rec_mutex_unlock (&file->cb_lock);
}

/* Under lock: stops taking records after a failure; returns how many the
 * failure lost (@extra, the one being written, and the queue's). */
static guint64
fail_locked (GstIlgnetScoreFile * file, guint64 extra)
{
  guint64 n = extra + file->queue.length;

  g_queue_clear_full (&file->queue, g_free);
  g_queue_init (&file->queue);
  file->failed = TRUE;
  /* No broadcast: drain() waits for the thread to end, after its error is
   * posted, so that the error reaches the bus before EOS does. */
  return n;
}

/* Opens without ever blocking on a FIFO that has no reader (ENXIO with
 * O_NONBLOCK): tried again until a reader comes or aborting. */
static gboolean
open_file (GstIlgnetScoreFile * file)
{
  for (;;) {
    gint e;
    struct stat st;

    file->fd = g_open (file->location,
        O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0666);
    if (file->fd >= 0) {
      file->regular = fstat (file->fd, &st) == 0 && S_ISREG (st.st_mode);
      g_mutex_lock (&file->lock);
      file->opened = TRUE;
      g_cond_broadcast (&file->cond);
      g_mutex_unlock (&file->lock);
      return TRUE;
    }
    e = errno;
    if (e == EINTR)
      continue;

    g_mutex_lock (&file->lock);
    file->opened = TRUE;        /* the first attempt is over */
    g_cond_broadcast (&file->cond);
    if (e == ENXIO) {
      gint64 until = g_get_monotonic_time () + RETRY_OPEN_US;

      while (!file->aborting && g_cond_wait_until (&file->cond, &file->lock,
              until));
      if (!file->aborting) {
        g_mutex_unlock (&file->lock);
        continue;
      }
      /* Closed before any reader came: the queue is lost. */
      file->n_lost += file->queue.length;
      g_queue_clear_full (&file->queue, g_free);
      g_queue_init (&file->queue);
      g_mutex_unlock (&file->lock);
      return FALSE;
    }
    if (!file->handed_over) {
      /* new() is still waiting and fails with this. */
      file->open_errsv = e;
      g_mutex_unlock (&file->lock);
      return FALSE;
    } else {
      guint64 n = fail_locked (file, 0);

      g_mutex_unlock (&file->lock);
      report_error (file, e, TRUE, n);
      return FALSE;
    }
  }
}

/* Writes the header line(s) before any record; FALSE when the writer
 * must stop (the write failed, reported here, or close() aborted it). */
static gboolean
write_header (GstIlgnetScoreFile * file)
{
  guint64 n;
  gint e = 0;

  if (!file->header)
    return TRUE;
  g_mutex_lock (&file->lock);
  file->in_flight = TRUE;
  g_mutex_unlock (&file->lock);
  switch (write_record (file, file->header, strlen (file->header), &e)) {
    case WRITE_OK:
      return TRUE;
    case WRITE_ABORTED:
      return FALSE;
    case WRITE_FAILED:
      break;
  }
  g_mutex_lock (&file->lock);
  n = fail_locked (file, 0);
  g_mutex_unlock (&file->lock);
  report_error (file, e, FALSE, n);
  return FALSE;
}

/* The writer's last act: closes the file and counts what was never
 * written, then wakes drain() and close() for good. */
static void
finish_writer (GstIlgnetScoreFile * file)
{
  if (file->fd >= 0 && close (file->fd) != 0) {
    gint e = errno;

    g_mutex_lock (&file->lock);
    file->close_errsv = e;
    g_mutex_unlock (&file->lock);
  }
  file->fd = -1;
  g_mutex_lock (&file->lock);
  file->n_lost += file->queue.length;
  g_queue_clear_full (&file->queue, g_free);
  g_queue_init (&file->queue);
  file->in_flight = FALSE;
  file->done = TRUE;
  g_cond_broadcast (&file->cond);
  g_mutex_unlock (&file->lock);
}

static gpointer
writer_thread (gpointer data)
{
  GstIlgnetScoreFile *file = data;
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &set, NULL);

  if (!open_file (file))
    goto out;

  if (!write_header (file))
    goto out;

  for (;;) {
    gchar *record;
    WriteResult res;
    guint64 dropped = 0;
    gint e = 0;

    g_mutex_lock (&file->lock);
    file->in_flight = FALSE;
    g_cond_broadcast (&file->cond);
    while (!file->queue.length && !file->closing && !file->aborting)
      g_cond_wait (&file->cond, &file->lock);
    if (file->aborting || !file->queue.length) {
      g_mutex_unlock (&file->lock);
      break;
    }
    record = g_queue_pop_head (&file->queue);
    file->in_flight = TRUE;
    g_mutex_unlock (&file->lock);

    res = write_record (file, record, strlen (record), &e);
    g_free (record);

    g_mutex_lock (&file->lock);
    if (res == WRITE_ABORTED) {
      file->n_lost++;
      g_mutex_unlock (&file->lock);
      break;
    }
    if (res == WRITE_FAILED) {
      guint64 n = fail_locked (file, 1);

      g_mutex_unlock (&file->lock);
      report_error (file, e, FALSE, n);
      break;
    }
    /* Caught up: say how many were dropped meanwhile. */
    if (!file->queue.length) {
      dropped = file->n_dropped;
      file->n_dropped = 0;
    }
    g_mutex_unlock (&file->lock);
    if (dropped) {
      g_rec_mutex_lock (&file->cb_lock);
      if (!file->abandoned)
        file->overflow_func (dropped, file->user_data);
      g_rec_mutex_unlock (&file->cb_lock);
    }
  }

out:
  finish_writer (file);
  score_file_unref (file);
  return NULL;
}

GstIlgnetScoreFile *
gst_ilgnet_score_file_new (const gchar * location, const gchar * header,
    guint max_records, GstClockTime open_wait,
    GstIlgnetScoreFileErrorFunc error_func,
    GstIlgnetScoreFileOverflowFunc overflow_func, gpointer user_data,
    GError ** error)
{
  GstIlgnetScoreFile *file = g_new0 (GstIlgnetScoreFile, 1);
  gint64 until;
  gint e;

  file->refcount = 2;
  file->location = g_strdup (location);
  file->header = g_strdup (header);
  file->max_records = MAX (max_records, 1);
  file->error_func = error_func;
  file->overflow_func = overflow_func;
  file->user_data = user_data;
  file->fd = -1;
  g_mutex_init (&file->lock);
  g_cond_init (&file->cond);
  g_rec_mutex_init (&file->cb_lock);
  g_queue_init (&file->queue);
  if (!g_unix_open_pipe (file->wake, FD_CLOEXEC, error)) {
    file->wake[0] = file->wake[1] = -1;
    file->refcount = 1;
    score_file_unref (file);
    return NULL;
  }

  file->thread = g_thread_try_new ("ilgnet-file", writer_thread, file, error);
  if (!file->thread) {
    file->refcount = 1;
    score_file_unref (file);
    return NULL;
  }

  /* A path that cannot be opened is best failed at once, while the
   * application is still looking; anything slower is the thread's. */
  until = g_get_monotonic_time () + open_wait / GST_USECOND;
  g_mutex_lock (&file->lock);
  while (!file->opened && g_cond_wait_until (&file->cond, &file->lock,
          until));
  e = file->open_errsv;
  file->handed_over = TRUE;
  g_mutex_unlock (&file->lock);

  if (e) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "cannot create \"%s\": %s", location, g_strerror (e));
    g_thread_join (file->thread);
    score_file_unref (file);
    return NULL;
  }
  return file;
}

gboolean
gst_ilgnet_score_file_push (GstIlgnetScoreFile * file, gchar * record)
{
  gboolean started_dropping = FALSE;

  g_mutex_lock (&file->lock);
  if (file->failed || file->done) {
    /* Already reported: the error said nothing more is written. */
    g_mutex_unlock (&file->lock);
    g_free (record);
    return FALSE;
  }
  if (file->queue.length >= file->max_records) {
    g_free (g_queue_pop_head (&file->queue));
    started_dropping = file->n_dropped == 0;
    file->n_dropped++;
  }
  g_queue_push_tail (&file->queue, record);
  g_cond_broadcast (&file->cond);
  g_mutex_unlock (&file->lock);
  return started_dropping;
}

gboolean
gst_ilgnet_score_file_drain (GstIlgnetScoreFile * file)
{
  gboolean ok;

  g_mutex_lock (&file->lock);
  while ((file->queue.length || file->in_flight) && !file->flushing
      && !file->done)
    g_cond_wait (&file->cond, &file->lock);
  ok = !file->failed && !file->flushing && !file->queue.length;
  g_mutex_unlock (&file->lock);
  return ok;
}

void
gst_ilgnet_score_file_set_flushing (GstIlgnetScoreFile * file,
    gboolean flushing)
{
  g_mutex_lock (&file->lock);
  file->flushing = flushing;
  g_cond_broadcast (&file->cond);
  g_mutex_unlock (&file->lock);
}

guint64
gst_ilgnet_score_file_close (GstIlgnetScoreFile * file, GstClockTime timeout,
    gint * errsv)
{
  gint64 until = g_get_monotonic_time () + timeout / GST_USECOND;
  gboolean finished;
  guint64 lost;

  g_mutex_lock (&file->lock);
  file->closing = TRUE;
  g_cond_broadcast (&file->cond);
  while (!file->done && g_cond_wait_until (&file->cond, &file->lock, until));
  if (!file->done) {
    /* Out of time (a reader stalled or absent): stop where it is. */
    file->aborting = TRUE;
    g_cond_broadcast (&file->cond);
    if (write (file->wake[1], "x", 1) < 0)
      GST_WARNING ("cannot wake the score file's writer: %s",
          g_strerror (errno));
    until = g_get_monotonic_time () + ABORT_WAIT_US;
    while (!file->done && g_cond_wait_until (&file->cond, &file->lock,
            until));
  }
  finished = file->done;
  g_mutex_unlock (&file->lock);

  g_rec_mutex_lock (&file->cb_lock);
  file->abandoned = TRUE;
  g_rec_mutex_unlock (&file->cb_lock);

  if (finished && g_thread_self () != file->thread)
    g_thread_join (file->thread);
  else
    g_thread_unref (file->thread);      /* ends on its own, with its ref */

  g_mutex_lock (&file->lock);
  /* A stuck thread still has its queue and the record it is writing. */
  lost = file->n_lost + file->n_dropped + file->queue.length +
      (file->in_flight && !finished ? 1 : 0);
  if (!finished)
    g_queue_clear_full (&file->queue, g_free), g_queue_init (&file->queue);
  if (errsv)
    *errsv = file->close_errsv;
  g_mutex_unlock (&file->lock);

  score_file_unref (file);
  return lost;
}
