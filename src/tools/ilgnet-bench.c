/* ilgnet-bench: inference speed of a model on random input.
 *
 *   ilgnet-bench [-m MODEL] [--batch N] [--threads N] [--frames N] [--profile]
 *
 * Prints "min X ms/frame, median Y ms/frame, Z frames/s" (per frame = per
 * run / batch; frames/s from the median) after one warm-up run, and with
 * --profile a per-layer table averaged over the timed runs: the kernel that
 * ran each layer and its speed in GFLOP/s. */
#include "ilgnet.h"
#include "tool-model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ToolModelOptions model_opts;   /* -m, --batch, --threads */
static gint opt_frames = 32;
static gboolean opt_profile;

static GOptionEntry entries[] = {
  {"frames", 'n', 0, G_OPTION_ARG_INT, &opt_frames,
      "Frames to time, rounded up to whole batches (default 32)", "N"},
  {"profile", 'p', 0, G_OPTION_ARG_NONE, &opt_profile,
      "Print time per layer", NULL},
  {NULL}
};

typedef struct
{
  char *name;
  char *type;
  char *kernel;
  guint64 flops;
  double ms;
} Row;

typedef struct
{
  GArray *rows;
  guint next;
} Profile;

static void
collect (const char *layer, const char *type, const char *kernel,
    guint64 flops, double ms, gpointer data)
{
  Profile *p = data;

  if (p->next == p->rows->len) {
    Row r = { g_strdup (layer), g_strdup (type), g_strdup (kernel), flops, 0 };
    g_array_append_val (p->rows, r);
  }
  g_array_index (p->rows, Row, p->next).ms += ms;
  p->next++;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* The per-layer table: time per run, share, and the speed of the kernel
 * that ran the layer. */
static void
print_profile (const Profile * prof, int runs)
{
  guint k;
  double sum = 0;

  for (k = 0; k < prof->rows->len; k++)
    sum += g_array_index (prof->rows, Row, k).ms;
  printf ("%-36s %-18s %-14s %10s %6s %8s\n", "layer", "type", "kernel",
      "ms/run", "%", "GFLOP/s");
  for (k = 0; k < prof->rows->len; k++) {
    const Row *r = &g_array_index (prof->rows, Row, k);
    printf ("%-36s %-18s %-14s %10.3f %6.1f %8.1f\n", r->name, r->type,
        r->kernel, r->ms / runs, 100.0 * r->ms / MAX (sum, 1e-9),
        r->flops * model_opts.batch * runs / MAX (r->ms, 1e-9) / 1e6);
  }
  printf ("%-36s %-18s %-14s %10.3f\n", "total", "", "", sum / runs);
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *error = NULL;
  IlgnetModel *model = NULL;
  IlgnetSession *s = NULL;
  const IlgnetInputSpec *spec;
  Profile prof = { NULL, 0 };
  double *times = NULL, total = 0;
  int runs, i, ret = 1;
  gsize per, k;
  float *in;
  GRand *rand;

  ctx = g_option_context_new ("- time a model");
  tool_model_options_add (ctx, &model_opts);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    goto out;
  if (opt_frames < 1) {
    g_set_error (&error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "--frames must be at least 1");
    goto out;
  }
  if (!(model = tool_model_options_open (&model_opts, &error)))
    goto out;
  if (!(s = ilgnet_session_new (model, model_opts.batch, model_opts.threads,
              &error)))
    goto out;

  spec = ilgnet_model_get_input_spec (model);
  per = (gsize) spec->channels * spec->height * spec->width;
  in = ilgnet_session_get_input (s);
  rand = g_rand_new_with_seed (1);
  /* roughly the range of mean-subtracted pixels */
  for (k = 0; k < per * model_opts.batch; k++)
    in[k] = g_rand_double_range (rand, -120.0, 130.0);
  g_rand_free (rand);

  if (!ilgnet_session_run (s, model_opts.batch, &error))       /* warm-up */
    goto out;
  runs = (opt_frames + model_opts.batch - 1) / model_opts.batch;
  times = g_new (double, runs);
  prof.rows = g_array_new (FALSE, TRUE, sizeof (Row));
  ilgnet_session_set_profiling (s, opt_profile);
  for (i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    if (!ilgnet_session_run (s, model_opts.batch, &error))
      goto out;
    times[i] = (g_get_monotonic_time () - t0) / 1000.0 / model_opts.batch;
    total += times[i];
    if (opt_profile) {
      prof.next = 0;
      ilgnet_session_foreach_kernel_profile (s, collect, &prof);
    }
  }
  qsort (times, runs, sizeof (double), compare_double);
  {
    double median = runs % 2 ? times[runs / 2] :
        (times[runs / 2 - 1] + times[runs / 2]) / 2;
    printf ("min %.2f ms/frame, median %.2f ms/frame, %.1f frames/s\n",
        times[0], median, 1000.0 / median);
  }
  if (opt_profile)
    print_profile (&prof, runs);
  ret = 0;

out:
  if (error) {
    fprintf (stderr, "ilgnet-bench: %s\n", error->message);
    g_error_free (error);
  }
  if (prof.rows) {
    for (k = 0; k < prof.rows->len; k++) {
      g_free (g_array_index (prof.rows, Row, k).name);
      g_free (g_array_index (prof.rows, Row, k).type);
      g_free (g_array_index (prof.rows, Row, k).kernel);
    }
    g_array_free (prof.rows, TRUE);
  }
  g_free (times);
  ilgnet_session_free (s);
  ilgnet_model_unref (model);
  g_option_context_free (ctx);
  return ret;
}
