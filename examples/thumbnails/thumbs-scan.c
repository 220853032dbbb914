/* ilgnet-thumbs: the analysis pass.
 *
 *   uridecodebin ! queue ! videoconvert ! ilgnet mode=sync ! queue
 *     ! videoscale ! videoconvert ! RGB, 160 px wide ! appsink
 *
 * Scores arrive as the element's "ilgnet" messages, caught in a bus sync
 * handler so none is lost or queued for long; the features of every frame
 * are measured in the appsink callback.
 *
 * The frames the element scores are also copied at full size as they leave
 * it (the best-scoring ones, within a memory budget), so that most
 * thumbnails are written without seeking and decoding again.  Decoding may
 * run ahead of scoring by a queue of frames, so that the two overlap.
 *
 * Fast mode drops every frame but keyframes before the decoder (a probe on
 * the decoder's sink pad): nothing else is decoded. */
#include "thumbs-scan.h"

#include <gst/app/gstappsink.h>
#include <gst/pbutils/pbutils.h>
#include <gst/video/video.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  GstClockTime pts;
  float score;
} Score;

typedef struct
{
  GMutex lock;
  GArray *frames;
  GArray *scores;
  IlgnetThumbsAnalyser *analyser;
  GstElement *entry;
  GstElement *ilgnet;
  gboolean have_video;
  GstClockTime last_pts;
  int width, height;
  char *model_name;             /* from the first result */
  GArray *kept;                 /* IlgnetThumbsKept */
  gsize kept_bytes;
  gboolean fast;
} Scan;

/* Copies the frame the element just scored (its result came before the
 * frame left the element: mode=sync), evicting the lowest-scored kept
 * frame when over the budget. */
static GstPadProbeReturn
on_element_output (GstPad * pad, GstPadProbeInfo * info, Scan * s)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  gsize size = gst_buffer_get_size (buf);
  float score = 0;
  gboolean scored = FALSE;

  if (!GST_CLOCK_TIME_IS_VALID (pts) || size > ILGNET_THUMBS_KEEP_BYTES)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&s->lock);
  if (s->scores->len) {
    const Score *last = &g_array_index (s->scores, Score, s->scores->len - 1);
    scored = last->pts == pts;
    score = last->score;
  }
  g_mutex_unlock (&s->lock);
  if (!scored)
    return GST_PAD_PROBE_OK;

  while (s->kept_bytes + size > ILGNET_THUMBS_KEEP_BYTES) {
    guint worst = 0;
    if (s->kept->len == 0)
      return GST_PAD_PROBE_OK;
    for (guint i = 1; i < s->kept->len; i++)
      if (g_array_index (s->kept, IlgnetThumbsKept, i).score <
          g_array_index (s->kept, IlgnetThumbsKept, worst).score)
        worst = i;
    IlgnetThumbsKept *w = &g_array_index (s->kept, IlgnetThumbsKept, worst);
    if (w->score >= score)
      return GST_PAD_PROBE_OK;
    s->kept_bytes -= gst_buffer_get_size (gst_sample_get_buffer (w->sample));
    gst_sample_unref (w->sample);
    g_array_remove_index_fast (s->kept, worst);
  }

  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg = NULL;
  if (ev)
    gst_event_parse_segment (ev, &seg);
  /* A deep copy: the decoder's buffer goes back to its pool. */
  GstBuffer *copy = gst_buffer_copy_deep (buf);
  IlgnetThumbsKept k = { pts, score, gst_sample_new (copy, caps, seg, NULL) };
  gst_buffer_unref (copy);
  if (caps)
    gst_caps_unref (caps);
  if (ev)
    gst_event_unref (ev);
  g_array_append_val (s->kept, k);
  s->kept_bytes += size;
  return GST_PAD_PROBE_OK;
}

/* Fast mode: only keyframes are decoded. */
static GstPadProbeReturn
drop_delta_units (GstPad * pad, GstPadProbeInfo * info, gpointer unused)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  return GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT) ?
      GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

