/* The score file's writer alone (gstilgnetscorefile.c), on a FIFO whose
 * reader stalls (pipe shrunk to one page), with a queue of 8 records:
 *
 *  - overflow drops the oldest records, push() says when dropping starts,
 *    the count is reported once the reader catches up, and what the reader
 *    gets plus what was reported dropped is every record, newest kept;
 *  - close() with the reader stalled returns within its timeout (plus the
 *    short abort wait) and what it reports lost plus what the reader gets
 *    is every record, in whole records;
 *  - drain() waits while the reader stalls and set_flushing() ends it.
 */
#define _GNU_SOURCE                 /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "gstilgnetscorefile.h"

#define N_RECORDS 200
#define QUEUE 8

static gint failures;

#define CHECK(cond, ...) G_STMT_START { \
  if (!(cond)) { \
    g_printerr ("FAIL line %d: %s: ", __LINE__, #cond); \
    g_printerr (__VA_ARGS__); \
    g_printerr ("\n"); \
    failures++; \
  } } G_STMT_END

typedef struct
{
  gint errors;
  guint64 dropped;              /* reported by the overflow callback */
} Reports;

static void
on_error (gint errsv, gboolean opening, guint64 n_lost, gpointer user_data)
{
  Reports *r = user_data;

  g_printerr ("writer error: %s (%" G_GUINT64_FORMAT " lost)\n",
      g_strerror (errsv), n_lost);
  g_atomic_int_inc (&r->errors);
}

static void
on_overflow (guint64 n_dropped, gpointer user_data)
{
  Reports *r = user_data;

  r->dropped += n_dropped;
}

/* Records of about 100 bytes, numbered. */
static gchar *
record (guint i)
{
  return g_strdup_printf ("record %04u %s\n", i,
      "..........................................................."
      "..............................");
}

static gchar *
make_fifo (gchar ** dir)
{
  gchar *path;

  *dir = g_dir_make_tmp ("ilgnet-writer-XXXXXX", NULL);
  path = g_build_filename (*dir, "fifo", NULL);
  if (mkfifo (path, 0600) != 0)
    g_error ("mkfifo: %s", g_strerror (errno));
  return path;
}

static int
stalled_reader (const gchar * path)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0 || fcntl (fd, F_SETPIPE_SZ, 4096) < 0)
    g_error ("reader: %s", g_strerror (errno));
  return fd;
}

static gint
bytes_waiting (int fd)
{
  gint n = 0;

  if (ioctl (fd, FIONREAD, &n) != 0)
    g_error ("FIONREAD: %s", g_strerror (errno));
  return n;
}

/* Reads until the pipe is empty (@to_eof: until the writer closed). */
static void
read_pipe (int fd, GString * into, gboolean to_eof)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  gchar buf[4096];

  while (g_get_monotonic_time () < end) {
    ssize_t n = read (fd, buf, sizeof (buf));
    struct pollfd p = { fd, POLLIN, 0 };

    if (n > 0) {
      g_string_append_len (into, buf, n);
      continue;
    }
    if (n == 0 || !to_eof)
      return;
    poll (&p, 1, 50);
  }
  g_error ("the writer never closed the FIFO");
}

/* Checks @text is the header then whole, increasing records; returns how
 * many and the last one's number. */
static guint
check_records (const gchar * text, gint * last)
{
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i, n = 0;

  *last = -1;
  CHECK (g_str_has_prefix (text, "HEADER\n"), "%.20s", text);
  CHECK (g_str_has_suffix (text, "\n"), "cut-off last record");
  for (i = 1; lines[i] && lines[i][0]; i++) {
    guint k;
    gchar *want;

    CHECK (sscanf (lines[i], "record %u", &k) == 1, "%s", lines[i]);
    want = record (k);
    want[strlen (want) - 1] = '\0';
    CHECK (!strcmp (lines[i], want), "not a whole record: %s", lines[i]);
    g_free (want);
    CHECK ((gint) k > *last, "out of order: %u after %d", k, *last);
    *last = k;
    n++;
  }
  g_strfreev (lines);
  return n;
}

/* A writer on a FIFO whose reader holds it open without reading, what the
 * reader got and what the callbacks reported. */
typedef struct
{
  Reports r;
  gchar *dir, *path;
  int fd;
  GString *text;
  GstIlgnetScoreFile *file;
} Probe;

static void
probe_start (Probe * p, guint max_records)
{
  memset (p, 0, sizeof (*p));
  p->path = make_fifo (&p->dir);
  p->fd = stalled_reader (p->path);
  p->text = g_string_new (NULL);
  p->file = gst_ilgnet_score_file_new (p->path, "HEADER\n", max_records,
      GST_SECOND, on_error, on_overflow, &p->r, NULL);
  CHECK (p->file != NULL, "no writer");
}

/* Once the writer is closed: reads the rest, returns how many whole
 * records the reader got (and the last one's number). */
static guint
probe_read_all (Probe * p, gint * last)
{
  read_pipe (p->fd, p->text, TRUE);
  return check_records (p->text->str, last);
}

