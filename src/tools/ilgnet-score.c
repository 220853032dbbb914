/* ilgnet-score: aesthetic scores of image files, one JSON line each.
 *
 *   ilgnet-score [-m MODEL] [--crop squash|center|letterbox|multi]
 *                [--all-crops] [--batch N] [--threads N] IMAGE...
 *   ilgnet-score [-m MODEL] --tensor IN.f32 [--dump BLOB -o OUT.f32]
 *
 * Images are decoded with GStreamer.  --tensor feeds raw float32 NxCxHxW
 * input (no preprocessing) and prints {"index":i,"score":s} per image;
 * --dump writes one blob's values for all images (for parity tests).
 * --all-crops (with --crop multi) adds "crops": every candidate of
 * ilgnet_frame_anchors() the model scores (ilgnet_model_box_anchors():
 * 276 for the default model; the whole frame first) with its score, all from
 * one pass of the trunk over the image at its own aspect
 * (ilgnet_score_boxes), so an application can see the whole ranking and
 * not only the pick.
 *
 * The lines are written with json-glib.  Never invalid JSON: a score that
 * is not a number (NaN or infinite, from a model with broken weights) is
 * an error, not a line (JSON has no such numbers).  A JPEG cut short
 * is refused (the decoder pads it and it scores as another picture); an
 * image whose decoder posted a warning is scored, with "warning" naming
 * it. */
#include "ilgnet.h"
#include "tool-model.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static ToolModelOptions model_opts;   /* -m, --batch, --threads */
static gchar *opt_crop, *opt_tensor, *opt_dump, *opt_out;
static gchar **opt_files;
static gboolean opt_all_crops;

static GOptionEntry entries[] = {
  {"crop", 'c', 0, G_OPTION_ARG_STRING, &opt_crop,
      "squash, center, letterbox or multi (default: the model's)", "MODE"},
  {"all-crops", 0, 0, G_OPTION_ARG_NONE, &opt_all_crops,
      "With --crop multi: every candidate crop's score, from one pass", NULL},
  {"tensor", 0, 0, G_OPTION_ARG_FILENAME, &opt_tensor,
      "Raw float32 NxCxHxW input, no preprocessing", "IN.f32"},
  {"dump", 0, 0, G_OPTION_ARG_STRING, &opt_dump,
      "Write this blob's values (float32) to -o", "BLOB"},
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out,
      "Output file of --dump", "OUT.f32"},
  {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_files, NULL,
      "IMAGE..."},
  {NULL}
};

static gboolean
parse_mode (const char *s, IlgnetResize * mode)
{
  if (g_strcmp0 (s, "squash") == 0)
    *mode = ILGNET_RESIZE_SQUASH;
  else if (g_strcmp0 (s, "center") == 0)
    *mode = ILGNET_RESIZE_CENTER;
  else if (g_strcmp0 (s, "letterbox") == 0)
    *mode = ILGNET_RESIZE_LETTERBOX;
  else if (g_strcmp0 (s, "multi") == 0)
    *mode = ILGNET_RESIZE_MULTI;
  else
    return FALSE;
  return TRUE;
}

/* Prints @b's object as one line of JSON.  A score is rounded to six
 * decimals (as precise as a score means anything); json-glib writes a
 * double so that it reads back as exactly that value. */
static void
print_line (JsonBuilder * b)
{
  JsonNode *root = json_builder_get_root (b);
  JsonGenerator *gen = json_generator_new ();
  gchar *text;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
  fflush (stdout);
  g_free (text);
  g_object_unref (gen);
  json_node_unref (root);
}

static void
add_score (JsonBuilder * b, float score)
{
  json_builder_set_member_name (b, "score");
  json_builder_add_double_value (b, rint ((double) score * 1e6) / 1e6);
}

/* Appends images [done, done+n) of the dump blob to @f. */
static gboolean
dump_blob (IlgnetSession * s, FILE * f, int n, GError ** error)
{
  int shape[4];
  const float *v = ilgnet_session_get_blob (s, opt_dump, shape, error);
  gsize per = (gsize) shape[1] * shape[2] * shape[3];

  if (!v)
    return FALSE;
  if (fwrite (v, sizeof (float), per * n, f) != per * n) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: write failed",
        opt_out);
    return FALSE;
  }
  return TRUE;
}

