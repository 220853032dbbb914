/* The score file never holds up the video, and never loses scores silently.
 *
 * FIFO probes: a live 640x360 30 fps stream through
 * `ilgnet mode=async interval=0 location=FIFO` whose reader stalls (its
 * pipe shrunk to one page, so the writer is blocked after a dozen lines):
 * no frame reaches the synchronised sink more than 100 ms after its running
 * time; PLAYING is reached at once with no reader at all; NULL returns
 * within a second with the reader stalled, and says how many scores were
 * not written; what the reader gets is whole lines only.
 *
 * Write failures: /dev/full, a file size limit (RLIMIT_FSIZE, any user) and
 * a full tmpfs (when this process may mount one) are an element error
 * NO_SPACE_LEFT in every format, naming the scores lost, and the file ends
 * with a whole record.
 *
 * Environment (set by meson): ILGNET_TEST_TINY, the tiny model.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

/* A frame is late when it reaches the sink this long after its running
 * time (the measure). */
#define LATE (100 * GST_MSECOND)

static const gchar *tiny_model;

typedef struct
{
  GMutex lock;
  guint n, late;
  GstClockTimeDiff worst;
} Lateness;

static GstPadProbeReturn
on_sink_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Lateness *l = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstElement *sink = GST_ELEMENT (GST_PAD_PARENT (pad));
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  GstClock *clock = gst_element_get_clock (sink);
  const GstSegment *seg;
  GstClockTime rt, now;

  if (!ev || !clock)
    goto out;
  gst_event_parse_segment (ev, &seg);
  rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  now = gst_clock_get_time (clock) - gst_element_get_base_time (sink);
  g_mutex_lock (&l->lock);
  l->n++;
  if (GST_CLOCK_DIFF (rt, now) > (GstClockTimeDiff) LATE)
    l->late++;
  l->worst = MAX (l->worst, GST_CLOCK_DIFF (rt, now));
  g_mutex_unlock (&l->lock);
out:
  if (clock)
    gst_object_unref (clock);
  if (ev)
    gst_event_unref (ev);
  return GST_PAD_PROBE_OK;
}

static guint
frames_seen (Lateness * l)
{
  guint n;

  g_mutex_lock (&l->lock);
  n = l->n;
  g_mutex_unlock (&l->lock);
  return n;
}

/* gst_parse_launch() of a printf-style description; NULL when it does not
 * parse. */
static GstElement *
launch_printf (const gchar * format, ...)
{
  va_list args;
  gchar *line;
  GstElement *pipe;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  pipe = gst_parse_launch (line, NULL);
  g_free (line);
  return pipe;
}

/* The live pipeline of the probes; @n_buffers -1 runs until stopped. */
static GstElement *
live_pipeline (const gchar * fifo, gint n_buffers, Lateness * l)
{
  GstElement *sink, *pipe;
  GstPad *pad;

  pipe = launch_printf ("videotestsrc is-live=true num-buffers=%d ! "
      "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
      "ilgnet name=i model=%s threads=1 mode=async interval=0 location=%s ! "
      "fakesink name=sink sync=true", n_buffers, tiny_model, fifo);
  fail_unless (pipe != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_sink_buffer, l, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  return pipe;
}

static guint64
frames_analysed (GstElement * pipe)
{
  GstElement *i = gst_bin_get_by_name (GST_BIN (pipe), "i");
  guint64 n;

  g_object_get (i, "frames-analysed", &n, NULL);
  gst_object_unref (i);
  return n;
}

/* A FIFO in a fresh directory; @dir receives the directory. */
static gchar *
make_fifo (gchar ** dir)
{
  gchar *path;

  *dir = g_dir_make_tmp ("ilgnet-fifo-XXXXXX", NULL);
  path = g_build_filename (*dir, "scores.jsonl", NULL);
  fail_unless (mkfifo (path, 0600) == 0, "mkfifo: %s", g_strerror (errno));
  return path;
}

/* A reader that holds the FIFO open but reads nothing yet, with the
 * smallest pipe (one page) so that the writer is blocked early. */
static int
open_stalled_reader (const gchar * path)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

  fail_unless (fd >= 0, "%s", g_strerror (errno));
  fail_unless (fcntl (fd, F_SETPIPE_SZ, 4096) >= 0, "%s", g_strerror (errno));
  return fd;
}

