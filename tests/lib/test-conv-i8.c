/* Convolutions with i8 weights, computed in int8 (src/conv-i8.c), against
 * a reference that quantises the input the way the library documents it
 * (per image: one scale and zero point from the range of the input and 0,
 * round to nearest, 8 bits, or 7 where the kernel is vpmaddubsw's) and
 * then computes in double.  Everything but the rounding of the final
 * scaling is then the same arithmetic, so the check is tight (a wrong
 * index or a lost column shows at once, where a comparison with the f32
 * convolution has to allow for the quantisation).  Run once per
 * instruction set (ILGNET_SIMD in meson.build); the kernel that ran must
 * be the int8 one. */
#include "ilgnet.h"
#include "model-builder.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NAMES(...) ((const char *const[]) { __VA_ARGS__, NULL })
static const char *const NONE[] = { NULL };

static int failures;

#define EXPECT(cond, ...) G_STMT_START { \
    if (!(cond)) { \
      failures++; \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf (stderr, __VA_ARGS__); \
      fputc ('\n', stderr); \
    } \
  } G_STMT_END

typedef struct
{
  const char *what;
  int C, H, W, O, k, s, pad, dil, g;
  gboolean nonneg;              /* input like a ReLU's output */
  gboolean zeros;               /* all-zero input */
  gboolean relu;
} Case;

/* The input as the kernels see it: quantised and back. */
static void
quantise_like_library (const float *x, gsize n, int qmax, float *out)
{
  float lo = 0, hi = 0, scale, inv;
  int zero;
  gsize i;

  for (i = 0; i < n; i++) {
    lo = MIN (lo, x[i]);
    hi = MAX (hi, x[i]);
  }
  if (!(hi > lo)) {
    memcpy (out, x, n * sizeof (float));
    return;
  }
  scale = (hi - lo) / qmax;
  zero = CLAMP ((int) (-lo / scale + 0.5f), 0, qmax);
  inv = 1.0f / scale;
  for (i = 0; i < n; i++) {
    float v = x[i] * inv + (zero + 0.5f);
    int q = (int) MIN (MAX (v, 0.0f), qmax + 0.5f);
    out[i] = (float) ((double) (q - zero) * scale);
  }
}

static void
ref_conv (const Case * c, const float *x, const float *w, const float *b,
    float *y, int oh, int ow)
{
  int cg = c->C / c->g, og = c->O / c->g, o, oy, ox, ci, i, j;

  for (o = 0; o < c->O; o++)
    for (oy = 0; oy < oh; oy++)
      for (ox = 0; ox < ow; ox++) {
        double acc = b[o];
        int grp = o / og;
        for (ci = 0; ci < cg; ci++)
          for (i = 0; i < c->k; i++)
            for (j = 0; j < c->k; j++) {
              int iy = oy * c->s - c->pad + i * c->dil;
              int ix = ox * c->s - c->pad + j * c->dil;
              if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W)
                continue;
              acc += (double) w[((o * cg + ci) * c->k + i) * c->k + j]
                  * x[((grp * cg + ci) * c->H + iy) * c->W + ix];
            }
        if (c->relu && acc < 0)
          acc = 0;
        y[(o * oh + oy) * ow + ox] = acc;
      }
}

static void
kernel_of_conv (const char *layer, const char *type, const char *kernel,
    guint64 flops, double ms, gpointer data)
{
  if (!strcmp (layer, "conv"))
    *(char **) data = g_strdup (kernel);
}

