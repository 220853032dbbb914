/* ilgnet-thumbs: the K best thumbnails of a video.
 *
 *   ilgnet-thumbs VIDEO [-k 5] [-o DIR] [--interval 0.5] [--model M] [--fast]
 *
 * Writes DIR/thumb-NN.jpg (full resolution, NN = rank), DIR/thumbs.json
 * and DIR/scores.png.  Built on the ilgnet GStreamer element: it scores a
 * frame every --interval seconds while cheap guards measure every frame;
 * see thumbs-picker.h for how the picks are made.  --fast decodes only
 * the keyframes (for long videos): guards and picker work on those. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "thumbs-grab.h"
#include "thumbs-picker.h"
#include "thumbs-plugin.h"
#include "thumbs-plot.h"
#include "thumbs-scan.h"

#define JPEG_QUALITY 90

typedef struct
{
  int k;
  char *out_dir;
  double interval;
  char *model;
  char *progress;
  char *frames_csv;
  gboolean fast;
} Options;

static char *
to_uri (const char *arg, GError ** error)
{
  if (gst_uri_is_valid (arg))
    return g_strdup (arg);
  if (!g_file_test (arg, G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "cannot open %s: no such file", arg);
    return NULL;
  }
  if (g_file_test (arg, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
        "cannot open %s: it is a directory", arg);
    return NULL;
  }
  return gst_filename_to_uri (arg, error);
}

static gboolean
write_json (const char *path, const char *video, const Options * o,
    const IlgnetThumbsScan * scan, const IlgnetThumbsResult * r,
    char **files, GError ** error)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "video");
  json_builder_add_string_value (b, video);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, scan->model_name);
  json_builder_set_member_name (b, "interval");
  json_builder_add_double_value (b, o->interval);
  json_builder_set_member_name (b, "duration");
  json_builder_add_double_value (b, GST_CLOCK_TIME_IS_VALID (scan->duration)
      ? scan->duration / 1e9 : 0);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, scan->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, scan->height);
  json_builder_set_member_name (b, "fast");
  json_builder_add_boolean_value (b, o->fast);
  json_builder_set_member_name (b, "frames_analysed");
  json_builder_add_int_value (b, scan->n_frames);
  json_builder_set_member_name (b, "frames_scored");
  json_builder_add_int_value (b, scan->n_scored);
  json_builder_set_member_name (b, "shots");
  json_builder_add_int_value (b, r->n_shots);
  json_builder_set_member_name (b, "relaxed_guards");
  json_builder_add_boolean_value (b, r->relaxed);
  json_builder_set_member_name (b, "thumbnails");
  json_builder_begin_array (b);
  for (int i = 0; i < r->n_picks; i++) {
    const IlgnetThumbsFrame *f = &scan->frames[r->picks[i].frame];
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "rank");
    json_builder_add_int_value (b, i + 1);
    json_builder_set_member_name (b, "timestamp");
    json_builder_add_double_value (b, f->time / 1e9);
    json_builder_set_member_name (b, "score");
    json_builder_add_double_value (b, f->score);
    json_builder_set_member_name (b, "file");
    json_builder_add_string_value (b, files[i]);
    json_builder_set_member_name (b, "shot");
    json_builder_add_int_value (b, r->picks[i].shot);
    json_builder_set_member_name (b, "sharpness");
    json_builder_add_double_value (b, f->sharpness);
    json_builder_set_member_name (b, "luma");
    json_builder_add_double_value (b, f->luma);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);

  JsonGenerator *gen = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  gboolean ok = json_generator_to_file (gen, path, error);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return ok;
}

/* One line per analysed frame: what the guards saw (for tuning, tests). */
static gboolean
write_frames_csv (const char *path, const IlgnetThumbsScan * scan,
    const IlgnetThumbsResult * r, GError ** error)
{
  GString *s = g_string_new ("time,score,luma,contrast,uniformity,sharpness,blur,"
      "cut,ecr,fade,drift,motion,shot,hard,reject,soft\n");
  for (int i = 0; i < scan->n_frames; i++) {
    const IlgnetThumbsFrame *f = &scan->frames[i];
    g_string_append_printf (s, "%.6f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,"
        "%.4f,%.4f,%.4f,%.4f,%d,%s,%s,%s\n", f->time / 1e9, f->score, f->luma,
        f->contrast, f->uniformity, f->sharpness, f->blur, f->cut, f->ecr, f->fade,
        f->drift, f->motion, r->shot[i], ilgnet_thumbs_flaw_name (r->hard[i]),
        ilgnet_thumbs_flaw_name (r->reject[i]),
        ilgnet_thumbs_flaw_name (r->soft[i]));
  }
  gboolean ok = g_file_set_contents (path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

static int
run (const char *video, Options * o)
{
  GError *error = NULL;
  IlgnetThumbsScan scan = { 0 };
  IlgnetThumbsResult *r = NULL;
  char *uri = NULL;
  char **files = NULL, **paths = NULL;
  GstClockTime *pts = NULL;
  GstSample **kept = NULL;
  int rc = 1;

  IlgnetThumbsScanOptions so = { 0 };
  so.interval = o->interval;
  so.model = o->model;
  so.fast = o->fast;
  so.progress = ILGNET_PROGRESS_AUTO;
  if (g_strcmp0 (o->progress, "always") == 0)
    so.progress = ILGNET_PROGRESS_ALWAYS;
  else if (g_strcmp0 (o->progress, "never") == 0)
    so.progress = ILGNET_PROGRESS_NEVER;
  else if (o->progress && g_strcmp0 (o->progress, "auto") != 0) {
    g_printerr ("ilgnet-thumbs: --progress takes auto, always or never\n");
    return 2;
  }

  if (!(uri = to_uri (video, &error)))
    goto failed;
  if (g_mkdir_with_parents (o->out_dir, 0755) != 0) {
    g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create %s: %s", o->out_dir, g_strerror (errno));
    goto failed;
  }
  so.uri = uri;
  so.name = video;
  if (!ilgnet_thumbs_scan (&so, &scan, &error))
    goto failed;
  if (scan.n_scored == 0) {
    g_set_error (&error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the ilgnet element scored no frame of %s", video);
    goto failed;
  }

  /* A damaged file may decode only its start: say so, keep what decoded. */
  GstClockTime last = scan.frames[scan.n_frames - 1].time;
  if (GST_CLOCK_TIME_IS_VALID (scan.duration) && GST_CLOCK_TIME_IS_VALID (last)
      && last + GST_SECOND < scan.duration * 0.9)
    g_printerr ("ilgnet-thumbs: warning: only %.1f s of %.1f s of %s could "
        "be decoded; the file may be truncated or damaged\n", last / 1e9,
        scan.duration / 1e9, video);

  r = o->fast ? ilgnet_thumbs_pick_keyframes (scan.frames, scan.n_frames,
      o->k) : ilgnet_thumbs_pick (scan.frames, scan.n_frames, o->k);
  files = g_new0 (char *, r->n_picks + 1);
  paths = g_new0 (char *, r->n_picks + 1);
  pts = g_new0 (GstClockTime, r->n_picks + 1);
  kept = g_new0 (GstSample *, r->n_picks + 1);
  for (int i = 0; i < r->n_picks; i++) {
    files[i] = g_strdup_printf ("thumb-%02d.jpg", i + 1);
    paths[i] = g_build_filename (o->out_dir, files[i], NULL);
    pts[i] = scan.frames[r->picks[i].frame].time;
    kept[i] = ilgnet_thumbs_scan_kept (&scan, scan.frames[r->picks[i].frame].pts);
  }
  gint64 t_grab = g_get_monotonic_time ();
  if (!ilgnet_thumbs_grab (uri, pts, kept, (const char *const *) paths,
          r->n_picks, JPEG_QUALITY, NULL, &error))
    goto failed;
  double grab_s = (g_get_monotonic_time () - t_grab) / 1e6;

  char *json_path = g_build_filename (o->out_dir, "thumbs.json", NULL);
  char *png_path = g_build_filename (o->out_dir, "scores.png", NULL);
  gboolean ok = write_json (json_path, video, o, &scan, r, files, &error)
      && ilgnet_thumbs_plot_write (png_path, scan.frames, scan.n_frames, r,
      &error)
      && (!o->frames_csv || write_frames_csv (o->frames_csv, &scan, r,
          &error));
  if (ok) {
    /* Thumbnails of an earlier run with a larger K would look like ours. */
    for (int i = r->n_picks + 1; i <= 99; i++) {
      char *name = g_strdup_printf ("thumb-%02d.jpg", i);
      char *stale = g_build_filename (o->out_dir, name, NULL);
      g_unlink (stale);
      g_free (stale);
      g_free (name);
    }
  }
  if (ok) {
    double len = GST_CLOCK_TIME_IS_VALID (scan.duration) ?
        scan.duration / 1e9 : 0;
    printf ("%d thumbnails of %s (%.1f s, %d shots; %d frames scored by %s, "
        "analysis %.1f s = %.1fx real time, JPEGs %.2f s)\n", r->n_picks,
        video, len, r->n_shots, scan.n_scored, scan.model_name, scan.seconds,
        scan.seconds > 0 ? len / scan.seconds : 0, grab_s);
    for (int i = 0; i < r->n_picks; i++) {
      const IlgnetThumbsFrame *f = &scan.frames[r->picks[i].frame];
      char *t = ilgnet_progress_format_time (f->time / 1e9);
      printf ("  %d  %s (%.2f s)  score %.3f  %s%s\n", i + 1, t, f->time / 1e9,
          f->score, paths[i], r->picks[i].same_shot ?
          "  (extra: fewer usable shots than K)" : "");
      g_free (t);
    }
    if (r->relaxed)
      printf ("note: few frames passed the quality guards; relaxed them\n");
    printf ("wrote %s and %s\n", json_path, png_path);
    rc = 0;
  }
  g_free (json_path);
  g_free (png_path);
  if (!ok)
    goto failed;

done:
  g_strfreev (files);
  g_strfreev (paths);
  g_free (pts);
  g_free (kept);
  g_free (uri);
  ilgnet_thumbs_result_free (r);
  ilgnet_thumbs_scan_clear (&scan);
  return rc;

failed:
  g_printerr ("ilgnet-thumbs: %s\n", error ? error->message : "failed");
  g_clear_error (&error);
  rc = 1;
  goto done;
}

int
main (int argc, char **argv)
{
  Options o = { 5, NULL, 0.5, NULL, NULL, NULL, FALSE };
  GError *error = NULL;
  GOptionEntry entries[] = {
    {"count", 'k', 0, G_OPTION_ARG_INT, &o.k, "How many thumbnails (5)", "K"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o.out_dir,
        "Where to write them (./thumbs)", "DIR"},
    {"interval", 0, 0, G_OPTION_ARG_DOUBLE, &o.interval,
        "Seconds between scored frames (0.5)", "S"},
    {"model", 0, 0, G_OPTION_ARG_FILENAME, &o.model,
        "Model file (.ilgnet); default: the element's", "M"},
    {"progress", 0, 0, G_OPTION_ARG_STRING, &o.progress,
        "Progress bar: auto (on a terminal), always, never", "WHEN"},
    {"frames-csv", 0, 0, G_OPTION_ARG_FILENAME, &o.frames_csv,
        "Also write what was measured on every frame", "FILE"},
    {"fast", 0, 0, G_OPTION_ARG_NONE, &o.fast,
        "Decode keyframes only (long videos): every keyframe is measured "
        "and scored (at most one per --interval), picks are keyframes", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("VIDEO");
  g_option_context_set_summary (ctx, "Writes the K best thumbnails of VIDEO "
      "(JPEG), thumbs.json and scores.png into DIR.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("ilgnet-thumbs: %s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  thumbs_plugin_ensure ();
  if (argc != 2) {
    g_printerr ("usage: ilgnet-thumbs VIDEO [-k 5] [-o DIR] [--interval 0.5] "
        "[--model M] [--fast]\n");
    return 2;
  }
  if (o.k < 1 || o.k > 99 || !(o.interval > 0) || o.interval > 3600) {
    g_printerr ("ilgnet-thumbs: -k must be 1..99 and --interval "
        "0 < S <= 3600\n");
    return 2;
  }
  if (!o.out_dir)
    o.out_dir = g_strdup ("thumbs");
  int rc = run (argv[1], &o);
  g_free (o.out_dir);
  g_free (o.model);
  g_free (o.progress);
  g_free (o.frames_csv);
  return rc;
}