/* {"index":I,"score":S} */
static void
print_index_line (gsize index, float score)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, index);
  add_score (b, score);
  json_builder_end_object (b);
  print_line (b);
  g_object_unref (b);
}

static int
run_tensor (IlgnetSession * s, IlgnetModel * model, GError ** error)
{
  const IlgnetInputSpec *spec = ilgnet_model_get_input_spec (model);
  gsize per = (gsize) spec->channels * spec->height * spec->width;
  int batch = ilgnet_session_get_batch (s);
  gchar *buf = NULL;
  gsize len, n_img, i;
  FILE *dump = NULL;
  int ret = 1;

  if (!g_file_get_contents (opt_tensor, &buf, &len, error))
    return 1;
  if (len == 0 || len % (per * sizeof (float)) != 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "%s: %" G_GSIZE_FORMAT " bytes is not a whole number of %dx%dx%d "
        "float32 images", opt_tensor, len, spec->channels, spec->height,
        spec->width);
    goto out;
  }
  n_img = len / (per * sizeof (float));
  if (opt_dump && !(dump = fopen (opt_out, "wb"))) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot create: "
        "%s", opt_out, g_strerror (errno));
    goto out;
  }
  for (i = 0; i < n_img; i += batch) {
    int n = MIN ((gsize) batch, n_img - i), j;
    memcpy (ilgnet_session_get_input (s), buf + i * per * sizeof (float),
        n * per * sizeof (float));
    if (!ilgnet_session_run (s, n, error))
      goto out;
    for (j = 0; j < n; j++) {
      float score = ilgnet_session_get_score (s, j);
      if (!isfinite (score)) {
        g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
            "%s: image %" G_GSIZE_FORMAT ": the model gave a score of %g, "
            "not a number: its weights are not usable", opt_tensor, i + j,
            score);
        goto out;
      }
      print_index_line (i + j, score);
    }
    if (dump && !dump_blob (s, dump, n, error))
      goto out;
  }
  ret = 0;
out:
  if (dump && fclose (dump) != 0 && ret == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: write failed",
        opt_out);
    ret = 1;
  }
  g_free (buf);
  return ret;
}

/* A JPEG cut short still decodes (jpegdec pads it with an end marker and
 * says so only in its debug log) and scores as another picture.  Its
 * end-of-image marker tells: walk the segments to the first scan, then
 * look for EOI (entropy-coded data never holds 0xFF 0xD9).  Segments are
 * walked rather than searched so that an EXIF thumbnail's own EOI does not
 * count. */
static gboolean
jpeg_is_truncated (const guint8 * d, gsize n)
{
  gsize i = 2;

  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8)
    return FALSE;               /* not a JPEG */
  while (i + 1 < n) {
    guint8 marker = d[i + 1];
    gsize len;

    if (d[i] != 0xFF)
      return FALSE;             /* malformed: the decoder's to judge */
    if (marker == 0xFF) {       /* fill byte */
      i++;
      continue;
    }
    if (marker == 0xD9)
      return FALSE;
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;
      continue;
    }
    if (i + 4 > n)
      return TRUE;
    len = (gsize) d[i + 2] << 8 | d[i + 3];
    i += 2 + len;
    if (marker == 0xDA)
      break;                    /* start of scan */
  }
  for (; i + 1 < n; i++)
    if (d[i] == 0xFF && d[i + 1] == 0xD9)
      return FALSE;
  return TRUE;
}

/* Decodes the first frame of @path to BGRx.  Waits for the pipeline to
 * preroll or fail (a missing file or undecodable data posts an error and
 * never prerolls).  @warning receives the first warning (or non-fatal
 * error) the decoder posted, if any. */
