/* Not stalling: a live 1080p stream through ilgnet with a model far slower
 * than the frame rate.
 *
 * The same live pipeline runs three times, at 30 fps, into a
 * synchronised fakesink that drops frames arriving late: with `identity`
 * (the control: what this machine manages right now), with ilgnet in
 * mode=async, and with ilgnet in mode=sync (the negative control: a model
 * on the streaming thread).  async must render as many frames on time as
 * the control; sync must visibly not.  Counting frames per running time
 * against a control, rather than timing, keeps the test stable on a loaded
 * machine.
 *
 * usage: test-ilgnet-live SLOW_MODEL
 */
#include <stdlib.h>
#include <gst/gst.h>

#define N_FRAMES 90
/* sync mode scores every frame on the streaming thread: fewer suffice. */
#define N_FRAMES_SYNC 20

typedef struct
{
  guint64 rendered, late;       /* by the sink */
  guint64 analysed, dropped;    /* by ilgnet */
} Outcome;

static gboolean
run (const gchar * element, guint n_frames, Outcome * out)
{
  GstElement *pipe, *sink, *ilgnet;
  GstStructure *stats = NULL;
  GstMessage *msg;
  GError *err = NULL;
  gchar *line;
  gboolean ok;

  line = g_strdup_printf ("videotestsrc is-live=true num-buffers=%d ! "
      "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! %s ! "
      "fakesink name=sink sync=true qos=true max-lateness=20000000",
      n_frames, element);
  pipe = gst_parse_launch (line, &err);
  g_free (line);
  if (!pipe) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  ilgnet = gst_bin_get_by_name (GST_BIN (pipe), "i");

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg && !ok) {
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    g_clear_error (&err);
  } else if (!msg) {
    g_printerr ("no EOS within 60 s\n");
  }
  g_clear_pointer (&msg, gst_message_unref);

  g_object_get (sink, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "rendered", &out->rendered);
  gst_structure_get_uint64 (stats, "dropped", &out->late);
  gst_structure_free (stats);
  out->analysed = out->dropped = 0;
  if (ilgnet) {
    g_object_get (ilgnet, "frames-analysed", &out->analysed,
        "frames-dropped", &out->dropped, NULL);
    gst_object_unref (ilgnet);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_print ("%-60.60s rendered %3" G_GUINT64_FORMAT " late %3" G_GUINT64_FORMAT
      " analysed %3" G_GUINT64_FORMAT " dropped %3" G_GUINT64_FORMAT "\n",
      element, out->rendered, out->late, out->analysed, out->dropped);
  return ok;
}

int
main (int argc, char **argv)
{
  Outcome control, async, sync;
  guint64 control_min;
  guint i;
  gchar *async_desc, *sync_desc;
  int failures = 0;

  gst_init (&argc, &argv);
  if (argc != 2) {
    g_printerr ("usage: %s SLOW_MODEL\n", argv[0]);
    return 2;
  }
  async_desc = g_strdup_printf ("ilgnet name=i model=\"%s\" threads=1 "
      "interval=0 mode=async", argv[1]);
  sync_desc = g_strdup_printf ("ilgnet name=i model=\"%s\" threads=1 "
      "interval=0 mode=sync", argv[1]);

  if (!run ("identity", N_FRAMES, &control)
      || !run (async_desc, N_FRAMES, &async)
      || !run (sync_desc, N_FRAMES_SYNC, &sync))
    return 1;

  /* The model is slower than the stream... */
  if (async.dropped == 0 || async.analysed < 2) {
    g_printerr ("FAIL: the slow model kept up (analysed %" G_GUINT64_FORMAT
        ", dropped %" G_GUINT64_FORMAT "): the test proves nothing\n",
        async.analysed, async.dropped);
    failures++;
  }
  /* ...yet async delivers as many frames on time as the bare pipeline.  A
   * burst of load in the async run alone must not fail it: when it falls
   * short, the control runs again (3 times at most) and the worst counts. */
  control_min = control.rendered;
  for (i = 0; i < 3 && async.rendered + 3 < control_min * 95 / 100; i++) {
    Outcome again;

    if (!run ("identity", N_FRAMES, &again))
      return 1;
    control_min = MIN (control_min, again.rendered);
  }
  if (async.rendered + 3 < control_min * 95 / 100) {
    g_printerr ("FAIL: async rendered %" G_GUINT64_FORMAT " frames on time, "
        "the control %" G_GUINT64_FORMAT "\n", async.rendered, control_min);
    failures++;
  }
  /* The negative control: scoring on the streaming thread does stall. */
  if (sync.rendered * N_FRAMES > control.rendered * N_FRAMES_SYNC / 2) {
    g_printerr ("FAIL: sync mode rendered %" G_GUINT64_FORMAT " of %d "
        "frames on time: this test could not tell a stall\n", sync.rendered,
        N_FRAMES_SYNC);
    failures++;
  }
  if (control.rendered < N_FRAMES / 2)
    g_print ("note: the machine is very loaded (control rendered %"
        G_GUINT64_FORMAT ")\n", control.rendered);

  g_free (async_desc);
  g_free (sync_desc);
  g_print ("%s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