static void
on_element_added (GstBin * bin, GstBin * sub, GstElement * element,
    Scan * s)
{
  GstElementFactory *f = gst_element_get_factory (element);
  const char *klass = f ? gst_element_factory_get_metadata (f,
      GST_ELEMENT_METADATA_KLASS) : NULL;
  if (!s->fast || !klass || !strstr (klass, "Decoder")
      || !strstr (klass, "Video"))
    return;
  GstPad *sink = gst_element_get_static_pad (element, "sink");
  if (sink) {
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER,
        (GstPadProbeCallback) drop_delta_units, NULL, NULL);
    gst_object_unref (sink);
  }
}

static void
on_pad_added (GstElement * dec, GstPad * pad, Scan * s)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  const GstStructure *st = gst_caps_get_structure (caps, 0);
  if (g_str_has_prefix (gst_structure_get_name (st), "video/")
      && !s->have_video) {
    GstPad *sink = gst_element_get_static_pad (s->entry, "sink");
    gst_structure_get_int (st, "width", &s->width);
    gst_structure_get_int (st, "height", &s->height);
    if (gst_pad_link (pad, sink) == GST_PAD_LINK_OK)
      s->have_video = TRUE;
    gst_object_unref (sink);
  }
  gst_caps_unref (caps);
}

/* Whether @uri has a video stream at all: 1 (@video_caps receives its
 * caps' name, or the missing decoder's description), 0, or -1 when it
 * cannot be told.  Asked only once decoding
 * found no video: uridecodebin, asked for video only, then reports any
 * file without video as "missing a plug-in". */
static int
probe_video_stream (const char *uri, char **video_caps)
{
  GstDiscoverer *d = gst_discoverer_new (10 * GST_SECOND, NULL);
  GstDiscovererInfo *info;
  int found = -1;

  if (!d)
    return -1;
  info = gst_discoverer_discover_uri (d, uri, NULL);
  if (info) {
    GList *streams = gst_discoverer_info_get_stream_list (info);
    if (streams)
      found = 0;
    for (GList * l = streams; l && found < 1; l = l->next) {
      GstCaps *caps;
      /* A container's caps (video/quicktime) say nothing of its streams. */
      if (GST_IS_DISCOVERER_CONTAINER_INFO (l->data))
        continue;
      caps = gst_discoverer_stream_info_get_caps (l->data);
      if (caps && !gst_caps_is_empty (caps) && !gst_caps_is_any (caps)) {
        const char *name =
            gst_structure_get_name (gst_caps_get_structure (caps, 0));
        if (g_str_has_prefix (name, "video/")
            || g_str_has_prefix (name, "image/")) {
          *video_caps = g_strdup (name);
          found = 1;
        }
      }
      if (caps)
        gst_caps_unref (caps);
    }
    gst_discoverer_stream_info_list_free (streams);
    /* A stream without a decoder is not listed, but named here
     * ("gstreamer|1.0|app|VP8 video decoder|decoder-video/x-vp8"). */
    const gchar **details =
        gst_discoverer_info_get_missing_elements_installer_details (info);
    for (int i = 0; details && details[i] && found < 1; i++) {
      gchar **f = g_strsplit (details[i], "|", -1);
      if (g_strv_length (f) >= 5 && (g_str_has_prefix (f[4],
                  "decoder-video/") || g_str_has_prefix (f[4],
                  "decoder-image/"))) {
        *video_caps = g_strdup (f[3]);
        found = 1;
      } else if (found < 0) {
        found = 0;
      }
      g_strfreev (f);
    }
    g_object_unref (info);
  }
  g_object_unref (d);
  return found;
}