static void
probe_free (Probe * p)
{
  close (p->fd);
  g_string_free (p->text, TRUE);
  g_unlink (p->path);
  g_rmdir (p->dir);
  g_free (p->path);
  g_free (p->dir);
}

static void
test_overflow (void)
{
  Probe p;
  guint i, started = 0, n;
  gint last, errsv = -1;
  gint64 end;
  guint64 lost;

  probe_start (&p, QUEUE);
  /* The header and 40 records fill the one-page pipe; the 41st blocks
   * the writer.  Only then the rest, which overflow the queue. */
  end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  for (i = 0; i <= 40; i++) {
    gchar *rec = record (i);
    gint want = bytes_waiting (p.fd) + strlen (rec);

    if (gst_ilgnet_score_file_push (p.file, rec))
      started++;
    /* One at a time: the queue is not what is tested here. */
    while (i < 40 && bytes_waiting (p.fd) < want
        && g_get_monotonic_time () < end)
      g_usleep (500);
  }
  CHECK (bytes_waiting (p.fd) >= 4000, "the pipe never filled");
  g_usleep (20 * 1000);         /* the 41st taken from the queue */
  for (; i < N_RECORDS; i++)
    if (gst_ilgnet_score_file_push (p.file, record (i)))
      started++;
  CHECK (started == 1, "push() said dropping started %u times", started);

  /* The reader catches up: the writer reports the drops once it has
   * written the queue. */
  end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < end && !p.r.dropped) {
    read_pipe (p.fd, p.text, FALSE);
    g_usleep (5000);
  }
  lost = gst_ilgnet_score_file_close (p.file, GST_SECOND, &errsv);
  n = probe_read_all (&p, &last);
  g_print ("overflow: %u records read, %" G_GUINT64_FORMAT " reported "
      "dropped, %" G_GUINT64_FORMAT " lost at close\n", n, p.r.dropped, lost);
  CHECK (p.r.dropped > 0, "no drop reported");
  CHECK (n + p.r.dropped == N_RECORDS, "%u read + %" G_GUINT64_FORMAT
      " dropped != %d", n, p.r.dropped, N_RECORDS);
  CHECK (lost == 0, "%" G_GUINT64_FORMAT " lost", lost);
  CHECK (last == N_RECORDS - 1, "newest record missing (last %d)", last);
  CHECK (errsv == 0 && p.r.errors == 0, "errors");

  probe_free (&p);
}

static gpointer
flush_later (gpointer file)
{
  g_usleep (200 * 1000);
  gst_ilgnet_score_file_set_flushing (file, TRUE);
  return NULL;
}

static void
test_stalled_close (void)
{
  Probe p;
  GThread *flusher;
  guint i, n;
  gint last, errsv = -1;
  gint64 t0, t;
  guint64 lost;
  gboolean drained;

  probe_start (&p, 1000);
  for (i = 0; i < 100; i++)
    gst_ilgnet_score_file_push (p.file, record (i));

  /* drain() waits for the stalled reader until a flush ends it (timed from
   * before the flusher starts its 200 ms sleep). */
  t0 = g_get_monotonic_time ();
  flusher = g_thread_new ("flusher", flush_later, p.file);
  drained = gst_ilgnet_score_file_drain (p.file);
  t = g_get_monotonic_time () - t0;
  g_thread_join (flusher);
  CHECK (!drained, "drained with the reader stalled");
  CHECK (t >= 150 * G_TIME_SPAN_MILLISECOND && t < 2 * G_TIME_SPAN_SECOND,
      "drain() returned after %.3f s", t / 1e6);

  t0 = g_get_monotonic_time ();
  lost = gst_ilgnet_score_file_close (p.file, 100 * GST_MSECOND, &errsv);
  t = g_get_monotonic_time () - t0;
  n = probe_read_all (&p, &last);
  g_print ("stalled close: %.3f s, %u records read, %" G_GUINT64_FORMAT
      " lost\n", t / 1e6, n, lost);
  /* 100 ms is the close's own wait; the rest wakes and joins the writer
   * (slow under valgrind on a loaded machine). */
  CHECK (t < 1500 * G_TIME_SPAN_MILLISECOND, "close took %.3f s", t / 1e6);
  CHECK (lost > 0 && n + lost == 100, "%u read + %" G_GUINT64_FORMAT
      " lost != 100", n, lost);
  CHECK (p.r.errors == 0 && p.r.dropped == 0, "unexpected reports");

  probe_free (&p);
}

/* A path that cannot be created fails at once, naming it. */
static void
test_bad_path (void)
{
  Reports r = { 0 };
  GError *err = NULL;
  GstIlgnetScoreFile *file = gst_ilgnet_score_file_new ("/nonexistent-dir/x",
      NULL, 8, GST_SECOND, on_error, on_overflow, &r, &err);

  CHECK (file == NULL, "opened /nonexistent-dir/x");
  CHECK (err && strstr (err->message, "/nonexistent-dir/x"), "%s",
      err ? err->message : "no error");
  CHECK (r.errors == 0, "also reported by callback");
  g_clear_error (&err);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  test_overflow ();
  test_stalled_close ();
  test_bad_path ();
  if (failures)
    g_printerr ("%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