static gint
bytes_waiting (int fd)
{
  gint n = 0;

  fail_unless (ioctl (fd, FIONREAD, &n) == 0);
  return n;
}

/* Appends what the reader can take now; TRUE at end of file. */
static gboolean
read_some (int fd, GString * into)
{
  gchar buf[4096];

  for (;;) {
    ssize_t n = read (fd, buf, sizeof (buf));

    if (n > 0)
      g_string_append_len (into, buf, n);
    else if (n == 0)
      return TRUE;
    else if (errno == EAGAIN)
      return FALSE;
    else if (errno != EINTR)
      fail ("read: %s", g_strerror (errno));
  }
}

/* Reads until the writer has closed the FIFO (10 s at most). */
static void
read_to_end (int fd, GString * into)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (!read_some (fd, into)) {
    struct pollfd p = { fd, POLLIN, 0 };

    fail_unless (g_get_monotonic_time () < end, "the writer never closed");
    poll (&p, 1, 100);
  }
}

/* Every line of @text is a whole JSON object with a score; returns how
 * many lines. */
static guint
check_whole_json_lines (const gchar * text)
{
  gchar **lines;
  guint i, n = 0;

  if (!*text)
    return 0;
  fail_unless (g_str_has_suffix (text, "\n"), "cut-off last line: ...%s",
      text + MAX (0, (gssize) strlen (text) - 80));
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && lines[i][0]; i++) {
    JsonParser *p = json_parser_new ();
    JsonNode *root;

    fail_unless (json_parser_load_from_data (p, lines[i], -1, NULL),
        "not a JSON line: %s", lines[i]);
    root = json_parser_get_root (p);
    fail_unless (JSON_NODE_HOLDS_OBJECT (root));
    fail_unless (json_object_has_member (json_node_get_object (root),
            "score"), "%s", lines[i]);
    g_object_unref (p);
    n++;
  }
  /* Nothing after the last newline. */
  fail_unless (lines[i] && !lines[i][0] && !lines[i + 1]);
  g_strfreev (lines);
  return n;
}

static void
wait_frames (Lateness * l, guint n, gint64 seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;

  while (frames_seen (l) < n) {
    fail_unless (g_get_monotonic_time () < end, "only %u of %u frames came",
        frames_seen (l), n);
    g_usleep (10 * 1000);
  }
}

/* Waits until the element has scored @n frames. */
static void
wait_analysed (GstElement * pipe, guint64 n, gint64 seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;

  while (frames_analysed (pipe) < n) {
    fail_unless (g_get_monotonic_time () < end, "only %" G_GUINT64_FORMAT
        " of %" G_GUINT64_FORMAT " frames scored", frames_analysed (pipe), n);
    g_usleep (10 * 1000);
  }
}