static GstFlowReturn
on_sample (GstAppSink * sink, Scan * s)
{
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstVideoInfo info;
  GstVideoFrame vf;

  if (!sample)
    return GST_FLOW_EOS;
  if (gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      && gst_video_frame_map (&vf, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ)) {
    IlgnetThumbsFrame frame;
    GstClockTime pts = GST_BUFFER_PTS (gst_sample_get_buffer (sample));
    ilgnet_thumbs_analyser_add (s->analyser, GST_VIDEO_FRAME_PLANE_DATA (&vf,
            0), GST_VIDEO_FRAME_WIDTH (&vf), GST_VIDEO_FRAME_HEIGHT (&vf),
        GST_VIDEO_FRAME_PLANE_STRIDE (&vf, 0), pts, &frame);
    gst_video_frame_unmap (&vf);
    /* Files whose timestamps do not start at 0 (MPEG-TS, cut recordings)
     * are reported and seeked in stream time. */
    const GstSegment *seg = gst_sample_get_segment (sample);
    GstClockTime st = seg && seg->format == GST_FORMAT_TIME ?
        gst_segment_to_stream_time (seg, GST_FORMAT_TIME, pts) :
        GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (st))
      frame.time = st;
    g_mutex_lock (&s->lock);
    g_array_append_val (s->frames, frame);
    s->last_pts = frame.time;
    g_mutex_unlock (&s->lock);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static GstBusSyncReply
on_bus_sync (GstBus * bus, GstMessage * msg, Scan * s)
{
  const GstStructure *st = gst_message_get_structure (msg);
  GstClockTime pts;
  double score;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT || !st
      || !gst_structure_has_name (st, "ilgnet"))
    return GST_BUS_PASS;
  if (gst_structure_get_clock_time (st, "timestamp", &pts)
      && gst_structure_get_double (st, "score", &score)) {
    Score sc = { pts, (float) score };
    const char *model = gst_structure_get_string (st, "model");
    g_mutex_lock (&s->lock);
    g_array_append_val (s->scores, sc);
    if (!s->model_name && model)
      s->model_name = g_strdup (model);
    g_mutex_unlock (&s->lock);
  }
  /* A sync handler that drops a message owns it. */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

static int
cmp_score_pts (const void *a, const void *b)
{
  const Score *x = a, *y = b;
  return (x->pts > y->pts) - (x->pts < y->pts);
}

/* Hands each score to the frame with the same (or the nearest) PTS. */
static int
attach_scores (Scan * s)
{
  IlgnetThumbsFrame *f = (IlgnetThumbsFrame *) s->frames->data;
  int n = s->frames->len, j = 0, attached = 0;

  g_array_sort (s->scores, cmp_score_pts);
  for (guint i = 0; i < s->scores->len; i++) {
    const Score *sc = &g_array_index (s->scores, Score, i);
    while (j + 1 < n && f[j + 1].pts <= sc->pts)
      j++;
    int best = j;
    if (j + 1 < n && f[j + 1].pts - sc->pts < sc->pts - f[j].pts)
      best = j + 1;
    if (n && f[best].score < 0)
      attached++;
    if (n)
      f[best].score = sc->score;
  }
  return attached;
}

static GstElement *
make (const char *factory, GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (!e)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the GStreamer element '%s' is missing%s", factory,
        g_str_equal (factory, "ilgnet") ? " (build gst-ilgnet, or set "
        "GST_PLUGIN_PATH to its gst-plugin build directory)" : "");
  return e;
}