static GstSample *
decode_image (const char *path, char **warning, GError ** error)
{
  GstElement *pipe, *src, *sink;
  GstSample *sample = NULL;
  GstStateChangeReturn ret;
  GError *err = NULL;

  pipe = gst_parse_launch ("filesrc name=src ! decodebin ! videoconvert ! "
      "video/x-raw,format=BGRx ! appsink name=sink sync=false max-buffers=1",
      &err);
  if (!pipe) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot build "
        "decoder: %s", path, err->message);
    g_clear_error (&err);
    return NULL;
  }
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (src, "location", path, NULL);
  gst_element_set_state (pipe, GST_STATE_PAUSED);
  ret = gst_element_get_state (pipe, NULL, NULL, 60 * GST_SECOND);
  if (ret == GST_STATE_CHANGE_SUCCESS)
    sample = gst_app_sink_try_pull_preroll (GST_APP_SINK (sink), 0);
  if (sample) {
    GstBus *bus = gst_element_get_bus (pipe);
    GstMessage *msg;
    while (!*warning && (msg = gst_bus_pop_filtered (bus,
                GST_MESSAGE_WARNING | GST_MESSAGE_ERROR))) {
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
        gst_message_parse_warning (msg, &err, NULL);
      else
        gst_message_parse_error (msg, &err, NULL);
      *warning = g_strdup_printf ("%s: %s", GST_OBJECT_NAME
          (GST_MESSAGE_SRC (msg)), err->message);
      g_clear_error (&err);
      gst_message_unref (msg);
    }
    gst_object_unref (bus);
  }
  if (!sample) {
    GstBus *bus = gst_element_get_bus (pipe);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_parse_error (msg, &err, NULL);
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot "
          "decode: %s", path, err->message);
      g_clear_error (&err);
      gst_message_unref (msg);
    } else {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot "
          "decode: no image", path);
    }
    gst_object_unref (bus);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return sample;
}

/* {"file":F,"score":S[,"crop":{"x":..,"y":..,"width":..,"height":..}]
 *  [,"warning":W]}: the crop with --crop multi, the warning if the decoder
 * posted one. */
static void
add_rect_members (JsonBuilder * b, const IlgnetRect * r)
{
  json_builder_set_member_name (b, "x");
  json_builder_add_int_value (b, r->x);
  json_builder_set_member_name (b, "y");
  json_builder_add_int_value (b, r->y);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, r->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, r->height);
}

/* Every candidate and its score, from one trunk pass (--all-crops). */
typedef struct
{
  IlgnetRect rects[ILGNET_N_ANCHORS];
  float scores[ILGNET_N_ANCHORS];
  int n;
} AllCrops;

