/* Layer kernels of libilgnet against naive reference implementations
 * written here from Caffe's definitions: each case builds a small model
 * file, runs it at batch > 1 (and 1 thread / all threads), and compares
 * every blob. */
#include "ilgnet.h"
#include "model-builder.h"

#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static GRand *rnd;

/* ---- references (one image, NCHW) ---------------------------------------- */

static void
ref_conv (const float *x, int C, int H, int W, const float *w, const float *b,
    int O, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
    int g, int relu, float slope, float *y, int *OH, int *OW)
{
  int oh = (H + 2 * ph - (dh * (kh - 1) + 1)) / sh + 1;
  int ow = (W + 2 * pw - (dw * (kw - 1) + 1)) / sw + 1;
  int cg = C / g, og = O / g, o, oy, ox, c, i, j;
  for (o = 0; o < O; o++)
    for (oy = 0; oy < oh; oy++)
      for (ox = 0; ox < ow; ox++) {
        double acc = b ? b[o] : 0;
        int grp = o / og;
        for (c = 0; c < cg; c++)
          for (i = 0; i < kh; i++)
            for (j = 0; j < kw; j++) {
              int iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                continue;
              acc += (double) w[((o * cg + c) * kh + i) * kw + j] *
                  x[((grp * cg + c) * H + iy) * W + ix];
            }
        if (relu && acc < 0)
          acc *= slope;
        y[(o * oh + oy) * ow + ox] = acc;
      }
  *OH = oh;
  *OW = ow;
}

/* Caffe's PoolingLayer::Forward_cpu, transcribed */
static void
ref_pool (const float *x, int C, int H, int W, int maxpool, int kh, int kw,
    int sh, int sw, int ph, int pw, float *y, int *OH, int *OW)
{
  int oh = (int) ceil ((float) (H + 2 * ph - kh) / sh) + 1;
  int ow = (int) ceil ((float) (W + 2 * pw - kw) / sw) + 1;
  int c, py, px, h, w;
  if (ph || pw) {
    if ((oh - 1) * sh >= H + ph)
      --oh;
    if ((ow - 1) * sw >= W + pw)
      --ow;
  }
  for (c = 0; c < C; c++)
    for (py = 0; py < oh; py++)
      for (px = 0; px < ow; px++) {
        int hstart = py * sh - ph, wstart = px * sw - pw;
        if (maxpool) {
          int hend = MIN (hstart + kh, H), wend = MIN (wstart + kw, W);
          float m = -FLT_MAX;
          hstart = MAX (hstart, 0);
          wstart = MAX (wstart, 0);
          for (h = hstart; h < hend; h++)
            for (w = wstart; w < wend; w++)
              m = MAX (m, x[(c * H + h) * W + w]);
          y[(c * oh + py) * ow + px] = m;
        } else {
          int hend = MIN (hstart + kh, H + ph), wend = MIN (wstart + kw, W + pw);
          int size = (hend - hstart) * (wend - wstart);
          double s = 0;
          hstart = MAX (hstart, 0);
          wstart = MAX (wstart, 0);
          hend = MIN (hend, H);
          wend = MIN (wend, W);
          for (h = hstart; h < hend; h++)
            for (w = wstart; w < wend; w++)
              s += x[(c * H + h) * W + w];
          y[(c * oh + py) * ow + px] = s / size;
        }
      }
  *OH = oh;
  *OW = ow;
}

static void
ref_lrn_across (const float *x, int C, int HW, int size, float alpha,
    float beta, float k, float *y)
{
  int c, p, cc;
  for (c = 0; c < C; c++)
    for (p = 0; p < HW; p++) {
      double s = 0;
      for (cc = c - (size - 1) / 2; cc <= c + size / 2; cc++)
        if (cc >= 0 && cc < C)
          s += (double) x[cc * HW + p] * x[cc * HW + p];
      y[c * HW + p] = x[c * HW + p] * pow (k + alpha / size * s, -beta);
    }
}

static void
ref_lrn_within (const float *x, int C, int H, int W, int size, float alpha,
    float beta, float *y)
{
  int c, i, j, u, v, half = (size - 1) / 2;
  for (c = 0; c < C; c++)
    for (i = 0; i < H; i++)
      for (j = 0; j < W; j++) {
        double s = 0;
        for (u = i - half; u <= i + half; u++)
          for (v = j - half; v <= j + half; v++)
            if (u >= 0 && u < H && v >= 0 && v < W)
              s += (double) x[(c * H + u) * W + v] * x[(c * H + u) * W + v];
        y[(c * H + i) * W + j] = x[(c * H + i) * W + j] *
            pow (1.0 + alpha * s / (size * size), -beta);
      }
}

static void
ref_fc (const float *x, int K, const float *w, const float *b, int O,
    gboolean relu, float *y)
{
  int o, k;
  for (o = 0; o < O; o++) {
    double s = b ? b[o] : 0;
    for (k = 0; k < K; k++)
      s += (double) w[(gsize) o * K + k] * x[k];
    y[o] = relu && s < 0 ? 0 : s;
  }
}

