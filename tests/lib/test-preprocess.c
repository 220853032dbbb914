/* Preprocessing: every pixel format, odd sizes, padded strides, the three
 * resize modes, against a direct 2-D reference resampler written here;
 * plus multi-crop candidates, ilgnet_score_image() and ilgnet_score_crops()
 * on a small model. */
#include "ilgnet.h"
#include "model-builder.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static GRand *rnd;

/* Weight of source sample @s for output sample @o of an axis: box overlap
 * when shrinking, tent around the mapped centre when enlarging. */
static double
axis_weight (int o, int s, int src, int dst)
{
  if (src > dst) {
    double r = (double) src / dst;
    double lo = MAX (o * r, s), hi = MIN ((o + 1) * r, s + 1.0);
    return hi > lo ? (hi - lo) / r : 0;
  } else {
    double x = (o + 0.5) * src / dst - 0.5;
    x = CLAMP (x, 0, src - 1);
    return MAX (0.0, 1.0 - fabs (x - s));
  }
}

/* RGB source pixel (r,g,b) of a synthetic image, position dependent */
static void
pixel_rgb (const guint8 * rgb, int w, int x, int y, double out[3])
{
  int c;
  for (c = 0; c < 3; c++)
    out[c] = rgb[(y * w + x) * 3 + c];
}

/* Reference: @rgb (tight RGB) region @src resized into @out of a WxH plane
 * set in the spec's channel order, mean/scale applied, bars zero. */
static void
ref_resize (const IlgnetInputSpec * spec, const guint8 * rgb, int iw,
    IlgnetRect src, IlgnetRect out, float *dst)
{
  int W = spec->width, H = spec->height, i, j, sx, sy, c;
  gsize hw = (gsize) W * H;
  memset (dst, 0, 3 * hw * sizeof (float));
  for (i = 0; i < out.height; i++)
    for (j = 0; j < out.width; j++) {
      double acc[3] = { 0, 0, 0 };
      for (sy = 0; sy < src.height; sy++) {
        double wy = axis_weight (i, sy, src.height, out.height);
        if (wy == 0)
          continue;
        for (sx = 0; sx < src.width; sx++) {
          double wx = axis_weight (j, sx, src.width, out.width), p[3];
          if (wx == 0)
            continue;
          pixel_rgb (rgb, iw, src.x + sx, src.y + sy, p);
          for (c = 0; c < 3; c++)
            acc[c] += wx * wy * p[c];
        }
      }
      for (c = 0; c < 3; c++) {
        int plane = spec->bgr ? 2 - c : c;
        dst[plane * hw + (out.y + i) * W + out.x + j] =
            (acc[c] - spec->mean[plane]) * spec->scale;
      }
    }
}

/* Packs tight RGB into @fmt with @pad extra bytes per row (garbage). */
static guint8 *
pack (const guint8 * rgb, int w, int h, IlgnetPixelFormat fmt, int pad,
    int *stride)
{
  static const int pos[6][4] = {
    /* bpp, byte of R, G, B */
    {3, 0, 1, 2}, {3, 2, 1, 0}, {4, 0, 1, 2}, {4, 2, 1, 0}, {4, 1, 2, 3},
    {4, 3, 2, 1}
  };
  int bpp = pos[fmt][0], x, y;
  guint8 *out;
  *stride = w * bpp + pad;
  out = g_malloc ((gsize) *stride * h + 1);
  for (y = 0; y < h; y++) {
    guint8 *row = out + (gsize) y * *stride;
    for (x = 0; x < *stride; x++)
      row[x] = g_rand_int_range (rnd, 0, 256);  /* X bytes and padding */
    for (x = 0; x < w; x++) {
      row[x * bpp + pos[fmt][1]] = rgb[(y * w + x) * 3 + 0];
      row[x * bpp + pos[fmt][2]] = rgb[(y * w + x) * 3 + 1];
      row[x * bpp + pos[fmt][3]] = rgb[(y * w + x) * 3 + 2];
    }
  }
  return out;
}