static void
add_all_crops (JsonBuilder * b, const AllCrops * all)
{
  int i;

  json_builder_set_member_name (b, "crops");
  json_builder_begin_array (b);
  for (i = 0; i < all->n; i++) {
    json_builder_begin_object (b);
    add_rect_members (b, &all->rects[i]);
    add_score (b, all->scores[i]);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static void
print_file_line (const char *path, float score, const IlgnetRect * crop,
    const AllCrops * all, const char *warning)
{
  JsonBuilder *b = json_builder_new ();
  /* JSON strings are UTF-8; a file name need not be */
  gchar *name = g_filename_display_name (path);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, name);
  add_score (b, score);
  if (crop) {
    json_builder_set_member_name (b, "crop");
    json_builder_begin_object (b);
    add_rect_members (b, crop);
    json_builder_end_object (b);
  }
  if (all)
    add_all_crops (b, all);
  if (warning) {
    gchar *w = g_utf8_make_valid (warning, -1);
    json_builder_set_member_name (b, "warning");
    json_builder_add_string_value (b, w);
    g_free (w);
  }
  json_builder_end_object (b);
  print_line (b);
  g_object_unref (b);
  g_free (name);
}

/* --all-crops: one box session per frame size, kept for the next image
 * of the same size (opening one reopens the model at that aspect). */
static IlgnetModel *box_model;
static IlgnetSession *box_session;
static int box_w, box_h, box_max;

static gboolean
score_all_crops (const IlgnetImage * img, AllCrops * all, GError ** error)
{
  int i;

  if (!box_session || box_w != img->width || box_h != img->height) {
    ilgnet_session_free (box_session);
    box_max = ilgnet_model_box_anchors (box_model);
    box_session = ilgnet_box_session_new (box_model, img->width, img->height,
        box_max, model_opts.threads, 0, error);
    box_w = img->width;
    box_h = img->height;
    if (!box_session)
      return FALSE;
  }
  all->n = ilgnet_frame_anchors (img->width, img->height, all->rects,
      box_max);
  if (!ilgnet_score_boxes (box_session, img, all->rects, all->n, all->scores,
          error))
    return FALSE;
  for (i = 0; i < all->n; i++)
    if (!isfinite (all->scores[i])) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED, "the model "
          "gave a crop a score of %g, not a number: its weights are not "
          "usable", all->scores[i]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
score_file (IlgnetSession * s, const char *path, IlgnetResize mode,
    GError ** error)
{
  AllCrops all;
  GMappedFile *mapped = g_mapped_file_new (path, FALSE, NULL);
  char *warning = NULL;
  GstSample *sample;
  GstVideoInfo info;
  GstVideoFrame frame;
  IlgnetImage img;
  IlgnetRect best;
  float score;
  gboolean ok;

  /* Refused, not scored: the missing part would be scored as grey. */
  if (mapped && jpeg_is_truncated ((const guint8 *)
          g_mapped_file_get_contents (mapped),
          g_mapped_file_get_length (mapped))) {
    g_mapped_file_unref (mapped);
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT, "%s: truncated "
        "JPEG (no end-of-image marker): not scored", path);
    return FALSE;
  }
  if (mapped)
    g_mapped_file_unref (mapped);
  sample = decode_image (path, &warning, error);
  if (!sample)
    return FALSE;
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot map the "
        "decoded image", path);
    gst_sample_unref (sample);
    g_free (warning);
    return FALSE;
  }
  img.data = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  img.width = GST_VIDEO_FRAME_WIDTH (&frame);
  img.height = GST_VIDEO_FRAME_HEIGHT (&frame);
  img.stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  img.format = ILGNET_PIXEL_BGRX;
  ok = ilgnet_score_image (s, &img, mode, &score, &best, error);
  if (ok && opt_all_crops)
    ok = score_all_crops (&img, &all, error);
  gst_video_frame_unmap (&frame);
  gst_sample_unref (sample);
  if (ok && !isfinite (score)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED, "the model "
        "gave a score of %g, not a number: its weights are not usable",
        score);
    ok = FALSE;
  }
  if (!ok) {
    g_prefix_error (error, "%s: ", path);
    g_free (warning);
    return FALSE;
  }
  print_file_line (path, score, mode == ILGNET_RESIZE_MULTI ? &best : NULL,
      opt_all_crops ? &all : NULL, warning);
  g_free (warning);
  return TRUE;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *error = NULL;
  IlgnetModel *model = NULL;
  IlgnetSession *s = NULL;
  IlgnetResize mode = ILGNET_RESIZE_SQUASH;
  int ret = 1, i;

  ctx = g_option_context_new ("IMAGE... - score the aesthetic quality of "
      "images");
  tool_model_options_add (ctx, &model_opts);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    goto out;
  if (opt_crop && !parse_mode (opt_crop, &mode)) {
    g_set_error (&error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "unknown --crop \"%s\" (squash, center, letterbox or multi)", opt_crop);
    goto out;
  }
  if ((opt_dump != NULL) != (opt_out != NULL) || (opt_dump && !opt_tensor)) {
    g_set_error (&error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "--dump needs -o and --tensor");
    goto out;
  }
  if (!opt_tensor && (!opt_files || !opt_files[0])) {
    g_set_error (&error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "no images given (see --help)");
    goto out;
  }
  if (!(model = tool_model_options_open (&model_opts, &error)))
    goto out;
  if (!opt_crop)
    mode = ilgnet_model_get_resize (model);
  if (opt_all_crops && (mode != ILGNET_RESIZE_MULTI || opt_tensor)) {
    g_set_error (&error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "--all-crops needs --crop multi (and images, not --tensor)");
    goto out;
  }
  box_model = model;
  s = ilgnet_session_new_full (model, model_opts.batch, model_opts.threads,
      opt_dump ? ILGNET_SESSION_KEEP_BLOBS : 0, &error);
  if (!s)
    goto out;

  if (opt_tensor) {
    ret = run_tensor (s, model, &error);
    goto out;
  }
  gst_init (NULL, NULL);
  ret = 0;
  for (i = 0; opt_files[i]; i++) {
    if (!score_file (s, opt_files[i], mode, &error)) {
      fprintf (stderr, "ilgnet-score: %s\n", error->message);
      g_clear_error (&error);
      ret = 1;
    }
  }

out:
  if (error) {
    fprintf (stderr, "ilgnet-score: %s\n", error->message);
    g_error_free (error);
    ret = 1;
  }
  ilgnet_session_free (box_session);
  ilgnet_session_free (s);
  ilgnet_model_unref (model);
  g_option_context_free (ctx);
  return ret;
}