/* ---- running ------------------------------------------------------------- */

static const char *const NONE[] = { NULL };

#define NAMES(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* Runs @path on @n images, returns blob @name of all (n * per floats). */
static float *
run_blob (const char *path, const float *input, int n, int batch,
    int threads, IlgnetSessionFlags flags, const char *name, int shape[4])
{
  GError *err = NULL;
  IlgnetModel *m = ilgnet_model_open (path, &err);
  IlgnetSession *s;
  const IlgnetInputSpec *spec;
  gsize per_in, per_out = 0;
  float *out = NULL;
  int i;

  if (!m) {
    g_test_fail_printf ("load %s: %s", path, err->message);
    g_clear_error (&err);
    return NULL;
  }
  s = ilgnet_session_new_full (m, batch, threads, flags, &err);
  g_assert_no_error (err);
  spec = ilgnet_model_get_input_spec (m);
  per_in = (gsize) spec->channels * spec->height * spec->width;
  for (i = 0; i < n; i += batch) {
    int k = MIN (batch, n - i), sh[4];
    const float *v;
    memcpy (ilgnet_session_get_input (s), input + i * per_in,
        k * per_in * sizeof (float));
    if (!ilgnet_session_run (s, k, &err))
      g_error ("run: %s", err->message);
    v = ilgnet_session_get_blob (s, name, sh, &err);
    if (!v) {
      g_test_fail_printf ("get_blob %s: %s", name, err->message);
      g_clear_error (&err);
      break;
    }
    per_out = (gsize) sh[1] * sh[2] * sh[3];
    if (!out)
      out = g_new (float, per_out * n);
    memcpy (out + i * per_out, v, k * per_out * sizeof (float));
    if (shape)
      memcpy (shape, sh, sizeof (sh));
  }
  ilgnet_session_free (s);
  ilgnet_model_unref (m);
  return out;
}

static void
compare (const char *what, const float *got, const float *want, gsize n,
    double tol)
{
  double maxerr = 0, maxref = 1e-6;
  gsize i, worst = 0;
  for (i = 0; i < n; i++) {
    double e = fabs ((double) got[i] - want[i]);
    if (!(e <= maxerr)) {
      maxerr = isnan (e) ? INFINITY : e;
      worst = i;
    }
    maxref = MAX (maxref, fabs (want[i]));
  }
  if (!(maxerr <= tol * maxref))
    g_test_fail_printf ("%s: max error %g at %" G_GSIZE_FORMAT
        " (got %g want %g), reference max %g", what, maxerr, worst,
        got[worst], want[worst], maxref);
}

/* Runs the model at several batch sizes and thread counts; every variant
 * must match the reference of blob @name. */
static void
check_variants (const char *what, const char *path, const float *input,
    int n, const char *name, const float *want, gsize per, double tol)
{
  static const int batches[] = { 1, 2, 3 };
  guint bi;
  int threads;
  char *label;

  for (bi = 0; bi < G_N_ELEMENTS (batches); bi++)
    for (threads = 1; threads <= 2; threads++) {
      float *got = run_blob (path, input, n, batches[bi], threads,
          ILGNET_SESSION_KEEP_BLOBS, name, NULL);
      label = g_strdup_printf ("%s [batch %d, %d threads]", what,
          batches[bi], threads);
      if (got)
        compare (label, got, want, per * n, tol);
      g_free (label);
      g_free (got);
    }
}

/* ---- cases --------------------------------------------------------------- */

typedef struct
{
  int C, H, W, O, kh, kw, sh, sw, ph, pw, dh, dw, g, bias, relu;
  float slope;
} ConvCase;