static void
remove_fifo (gchar * path, gchar * dir)
{
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

/* ---- FIFO probes ------------------------------------------------------- */

/* Frames late in the same stream written to a regular file: what this
 * machine manages right now (the control of test_fifo_stalled_reader). */
static guint
control_late_frames (void)
{
  Lateness l = { 0 };
  gchar *dir = g_dir_make_tmp ("ilgnet-control-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "scores.jsonl", NULL);
  GstElement *pipe = live_pipeline (path, 300, &l);
  GstMessage *msg;

  g_mutex_init (&l.lock);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
  g_mutex_clear (&l.lock);
  GST_INFO ("control: %u frames, %u late", l.n, l.late);
  return l.late;
}

/* No frame late; or, when some were (a loaded machine, a sanitizer build),
 * no more than the same stream into a regular file manages right now plus
 * 3: the score file adds nothing.  Load comes in bursts, so a control that
 * did better is measured again, up to three times, and the worst counts; a
 * writer that stalled the stream makes most of the 300 frames late, far
 * beyond any of these.  Call once the pipeline is gone. */
static void
no_later_than_control (guint late, const char *what)
{
  guint control = 0;
  int tries;

  if (late == 0)
    return;
  for (tries = 0; tries < 3 && late > control + 3; tries++)
    control = MAX (control, control_late_frames ());
  fail_unless (late <= control + 3, "%u frames late %s, %u without (worst "
      "of %d controls)", late, what, control, tries);
}

/* The end of a FIFO probe: everything it made is released, then its late
 * frames are judged (once this pipeline is gone, so as not to load the
 * machine twice while measuring the control). */
static void
probe_finish (GstElement * pipe, int fd, GString * text, gchar * path,
    gchar * dir, Lateness * l, const char *what)
{
  g_string_free (text, TRUE);
  close (fd);
  gst_object_unref (pipe);
  remove_fifo (path, dir);
  g_mutex_clear (&l->lock);
  no_later_than_control (l->late, what);
}

/* The reader stalls for the whole 10 s stream: no frame is late; once it
 * reads again, it gets every score, in whole lines.  Only if some frames
 * were late (a loaded machine, a sanitizer build), the same stream into a
 * regular file must have been about as late: the stall adds nothing. */
GST_START_TEST (test_fifo_stalled_reader)
{
  Lateness l = { 0 };
  gchar *dir, *path = make_fifo (&dir);
  int fd = open_stalled_reader (path);
  GstElement *pipe = live_pipeline (path, 300, &l);
  GString *text = g_string_new (NULL);
  GstMessage *msg = NULL;
  guint64 analysed;
  guint n_lines;

  g_mutex_init (&l.lock);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  wait_frames (&l, 300, 40);
  /* The stall was real: the pipe is full, the writer blocked on it. */
  fail_unless (bytes_waiting (fd) > 3000, "only %d bytes waiting",
      bytes_waiting (fd));
  analysed = frames_analysed (pipe);
  fail_unless (analysed > 30, "only %" G_GUINT64_FORMAT " scored", analysed);
  GST_INFO ("%u frames, %u late (worst %" GST_STIME_FORMAT "), %"
      G_GUINT64_FORMAT " scored", l.n, l.late, GST_STIME_ARGS (l.worst),
      analysed);
  /* The reader resumes: EOS comes once every score is written. */
  while (!msg) {
    read_some (fd, text);
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe),
        20 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
        GST_MESSAGE_WARNING);
  }
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  read_to_end (fd, text);
  n_lines = check_whole_json_lines (text->str);
  fail_unless_equals_uint64 (n_lines, frames_analysed (pipe));

  probe_finish (pipe, fd, text, path, dir, &l, "with the stalled reader");
}

GST_END_TEST;

/* No reader at all: PLAYING at once, frames flow; a reader that comes
 * later gets every score. */
