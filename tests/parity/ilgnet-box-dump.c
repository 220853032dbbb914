/* ilgnet-box-dump MODEL FRAMES.rgb WIDTH HEIGHT [options]
 *
 * Scores the candidate boxes of ilgnet_frame_anchors() for each packed
 * RGB frame of FRAMES.rgb (WIDTH x HEIGHT, 3 bytes a pixel, frame after
 * frame) with ilgnet_score_boxes() (one trunk pass a frame) and prints a
 * line per box: "FRAME BOX X Y W H SCORE" (+ " CROPSCORE" with --crops: the
 * box cropped, squashed to the model's input and scored by a full pass,
 * the direct reference); --boxes N keeps the first N anchors; --multi
 * scores crop=multi's candidates (ilgnet_multi_crops) by full passes
 * instead, SCORE being their crop scores.  --dump
 * PREFIX writes the named --blob values of each frame's run (all boxes;
 * trunk maps are image 0; --first writes image 0 only) to PREFIX000.f32, ... (one frame) or
 * PREFIXFFFF-000.f32, ... (frame FFFF of several): for the RoI parity test
 * and the framing heads' training (models/train/framing_heads.py); --time
 * prints ms per frame of both methods to stderr. */
#include "ilgnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean opt_crops, opt_time, opt_multi;
static gchar *opt_dump;
static gchar **opt_blobs;
static gboolean opt_first;
static gint opt_threads = 0, opt_boxes = 0;

static GOptionEntry entries[] = {
  {"crops", 0, 0, G_OPTION_ARG_NONE, &opt_crops,
      "Also score every box by a full pass of its crop", NULL},
  {"dump", 0, 0, G_OPTION_ARG_STRING, &opt_dump, "Dump prefix", "PREFIX"},
  {"blob", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_blobs, "Blob to dump",
      "NAME"},
  {"first", 0, 0, G_OPTION_ARG_NONE, &opt_first,
      "Dump image 0 of each blob only (trunk maps, shared by all boxes)",
      NULL},
  {"threads", 't', 0, G_OPTION_ARG_INT, &opt_threads, "Threads", "N"},
  {"multi", 0, 0, G_OPTION_ARG_NONE, &opt_multi,
      "Score ilgnet_multi_crops() (crop=multi's 16) by full passes only",
      NULL},
  {"boxes", 0, 0, G_OPTION_ARG_INT, &opt_boxes,
      "Score the first N anchors only (default: "
      "ilgnet_model_box_anchors())", "N"},
  {"time", 0, 0, G_OPTION_ARG_NONE, &opt_time, "Print timings", NULL},
  {NULL}
};

static int
fail (GError * error)
{
  fprintf (stderr, "ilgnet-box-dump: %s\n", error->message);
  g_error_free (error);
  return 1;
}