static void
compare (const char *what, const float *got, const float *want, gsize n,
    double tol)
{
  gsize i;
  for (i = 0; i < n; i++)
    if (!(fabs (got[i] - want[i]) <= tol)) {
      g_test_fail_printf ("%s: value %" G_GSIZE_FORMAT " is %g, want %g",
          what, i, got[i], want[i]);
      return;
    }
}

static IlgnetRect
expected_geometry (const IlgnetInputSpec * spec, IlgnetRect roi,
    IlgnetResize mode, IlgnetRect * out)
{
  int W = spec->width, H = spec->height;
  *out = (IlgnetRect) {
  0, 0, W, H};
  if (mode == ILGNET_RESIZE_CENTER) {
    if ((gint64) roi.width * H > (gint64) roi.height * W) {
      int cw = MAX (1, (int) ((gint64) roi.height * W / H));
      roi.x += (roi.width - cw) / 2;
      roi.width = cw;
    } else {
      int ch = MAX (1, (int) ((gint64) roi.width * H / W));
      roi.y += (roi.height - ch) / 2;
      roi.height = ch;
    }
  } else if (mode == ILGNET_RESIZE_LETTERBOX) {
    if ((gint64) roi.width * H > (gint64) roi.height * W) {
      out->height = MAX (1, (int) floor ((double) roi.height * W / roi.width
              + 0.5));
      out->y = (H - out->height) / 2;
    } else {
      out->width = MAX (1, (int) floor ((double) roi.width * H / roi.height
              + 0.5));
      out->x = (W - out->width) / 2;
    }
  }
  return roi;
}

