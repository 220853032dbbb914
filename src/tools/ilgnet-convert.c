/* ilgnet-convert: Caffe deploy prototxt + caffemodel -> .ilgnet model.
 *
 *   ilgnet-convert PROTOTXT CAFFEMODEL -o OUT.ilgnet [--dtype f32|f16|int8]
 *       [--mean-bgr B,G,R | --mean FILE] [--scale S] [--rgb]
 *       [--resize squash|center|letterbox] [--name NAME]
 *       [--description TXT] [--provenance TXT] [--architecture NAME]
 *       [--output-blob NAME] [--high-index I] [--strip-dropout]
 *
 * The defaults are ILGNet's: BGR planes, the AVA1 mean (91.00, 99.46,
 * 107.85), scale 1, squash resizing, the last layer's top as output and
 * index 1 ("high quality") as the score.  The written file is opened with
 * libilgnet before the tool reports success.  Every failure is one line on
 * stderr and a non-zero exit status. */
#include "caffe-convert.h"
#include "ilgnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

static char *opt_output, *opt_dtype, *opt_mean_bgr, *opt_mean, *opt_name,
    *opt_description, *opt_provenance, *opt_output_blob, *opt_architecture,
    *opt_resize;
static double opt_scale = 1.0;
static int opt_high_index = 1;
static gboolean opt_rgb, opt_strip_dropout, opt_quiet;

static GOptionEntry entries[] = {
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
      "Model file to write", "OUT.ilgnet"},
  {"dtype", 0, 0, G_OPTION_ARG_STRING, &opt_dtype,
      "Storage of convolution and InnerProduct weights: f32 (default), f16 "
        "or int8 (per output channel)", "TYPE"},
  {"mean-bgr", 0, 0, G_OPTION_ARG_STRING, &opt_mean_bgr,
      "Per-channel mean (default 91.00,99.46,107.85, ILGNet AVA1)", "B,G,R"},
  {"mean", 0, 0, G_OPTION_ARG_FILENAME, &opt_mean,
      "Mean from a mean.binaryproto or .npy file, averaged per channel",
      "FILE"},
  {"scale", 0, 0, G_OPTION_ARG_DOUBLE, &opt_scale,
      "Input scale applied after the mean (default 1)", "S"},
  {"rgb", 0, 0, G_OPTION_ARG_NONE, &opt_rgb,
      "The net takes R,G,B planes (default B,G,R, as Caffe)", NULL},
  {"resize", 0, 0, G_OPTION_ARG_STRING, &opt_resize,
      "How images were fit to the input in training: squash (default), "
        "center or letterbox", "MODE"},
  {"name", 0, 0, G_OPTION_ARG_STRING, &opt_name,
      "Model name (default: the caffemodel's file name)", "NAME"},
  {"description", 0, 0, G_OPTION_ARG_STRING, &opt_description,
      "Free-text description", "TXT"},
  {"provenance", 0, 0, G_OPTION_ARG_STRING, &opt_provenance,
      "Where the weights come from", "TXT"},
  {"architecture", 0, 0, G_OPTION_ARG_STRING, &opt_architecture,
      "Architecture name (default ilgnet)", "NAME"},
  {"output-blob", 0, 0, G_OPTION_ARG_STRING, &opt_output_blob,
      "Blob holding the class probabilities (default: last layer's top)",
      "NAME"},
  {"high-index", 0, 0, G_OPTION_ARG_INT, &opt_high_index,
      "Index of the \"high quality\" probability in it (default 1)", "I"},
  {"strip-dropout", 0, 0, G_OPTION_ARG_NONE, &opt_strip_dropout,
      "Leave Dropout layers out (they are identities at inference)", NULL},
  {"quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet,
      "Print nothing on success", NULL},
  {NULL}
};

static int
fail (const char *msg)
{
  fprintf (stderr, "ilgnet-convert: %s\n", msg);
  return 1;
}

static gboolean
parse_mean (const char *s, double mean[3])
{
  char **parts = g_strsplit (s, ",", -1);
  gboolean ok = g_strv_length (parts) == 3;
  int i;

  for (i = 0; ok && i < 3; i++) {
    char *end;
    mean[i] = g_ascii_strtod (g_strstrip (parts[i]), &end);
    ok = *parts[i] && !*end && mean[i] > -1e6 && mean[i] < 1e6;
  }
  g_strfreev (parts);
  return ok;
}

static const char *
human_size (guint64 bytes, char *buf, gsize size)
{
  if (bytes < 1000000)
    g_snprintf (buf, size, "%.1f kB", bytes / 1e3);
  else
    g_snprintf (buf, size, "%.1f MB", bytes / 1e6);
  return buf;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  IlgnetConvertOptions opts;
  IlgnetConvertStats stats;
  IlgnetModel *model;
  GError *error = NULL;
  char sz[32];
  int ret = 1;

  ctx = g_option_context_new ("PROTOTXT CAFFEMODEL - convert a Caffe model "
      "to an .ilgnet file");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = fail (error->message);
    goto out;
  }
  if (argc != 3) {
    ret = fail ("expected PROTOTXT and CAFFEMODEL (see --help)");
    goto out;
  }
  if (!opt_output) {
    ret = fail ("no output file given (-o OUT.ilgnet)");
    goto out;
  }

  ilgnet_convert_options_init (&opts);
  if (!opt_dtype || !strcmp (opt_dtype, "f32"))
    opts.store = ILGNET_STORE_F32;
  else if (!strcmp (opt_dtype, "f16"))
    opts.store = ILGNET_STORE_F16;
  else if (!strcmp (opt_dtype, "int8") || !strcmp (opt_dtype, "i8"))
    opts.store = ILGNET_STORE_I8;
  else {
    ret = fail ("--dtype must be f32, f16 or int8");
    goto out;
  }
  if (opt_mean && opt_mean_bgr) {
    ret = fail ("give either --mean or --mean-bgr, not both");
    goto out;
  }
  if (opt_mean_bgr && !parse_mean (opt_mean_bgr, opts.mean_bgr)) {
    ret = fail ("--mean-bgr needs three numbers: B,G,R");
    goto out;
  }
  opts.mean_file = opt_mean;
  opts.rgb = opt_rgb;
  opts.scale = opt_scale;
  if (opt_resize)
    opts.resize = opt_resize;
  opts.name = opt_name;
  opts.description = opt_description;
  opts.provenance = opt_provenance;
  if (opt_architecture)
    opts.architecture = opt_architecture;
  opts.output_blob = opt_output_blob;
  opts.high_index = opt_high_index;
  opts.strip_dropout = opt_strip_dropout;

  if (!ilgnet_caffe_convert (argv[1], argv[2], opt_output, &opts, &stats,
          &error)) {
    ret = fail (error->message);
    goto out;
  }
  /* What we wrote must be what the runtime accepts. */
  model = ilgnet_model_open (opt_output, &error);
  if (!model) {
    char *msg = g_strdup_printf ("the written model does not load (%s); "
        "removed it", error->message);
    g_unlink (opt_output);
    ret = fail (msg);
    g_free (msg);
    goto out;
  }
  ilgnet_model_unref (model);
  if (!opt_quiet)
    printf ("%s: %d layers, %" G_GUINT64_FORMAT " parameters (%s), %s\n",
        opt_output, stats.n_layers, stats.n_params, opt_dtype ? opt_dtype :
        "f32", human_size (stats.file_size, sz, sizeof sz));
  ret = 0;

out:
  g_clear_error (&error);
  g_option_context_free (ctx);
  return ret;
}