static gboolean
dump_blobs (IlgnetSession * s, int n, int frame, GError ** error)
{
  int b;

  for (b = 0; opt_blobs && opt_blobs[b]; b++) {
    int shape[4];
    const float *v = ilgnet_session_get_blob (s, opt_blobs[b], shape, error);
    char *path;
    FILE *f;
    gsize size;
    if (!v)
      return FALSE;
    size = (gsize) shape[1] * shape[2] * shape[3];
    if (opt_first)
      n = 1;
    if (n > shape[0]) {
      /* a framing map that weighs no box's own heads: the session pools
       * the whole frame alone (ilgnet_model_box_anchors) */
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT, "%s: the "
          "boxes run no heads of their own with this model (--first, or "
          "the model without its map: export.py --framing none)",
          opt_blobs[b]);
      return FALSE;
    }
    path = frame < 0 ? g_strdup_printf ("%s%03d.f32", opt_dump, b)
        : g_strdup_printf ("%s%04d-%03d.f32", opt_dump, frame, b);
    f = fopen (path, "wb");
    if (!f || fwrite (v, 4, size * n, f) != size * n || fclose (f) != 0) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "cannot write %s",
          path);
      return FALSE;
    }
    if (frame <= 0)
      printf ("# blob %s %d %d %d\n", opt_blobs[b], shape[1], shape[2],
          shape[3]);
    g_free (path);
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("MODEL FRAMES.rgb W H");
  GError *error = NULL;
  IlgnetModel *model;
  IlgnetSession *bs, *cs = NULL;
  IlgnetRect rects[MAX (ILGNET_N_ANCHORS, ILGNET_MAX_CROPS)];
  float scores[G_N_ELEMENTS (rects)], cscores[G_N_ELEMENTS (rects)];
  char *buf;
  gsize len, per;
  int w, h, n, f, i, nf;
  gint64 t_box = 0, t_crop = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return fail (error);
  if (argc != 5) {
    fprintf (stderr, "usage: ilgnet-box-dump MODEL FRAMES.rgb W H\n");
    return 2;
  }
  w = atoi (argv[3]);
  h = atoi (argv[4]);
  per = (gsize) w * h * 3;
  if (!(model = ilgnet_model_open (argv[1], &error))
      || !g_file_get_contents (argv[2], &buf, &len, &error))
    return fail (error);
  if (w < 1 || h < 1 || len == 0 || len % per) {
    fprintf (stderr, "ilgnet-box-dump: %s is not whole %dx%d frames\n",
        argv[2], w, h);
    return 1;
  }
  nf = len / per;
  /* by default as many as the element and ilgnet-score score */
  if (opt_boxes < 1)
    opt_boxes = ilgnet_model_box_anchors (model);
  n = ilgnet_frame_anchors (w, h, rects, opt_boxes);
  if (opt_multi) {
    n = ilgnet_multi_crops (w, h, rects, ILGNET_MAX_CROPS);
    opt_crops = TRUE;
    bs = NULL;
  } else if (!(bs = ilgnet_box_session_new (model, w, h, n, opt_threads,
              opt_dump ? ILGNET_SESSION_KEEP_BLOBS : 0, &error)))
    return fail (error);
  if (opt_crops && !(cs = ilgnet_session_new (model, 8, opt_threads, &error)))
    return fail (error);
  for (f = 0; f < nf; f++) {
    IlgnetImage img = { (const guint8 *) buf + f * per, w, h, w * 3,
      ILGNET_PIXEL_RGB
    };
    gint64 t0 = g_get_monotonic_time ();
    if (bs && !ilgnet_score_boxes (bs, &img, rects, n, scores, &error))
      return fail (error);
    t_box += g_get_monotonic_time () - t0;
    if (bs && opt_dump && !dump_blobs (bs, n, nf > 1 ? f : -1, &error))
      return fail (error);
    if (cs) {
      const IlgnetInputSpec *spec = ilgnet_model_get_input_spec (model);
      gsize in_per = (gsize) spec->channels * spec->height * spec->width;
      t0 = g_get_monotonic_time ();
      for (i = 0; i < n; i += 8) {
        int m = MIN (8, n - i), j;
        for (j = 0; j < m; j++)
          if (!ilgnet_preprocess (spec, &img, &rects[i + j],
                  ILGNET_RESIZE_SQUASH,
                  ilgnet_session_get_input (cs) + j * in_per, &error))
            return fail (error);
        if (!ilgnet_session_run (cs, m, &error))
          return fail (error);
        for (j = 0; j < m; j++)
          cscores[i + j] = ilgnet_session_get_score (cs, j);
      }
      t_crop += g_get_monotonic_time () - t0;
    }
    for (i = 0; i < n; i++) {
      printf ("%d %d %d %d %d %d %.7g", f, i, rects[i].x, rects[i].y,
          rects[i].width, rects[i].height, bs ? scores[i] : cscores[i]);
      if (cs && bs)
        printf (" %.7g", cscores[i]);
      printf ("\n");
    }
  }
  if (opt_time && bs) {
    fprintf (stderr, "one pass: %.1f ms/frame for %d boxes\n",
        t_box / 1000.0 / nf, n);
  }
  if (opt_time && cs) {
    fprintf (stderr, "per crop: %.1f ms/frame for %d boxes\n",
          t_crop / 1000.0 / nf, n);
  }
  if (bs)
    ilgnet_session_free (bs);
  if (cs)
    ilgnet_session_free (cs);
  ilgnet_model_unref (model);
  g_free (buf);
  g_option_context_free (ctx);
  return 0;
}
