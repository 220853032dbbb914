/* read-meta URI INTERVAL_NS: scores URI with the ilgnet element and prints,
 * for each analysed frame, the GstIlgnetMeta as read in C in a pad probe:
 * "frame pts score x y width height model", score with %.9g (exact for a
 * float).  The reference the Python pad probe is compared with
 * (test_python.py). */
#include <stdio.h>
#include <stdlib.h>
#include <gst/gst.h>
#include <gst/ilgnet/gstilgnetmeta.h>

static GstPadProbeReturn
probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint64 *last = user_data;
  GstIlgnetMeta *m = gst_buffer_get_ilgnet_meta (GST_PAD_PROBE_INFO_BUFFER
      (info));

  /* A result may ride on later buffers too: print each one once. */
  if (m && m->frame != *last) {
    *last = m->frame;
    printf ("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %.9g %d %d %d %d "
        "%s\n", m->frame, m->pts, m->score, m->x, m->y, m->width, m->height,
        m->model ? m->model : "");
  }
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  GstElement *pipeline, *ilgnet;
  GstPad *pad;
  GstMessage *msg;
  GError *err = NULL;
  guint64 last = G_MAXUINT64;
  gchar *desc;
  int status = 0;

  gst_init (&argc, &argv);
  if (argc != 3) {
    fprintf (stderr, "usage: read-meta URI INTERVAL_NS\n");
    return 2;
  }
  desc = g_strdup_printf ("uridecodebin uri=\"%s\" caps=video/x-raw "
      "expose-all-streams=false ! videoconvert ! ilgnet name=ilgnet mode=sync "
      "interval=%s ! fakesink", argv[1], argv[2]);
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (!pipeline) {
    fprintf (stderr, "read-meta: %s\n", err->message);
    return 1;
  }
  ilgnet = gst_bin_get_by_name (GST_BIN (pipeline), "ilgnet");
  pad = gst_element_get_static_pad (ilgnet, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe, &last, NULL);
  gst_object_unref (pad);
  gst_object_unref (ilgnet);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    fprintf (stderr, "read-meta: %s\n", err->message);
    g_clear_error (&err);
    status = 1;
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return status;
}