GST_START_TEST (test_fifo_no_reader)
{
  Lateness l = { 0 };
  gchar *dir, *path = make_fifo (&dir);
  GstElement *pipe = live_pipeline (path, -1, &l);
  GString *text = g_string_new (NULL);
  GstStateChangeReturn ret;
  gint64 t0, t_playing;
  int fd;

  g_mutex_init (&l.lock);
  t0 = g_get_monotonic_time ();
  ret = gst_element_set_state (pipe, GST_STATE_PLAYING);
  if (ret == GST_STATE_CHANGE_ASYNC)
    ret = gst_element_get_state (pipe, NULL, NULL, 5 * GST_SECOND);
  t_playing = g_get_monotonic_time () - t0;
  GST_INFO ("PLAYING in %.3f s with no reader", t_playing / 1e6);
  fail_unless (ret == GST_STATE_CHANGE_SUCCESS ||
      ret == GST_STATE_CHANGE_NO_PREROLL, "%s",
      gst_element_state_change_return_get_name (ret));
  /* A writer blocked on the FIFO would never return: any finite bound
   * shows it did not, and 2 s leaves a loaded sanitizer build room for
   * the model's load and check run. */
  fail_unless (t_playing < 2 * G_TIME_SPAN_SECOND,
      "PLAYING took %.3f s", t_playing / 1e6);
  wait_frames (&l, 30, 10);

  /* The reader comes: the writer opens the FIFO and writes the backlog. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  fail_unless (fd >= 0);
  wait_frames (&l, 45, 10);
  gst_element_set_state (pipe, GST_STATE_NULL);
  read_to_end (fd, text);
  fail_unless_equals_uint64 (check_whole_json_lines (text->str),
      frames_analysed (pipe));

  probe_finish (pipe, fd, text, path, dir, &l, "with no reader at first");
}

GST_END_TEST;

/* Warnings as they are posted: the pipeline's bus drops what is queued when
 * it goes to NULL. */
static GstBusSyncReply
keep_warnings (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  GList **list = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
    *list = g_list_append (*list, gst_message_ref (msg));
  return GST_BUS_PASS;
}

/* The reader stalls and the application stops: NULL within a second, a
 * warning counts the scores not written, the reader has whole lines, and
 * the two add up to every score. */
GST_START_TEST (test_fifo_stalled_stop)
{
  Lateness l = { 0 };
  gchar *dir, *path = make_fifo (&dir);
  int fd = open_stalled_reader (path);
  GstElement *pipe = live_pipeline (path, -1, &l);
  GString *text = g_string_new (NULL);
  GList *warnings = NULL;
  GstMessage *msg;
  GError *err = NULL;
  gint64 t0, t_null;
  guint64 lost = 0;
  const gchar *p;

  g_mutex_init (&l.lock);
  gst_bus_set_sync_handler (GST_ELEMENT_BUS (pipe), keep_warnings, &warnings,
      NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  wait_frames (&l, 60, 20);
  /* 60 scores are more than a 4 KiB pipe holds, so some are still queued
   * when the application stops, however fast or slow the scorer ran. */
  wait_analysed (pipe, 60, 60);
  fail_unless (bytes_waiting (fd) > 3000);

  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  t_null = g_get_monotonic_time () - t0;
  GST_INFO ("NULL in %.3f s with a stalled reader", t_null / 1e6);
  /* 0.7 s of it are the score file's own waits; a blocked write would
   * never return. */
  fail_unless (t_null < 2 * G_TIME_SPAN_SECOND, "NULL took %.3f s",
      t_null / 1e6);

  fail_unless (warnings != NULL, "no warning about the scores not written");
  fail_unless_equals_int (g_list_length (warnings), 1);
  msg = warnings->data;
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, path) != NULL, "%s", err->message);
  p = strstr (err->message, "\": ");
  fail_unless (p && sscanf (p, "\": %" G_GUINT64_FORMAT " score",
          &lost) == 1, "%s", err->message);
  fail_unless (lost > 0);
  g_clear_error (&err);
  g_list_free_full (warnings, (GDestroyNotify) gst_message_unref);

  read_to_end (fd, text);
  fail_unless_equals_uint64 (check_whole_json_lines (text->str) + lost,
      frames_analysed (pipe));

  probe_finish (pipe, fd, text, path, dir, &l,
      "with a stalled reader at NULL");
}

GST_END_TEST;

/* ---- write failures ---------------------------------------------------- */

static const gchar *formats[] = { "jsonl", "csv", "webvtt" };

/* Runs 150 frames into @location in @format and returns the error the
 * element posted (NULL if none: the test fails). */