static void
test_conv (void)
{
  static const ConvCase cases[] = {
    {3, 23, 21, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1, 1, 1, 0},  /* conv1-like */
    {8, 9, 9, 12, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0},   /* 1x1 direct */
    {8, 9, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},    /* no bias */
    {6, 11, 10, 9, 3, 3, 1, 1, 1, 1, 1, 1, 3, 1, 1, 0.1f},       /* groups, leaky */
    {4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 1, 0, 0},    /* depthwise */
    {5, 13, 12, 7, 3, 3, 1, 1, 2, 2, 2, 2, 1, 1, 1, 0},  /* dilation */
    {3, 10, 9, 5, 3, 1, 2, 1, 1, 0, 1, 1, 1, 1, 0, 0},   /* asymmetric */
    {4, 1, 1, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0},    /* 1x1 image */
    {2, 7, 7, 4, 5, 5, 3, 3, 2, 2, 1, 1, 2, 1, 1, 0},    /* 5x5 s3, groups */
    {16, 6, 6, 8, 1, 1, 2, 2, 0, 0, 1, 1, 2, 1, 0, 0},   /* 1x1 strided */
    {3, 15, 14, 4, 3, 3, 2, 2, 2, 1, 2, 2, 1, 1, 0, 0},  /* stride+dilation */
    {2, 9, 8, 3, 4, 5, 2, 2, 1, 2, 1, 1, 1, 1, 1, 0},    /* even kernel, s2 */
    /* 3x3 stride 1 (Winograd F(4x4, 3x3)): ragged last tiles, more than
     * one input-transform step of tiles (> 32 across), pads 0 to 2 */
    {20, 30, 141, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
    {7, 13, 10, 9, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0},
    {5, 6, 9, 4, 3, 3, 1, 1, 2, 2, 1, 1, 1, 1, 1, 0.2f},
    {3, 2, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
  };
  guint ci;

  for (ci = 0; ci < G_N_ELEMENTS (cases); ci++) {
    const ConvCase *k = &cases[ci];
    const char *dts[] = { "f32", "f16", "i8" };
    guint di;
    for (di = 0; di < 3; di++) {
      int n = 3, i, oh = 0, ow = 0;
      gsize nw = (gsize) k->O * (k->C / k->g) * k->kh * k->kw;
      gint64 wshape[4] = { k->O, k->C / k->g, k->kh, k->kw }, bshape = k->O;
      float *w = g_new (float, nw), *b = g_new (float, k->O);
      gsize per_in = (gsize) k->C * k->H * k->W;
      float *x = g_new (float, per_in * n), *want;
      ModelBuilder *mb = model_builder_new (k->C, k->H, k->W);
      const char *wn, *bn = NULL;
      char *param, *path, *what;

      fill_random (rnd, w, nw, -1, 1);
      fill_random (rnd, b, k->O, -1, 1);
      fill_random (rnd, x, per_in * n, -2, 2);
      wn = model_builder_add_tensor (mb, dts[di], w, wshape, 4);
      model_builder_dequantize (dts[di], w, k->O, nw / k->O);
      if (k->bias)
        bn = model_builder_add_tensor (mb, "f32", b, &bshape, 1);
      param = g_strdup_printf ("\"num_output\":%d,\"kernel\":[%d,%d],"
          "\"stride\":[%d,%d],\"pad\":[%d,%d],\"dilation\":[%d,%d],"
          "\"group\":%d,\"bias_term\":%s", k->O, k->kh, k->kw, k->sh, k->sw,
          k->ph, k->pw, k->dh, k->dw, k->g, k->bias ? "true" : "false");
      model_builder_add_layer (mb, "conv", "Convolution", NAMES ("data"),
          "conv", k->bias ? NAMES (wn, bn) : NAMES (wn), param);
      if (k->relu) {
        char *rp = g_strdup_printf ("\"negative_slope\":%g", k->slope);
        model_builder_add_layer (mb, "relu", "ReLU", NAMES ("conv"), "conv",
            NONE, rp);
        g_free (rp);
      }
      path = model_builder_write (mb);

      oh = (k->H + 2 * k->ph - (k->dh * (k->kh - 1) + 1)) / k->sh + 1;
      ow = (k->W + 2 * k->pw - (k->dw * (k->kw - 1) + 1)) / k->sw + 1;
      want = g_new (float, (gsize) k->O * oh * ow * n);
      for (i = 0; i < n; i++)
        ref_conv (x + i * per_in, k->C, k->H, k->W, w, k->bias ? b : NULL,
            k->O, k->kh, k->kw, k->sh, k->sw, k->ph, k->pw, k->dh, k->dw,
            k->g, k->relu, k->slope, want + (gsize) i * k->O * oh * ow, &oh,
            &ow);
      what = g_strdup_printf ("conv case %u %s", ci, dts[di]);
      /* i8: computed in int8 with the input quantised to 7 or 8 bits */
      check_variants (what, path, x, n, "conv", want, (gsize) k->O * oh * ow,
          di == 2 ? 2e-2 : 1e-4);
      g_free (what);
      g_unlink (path);
      g_free (path);
      g_free (param);
      g_free (w);
      g_free (b);
      g_free (x);
      g_free (want);
      model_builder_free (mb);
    }
  }
}

typedef struct
{
  int C, H, W, maxpool, kh, kw, sh, sw, ph, pw, global;
} PoolCase;

static void
test_pool (void)
{
  static const PoolCase cases[] = {
    {3, 114, 114, 1, 3, 3, 2, 2, 0, 0, 0},      /* pool1: ceil 56.5 -> 57 */
    {2, 57, 57, 1, 3, 3, 2, 2, 0, 0, 0},
    {2, 28, 28, 1, 3, 3, 1, 1, 1, 1, 0},        /* inception pool */
    {2, 28, 28, 0, 3, 3, 1, 1, 1, 1, 0},        /* AVE with pad: clipped divisor */
    {3, 14, 14, 0, 5, 5, 3, 3, 0, 0, 0},        /* loss1/ave_pool -> 4x4 */
    {2, 28, 28, 0, 4, 4, 4, 4, 0, 0, 0},        /* temp1/pool -> 7x7 */
    {2, 30, 31, 0, 4, 4, 4, 4, 0, 0, 0},        /* last windows clipped */
    {2, 13, 13, 1, 4, 4, 4, 4, 0, 0, 0},        /* MAX, generic k and s */
    {2, 9, 11, 1, 3, 3, 2, 2, 1, 1, 0}, /* stride 2 with pad */
    {2, 9, 11, 0, 3, 3, 2, 2, 1, 1, 0},
    {2, 2, 2, 1, 3, 3, 1, 1, 1, 1, 0},  /* no window wholly inside */
    {2, 2, 2, 0, 3, 3, 1, 1, 1, 1, 0},
    {2, 5, 5, 1, 2, 2, 2, 2, 1, 1, 0},  /* last window in pad: dropped */
    {2, 5, 5, 0, 2, 2, 2, 2, 1, 1, 0},
    {2, 6, 7, 0, 3, 2, 2, 3, 1, 1, 0},  /* asymmetric */
    {2, 7, 7, 0, 3, 3, 3, 3, 2, 2, 0},  /* pad 2, k 3 */
    {3, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {3, 6, 5, 0, 0, 0, 0, 0, 0, 0, 1},  /* global average */
    {3, 6, 5, 1, 0, 0, 0, 0, 0, 0, 1},  /* global max */
  };
  guint ci;

  /* kernel 1, stride 3 over 5 pixels: Caffe's ceil rounding puts a last
   * window past the input; such a model is refused at load */
  {
    ModelBuilder *mb = model_builder_new (1, 5, 5);
    char *path;
    GError *err = NULL;
    model_builder_add_layer (mb, "pool", "Pooling", NAMES ("data"), "pool",
        NONE, "\"pool\":\"max\",\"kernel\":[1,1],\"stride\":[3,3]");
    path = model_builder_write (mb);
    /* a pooling window outside the input is refused */
    g_assert_null (ilgnet_model_open (path, &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
    g_unlink (path);
    g_free (path);
    model_builder_free (mb);
  }

  for (ci = 0; ci < G_N_ELEMENTS (cases); ci++) {
    const PoolCase *k = &cases[ci];
    int n = 3, i, oh = 0, ow = 0;
    int kh = k->global ? k->H : k->kh, kw = k->global ? k->W : k->kw;
    int sh = k->global ? 1 : k->sh, sw = k->global ? 1 : k->sw;
    gsize per_in = (gsize) k->C * k->H * k->W;
    float *x = g_new (float, per_in * n), *want, *tmp;
    ModelBuilder *mb = model_builder_new (k->C, k->H, k->W);
    char *param, *path, *what;

    fill_random (rnd, x, per_in * n, -3, 3);
    if (k->global)
      param = g_strdup_printf ("\"pool\":\"%s\",\"global\":true",
          k->maxpool ? "max" : "ave");
    else
      param = g_strdup_printf ("\"pool\":\"%s\",\"kernel\":[%d,%d],"
          "\"stride\":[%d,%d],\"pad\":[%d,%d]", k->maxpool ? "max" : "ave",
          k->kh, k->kw, k->sh, k->sw, k->ph, k->pw);
    model_builder_add_layer (mb, "pool", "Pooling", NAMES ("data"), "pool",
        NONE, param);
    path = model_builder_write (mb);
    tmp = g_new (float, per_in * 4 + 64);
    ref_pool (x, k->C, k->H, k->W, k->maxpool, kh, kw, sh, sw, k->ph, k->pw,
        tmp, &oh, &ow);
    want = g_new (float, (gsize) k->C * oh * ow * n);
    for (i = 0; i < n; i++)
      ref_pool (x + i * per_in, k->C, k->H, k->W, k->maxpool, kh, kw, sh, sw,
          k->ph, k->pw, want + (gsize) i * k->C * oh * ow, &oh, &ow);
    {
      int shape[4];
      float *got = run_blob (path, x, n, n, 1, 0, "pool", shape);
      if (shape[2] != oh || shape[3] != ow)
        g_test_fail_printf ("pool case %u: output %dx%d, Caffe gives %dx%d",
            ci, shape[2], shape[3], oh, ow);
      g_free (got);
    }
    what = g_strdup_printf ("pool case %u", ci);
    check_variants (what, path, x, n, "pool", want, (gsize) k->C * oh * ow,
        1e-6);
    g_free (what);
    g_unlink (path);
    g_free (path);
    g_free (param);
    g_free (x);
    g_free (tmp);
    g_free (want);
    model_builder_free (mb);
  }
}

static void
test_lrn (void)
{
  static const struct
  {
    int C, H, W, size, within;
    float alpha, beta;
  } cases[] = {
    {64, 9, 9, 5, 0, 1e-4f, 0.75f},
    {7, 5, 3, 3, 0, 0.5f, 0.6f},
    {3, 2, 2, 5, 0, 2.0f, 0.75f},       /* window wider than the channels */
    {4, 7, 6, 3, 1, 1.0f, 0.75f},
  };
  guint ci;

  for (ci = 0; ci < G_N_ELEMENTS (cases); ci++) {
    int C = cases[ci].C, H = cases[ci].H, W = cases[ci].W, n = 3, i;
    gsize per = (gsize) C * H * W;
    float *x = g_new (float, per * n), *want = g_new (float, per * n);
    ModelBuilder *mb = model_builder_new (C, H, W);
    char *param, *path, *what;

    /* large values so the normalization matters */
    fill_random (rnd, x, per * n, -100, 100);
    param = g_strdup_printf ("\"local_size\":%d,\"alpha\":%g,\"beta\":%g,"
        "\"k\":1,\"region\":\"%s\"", cases[ci].size, cases[ci].alpha,
        cases[ci].beta, cases[ci].within ? "within" : "across");
    model_builder_add_layer (mb, "lrn", "LRN", NAMES ("data"), "lrn", NONE,
        param);
    path = model_builder_write (mb);
    for (i = 0; i < n; i++) {
      if (cases[ci].within)
        ref_lrn_within (x + i * per, C, H, W, cases[ci].size,
            cases[ci].alpha, cases[ci].beta, want + i * per);
      else
        ref_lrn_across (x + i * per, C, H * W, cases[ci].size,
            cases[ci].alpha, cases[ci].beta, 1.0f, want + i * per);
    }
    what = g_strdup_printf ("lrn case %u", ci);
    check_variants (what, path, x, n, "lrn", want, per, 1e-5);
    g_free (what);
    g_unlink (path);
    g_free (path);
    g_free (param);
    g_free (x);
    g_free (want);
    model_builder_free (mb);
  }
}

/* InnerProduct with every weight dtype, row counts and K that are not
 * multiples of the SIMD blocks, and batch sizes over the 4-image block. */
static void
test_inner_product (void)
{
  static const int Ks[][3] = { {3, 5, 7}, {2, 37, 1}, {1, 16, 16},
  {4, 130, 9}, {2, 200, 33}
  };
  const char *dts[] = { "f32", "f16", "i8" };
  guint ci, di;

  for (ci = 0; ci < G_N_ELEMENTS (Ks); ci++)
    for (di = 0; di < 3; di++) {
      /* 40 images: batches over 32 take the SGEMM path */
      int C = Ks[ci][0], H = Ks[ci][1], O = Ks[ci][2], n = 40, i;
      int K = C * H;
      gint64 ws[2] = { O, K }, bs = O;
      float *w = g_new (float, (gsize) O * K), *b = g_new (float, O);
      float *x = g_new (float, (gsize) K * n), *want = g_new (float, O * n);
      ModelBuilder *mb = model_builder_new (C, H, 1);
      const char *wn, *bn;
      char *param, *path, *what;
      static const int batches[] = { 1, 4, 5, 6, 8, 13, 40 };
      guint bi;

      fill_random (rnd, w, (gsize) O * K, -1, 1);
      fill_random (rnd, b, O, -1, 1);
      fill_random (rnd, x, (gsize) K * n, -1, 1);
      wn = model_builder_add_tensor (mb, dts[di], w, ws, 2);
      model_builder_dequantize (dts[di], w, O, K);
      bn = model_builder_add_tensor (mb, "f32", b, &bs, 1);
      param = g_strdup_printf ("\"num_output\":%d,\"bias_term\":true", O);
      model_builder_add_layer (mb, "fc", "InnerProduct", NAMES ("data"), "fc",
          NAMES (wn, bn), param);
      path = model_builder_write (mb);
      for (i = 0; i < n; i++)
        ref_fc (x + (gsize) i * K, K, w, b, O, FALSE, want + i * O);
      for (bi = 0; bi < G_N_ELEMENTS (batches); bi++) {
        float *got = run_blob (path, x, n, batches[bi], 2, 0, "fc", NULL);
        what = g_strdup_printf ("fc %dx%d %s batch %d", O, K, dts[di],
            batches[bi]);
        if (got)
          compare (what, got, want, (gsize) O * n, 1e-5);
        g_free (what);
        g_free (got);
      }
      g_unlink (path);
      g_free (path);
      g_free (param);
      g_free (w);
      g_free (b);
      g_free (x);
      g_free (want);
      model_builder_free (mb);
    }
}

/* A small inception-like graph: branches into a concat (written in place),
 * a blob modified in place after the concat read it (must be copied), a
 * flatten view, FC heads concatenated, softmax; BatchNorm, Scale, PReLU,
 * Eltwise and a non-in-place Dropout on the side. */
static void
test_graph (void)
{
  int C = 3, H = 6, W = 5, n = 5, i, j, c, p;
  gsize per = (gsize) C * H * W, hw = (gsize) H * W;
  ModelBuilder *mb = model_builder_new (C, H, W);
  float wa[4 * 3], ba[4], wb[2 * 3 * 9], bb[2], mean[3], var[3], sc[3],
      sb[3], slope[3], wf[3 * 6 * 30], bf[3];
  gint64 sa[4] = { 4, 3, 1, 1 }, sbv[4] = { 2, 3, 3, 3 }, s4 = 4, s2 = 2,
      s3 = 3, sf[2] = { 3, 6 * 30 };
  float *x = g_new (float, per * n);
  const char *t_wa, *t_ba, *t_wb, *t_bb, *t_mean, *t_var, *t_sc, *t_sb,
      *t_slope, *t_wf, *t_bf;
  char *path;
  const char *blobs[] = { "a", "b", "cat", "bn", "pr", "sum", "drop", "fc",
    "prob", NULL
  };
  float *want[9];
  int k;

  fill_random (rnd, wa, 12, -1, 1);
  fill_random (rnd, ba, 4, -1, 1);
  fill_random (rnd, wb, 54, -1, 1);
  fill_random (rnd, bb, 2, -1, 1);
  fill_random (rnd, mean, 3, -1, 1);
  fill_random (rnd, var, 3, 0.5, 2);
  fill_random (rnd, sc, 3, 0.5, 2);
  fill_random (rnd, sb, 3, -1, 1);
  fill_random (rnd, slope, 3, 0, 0.5);
  fill_random (rnd, wf, 3 * 180, -0.3, 0.3);
  fill_random (rnd, bf, 3, -1, 1);
  fill_random (rnd, x, per * n, -2, 2);
  t_wa = model_builder_add_tensor (mb, "f32", wa, sa, 4);
  t_ba = model_builder_add_tensor (mb, "f32", ba, &s4, 1);
  t_wb = model_builder_add_tensor (mb, "f32", wb, sbv, 4);
  t_bb = model_builder_add_tensor (mb, "f32", bb, &s2, 1);
  t_mean = model_builder_add_tensor (mb, "f32", mean, &s3, 1);
  t_var = model_builder_add_tensor (mb, "f32", var, &s3, 1);
  t_sc = model_builder_add_tensor (mb, "f32", sc, &s3, 1);
  t_sb = model_builder_add_tensor (mb, "f32", sb, &s3, 1);
  t_slope = model_builder_add_tensor (mb, "f32", slope, &s3, 1);
  t_wf = model_builder_add_tensor (mb, "f32", wf, sf, 2);
  t_bf = model_builder_add_tensor (mb, "f32", bf, &s3, 1);

  model_builder_add_layer (mb, "input", "Input", NONE, "data", NONE, "");
  model_builder_add_layer (mb, "a", "Convolution", NAMES ("data"), "a",
      NAMES (t_wa, t_ba), "\"num_output\":4,\"kernel\":[1,1]");
  model_builder_add_layer (mb, "b", "Convolution", NAMES ("data"), "b",
      NAMES (t_wb, t_bb), "\"num_output\":2,\"kernel\":[3,3],\"pad\":[1,1]");
  model_builder_add_layer (mb, "b_relu", "ReLU", NAMES ("b"), "b", NONE, "");
  model_builder_add_layer (mb, "cat", "Concat", NAMES ("a", "b"), "cat",
      NONE, "\"axis\":1");
  /* a modified after the concat read it: a must not live in cat */
  model_builder_add_layer (mb, "a_relu", "ReLU", NAMES ("a"), "a", NONE,
      "\"negative_slope\":0.25");
  model_builder_add_layer (mb, "bn", "BatchNorm", NAMES ("data"), "bn",
      NAMES (t_mean, t_var), "\"eps\":0.001");
  model_builder_add_layer (mb, "sc", "Scale", NAMES ("bn"), "bn",
      NAMES (t_sc, t_sb), "\"bias_term\":true");
  model_builder_add_layer (mb, "pr", "PReLU", NAMES ("bn"), "pr",
      NAMES (t_slope), "");
  model_builder_add_layer (mb, "sum", "Eltwise", NAMES ("pr", "data", "bn"),
      "sum", NONE, "\"operation\":\"sum\",\"coeff\":[1,-0.5,2]");
  model_builder_add_layer (mb, "drop", "Dropout", NAMES ("sum"), "drop", NONE,
      "");
  model_builder_add_layer (mb, "flat", "Flatten", NAMES ("cat"), "flat", NONE,
      "");
  model_builder_add_layer (mb, "fc", "InnerProduct", NAMES ("flat"), "fc",
      NAMES (t_wf, t_bf), "\"num_output\":3");
  model_builder_add_layer (mb, "prob", "Softmax", NAMES ("fc"), "prob", NONE,
      "");
  model_builder_set_output (mb, "prob", 1);
  path = model_builder_write (mb);

  for (k = 0; k < 9; k++)
    want[k] = g_new0 (float, 6 * hw * n);
  for (i = 0; i < n; i++) {
    const float *xi = x + i * per;
    float *a = want[0] + i * 4 * hw, *b = want[1] + i * 2 * hw;
    float *cat = want[2] + i * 6 * hw, *bn = want[3] + i * per;
    float *pr = want[4] + i * per, *sum = want[5] + i * per;
    float *fc = want[7] + i * 3, *prob = want[8] + i * 3;
    int oh, ow;
    double mx, tot;
    ref_conv (xi, 3, H, W, wa, ba, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, a, &oh,
        &ow);
    ref_conv (xi, 3, H, W, wb, bb, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, b, &oh,
        &ow);
    memcpy (cat, a, 4 * hw * 4);
    memcpy (cat + 4 * hw, b, 2 * hw * 4);
    for (j = 0; j < (int) (4 * hw); j++)
      a[j] = a[j] < 0 ? a[j] * 0.25f : a[j];
    for (c = 0; c < 3; c++)
      for (p = 0; p < (int) hw; p++) {
        float v = (xi[c * hw + p] - mean[c]) / sqrtf (var[c] + 0.001f);
        bn[c * hw + p] = v * sc[c] + sb[c];
        pr[c * hw + p] = bn[c * hw + p] > 0 ? bn[c * hw + p] :
            bn[c * hw + p] * slope[c];
        sum[c * hw + p] = pr[c * hw + p] - 0.5f * xi[c * hw + p] +
            2 * bn[c * hw + p];
      }
    memcpy (want[6] + i * per, sum, per * 4);
    ref_fc (cat, 180, wf, bf, 3, FALSE, fc);
    mx = MAX (MAX (fc[0], fc[1]), fc[2]);
    tot = exp (fc[0] - mx) + exp (fc[1] - mx) + exp (fc[2] - mx);
    for (j = 0; j < 3; j++)
      prob[j] = exp (fc[j] - mx) / tot;
  }
  {
    const gsize sizes[] = { 4 * hw, 2 * hw, 6 * hw, per, per, per, per, 3, 3 };
    for (k = 0; blobs[k]; k++) {
      char *what = g_strdup_printf ("graph blob %s", blobs[k]);
      check_variants (what, path, x, n, blobs[k], want[k], sizes[k], 1e-5);
      g_free (what);
    }
  }
  /* without KEEP_BLOBS (buffers reused, image-major stretches): scores
   * right at batch 3 with full and partial runs; any blob handed back must
   * hold the right values for every image, else get_blob must refuse */
  {
    const gsize sizes[] = { 4 * hw, 2 * hw, 6 * hw, per, per, per, per, 3, 3 };
    GError *err = NULL;
    IlgnetModel *m = ilgnet_model_open (path, &err);
    IlgnetSession *s = ilgnet_session_new (m, 3, 2, &err);
    g_assert_no_error (err);
    for (i = 0; i < n; i += 3) {
      int cnt = MIN (3, n - i);
      memcpy (ilgnet_session_get_input (s), x + i * per, cnt * per * 4);
      g_assert (ilgnet_session_run (s, cnt, &err));
      for (j = 0; j < cnt; j++) {
        float sc1 = ilgnet_session_get_score (s, j);
        g_assert_cmpfloat_with_epsilon (sc1, want[8][(i + j) * 3 + 1], 1e-5);
      }
      for (k = 0; blobs[k]; k++) {
        const float *v = ilgnet_session_get_blob (s, blobs[k], NULL, &err);
        if (!v) {
          g_assert_nonnull (err);       /* NULL comes with an error */
          g_clear_error (&err);
          continue;
        }
        compare (blobs[k], v, want[k] + i * sizes[k], cnt * sizes[k], 1e-5);
      }
    }
    /* an unknown blob, more images than the batch: errors */
    g_assert_null (ilgnet_session_get_blob (s, "nonexistent", NULL, &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
    g_assert_false (ilgnet_session_run (s, 4, &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
    ilgnet_session_free (s);
    ilgnet_model_unref (m);
  }
  for (k = 0; k < 9; k++)
    g_free (want[k]);
  g_free (x);
  g_unlink (path);
  g_free (path);
  model_builder_free (mb);
}

/* Softmax over channels at every position (and large logits, which must
 * not overflow). */
static void
test_softmax (void)
{
  int C = 5, H = 3, W = 2, n = 3, i, c, p;
  gsize hw = (gsize) H * W, per = C * hw;
  ModelBuilder *mb = model_builder_new (C, H, W);
  float *x = g_new (float, per * n), *want = g_new (float, per * n);
  char *path;

  fill_random (rnd, x, per * n, -30, 30);
  x[0] = 200;                   /* exp (200) overflows a float */
  model_builder_add_layer (mb, "prob", "Softmax", NAMES ("data"), "prob",
      NONE, "\"axis\":1");
  path = model_builder_write (mb);
  for (i = 0; i < n; i++)
    for (p = 0; p < (int) hw; p++) {
      double mx = -1e30, sum = 0;
      for (c = 0; c < C; c++)
        mx = MAX (mx, x[i * per + c * hw + p]);
      for (c = 0; c < C; c++)
        sum += exp (x[i * per + c * hw + p] - mx);
      for (c = 0; c < C; c++)
        want[i * per + c * hw + p] = exp (x[i * per + c * hw + p] - mx) / sum;
    }
  check_variants ("softmax", path, x, n, "prob", want, per, 1e-6);
  g_unlink (path);
  g_free (path);
  g_free (x);
  g_free (want);
  model_builder_free (mb);
}

/* A stretch of layers run image by image at batch 3: X (kept for the FC)
 * is written after A's last use, so a plan that let X reuse A's one-image
 * buffer would lose image 0's X when image 1 rewrites A. */
static void
test_stretch_reuse (void)
{
  int C = 4, H = 8, W = 8, n = 6, i, j, oh, ow;
  gsize per = (gsize) C * H * W, hw = (gsize) H * W;
  ModelBuilder *mb = model_builder_new (C, H, W);
  float w1[16 * 4], w2[2 * 16], w3[4 * 2], wf[2 * 4 * 64];
  gint64 s1[4] = { 16, 4, 1, 1 }, s2[4] = { 2, 16, 1, 1 }, s3[4] = { 4, 2, 1,
    1
  }, sf[2] = { 2, 256 };
  float *x = g_new (float, per * n), a[16 * 64], a2[2 * 64], xx[4 * 64];
  float fc[2], want[2 * 6];
  const char *t1, *t2, *t3, *tf;
  char *path;
  GError *err = NULL;
  IlgnetModel *m;
  IlgnetSession *s;

  fill_random (rnd, w1, G_N_ELEMENTS (w1), -1, 1);
  fill_random (rnd, w2, G_N_ELEMENTS (w2), -1, 1);
  fill_random (rnd, w3, G_N_ELEMENTS (w3), -1, 1);
  fill_random (rnd, wf, G_N_ELEMENTS (wf), -0.2, 0.2);
  fill_random (rnd, x, per * n, -1, 1);
  t1 = model_builder_add_tensor (mb, "f32", w1, s1, 4);
  t2 = model_builder_add_tensor (mb, "f32", w2, s2, 4);
  t3 = model_builder_add_tensor (mb, "f32", w3, s3, 4);
  tf = model_builder_add_tensor (mb, "f32", wf, sf, 2);
  model_builder_add_layer (mb, "c1", "Convolution", NAMES ("data"), "A",
      NAMES (t1), "\"num_output\":16,\"kernel\":[1,1],\"bias_term\":false");
  model_builder_add_layer (mb, "c2", "Convolution", NAMES ("A"), "A2",
      NAMES (t2), "\"num_output\":2,\"kernel\":[1,1],\"bias_term\":false");
  model_builder_add_layer (mb, "c3", "Convolution", NAMES ("A2"), "X",
      NAMES (t3), "\"num_output\":4,\"kernel\":[1,1],\"bias_term\":false");
  model_builder_add_layer (mb, "fc", "InnerProduct", NAMES ("X"), "fc",
      NAMES (tf), "\"num_output\":2,\"bias_term\":false");
  model_builder_add_layer (mb, "prob", "Softmax", NAMES ("fc"), "prob", NULL,
      "");
  model_builder_set_output (mb, "prob", 1);
  path = model_builder_write (mb);
  for (i = 0; i < n; i++) {
    ref_conv (x + i * per, 4, H, W, w1, NULL, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1,
        0, 0, a, &oh, &ow);
    ref_conv (a, 16, H, W, w2, NULL, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, a2,
        &oh, &ow);
    ref_conv (a2, 2, H, W, w3, NULL, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, xx,
        &oh, &ow);
    ref_fc (xx, 4 * hw, wf, NULL, 2, FALSE, fc);
    want[i] = 1.0 / (1.0 + exp ((double) fc[0] - fc[1]));
  }
  m = ilgnet_model_open (path, &err);
  g_assert_no_error (err);
  s = ilgnet_session_new (m, 3, 2, &err);
  g_assert_no_error (err);
  for (i = 0; i < n; i += 3) {
    memcpy (ilgnet_session_get_input (s), x + i * per, 3 * per * 4);
    g_assert (ilgnet_session_run (s, 3, &err));
    for (j = 0; j < 3; j++)
      g_assert_cmpfloat_with_epsilon (ilgnet_session_get_score (s, j),
          want[i + j], 1e-5);
  }
  ilgnet_session_free (s);
  ilgnet_model_unref (m);
  g_unlink (path);
  g_free (path);
  g_free (x);
  model_builder_free (mb);
}

int
main (int argc, char **argv)
{
  static const SeededTest cases[] = {
    {"/layers/conv", test_conv},
    {"/layers/pool", test_pool},
    {"/layers/lrn", test_lrn},
    {"/layers/softmax", test_softmax},
    {"/layers/inner-product", test_inner_product},
    {"/layers/graph", test_graph},
    {"/layers/stretch-reuse", test_stretch_reuse},
    {NULL}
  };

  return run_seeded_tests (&argc, &argv, &rnd, 42, cases);
}
