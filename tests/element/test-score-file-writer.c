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

static void
test_overflow (void)
{
  Reports r = { 0 };
  gchar *dir, *path = make_fifo (&dir);
  int fd = stalled_reader (path);
  GString *text = g_string_new (NULL);
  GstIlgnetScoreFile *file;
  guint i, started = 0, n;
  gint last, errsv = -1;
  gint64 end;
  guint64 lost;

  file = gst_ilgnet_score_file_new (path, "HEADER\n", QUEUE, GST_SECOND,
      on_error, on_overflow, &r, NULL);
  CHECK (file != NULL, "no writer");
  /* The header and 40 records fill the one-page pipe; the 41st blocks
   * the writer.  Only then the rest, which overflow the queue. */
  end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  for (i = 0; i <= 40; i++) {
    gchar *rec = record (i);
    gint want = bytes_waiting (fd) + strlen (rec);

    if (gst_ilgnet_score_file_push (file, rec))
      started++;
    /* One at a time: the queue is not what is tested here. */
    while (i < 40 && bytes_waiting (fd) < want
        && g_get_monotonic_time () < end)
      g_usleep (500);
  }
  CHECK (bytes_waiting (fd) >= 4000, "the pipe never filled");
  g_usleep (20 * 1000);         /* the 41st taken from the queue */
  for (; i < N_RECORDS; i++)
    if (gst_ilgnet_score_file_push (file, record (i)))
      started++;
  CHECK (started == 1, "push() said dropping started %u times", started);

  /* The reader catches up: the writer reports the drops once it has
   * written the queue. */
  end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < end && !r.dropped) {
    read_pipe (fd, text, FALSE);
    g_usleep (5000);
  }
  lost = gst_ilgnet_score_file_close (file, GST_SECOND, &errsv);
  read_pipe (fd, text, TRUE);
  n = check_records (text->str, &last);
  g_print ("overflow: %u records read, %" G_GUINT64_FORMAT " reported "
      "dropped, %" G_GUINT64_FORMAT " lost at close\n", n, r.dropped, lost);
  CHECK (r.dropped > 0, "no drop reported");
  CHECK (n + r.dropped == N_RECORDS, "%u read + %" G_GUINT64_FORMAT
      " dropped != %d", n, r.dropped, N_RECORDS);
  CHECK (lost == 0, "%" G_GUINT64_FORMAT " lost", lost);
  CHECK (last == N_RECORDS - 1, "newest record missing (last %d)", last);
  CHECK (errsv == 0 && r.errors == 0, "errors");

  close (fd);
  g_string_free (text, TRUE);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
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
  Reports r = { 0 };
  gchar *dir, *path = make_fifo (&dir);
  int fd = stalled_reader (path);
  GString *text = g_string_new (NULL);
  GstIlgnetScoreFile *file;
  GThread *flusher;
  guint i, n;
  gint last, errsv = -1;
  gint64 t0, t;
  guint64 lost;
  gboolean drained;

  file = gst_ilgnet_score_file_new (path, "HEADER\n", 1000, GST_SECOND,
      on_error, on_overflow, &r, NULL);
  CHECK (file != NULL, "no writer");
  for (i = 0; i < 100; i++)
    gst_ilgnet_score_file_push (file, record (i));

  /* drain() waits for the stalled reader until a flush ends it. */
  flusher = g_thread_new ("flusher", flush_later, file);
  t0 = g_get_monotonic_time ();
  drained = gst_ilgnet_score_file_drain (file);
  t = g_get_monotonic_time () - t0;
  g_thread_join (flusher);
  CHECK (!drained, "drained with the reader stalled");
  CHECK (t >= 150 * G_TIME_SPAN_MILLISECOND && t < 2 * G_TIME_SPAN_SECOND,
      "drain() returned after %.3f s", t / 1e6);

  t0 = g_get_monotonic_time ();
  lost = gst_ilgnet_score_file_close (file, 100 * GST_MSECOND, &errsv);
  t = g_get_monotonic_time () - t0;
  read_pipe (fd, text, TRUE);
  n = check_records (text->str, &last);
  g_print ("stalled close: %.3f s, %u records read, %" G_GUINT64_FORMAT
      " lost\n", t / 1e6, n, lost);
  CHECK (t < 500 * G_TIME_SPAN_MILLISECOND, "close took %.3f s", t / 1e6);
  CHECK (lost > 0 && n + lost == 100, "%u read + %" G_GUINT64_FORMAT
      " lost != 100", n, lost);
  CHECK (r.errors == 0 && r.dropped == 0, "unexpected reports");

  close (fd);
  g_string_free (text, TRUE);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
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