gboolean
ilgnet_thumbs_scan (const IlgnetThumbsScanOptions * opt,
    IlgnetThumbsScan * out, GError ** error)
{
  static const char *chain[] = { "queue", "videoconvert", "ilgnet", "queue",
    "videoscale", "videoconvert", "capsfilter", "appsink"
  };
  GstElement *el[G_N_ELEMENTS (chain)];
  GstElement *pipe, *dec;
  Scan s = { 0 };
  gboolean ok = TRUE, done = FALSE;
  const char *name = opt->name ? opt->name : opt->uri;
  gint64 start = g_get_monotonic_time ();

  memset (out, 0, sizeof (*out));
  out->duration = GST_CLOCK_TIME_NONE;

  pipe = gst_pipeline_new ("ilgnet-thumbs");
  dec = make ("uridecodebin", error);
  if (!dec) {
    gst_object_unref (pipe);
    return FALSE;
  }
  gst_bin_add (GST_BIN (pipe), dec);
  for (guint i = 0; i < G_N_ELEMENTS (chain); i++) {
    el[i] = make (chain[i], error);
    if (!el[i]) {
      gst_object_unref (pipe);
      return FALSE;
    }
    gst_bin_add (GST_BIN (pipe), el[i]);
    if (i > 0)
      gst_element_link (el[i - 1], el[i]);
  }
  s.entry = el[0];
  s.ilgnet = el[2];
  s.frames = g_array_new (FALSE, FALSE, sizeof (IlgnetThumbsFrame));
  s.scores = g_array_new (FALSE, FALSE, sizeof (Score));
  s.analyser = ilgnet_thumbs_analyser_new ();
  s.kept = g_array_new (FALSE, FALSE, sizeof (IlgnetThumbsKept));
  s.fast = opt->fast;
  s.last_pts = GST_CLOCK_TIME_NONE;
  g_mutex_init (&s.lock);

  GstCaps *vcaps = gst_caps_from_string ("video/x-raw(ANY)");
  g_object_set (dec, "uri", opt->uri, "caps", vcaps, "expose-all-streams",
      FALSE, NULL);
  gst_caps_unref (vcaps);
  g_signal_connect (dec, "pad-added", G_CALLBACK (on_pad_added), &s);
  g_signal_connect (dec, "deep-element-added", G_CALLBACK (on_element_added),
      &s);
  /* Decoding runs ahead while a frame is scored (mode=sync holds it), by
   * up to 32 frames or 64 MB of them. */
  g_object_set (el[0], "max-size-buffers", 32, "max-size-time", (guint64) 0,
      "max-size-bytes", 64 * 1024 * 1024, NULL);
  GstPad *out_pad = gst_element_get_static_pad (el[2], "src");
  gst_pad_add_probe (out_pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) on_element_output, &s, NULL);
  gst_object_unref (out_pad);
  gst_util_set_object_arg (G_OBJECT (s.ilgnet), "mode", "sync");
  g_object_set (s.ilgnet, "post-messages", TRUE, NULL);
  if (opt->model)
    g_object_set (s.ilgnet, "model", opt->model, NULL);
  /* The element's interval is running time in nanoseconds. */
  g_object_set (s.ilgnet, "interval", (guint64) (opt->interval * GST_SECOND),
      NULL);
  GstCaps *small = gst_caps_new_simple ("video/x-raw", "format",
      G_TYPE_STRING, "RGB", "width", G_TYPE_INT,
      ILGNET_THUMBS_ANALYSIS_WIDTH, "pixel-aspect-ratio", GST_TYPE_FRACTION,
      1, 1, NULL);
  g_object_set (el[6], "caps", small, NULL);
  gst_caps_unref (small);
  GstAppSinkCallbacks cb = { 0 };
  cb.new_sample = (GstFlowReturn (*)(GstAppSink *, gpointer)) on_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (el[7]), &cb, &s, NULL);
  g_object_set (el[7], "sync", FALSE, "max-buffers", 2, NULL);

  GstBus *bus = gst_element_get_bus (pipe);
  gst_bus_set_sync_handler (bus, (GstBusSyncHandler) on_bus_sync, &s, NULL);

  IlgnetProgress *progress = ilgnet_progress_new (opt->progress, "scoring");
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* The bus usually holds the reason. */
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 0, GST_MESSAGE_ERROR);
    GError *err = NULL;
    if (m)
      gst_message_parse_error (m, &err, NULL);
    if (m && GST_MESSAGE_SRC (m) == GST_OBJECT (s.ilgnet))
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          "%s", err->message);  /* the model: it names the file */
    else
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          "cannot open %s: %s", name, err ? err->message :
          "failed to start");
    g_clear_error (&err);
    if (m)
      gst_message_unref (m);
    ok = FALSE;
    done = TRUE;
  }

  while (!done) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (!GST_CLOCK_TIME_IS_VALID (out->duration)) {
      gint64 d;
      if (gst_element_query_duration (pipe, GST_FORMAT_TIME, &d) && d > 0)
        out->duration = d;
    }
    g_mutex_lock (&s.lock);
    GstClockTime pos = s.last_pts;
    g_mutex_unlock (&s.lock);
    ilgnet_progress_update (progress, pos, out->duration);
    if (!m)
      continue;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gst_message_parse_error (m, &err, NULL);
      gboolean missing = g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_MISSING_PLUGIN) || g_error_matches (err,
          GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND);
      char *video = NULL;
      int has_video = !s.have_video && missing ?
          probe_video_stream (opt->uri, &video) : -1;
      if (has_video == 0)
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
            "%s has no video stream", name);
      else if (has_video == 1)
        g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
            "cannot decode the video of %s: no %s is installed (a GStreamer "
            "plug-in is missing)", name, video);
      else if (!s.have_video && missing)
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
            "%s has no video stream that can be decoded (%s)", name,
            err->message);
      else if (GST_MESSAGE_SRC (m) == GST_OBJECT (s.ilgnet))
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
            "%s", err->message);
      else
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
            "cannot decode %s: %s", name, err->message);
      g_free (video);
      g_clear_error (&err);
      ok = FALSE;
    }
    gst_message_unref (m);
    done = TRUE;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  if (ok)
    ilgnet_progress_finish (progress, s.last_pts);
  else if (s.frames->len)
    g_printerr ("\n");
  ilgnet_progress_free (progress);

  if (ok && !s.have_video) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
        "%s has no video stream", name);
    ok = FALSE;
  } else if (ok && s.frames->len == 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "no video frame could be decoded from %s", name);
    ok = FALSE;
  }

  if (ok) {
    out->n_scored = attach_scores (&s);
    out->n_frames = s.frames->len;
    out->frames = (IlgnetThumbsFrame *) g_array_free (s.frames, FALSE);
    s.frames = NULL;
    out->model_name = s.model_name ? g_strdup (s.model_name) :
        g_strdup ("unknown");
    out->width = s.width;
    out->height = s.height;
    if (!GST_CLOCK_TIME_IS_VALID (out->duration) && out->n_frames)
      out->duration = out->frames[out->n_frames - 1].time;
    out->n_kept = s.kept->len;
    out->kept = (IlgnetThumbsKept *) g_array_free (s.kept, FALSE);
    s.kept = NULL;
  }
  out->seconds = (g_get_monotonic_time () - start) / 1e6;

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  if (s.frames)
    g_array_free (s.frames, TRUE);
  g_array_free (s.scores, TRUE);
  for (guint i = 0; s.kept && i < s.kept->len; i++)
    gst_sample_unref (g_array_index (s.kept, IlgnetThumbsKept, i).sample);
  if (s.kept)
    g_array_free (s.kept, TRUE);
  ilgnet_thumbs_analyser_free (s.analyser);
  g_free (s.model_name);
  g_mutex_clear (&s.lock);
  return ok;
}

GstSample *
ilgnet_thumbs_scan_kept (const IlgnetThumbsScan * scan, GstClockTime pts)
{
  for (int i = 0; i < scan->n_kept; i++)
    if (scan->kept[i].pts == pts)
      return scan->kept[i].sample;
  return NULL;
}

void
ilgnet_thumbs_scan_clear (IlgnetThumbsScan * scan)
{
  for (int i = 0; i < scan->n_kept; i++)
    gst_sample_unref (scan->kept[i].sample);
  g_clear_pointer (&scan->kept, g_free);
  scan->n_kept = 0;
  g_clear_pointer (&scan->frames, g_free);
  g_clear_pointer (&scan->model_name, g_free);
}