static void
test_resize (void)
{
  static const int sizes[][2] = { {1, 1}, {3, 5}, {17, 9}, {8, 8},
  {40, 23}, {5, 31}, {64, 64}
  };
  static const int nets[][2] = { {8, 8}, {11, 7}, {16, 16} };
  guint si, ni, fmt, mode, bgr;

  for (si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (ni = 0; ni < G_N_ELEMENTS (nets); ni++) {
      int iw = sizes[si][0], ih = sizes[si][1], i;
      guint8 *rgb = g_malloc ((gsize) iw * ih * 3);
      IlgnetInputSpec spec = { 3, nets[ni][1], nets[ni][0], TRUE,
        {10.5f, 100.0f, 200.25f}, 0.5f
      };
      gsize n = 3 * (gsize) spec.width * spec.height;
      float *want = g_new (float, n), *got = g_new (float, n);
      for (i = 0; i < iw * ih * 3; i++)
        rgb[i] = g_rand_int_range (rnd, 0, 256);
      for (bgr = 0; bgr < 2; bgr++)
        for (mode = ILGNET_RESIZE_SQUASH; mode <= ILGNET_RESIZE_LETTERBOX;
            mode++) {
          IlgnetRect roi = { 0, 0, iw, ih }, out, src;
          spec.bgr = bgr;
          src = expected_geometry (&spec, roi, mode, &out);
          ref_resize (&spec, rgb, iw, src, out, want);
          for (fmt = ILGNET_PIXEL_RGB; fmt <= ILGNET_PIXEL_XBGR; fmt++) {
            int pad = (fmt + si) % 3 == 0 ? 0 : 1 + fmt, stride;
            guint8 *data = pack (rgb, iw, ih, fmt, pad, &stride);
            IlgnetImage img = { data, iw, ih, stride, fmt };
            GError *err = NULL;
            char *what = g_strdup_printf ("%dx%d -> %dx%d fmt %u mode %u "
                "bgr %u pad %d", iw, ih, spec.width, spec.height, fmt, mode,
                bgr, pad);
            memset (got, 0xff, n * sizeof (float));     /* NaNs */
            if (!ilgnet_preprocess (&spec, &img, NULL, mode, got, &err)) {
              g_test_fail_printf ("%s: %s", what, err->message);
              g_clear_error (&err);
            } else {
              compare (what, got, want, n, 1e-3);
            }
            g_free (what);
            g_free (data);
          }
        }
      /* a region of the image equals the same pixels cut out first */
      if (iw >= 3 && ih >= 3) {
        IlgnetRect roi = { 1, 1, iw - 2, ih - 1 }, out;
        int stride;
        guint8 *data = pack (rgb, iw, ih, ILGNET_PIXEL_BGRX, 4, &stride);
        IlgnetImage img = { data, iw, ih, stride, ILGNET_PIXEL_BGRX };
        GError *err = NULL;
        out = (IlgnetRect) {
        0, 0, spec.width, spec.height};
        ref_resize (&spec, rgb, iw, roi, out, want);
        g_assert_true (ilgnet_preprocess (&spec, &img, &roi,
                ILGNET_RESIZE_SQUASH, got, &err));
        g_assert_no_error (err);
        compare ("roi", got, want, n, 1e-3);
        g_clear_error (&err);
        g_free (data);
      }
      g_free (rgb);
      g_free (want);
      g_free (got);
    }
}

/* Properties that do not depend on the resampler's formulas. */
static void
test_invariants (void)
{
  IlgnetInputSpec spec = { 3, 9, 13, FALSE, {1, 2, 3}, 1.0f / 64 };
  guint8 rgb[37 * 21 * 3];
  float out[3 * 9 * 13];
  int i, c;
  GError *err = NULL;

  /* a flat colour stays exactly flat in every mode; bars hold zero */
  for (i = 0; i < 37 * 21; i++) {
    rgb[i * 3] = 200, rgb[i * 3 + 1] = 7, rgb[i * 3 + 2] = 90;
  }
  {
    IlgnetImage img = { rgb, 37, 21, 37 * 3, ILGNET_PIXEL_RGB };
    IlgnetResize m;
    for (m = ILGNET_RESIZE_SQUASH; m <= ILGNET_RESIZE_LETTERBOX; m++) {
      int zeros = 0;
      g_assert (ilgnet_preprocess (&spec, &img, NULL, m, out, &err));
      for (c = 0; c < 3; c++)
        for (i = 0; i < 9 * 13; i++) {
          float v = out[c * 117 + i];
          float want = (rgb[c] - spec.mean[c]) * spec.scale;
          if (v == 0.0f)
            zeros++;
          else if (!(fabsf (v - want) < 1e-5))
            g_test_fail_printf ("flat colour mode %d plane %d: %g, want %g",
                m, c, v, want);
        }
      /* 37x21 into 13x9 letterboxed: 13x7 picture, one bar row each side */
      g_assert_cmpint (zeros, ==, m == ILGNET_RESIZE_LETTERBOX ? 3 * 2 * 13 :
          0);
    }
  }

  /* same size: the pixels themselves */
  {
    guint8 px[2 * 2 * 4] = { 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12,
      0
    };
    IlgnetInputSpec s2 = { 3, 2, 2, TRUE, {0, 0, 0}, 1.0f };
    IlgnetImage img = { px, 2, 2, 8, ILGNET_PIXEL_RGBX };
    float o[12];
    g_assert (ilgnet_preprocess (&s2, &img, NULL, ILGNET_RESIZE_SQUASH, o,
            &err));
    /* B plane first */
    g_assert_cmpfloat (o[0], ==, 3);
    g_assert_cmpfloat (o[1], ==, 6);
    g_assert_cmpfloat (o[4], ==, 2);
    g_assert_cmpfloat (o[8], ==, 1);
    g_assert_cmpfloat (o[11], ==, 10);
  }

  /* errors, never crashes */
  {
    IlgnetImage img = { rgb, 37, 21, 37 * 3 - 1, ILGNET_PIXEL_RGB };
    IlgnetRect bad = { 30, 0, 10, 5 };
    /* a short stride, a region outside, MULTI, an empty image */
    g_assert_false (ilgnet_preprocess (&spec, &img, NULL,
            ILGNET_RESIZE_SQUASH, out, &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
    img.stride = 37 * 3;
    g_assert_false (ilgnet_preprocess (&spec, &img, &bad,
            ILGNET_RESIZE_SQUASH, out, &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
    g_assert_false (ilgnet_preprocess (&spec, &img, NULL,
            ILGNET_RESIZE_MULTI, out, &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
    img.width = 0;
    g_assert_false (ilgnet_preprocess (&spec, &img, NULL,
            ILGNET_RESIZE_SQUASH, out, &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
  }
}

static void
test_multi_crops (void)
{
  static const int sizes[][2] = { {1, 1}, {2, 3}, {640, 480}, {481, 1001},
  {4096, 100}
  };
  guint si;
  for (si = 0; si < G_N_ELEMENTS (sizes); si++) {
    IlgnetRect r[ILGNET_MAX_CROPS + 4];
    int w = sizes[si][0], h = sizes[si][1], n, i, j;
    n = ilgnet_multi_crops (w, h, r, ILGNET_MAX_CROPS + 4);
    g_assert_cmpint (n, >=, 1);
    g_assert_cmpint (n, <=, ILGNET_MAX_CROPS);
    if (r[0].x != 0 || r[0].y != 0 || r[0].width != w || r[0].height != h)
      g_test_fail_printf ("%dx%d: first crop is not the frame", w, h);
    if (w >= 100 && n < 10)
      g_test_fail_printf ("%dx%d: only %d crops", w, h, n);
    for (i = 0; i < n; i++) {
      if (!(r[i].width >= 1 && r[i].height >= 1 && r[i].x >= 0 && r[i].y >= 0
              && r[i].x + r[i].width <= w && r[i].y + r[i].height <= h))
        g_test_fail_printf ("%dx%d: crop %d outside", w, h, i);
      for (j = 0; j < i; j++)
        if (memcmp (&r[i], &r[j], sizeof (IlgnetRect)) == 0)
          g_test_fail_printf ("%dx%d: crops %d and %d equal", w, h, i, j);
    }
    /* at most max */
    g_assert_cmpint (ilgnet_multi_crops (w, h, r, 3), ==, MIN (3, n));
  }
}

/* A tiny net whose score depends on the picture: mean of (x * weights). */
static void
test_score_image (void)
{
  ModelBuilder *mb = model_builder_new (3, 6, 6);
  float wfc[2 * 108], bfc[2] = { 0, 0 };
  gint64 sf[2] = { 2, 108 }, s2 = 2;
  const char *tw, *tb;
  char *path;
  GError *err = NULL;
  IlgnetModel *m;
  int bs, w = 23, h = 17, i;
  guint8 *rgb = g_malloc (w * h * 3), *data;
  int stride;

  /* small enough that the softmax does not saturate: the crops' scores
   * differ, so picking or pairing the wrong one shows */
  fill_random (rnd, wfc, 2 * 108, -0.0005, 0.0005);
  tw = model_builder_add_tensor (mb, "f32", wfc, sf, 2);
  tb = model_builder_add_tensor (mb, "f32", bfc, &s2, 1);
  model_builder_add_layer (mb, "fc", "InnerProduct",
      (const char *const[]) { "data", NULL }, "fc",
      (const char *const[]) { tw, tb, NULL }, "\"num_output\":2");
  model_builder_add_layer (mb, "prob", "Softmax",
      (const char *const[]) { "fc", NULL }, "prob", NULL, "");
  model_builder_set_output (mb, "prob", 1);
  path = model_builder_write (mb);
  m = ilgnet_model_open (path, &err);
  g_assert_no_error (err);
  for (i = 0; i < w * h * 3; i++)
    rgb[i] = g_rand_int_range (rnd, 0, 256);
  data = pack (rgb, w, h, ILGNET_PIXEL_XBGR, 3, &stride);

  for (bs = 1; bs <= 5; bs += 2) {
    IlgnetSession *s = ilgnet_session_new (m, bs, 1, &err);
    IlgnetSession *one = ilgnet_session_new (m, 1, 1, &err);
    IlgnetImage img = { data, w, h, stride, ILGNET_PIXEL_XBGR };
    IlgnetRect rects[ILGNET_MAX_CROPS], best, got_rects[ILGNET_MAX_CROPS];
    float score, want = -1, sq, each[ILGNET_MAX_CROPS];
    float got[ILGNET_MAX_CROPS], got_max = -1;
    int n, got_n, best_i = 0;
    const IlgnetInputSpec *spec = ilgnet_model_get_input_spec (m);

    g_assert_no_error (err);
    /* squash = preprocess + run */
    g_assert (ilgnet_score_image (s, &img, ILGNET_RESIZE_SQUASH, &score,
            &best, &err));
    g_assert (ilgnet_preprocess (spec, &img, NULL, ILGNET_RESIZE_SQUASH,
            ilgnet_session_get_input (one), &err));
    g_assert (ilgnet_session_run (one, 1, &err));
    sq = ilgnet_session_get_score (one, 0);
    g_assert_cmpfloat_with_epsilon (score, sq, 1e-6);
    g_assert_cmpint (best.width, ==, w);
    g_assert_cmpint (best.height, ==, h);

    /* multi = best over the candidate crops, whatever the batch */
    n = ilgnet_multi_crops (w, h, rects, ILGNET_MAX_CROPS);
    for (i = 0; i < n; i++) {
      float v;
      g_assert (ilgnet_preprocess (spec, &img, &rects[i],
              ILGNET_RESIZE_SQUASH, ilgnet_session_get_input (one), &err));
      g_assert (ilgnet_session_run (one, 1, &err));
      v = each[i] = ilgnet_session_get_score (one, 0);
      if (v > want) {
        want = v;
        best_i = i;
      }
    }
    g_assert (ilgnet_score_image (s, &img, ILGNET_RESIZE_MULTI, &score, &best,
            &err));
    if (!(fabsf (score - want) < 1e-6 && memcmp (&best, &rects[best_i],
                sizeof (best)) == 0))
      g_test_fail_printf ("batch %d multi: %g at crop %dx%d+%d+%d, want %g "
          "at crop %d", bs, score, best.width, best.height, best.x, best.y,
          want, best_i);

    /* every candidate's score: the same crops, each scored on its own */
    got_n = ilgnet_score_crops (s, &img, got_rects, got, ILGNET_MAX_CROPS,
        &err);
    g_assert_no_error (err);
    g_assert_cmpint (got_n, ==, n);
    for (i = 0; i < MIN (got_n, n); i++) {
      if (memcmp (&got_rects[i], &rects[i], sizeof (IlgnetRect)) != 0)
        g_test_fail_printf ("batch %d score_crops: crop %d is not "
            "ilgnet_multi_crops()'s", bs, i);
      if (!(fabsf (got[i] - each[i]) < 1e-6))
        g_test_fail_printf ("batch %d score_crops: crop %d scores %g, "
            "scored alone %g", bs, i, got[i], each[i]);
      got_max = MAX (got_max, got[i]);
    }
    /* the multi score is the best crop's */
    g_assert_cmpfloat (score, ==, got_max);
    for (i = 1; i < n; i++)
      if (each[i] != each[0])
        break;
    if (i >= n)
      g_test_fail_printf ("every crop scores %g: the test cannot tell them "
          "apart", each[0]);
    /* fewer slots: the first candidates */
    got_n = ilgnet_score_crops (s, &img, got_rects, got, 3, &err);
    g_assert_no_error (err);
    g_assert_cmpint (got_n, ==, MIN (3, n));
    if (got_n == MIN (3, n))
      g_assert_cmpfloat_with_epsilon (got[got_n - 1], each[got_n - 1], 1e-6);
    /* no room, an empty image: errors */
    g_assert_cmpint (ilgnet_score_crops (s, &img, got_rects, got, 0, &err),
        ==, -1);
    g_assert_nonnull (err);
    g_clear_error (&err);
    img.width = 0;
    g_assert_cmpint (ilgnet_score_crops (s, &img, got_rects, got,
            ILGNET_MAX_CROPS, &err), ==, -1);
    g_assert_nonnull (err);
    g_clear_error (&err);
    ilgnet_session_free (s);
    ilgnet_session_free (one);
  }
  ilgnet_model_unref (m);
  g_unlink (path);
  g_free (path);
  g_free (rgb);
  g_free (data);
  model_builder_free (mb);
}

int
main (int argc, char **argv)
{
  static const SeededTest cases[] = {
    {"/preprocess/resize", test_resize},
    {"/preprocess/invariants", test_invariants},
    {"/preprocess/multi-crops", test_multi_crops},
    {"/preprocess/score-image", test_score_image},
    {NULL}
  };

  return run_seeded_tests (&argc, &argv, &rnd, 7, cases);
}