static void
run_case (GRand * rnd, const Case * c)
{
  const int n = 3;
  int oh = (c->H + 2 * c->pad - (c->dil * (c->k - 1) + 1)) / c->s + 1;
  int ow = (c->W + 2 * c->pad - (c->dil * (c->k - 1) + 1)) / c->s + 1;
  gsize per_in = (gsize) c->C * c->H * c->W, per_out = (gsize) c->O * oh * ow;
  gsize nw = (gsize) c->O * (c->C / c->g) * c->k * c->k, i;
  gint64 wshape[4] = { c->O, c->C / c->g, c->k, c->k }, bshape = c->O;
  float *w = g_new (float, nw), *b = g_new (float, c->O);
  float *x = g_new (float, per_in * n), *xq = g_new (float, per_in);
  float *want = g_new (float, per_out * n);
  ModelBuilder *mb = model_builder_new (c->C, c->H, c->W);
  const char *wn, *bn;
  char *param, *path, *kernel = NULL;
  IlgnetModel *m;
  GError *err = NULL;
  int batch, threads, qmax = 255, img;

  fill_random (rnd, w, nw, -1, 1);
  fill_random (rnd, b, c->O, -1, 1);
  fill_random (rnd, x, per_in * n, c->nonneg ? -1.5 : -2, 2);
  for (i = 0; i < per_in * n; i++) {
    if (c->nonneg)
      x[i] = MAX (x[i], 0.0f);  /* 3/7 of them 0, as after a ReLU */
    if (c->zeros)
      x[i] = 0;
  }
  wn = model_builder_add_tensor (mb, "i8", w, wshape, 4);
  bn = model_builder_add_tensor (mb, "f32", b, &bshape, 1);
  model_builder_dequantize ("i8", w, c->O, nw / c->O);
  param = g_strdup_printf ("\"num_output\":%d,\"kernel\":%d,\"stride\":%d,"
      "\"pad\":%d,\"dilation\":%d,\"group\":%d", c->O, c->k, c->s, c->pad,
      c->dil, c->g);
  model_builder_add_layer (mb, "conv", "Convolution", NAMES ("data"), "conv",
      NAMES (wn, bn), param);
  if (c->relu)
    model_builder_add_layer (mb, "relu", "ReLU", NAMES ("conv"), "conv",
        NONE, "");
  path = model_builder_write (mb);
  m = ilgnet_model_open (path, &err);
  g_assert_no_error (err);

  for (batch = 1; batch <= n; batch += 2)
    for (threads = 1; threads <= 2; threads++) {
      IlgnetSession *s = ilgnet_session_new_full (m, batch, threads,
          ILGNET_SESSION_KEEP_BLOBS, &err);
      double maxerr = 0, maxref = 1e-6;
      g_assert_no_error (err);
      ilgnet_session_set_profiling (s, TRUE);
      for (img = 0; img < n; img += batch) {
        int k = MIN (batch, n - img), sh[4], t;
        const float *got;
        memcpy (ilgnet_session_get_input (s), x + img * per_in,
            k * per_in * sizeof (float));
        if (!ilgnet_session_run (s, k, &err))
          g_error ("run: %s", err->message);
        if (!kernel) {
          ilgnet_session_foreach_kernel_profile (s, kernel_of_conv, &kernel);
          g_assert (kernel);
          /* vpmaddubsw kernels quantise to 7 bits */
          if (!strcmp (kernel, "i8-avx2") || !strcmp (kernel, "i8-avx512"))
            qmax = 127;
          for (t = 0; t < n; t++) {
            quantise_like_library (x + t * per_in, per_in, qmax, xq);
            ref_conv (c, xq, w, b, want + t * per_out, oh, ow);
          }
        }
        got = ilgnet_session_get_blob (s, "conv", sh, &err);
        g_assert_no_error (err);
        for (i = 0; i < per_out * k; i++) {
          double r = want[img * per_out + i];
          maxerr = MAX (maxerr, fabs (got[i] - r));
          if (!(fabs (got[i] - r) <= 1e30))
            maxerr = INFINITY;
          maxref = MAX (maxref, fabs (r));
        }
      }
      /* a rounding tie may move one input by one step */
      EXPECT (maxerr <= 2e-3 * maxref, "%s [batch %d, %d threads, %s]: "
          "max error %g, reference max %g", c->what, batch, threads, kernel,
          maxerr, maxref);
      ilgnet_session_free (s);
    }
  EXPECT (g_str_has_prefix (kernel, "i8-"), "%s ran on %s", c->what, kernel);
  printf ("%-34s %s\n", c->what, kernel);

  ilgnet_model_unref (m);
  g_unlink (path);
  g_free (path);
  g_free (param);
  g_free (kernel);
  g_free (w);
  g_free (b);
  g_free (x);
  g_free (xq);
  g_free (want);
  model_builder_free (mb);
}

int
main (void)
{
  static const Case cases[] = {
    /* what                         C  H  W  O  k s p d g nonneg zeros relu */
    {"3x3, 13 outputs, K 180", 20, 15, 13, 13, 3, 1, 1, 1, 1, TRUE, FALSE,
        TRUE},
    {"1x1, K 37 (not a multiple of 4)", 37, 9, 11, 24, 1, 1, 0, 1, 1, TRUE,
        FALSE, FALSE},
    {"1x1, 1600 columns", 16, 40, 40, 16, 1, 1, 0, 1, 1, TRUE, FALSE, TRUE},
    {"7x7 stride 2 pad 3, signed input", 3, 29, 31, 8, 7, 2, 3, 1, 1, FALSE,
        FALSE, TRUE},
    {"5x5 pad 2, 2 groups", 8, 12, 10, 6, 5, 1, 2, 1, 2, TRUE, FALSE, FALSE},
    {"3x3 dilation 2, signed", 5, 13, 12, 7, 3, 1, 2, 2, 1, FALSE, FALSE,
        FALSE},
    {"3x3 stride 3", 6, 17, 16, 9, 3, 3, 1, 1, 1, TRUE, FALSE, FALSE},
    {"all-zero input", 8, 6, 7, 5, 3, 1, 1, 1, 1, FALSE, TRUE, TRUE},
  };
  GRand *rnd = g_rand_new_with_seed (19);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    run_case (rnd, &cases[i]);
  g_rand_free (rnd);
  if (failures) {
    fprintf (stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf ("all int8 convolution checks passed\n");
  return 0;
}