static GError *
run_to_error (const gchar * location, const gchar * format)
{
  gchar *line = g_strdup_printf ("videotestsrc num-buffers=150 ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! ilgnet name=i model=%s "
      "threads=1 mode=sync interval=0 format=%s location=%s ! fakesink",
      tiny_model, format, location);
  GstElement *pipe = gst_parse_launch (line, NULL);
  GstMessage *msg;
  GError *err = NULL;

  g_free (line);
  fail_unless (pipe != NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: timed out", format);
  fail_unless_equals_string (GST_MESSAGE_TYPE_NAME (msg), "error");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless_equals_string (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
      "i");
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return err;
}

/* NO_SPACE_LEFT, naming the file and what was lost: the scores queued,
 * or, when even the header could not be written, that none will be. */
static void
check_no_space_error (GError * err, const gchar * location,
    const gchar * format, gboolean at_header)
{
  guint64 lost = 0;
  const gchar *p = strstr (err->message, "; ");

  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT), "%s", err->message);
  fail_unless (strstr (err->message, location) != NULL, "%s", err->message);
  if (at_header && strcmp (format, "jsonl") != 0)
    fail_unless (p && !strcmp (p, "; no scores will be written"), "%s",
        err->message);
  else
    fail_unless (p && sscanf (p, "; %" G_GUINT64_FORMAT " score",
            &lost) == 1 && lost >= 1, "%s", err->message);
  fail_unless (strchr (err->message, '\n') == NULL);
}

/* The file, if any, holds whole records of @format only. */
static void
check_whole_records (const gchar * path, const gchar * format)
{
  gchar *text = NULL, **lines;
  gsize len;
  guint i;

  fail_unless (g_file_get_contents (path, &text, &len, NULL));
  if (len == 0) {
    g_free (text);
    return;
  }
  fail_unless (text[len - 1] == '\n', "%s: cut-off last record", format);
  if (!strcmp (format, "jsonl")) {
    fail_unless (check_whole_json_lines (text) > 0);
  } else if (!strcmp (format, "csv")) {
    lines = g_strsplit (text, "\n", -1);
    fail_unless (g_str_has_prefix (lines[0], "frame,"));
    /* 17 columns: the model name is quoted and has no comma here. */
    for (i = 0; lines[i] && lines[i][0]; i++) {
      gchar **cols = g_strsplit (lines[i], ",", -1);

      fail_unless_equals_int (g_strv_length (cols), 17);
      g_strfreev (cols);
    }
    g_strfreev (lines);
  } else {
    /* A cue ends with its "score" line (no crop here). */
    fail_unless (g_str_has_prefix (text, "WEBVTT\n"));
    lines = g_strsplit (text, "\n", -1);
    i = g_strv_length (lines);
    if (i > 2)
      fail_unless (g_str_has_prefix (lines[i - 2], "score "), "%s",
          lines[i - 2]);
    g_strfreev (lines);
  }
  g_free (text);
}

GST_START_TEST (test_dev_full)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GError *err = run_to_error ("/dev/full", formats[i]);

    GST_INFO ("%s: %s", formats[i], err->message);
    check_no_space_error (err, "/dev/full", formats[i], TRUE);
    g_error_free (err);
  }
}

GST_END_TEST;

/* run_to_error() under a file size limit of @limit bytes, in a child
 * process: the limit applies to every file the process writes, check's own
 * among them.  SIGXFSZ is ignored there, as any program setting the limit
 * would; write() then fails with EFBIG. */
static GError *
run_to_error_limited (const gchar * location, const gchar * format,
    rlim_t limit)
{
  int p[2];
  pid_t pid;
  gchar buf[1024];
  gssize n, len = 0;
  gint status, code;
  gchar *sep;

  fail_unless (pipe (p) == 0);
  pid = fork ();
  fail_unless (pid >= 0);
  if (pid == 0) {
    struct rlimit lim;
    GstElement *pl = launch_printf ("videotestsrc num-buffers=150 ! "
        "video/x-raw,width=64,height=48,framerate=30/1 ! ilgnet name=i "
        "model=%s threads=1 mode=sync interval=0 format=%s location=%s ! "
        "fakesink", tiny_model, format, location);
    GstMessage *msg;
    GError *err = NULL;
    gchar *out;

    signal (SIGXFSZ, SIG_IGN);
    getrlimit (RLIMIT_FSIZE, &lim);
    lim.rlim_cur = limit;
    setrlimit (RLIMIT_FSIZE, &lim);
    gst_element_set_state (pl, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pl), 30 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &err, NULL);
      out = g_strdup_printf ("%s %d\n%s",
          g_quark_to_string (err->domain), err->code, err->message);
    } else {
      out = g_strdup_printf ("none 0\n%s", msg ? "EOS" : "timed out");
    }
    if (write (p[1], out, strlen (out)) < 0)
      _exit (2);
    gst_element_set_state (pl, GST_STATE_NULL);
    _exit (0);
  }
  close (p[1]);
  while ((n = read (p[0], buf + len, sizeof (buf) - 1 - len)) > 0)
    len += n;
  close (p[0]);
  buf[len] = '\0';
  fail_unless (waitpid (pid, &status, 0) == pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "the child failed: %s", buf);
  sep = strchr (buf, '\n');
  fail_unless (sep != NULL, "%s", buf);
  *sep = '\0';
  fail_unless (g_str_has_prefix (buf, "gst-resource-error-quark "),
      "%s: no resource error: %s", format, sep + 1);
  code = atoi (buf + strlen ("gst-resource-error-quark "));
  return g_error_new_literal (GST_RESOURCE_ERROR, code, sep + 1);
}

