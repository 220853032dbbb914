/* ilgnet-soak: a soak benchmark (not a test).
 *
 *   ilgnet-soak [--duration S] [--period S] [--model M] [--location FILE]
 *
 * A live 30 fps source through
 *   ilgnet crop=multi overlay=crop location=FILE ! videoconvert
 *   ! fakesink sync=true
 * for --duration seconds (default 1200), with a disruption every --period
 * seconds (default 3), in turn: a caps change (640x360 <-> 480x270), a
 * flush seek, a state cycle (PLAYING -> READY -> PLAYING, which restarts
 * the element and reopens its score file) and a PAUSED round trip.
 *
 * Every 10 s it prints the process's RSS, the bytes malloc has handed out
 * and not had back (mallinfo2: a leak grows it; RSS alone also grows when
 * glibc's arenas keep freed memory, which is not a leak), threads and open
 * fds, and the
 * frames rendered and late (reaching the sink more than 100 ms after their
 * running time; frames within 1 s of a disruption are counted apart, since
 * a state change restarts the clock's base).  At the end it compares the
 * series after warm-up (the first minute): resources should stay flat. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#define LATE (100 * GST_MSECOND)
#define GRACE_US (1 * G_TIME_SPAN_SECOND)
#define SAMPLE_S 10
#define WARMUP_S 60

typedef struct
{
  GstElement *pipe, *caps, *ilgnet;
  GMainLoop *loop;
  GMutex lock;
  guint64 rendered, late, late_grace;
  gint64 last_disruption;       /* monotonic, us */
  gint64 start;
  guint action;
  gboolean small;
  GArray *rss, *heap, *threads, *fds;  /* samples after warm-up */
} Soak;

static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Soak *s = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstElement *sink = GST_ELEMENT (GST_PAD_PARENT (pad));
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  GstClock *clock = gst_element_get_clock (sink);

  if (ev && clock) {
    const GstSegment *seg;
    GstClockTime rt, now;

    gst_event_parse_segment (ev, &seg);
    rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    now = gst_clock_get_time (clock) - gst_element_get_base_time (sink);
    g_mutex_lock (&s->lock);
    s->rendered++;
    if (GST_CLOCK_TIME_IS_VALID (rt) && GST_CLOCK_DIFF (rt, now) >
        (GstClockTimeDiff) LATE) {
      if (g_get_monotonic_time () - s->last_disruption < GRACE_US)
        s->late_grace++;
      else
        s->late++;
    }
    g_mutex_unlock (&s->lock);
  }
  if (clock)
    gst_object_unref (clock);
  if (ev)
    gst_event_unref (ev);
  return GST_PAD_PROBE_OK;
}

static guint
count_dir (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  guint n = 0;

  if (!d)
    return 0;
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  return n;
}

static guint64
rss_kb (void)
{
  gchar *text = NULL, *p;
  guint64 kb = 0;

  if (g_file_get_contents ("/proc/self/status", &text, NULL, NULL)
      && (p = strstr (text, "VmRSS:")))
    kb = g_ascii_strtoull (p + 6, NULL, 10);
  g_free (text);
  return kb;
}

/* Bytes in use by the program, from every arena and mmapped chunk. */
static guint64
heap_kb (void)
{
  struct mallinfo2 mi = mallinfo2 ();

  return (mi.uordblks + mi.hblkhd) / 1024;
}

static void
disrupt (Soak * s)
{
  g_mutex_lock (&s->lock);
  s->last_disruption = g_get_monotonic_time ();
  g_mutex_unlock (&s->lock);
}

