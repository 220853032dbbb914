/* ilgnet-thumbs: the second pass.  Frames kept from the analysis pass are
 * only encoded; the others are sought: each costs a decode from the
 * previous keyframe, far cheaper than keeping a full-resolution copy of
 * every candidate (the analysis keeps only the best-scoring few). */
#include "thumbs-grab.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

static void
on_pad_added (GstElement * dec, GstPad * pad, GstElement * convert)
{
  GstPad *sink = gst_element_get_static_pad (convert, "sink");
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (caps && g_str_has_prefix (gst_structure_get_name
          (gst_caps_get_structure (caps, 0)), "video/")
      && !gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
  if (caps)
    gst_caps_unref (caps);
  gst_object_unref (sink);
}

static gboolean
bus_error (GstElement * pipe, const char *uri, GError ** error)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  if (m)
    gst_message_parse_error (m, &err, NULL);
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "cannot decode %s for the thumbnails: %s", uri,
      err ? err->message : "no frame");
  g_clear_error (&err);
  if (m)
    gst_message_unref (m);
  gst_object_unref (bus);
  return FALSE;
}

static gboolean
write_sample (GstSample * sample, const char *path, GError ** error)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstMapInfo map;
  gboolean ok = FALSE;
  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    ok = g_file_set_contents (path, (const char *) map.data, map.size, error);
    gst_buffer_unmap (buf, &map);
  }
  return ok;
}

static GstClockTime
sample_time (GstSample * sample)
{
  GstClockTime pts = GST_BUFFER_PTS (gst_sample_get_buffer (sample));
  const GstSegment *seg = gst_sample_get_segment (sample);
  GstClockTime t = seg && seg->format == GST_FORMAT_TIME ?
      gst_segment_to_stream_time (seg, GST_FORMAT_TIME, pts) :
      GST_CLOCK_TIME_NONE;
  return GST_CLOCK_TIME_IS_VALID (t) ? t : pts;
}

/* For inputs that cannot seek (a still image, some streams): decode from
 * the start and keep the frames asked for. */
static gboolean
grab_linear (GstElement * pipe, GstElement * sink, const char *uri,
    const GstClockTime * pts, const char *const *paths, int n,
    GstClockTime * got, gboolean * done, GError ** error)
{
  int left = 0;
  gboolean ok = TRUE;

  for (int i = 0; i < n; i++)
    left += !done[i];

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (ok && left > 0) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        30 * GST_SECOND);
    if (!sample)
      break;
    GstClockTime t = sample_time (sample);
    for (int i = 0; ok && i < n; i++)
      if (!done[i] && (!GST_CLOCK_TIME_IS_VALID (t)
              || t + GST_MSECOND >= pts[i])) {
        ok = write_sample (sample, paths[i], error);
        if (got)
          got[i] = t;
        done[i] = TRUE;
        left--;
      }
    gst_sample_unref (sample);
  }
  if (ok && left > 0)
    ok = bus_error (pipe, uri, error);
  return ok;
}

/* Encodes the kept frames: appsrc ! videoconvert ! jpegenc ! appsink.
 * Marks those written in @done. */
static gboolean
encode_kept (GstSample * const *kept, const char *const *paths, int n,
    int quality, GstClockTime * got, gboolean * done, GError ** error)
{
  GError *err = NULL;
  gboolean ok = TRUE;
  GstElement *pipe = gst_parse_launch ("appsrc name=src format=time "
      "! videoconvert ! jpegenc name=enc ! appsink name=sink sync=false",
      &err);

  if (!pipe) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "cannot make the thumbnail pipeline: %s", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (enc, "quality", quality, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (int i = 0; ok && i < n; i++) {
    if (!kept[i])
      continue;
    GstBuffer *buf = gst_sample_get_buffer (kept[i]);
    gst_app_src_set_caps (GST_APP_SRC (src), gst_sample_get_caps (kept[i]));
    gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_ref (buf));
    GstSample *jpeg = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        30 * GST_SECOND);
    if (!jpeg) {
      ok = bus_error (pipe, "a kept frame", error);
      break;
    }
    ok = write_sample (jpeg, paths[i], error);
    gst_sample_unref (jpeg);
    if (got)
      got[i] = sample_time (kept[i]);
    done[i] = ok;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (enc);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return ok;
}

gboolean
ilgnet_thumbs_grab (const char *uri, const GstClockTime * pts,
    GstSample * const *kept, const char *const *paths, int n, int quality,
    GstClockTime * got, GError ** error)
{
  GError *err = NULL;
  gboolean ok = TRUE;
  gboolean *done = g_new0 (gboolean, MAX (n, 1));
  int left = n;

  if (kept) {
    ok = encode_kept (kept, paths, n, quality, got, done, error);
    for (int i = 0; i < n; i++)
      left -= done[i];
  }
  if (!ok || left == 0) {
    g_free (done);
    return ok;
  }

  GstElement *pipe = gst_parse_launch ("uridecodebin name=dec "
      "expose-all-streams=false "
      "videoconvert name=convert ! jpegenc name=enc ! appsink name=sink "
      "sync=false", &err);

  if (!pipe) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "cannot make the thumbnail pipeline: %s", err->message);
    g_clear_error (&err);
    g_free (done);
    return FALSE;
  }
  GstElement *dec = gst_bin_get_by_name (GST_BIN (pipe), "dec");
  GstElement *convert = gst_bin_get_by_name (GST_BIN (pipe), "convert");
  GstElement *enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstCaps *vcaps = gst_caps_from_string ("video/x-raw(ANY)");
  g_object_set (dec, "uri", uri, "caps", vcaps, NULL);
  gst_caps_unref (vcaps);
  g_object_set (enc, "quality", quality, NULL);
  g_signal_connect (dec, "pad-added", G_CALLBACK (on_pad_added), convert);

  if (gst_element_set_state (pipe, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE
      || gst_element_get_state (pipe, NULL, NULL, 30 * GST_SECOND) !=
      GST_STATE_CHANGE_SUCCESS)
    ok = bus_error (pipe, uri, error);

  gboolean first = TRUE;
  for (int i = 0; ok && i < n; i++) {
    if (done[i])
      continue;
    gboolean was_first = first;
    first = FALSE;
    if (!gst_element_seek_simple (pipe, GST_FORMAT_TIME,
            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, pts[i])) {
      if (was_first) {
        ok = grab_linear (pipe, sink, uri, pts, paths, n, got, done, error);
        break;
      }
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          "cannot seek in %s to write the thumbnails", uri);
      ok = FALSE;
      break;
    }
    GstSample *sample = gst_app_sink_try_pull_preroll (GST_APP_SINK (sink),
        30 * GST_SECOND);
    if (!sample) {
      ok = bus_error (pipe, uri, error);
      break;
    }
    if (got)
      got[i] = sample_time (sample);
    ok = write_sample (sample, paths[i], error);
    gst_sample_unref (sample);
  }

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (dec);
  gst_object_unref (convert);
  gst_object_unref (enc);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (done);
  return ok;
}