/* A disk that fills mid-stream, as a file size limit: the write that
 * crosses it is short, the next fails. */
GST_START_TEST (test_file_size_limit)
{
  gchar *dir = g_dir_make_tmp ("ilgnet-full-XXXXXX", NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    gchar *path = g_build_filename (dir, formats[i], NULL);
    /* Not a multiple of any record's size. */
    GError *err = run_to_error_limited (path, formats[i], 1999);

    GST_INFO ("%s: %s", formats[i], err->message);
    check_no_space_error (err, path, formats[i], FALSE);
    check_whole_records (path, formats[i]);
    g_error_free (err);
    g_unlink (path);
    g_free (path);
  }
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

/* A real file system that fills: a 16 KiB tmpfs, when this process may
 * mount one (root); skipped otherwise. */
GST_START_TEST (test_full_tmpfs)
{
  gchar *dir = g_dir_make_tmp ("ilgnet-tmpfs-XXXXXX", NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    gchar *path = g_build_filename (dir, formats[i], NULL);
    gchar *filler = g_build_filename (dir, "filler", NULL);
    gchar *junk;
    GError *err;

    if (mount ("tmpfs", dir, "tmpfs", 0, "size=16k") != 0) {
      GST_INFO ("cannot mount a tmpfs (%s): skipped", g_strerror (errno));
      g_free (path);
      g_free (filler);
      break;
    }
    /* Most of it taken (tmpfs counts whole pages), so that the scores
     * fill the rest, one page. */
    junk = g_malloc0 (12000);
    fail_unless (g_file_set_contents (filler, junk, 12000, NULL));
    g_free (junk);
    err = run_to_error (path, formats[i]);
    GST_INFO ("%s: %s", formats[i], err->message);
    check_no_space_error (err, path, formats[i], FALSE);
    check_whole_records (path, formats[i]);
    g_error_free (err);
    fail_unless (umount (dir) == 0, "%s", g_strerror (errno));
    g_free (path);
    g_free (filler);
  }
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
score_file_suite (void)
{
  Suite *s;
  TCase *fifo, *failures;

  tiny_model = g_getenv ("ILGNET_TEST_TINY");
  if (!tiny_model)
    g_error ("ILGNET_TEST_TINY not set: run through meson test");
  s = suite_create ("ilgnet-score-file");
  /* By concern: a reader that stalls or never comes (CK_RUN_CASE=fifo),
   * and writes that fail (CK_RUN_CASE=write-failures). */
  fifo = tcase_create ("fifo");
  failures = tcase_create ("write-failures");
  tcase_set_timeout (fifo, 60);
  tcase_add_test (fifo, test_fifo_stalled_reader);
  tcase_add_test (fifo, test_fifo_no_reader);
  tcase_add_test (fifo, test_fifo_stalled_stop);
  suite_add_tcase (s, fifo);
  tcase_set_timeout (failures, 60);
  tcase_add_test (failures, test_dev_full);
  tcase_add_test (failures, test_file_size_limit);
  tcase_add_test (failures, test_full_tmpfs);
  suite_add_tcase (s, failures);
  return s;
}

GST_CHECK_MAIN (score_file);