static gboolean
on_period (gpointer data)
{
  Soak *s = data;
  gint64 pos = 0;

  disrupt (s);
  switch (s->action++ % 4) {
    case 0:{
      GstCaps *caps;

      s->small = !s->small;
      caps = gst_caps_from_string (s->small ?
          "video/x-raw,width=480,height=270,framerate=30/1" :
          "video/x-raw,width=640,height=360,framerate=30/1");
      g_object_set (s->caps, "caps", caps, NULL);
      gst_caps_unref (caps);
      break;
    }
    case 1:
      gst_element_query_position (s->pipe, GST_FORMAT_TIME, &pos);
      gst_element_seek_simple (s->pipe, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, pos);
      break;
    case 2:
      gst_element_set_state (s->pipe, GST_STATE_READY);
      gst_element_set_state (s->pipe, GST_STATE_PLAYING);
      break;
    case 3:
      gst_element_set_state (s->pipe, GST_STATE_PAUSED);
      gst_element_set_state (s->pipe, GST_STATE_PLAYING);
      break;
  }
  disrupt (s);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sample (gpointer data)
{
  Soak *s = data;
  gint64 t = (g_get_monotonic_time () - s->start) / G_TIME_SPAN_SECOND;
  guint64 rss = rss_kb (), heap = heap_kb (), rendered, late, late_grace, analysed = 0;
  guint threads = count_dir ("/proc/self/task"), fds = count_dir
      ("/proc/self/fd");

  g_object_get (s->ilgnet, "frames-analysed", &analysed, NULL);
  g_mutex_lock (&s->lock);
  rendered = s->rendered;
  late = s->late;
  late_grace = s->late_grace;
  g_mutex_unlock (&s->lock);
  g_print ("%6" G_GINT64_FORMAT " s  rss %7" G_GUINT64_FORMAT " kB  heap %7"
      G_GUINT64_FORMAT " kB  threads "
      "%3u  fds %3u  rendered %7" G_GUINT64_FORMAT "  late %4" G_GUINT64_FORMAT
      " (+%" G_GUINT64_FORMAT " within 1 s of a disruption)  scored %"
      G_GUINT64_FORMAT " since the last restart\n", t, rss, heap, threads, fds,
      rendered, late, late_grace, analysed);
  if (t >= WARMUP_S) {
    g_array_append_val (s->rss, rss);
    g_array_append_val (s->heap, heap);
    g_array_append_val (s->threads, threads);
    g_array_append_val (s->fds, fds);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  Soak *s = data;
  GError *err = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error from %s: %s\n", GST_OBJECT_NAME (msg->src),
        err->message);
    g_clear_error (&err);
    g_main_loop_quit (s->loop);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    gst_message_parse_warning (msg, &err, NULL);
    g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
        err->message);
    g_clear_error (&err);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_end (gpointer data)
{
  g_main_loop_quit (((Soak *) data)->loop);
  return G_SOURCE_REMOVE;
}

/* First and last thirds of the series after warm-up. */
/* Mean and peak of the first and last third: the samples swing with the
 * state cycles (a restarted element frees its session), so a leak shows as
 * a peak that keeps rising. */
static void
report (const char *what, GArray * a, gboolean u64)
{
  guint n = a->len, k = MAX (n / 3, 1), i;
  double first = 0, last = 0, first_max = 0, last_max = 0;

  if (n < 2) {
    g_print ("%s: too few samples after warm-up\n", what);
    return;
  }
  for (i = 0; i < k; i++) {
    double f = u64 ? g_array_index (a, guint64, i) : g_array_index (a, guint, i);
    double l = u64 ? g_array_index (a, guint64, n - 1 - i) :
        g_array_index (a, guint, n - 1 - i);
    first += f;
    last += l;
    first_max = MAX (first_max, f);
    last_max = MAX (last_max, l);
  }
  g_print ("%s: %.1f in the first third after warm-up, %.1f in the last "
      "(%+.1f); peaks %.0f and %.0f\n", what, first / k, last / k,
      (last - first) / k, first_max, last_max);
}

int
main (int argc, char **argv)
{
  gint duration = 1200, period = 3;
  gchar *model = NULL, *location = NULL, *line;
  GOptionEntry entries[] = {
    {"duration", 0, 0, G_OPTION_ARG_INT, &duration, "Seconds (1200)", "S"},
    {"period", 0, 0, G_OPTION_ARG_INT, &period,
        "Seconds between disruptions (3)", "S"},
    {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Model file", "M"},
    {"location", 0, 0, G_OPTION_ARG_FILENAME, &location,
        "Score file (default: a temporary file)", "FILE"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- soak the ilgnet element");
  GError *err = NULL;
  GstElement *sink;
  GstPad *pad;
  Soak s = { 0 };
  gchar *dir = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("ilgnet-soak: %s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (!location) {
    dir = g_dir_make_tmp ("ilgnet-soak-XXXXXX", NULL);
    location = g_build_filename (dir, "scores.jsonl", NULL);
  }
  line = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "capsfilter name=caps caps=video/x-raw,width=640,height=360,"
      "framerate=30/1 ! ilgnet name=i crop=multi overlay=crop location=%s "
      "%s%s ! videoconvert ! fakesink name=sink sync=true", location,
      model ? "model=" : "", model ? model : "");
  s.pipe = gst_parse_launch (line, &err);
  g_free (line);
  if (!s.pipe) {
    g_printerr ("ilgnet-soak: %s\n", err->message);
    return 1;
  }
  g_mutex_init (&s.lock);
  s.caps = gst_bin_get_by_name (GST_BIN (s.pipe), "caps");
  s.ilgnet = gst_bin_get_by_name (GST_BIN (s.pipe), "i");
  sink = gst_bin_get_by_name (GST_BIN (s.pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &s, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  s.rss = g_array_new (FALSE, FALSE, sizeof (guint64));
  s.heap = g_array_new (FALSE, FALSE, sizeof (guint64));
  s.threads = g_array_new (FALSE, FALSE, sizeof (guint));
  s.fds = g_array_new (FALSE, FALSE, sizeof (guint));
  s.loop = g_main_loop_new (NULL, FALSE);
  gst_bus_add_watch (GST_ELEMENT_BUS (s.pipe), on_bus, &s);

  g_print ("soak: %d s, a disruption every %d s, scores to %s\n", duration,
      period, location);
  s.start = g_get_monotonic_time ();
  if (gst_element_set_state (s.pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("ilgnet-soak: the pipeline does not start (see the error "
        "above, or set --model / $ILGNET_MODEL)\n");
    return 1;
  }
  g_timeout_add_seconds (period, on_period, &s);
  g_timeout_add_seconds (SAMPLE_S, on_sample, &s);
  g_timeout_add_seconds (duration, on_end, &s);
  g_main_loop_run (s.loop);
  on_sample (&s);
  gst_element_set_state (s.pipe, GST_STATE_NULL);

  report ("RSS (kB)", s.rss, TRUE);
  report ("heap in use (kB)", s.heap, TRUE);
  report ("threads", s.threads, FALSE);
  report ("fds", s.fds, FALSE);
  g_print ("frames: %" G_GUINT64_FORMAT " rendered, %" G_GUINT64_FORMAT
      " late outside the 1 s after a disruption, %" G_GUINT64_FORMAT
      " within\n", s.rendered, s.late, s.late_grace);

  gst_bus_remove_watch (GST_ELEMENT_BUS (s.pipe));
  gst_object_unref (s.caps);
  gst_object_unref (s.ilgnet);
  gst_object_unref (s.pipe);
  if (dir) {
    g_unlink (location);
    g_rmdir (dir);
  }
  return 0;
}
