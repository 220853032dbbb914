/* One trunk pass, many boxes: the ROIAveragePooling layer against naive
 * references, and the box-session API (ilgnet_box_session_new,
 * ilgnet_score_boxes) on a small net.  GLib's GTest; every case runs with
 * the same random numbers. */
#include "ilgnet.h"
#include "model-builder.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static GRand *rnd;

#define NONE ((const char *const[]) { NULL })
#define NAMES(...) ((const char *const[]) { __VA_ARGS__, NULL })
/* a failed check fails the case and goes on */
#define EXPECT(cond, ...) G_STMT_START { \
    if (!(cond)) \
      g_test_fail_printf (__VA_ARGS__); \
  } G_STMT_END

/* Runs @path on @n images (batch @n, KEEP_BLOBS) and compares blob @name
 * with @want (per floats an image) to @tol times the reference's max. */
static void
run_compare (const char *what, const char *path, const float *input, int n,
    const char *name, const float *want, gsize per, double tol)
{
  GError *err = NULL;
  IlgnetModel *m = ilgnet_model_open (path, &err);
  IlgnetSession *s;
  const IlgnetInputSpec *spec;
  const float *got;
  double maxerr = 0, maxref = 1e-6;
  gsize i;
  int threads;

  g_assert_no_error (err);
  spec = ilgnet_model_get_input_spec (m);
  for (threads = 1; threads <= 2; threads++) {
    s = ilgnet_session_new_full (m, n, threads, ILGNET_SESSION_KEEP_BLOBS,
        &err);
    g_assert_no_error (err);
    memcpy (ilgnet_session_get_input (s), input, (gsize) n * spec->channels
        * spec->height * spec->width * sizeof (float));
    g_assert_true (ilgnet_session_run (s, n, &err));
    got = ilgnet_session_get_blob (s, name, NULL, &err);
    g_assert_no_error (err);
    for (i = 0; i < per * n; i++) {
      maxerr = MAX (maxerr, fabs ((double) got[i] - want[i]));
      maxref = MAX (maxref, fabs (want[i]));
    }
    EXPECT (maxerr <= tol * maxref, "%s [%d threads]: max error %g, "
        "reference max %g", what, threads, maxerr, maxref);
    ilgnet_session_free (s);
  }
  ilgnet_model_unref (m);
}

/* ROIAveragePooling with no boxes set pools the whole map: at its
 * reference size the windows are the AVE Pooling's own (4x4 blocks); on a
 * map 1.5x as large they stretch to 6x6 blocks; at 9x9 for a reference of
 * 4x4 (scale 2.25) windows end mid-cell, against the map upsampled 2x
 * (nearest) and averaged over whole 9x9 cells. */
static void
test_roipool (void)
{
  static const struct
  {
    int H, W, oh, ow, k, s, rh, rw;
  } cases[] = {
    {8, 12, 2, 3, 4, 4, 8, 12},
    {12, 18, 2, 3, 4, 4, 8, 12},
    {9, 9, 2, 2, 2, 2, 4, 4},
  };
  guint ci;
  const int C = 3;

  for (ci = 0; ci < G_N_ELEMENTS (cases); ci++) {
    int H = cases[ci].H, W = cases[ci].W, oh = cases[ci].oh, ow = cases[ci].ow;
    ModelBuilder *mb = model_builder_new (C, H, W);
    char *param = g_strdup_printf ("\"pooled\": [%d, %d], \"kernel\": [%d, %d], "
        "\"stride\": [%d, %d], \"ref\": [%d, %d]", oh, ow, cases[ci].k,
        cases[ci].k, cases[ci].s, cases[ci].s, cases[ci].rh, cases[ci].rw);
    gsize per_in = (gsize) C * H * W, per = (gsize) C * oh * ow;
    float *x = g_new (float, per_in * 2), *want = g_new0 (float, per * 2);
    char *path, *what;
    int n, c, py, px, y, x2;

    fill_random (rnd, x, per_in * 2, -1, 1);
    model_builder_add_layer (mb, "roi", "ROIAveragePooling", NAMES ("data"),
        "roi", NONE, param);
    model_builder_set_output (mb, "roi", 0);
    path = model_builder_write (mb);
    /* reference: the map upsampled 2x, each window an integer range of
     * half-cells (all cases have windows on half-cell edges) */
    for (n = 0; n < 2; n++)
      for (c = 0; c < C; c++)
        for (py = 0; py < oh; py++)
          for (px = 0; px < ow; px++) {
            double sy = 2.0 * H / cases[ci].rh, sx = 2.0 * W / cases[ci].rw;
            int y0 = (int) (py * cases[ci].s * sy + 0.5);
            int y1 = (int) ((py * cases[ci].s + cases[ci].k) * sy + 0.5);
            int x0 = (int) (px * cases[ci].s * sx + 0.5);
            int x1 = (int) ((px * cases[ci].s + cases[ci].k) * sx + 0.5);
            double acc = 0;
            for (y = y0; y < y1; y++)
              for (x2 = x0; x2 < x1; x2++)
                acc += x[n * per_in + ((gsize) c * H + y / 2) * W + x2 / 2];
            want[n * per + ((gsize) c * oh + py) * ow + px] =
                acc / ((y1 - y0) * (x1 - x0));
          }
    what = g_strdup_printf ("roipool %dx%d -> %dx%d (ref %dx%d)", H, W, oh,
        ow, cases[ci].rh, cases[ci].rw);
    run_compare (what, path, x, 2, "roi", want, per, 1e-5);
    g_unlink (path);
    g_free (path);
    g_free (what);
    g_free (param);
    g_free (x);
    g_free (want);
    model_builder_free (mb);
  }
}

/* ilgnet_box_session_new / ilgnet_score_boxes on a small net (1x1 conv,
 * AVE pooling head, InnerProduct, Softmax): the whole frame scores as the
 * model itself (the frame has the model's aspect, so the trunk runs at the
 * model's size), for any batch of boxes; errors: too many boxes, a box
 * outside the frame, a model without an AVE head. */
/* The head both small nets end in: pool "c" 4x4 (@pool: "ave" or "max"),
 * InnerProduct to 2, Softmax, the output. */
static void
add_head (ModelBuilder * mb, const char *pool, const char *t_wf,
    const char *t_bf)
{
  char *param = g_strdup_printf ("\"pool\":\"%s\",\"kernel\":[4,4],"
      "\"stride\":[4,4]", pool);

  model_builder_add_layer (mb, "p", "Pooling", NAMES ("c"), "p", NONE, param);
  model_builder_add_layer (mb, "fc", "InnerProduct", NAMES ("p"), "fc",
      NAMES (t_wf, t_bf), "\"num_output\":2");
  model_builder_add_layer (mb, "prob", "Softmax", NAMES ("fc"), "prob",
      NONE, "");
  model_builder_set_output (mb, "prob", 1);
  g_free (param);
}

static void
test_box_session (void)
{
  const int C = 3, H = 8, W = 12, IW = 24, IH = 16;
  int pass;

  for (pass = 0; pass < 2; pass++) {
    ModelBuilder *mb = model_builder_new (C, H, W);
    float wc[4 * 3], bc[4], wf[2 * 4 * 6], bf[2], score, scores[4];
    gint64 sc[4] = { 4, 3, 1, 1 }, s4 = 4, sf[2] = { 2, 24 }, s2 = 2;
    const char *t_wc, *t_bc, *t_wf, *t_bf;
    guint8 *pix = g_new (guint8, IW * IH * 3);
    IlgnetImage img = { pix, IW, IH, IW * 3, ILGNET_PIXEL_RGB };
    IlgnetRect boxes[4] = { {0, 0, IW, IH}, {0, 0, 12, 8}, {6, 4, 18, 12},
    {0, 0, IW, IH}
    };
    GError *err = NULL;
    IlgnetModel *m;
    IlgnetSession *s, *bs;
    char *path;
    int i;

    /* pixels are 0..255: small weights keep the softmax off 0 and 1 */
    fill_random (rnd, wc, 12, -0.01, 0.01);
    fill_random (rnd, bc, 4, -1, 1);
    fill_random (rnd, wf, 48, -0.5, 0.5);
    fill_random (rnd, bf, 2, -1, 1);
    for (i = 0; i < IW * IH * 3; i++)
      pix[i] = g_rand_int_range (rnd, 0, 256);
    t_wc = model_builder_add_tensor (mb, "f32", wc, sc, 4);
    t_bc = model_builder_add_tensor (mb, "f32", bc, &s4, 1);
    t_wf = model_builder_add_tensor (mb, "f32", wf, sf, 2);
    t_bf = model_builder_add_tensor (mb, "f32", bf, &s2, 1);
    model_builder_add_layer (mb, "c", "Convolution", NAMES ("data"), "c",
        NAMES (t_wc, t_bc), "\"num_output\":4,\"kernel\":[1,1]");
    model_builder_add_layer (mb, "c_relu", "ReLU", NAMES ("c"), "c", NONE,
        "");
    add_head (mb, pass ? "max" : "ave", t_wf, t_bf);
    path = model_builder_write (mb);
    m = ilgnet_model_open (path, &err);
    g_assert_no_error (err);
    bs = ilgnet_box_session_new (m, IW, IH, 4, 1, 0, &err);
    if (pass) {
      EXPECT (!bs && g_error_matches (err, ILGNET_ERROR,
              ILGNET_ERROR_UNSUPPORTED), "box session without an AVE head "
          "is refused");
      g_clear_error (&err);
    } else {
      g_assert_no_error (err);
      s = ilgnet_session_new (m, 1, 1, &err);
      g_assert_no_error (err);
      EXPECT (ilgnet_score_image (s, &img, ILGNET_RESIZE_SQUASH, &score, NULL,
              &err), "score_image");
      EXPECT (ilgnet_score_boxes (bs, &img, boxes, 4, scores, &err),
          "score_boxes: %s", err ? err->message : "");
      g_clear_error (&err);
      EXPECT (fabsf (scores[0] - score) < 1e-5 && fabsf (scores[3] - score)
          < 1e-5, "whole-frame box %g %g = model %g", scores[0], scores[3],
          score);
      EXPECT (scores[1] >= 0 && scores[1] <= 1 && scores[2] >= 0
          && scores[2] <= 1 && scores[1] != scores[2] && scores[1] != score, "box scores %g %g",
          scores[1], scores[2]);
      EXPECT (ilgnet_score_boxes (bs, &img, boxes, 1, scores, &err)
          && fabsf (scores[0] - score) < 1e-5, "one box alone");
      g_clear_error (&err);
      EXPECT (!ilgnet_score_boxes (bs, &img, boxes, 5, scores, &err)
          && g_error_matches (err, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT),
          "5 boxes in a session of 4 are refused");
      g_clear_error (&err);
      boxes[1].x = 20;
      EXPECT (!ilgnet_score_boxes (bs, &img, boxes, 2, scores, &err)
          && g_error_matches (err, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT),
          "a box outside the frame is refused");
      g_clear_error (&err);
      EXPECT (!ilgnet_score_boxes (s, &img, boxes, 1, scores, &err),
          "score_boxes on a plain session is refused");
      g_clear_error (&err);
      ilgnet_session_free (s);
      ilgnet_session_free (bs);
    }
    ilgnet_model_unref (m);
    g_unlink (path);
    g_free (path);
    g_free (pix);
    model_builder_free (mb);
  }
}

/* A side output nothing reads toward the score (as a framing map): a plain
 * session does not compute it (and says so when asked for it), its score
 * is the same; with ILGNET_SESSION_KEEP_BLOBS it is computed, equal to a
 * direct loop; named framing/cells, ilgnet_model_has_framing() sees it. */
static void
test_side_output (void)
{
  const int C = 3, H = 8, W = 8;
  int named;
  float in[3 * 8 * 8], scores[2];
  float wc[4 * 3], bc[4], wf[2 * 4 * 4], bf[2], ws[4], bs = 0.25f;

  fill_random (rnd, in, G_N_ELEMENTS (in), -50, 50);
  fill_random (rnd, wc, 12, -0.05, 0.05);
  fill_random (rnd, bc, 4, -1, 1);
  fill_random (rnd, wf, 32, -0.5, 0.5);
  fill_random (rnd, bf, 2, -1, 1);
  fill_random (rnd, ws, 4, -1, 1);
  for (named = 0; named < 3; named++) {
    ModelBuilder *mb = model_builder_new (C, H, W);
    gint64 sc[4] = { 4, 3, 1, 1 }, s4 = 4, sf[2] = { 2, 16 }, s2 = 2,
        ss[4] = { 1, 4, 1, 1 }, s1 = 1;
    const char *t_wc, *t_bc, *t_wf, *t_bf, *t_ws, *t_bs;
    const char *side = named == 1 ? "framing/cells" : "side";
    GError *err = NULL;
    IlgnetModel *m;
    IlgnetSession *s;
    const float *c, *v;
    char *path;
    int i, k, sh[4];

    t_wc = model_builder_add_tensor (mb, "f32", wc, sc, 4);
    t_bc = model_builder_add_tensor (mb, "f32", bc, &s4, 1);
    t_wf = model_builder_add_tensor (mb, "f32", wf, sf, 2);
    t_bf = model_builder_add_tensor (mb, "f32", bf, &s2, 1);
    t_ws = model_builder_add_tensor (mb, "f32", ws, ss, 4);
    t_bs = model_builder_add_tensor (mb, "f32", &bs, &s1, 1);
    model_builder_add_layer (mb, "c", "Convolution", NAMES ("data"), "c",
        NAMES (t_wc, t_bc), "\"num_output\":4,\"kernel\":[1,1]");
    model_builder_add_layer (mb, "c_relu", "ReLU", NAMES ("c"), "c", NONE,
        "");
    if (named < 2)              /* pass 2: the same net without the branch */
      model_builder_add_layer (mb, side, "Convolution", NAMES ("c"), side,
          NAMES (t_ws, t_bs), "\"num_output\":1,\"kernel\":[1,1]");
    add_head (mb, "ave", t_wf, t_bf);
    path = model_builder_write (mb);
    m = ilgnet_model_open (path, &err);
    g_assert_no_error (err);
    EXPECT (ilgnet_model_has_framing (m) == (named == 1),
        "has_framing %d for a side output named %s", ilgnet_model_has_framing
        (m), named < 2 ? side : "(none)");
    /* a one-channel map has no weight for the boxes' own heads: every
     * anchor is affordable; else each box runs the heads */
    EXPECT (ilgnet_model_box_anchors (m) == (named == 1 ? ILGNET_N_ANCHORS :
            ILGNET_N_COARSE_ANCHORS), "box anchors %d",
        ilgnet_model_box_anchors (m));

    s = ilgnet_session_new (m, 1, 1, &err);
    g_assert_no_error (err);
    memcpy (ilgnet_session_get_input (s), in, sizeof (in));
    EXPECT (ilgnet_session_run (s, 1, &err), "run");
    scores[MIN (named, 1)] = ilgnet_session_get_score (s, 0);
    if (named < 2) {
      EXPECT (!ilgnet_session_get_blob (s, side, NULL, &err)
          && g_error_matches (err, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT),
          "the side output is not computed by a plain session");
      g_clear_error (&err);
    } else {
      EXPECT (scores[1] == scores[0], "the branch changes the score: %g %g",
          scores[0], scores[1]);
    }
    ilgnet_session_free (s);

    if (named < 2) {
      s = ilgnet_session_new_full (m, 1, 1, ILGNET_SESSION_KEEP_BLOBS, &err);
      g_assert_no_error (err);
      memcpy (ilgnet_session_get_input (s), in, sizeof (in));
      EXPECT (ilgnet_session_run (s, 1, &err), "run, keeping blobs");
      c = ilgnet_session_get_blob (s, "c", NULL, &err);
      v = ilgnet_session_get_blob (s, side, sh, &err);
      EXPECT (c && v && sh[1] == 1 && sh[2] == H && sh[3] == W,
          "side output kept");
      for (i = 0; c && v && i < H * W; i++) {
        double want = bs;
        for (k = 0; k < 4; k++)
          want += ws[k] * c[k * H * W + i];
        EXPECT (fabs (v[i] - want) < 1e-5, "side[%d] %g, direct %g", i, v[i],
            want);
      }
      ilgnet_session_free (s);
    }
    ilgnet_model_unref (m);
    g_unlink (path);
    g_free (path);
    model_builder_free (mb);
  }
}

/* ilgnet_frame_anchors() against a direct loop over its documented grid:
 * the whole frame, 11 sizes (1/2 + k/24 of each side) at 5 x 5 positions
 * ((w - cw) * g / 4), each once; the coarse grid (even k and positions, in
 * the order of the 55 anchors before the finer grid) first. */
static void
test_frame_anchors (void)
{
  static const int sizes[][2] = { {640, 360}, {300, 300}, {7, 3}, {1, 1},
  {3840, 2160}
  };
  IlgnetRect r[ILGNET_N_ANCHORS + 4], want[ILGNET_N_ANCHORS];
  int f, n, i, j, k, gx, gy, m;

  for (f = 0; f < (int) G_N_ELEMENTS (sizes); f++) {
    int w = sizes[f][0], h = sizes[f][1];
    gboolean *seen = g_new0 (gboolean, ILGNET_N_ANCHORS);
    n = ilgnet_frame_anchors (w, h, r, G_N_ELEMENTS (r));
    EXPECT (n == ILGNET_N_ANCHORS, "%dx%d: %d anchors", w, h, n);
    m = 0;
    want[m++] = (IlgnetRect) {
    0, 0, w, h};
    for (k = 0; k < 12; k += 2)
      for (gy = 0; gy < 3; gy++)
        for (gx = 0; gx < 3; gx++) {
          int cw = MAX (1, (int) floor (w * (0.5 + k / 24.0) + 0.5));
          int ch = MAX (1, (int) floor (h * (0.5 + k / 24.0) + 0.5));
          want[m++] = (IlgnetRect) {
          (w - cw) * gx / 2, (h - ch) * gy / 2, cw, ch};
        }
    EXPECT (m == ILGNET_N_COARSE_ANCHORS, "coarse grid of %d", m);
    for (i = 0; i < m && i < n; i++)
      EXPECT (memcmp (&r[i], &want[i], sizeof (IlgnetRect)) == 0,
          "%dx%d: coarse anchor %d is (%d,%d %dx%d), want (%d,%d %dx%d)", w,
          h, i, r[i].x, r[i].y, r[i].width, r[i].height, want[i].x,
          want[i].y, want[i].width, want[i].height);
    /* every anchor of the fine grid once (for frames large enough to
     * tell them apart) */
    for (k = 0; k < 11 && w >= 100; k++)
      for (gy = 0; gy < 5; gy++)
        for (gx = 0; gx < 5; gx++) {
          int cw = (int) floor (w * (0.5 + k / 24.0) + 0.5);
          int ch = (int) floor (h * (0.5 + k / 24.0) + 0.5);
          IlgnetRect a = { (w - cw) * gx / 4, (h - ch) * gy / 4, cw, ch };
          int hits = 0;
          for (j = 1; j < n; j++)
            if (memcmp (&r[j], &a, sizeof (a)) == 0) {
              hits++;
              seen[j] = TRUE;
            }
          EXPECT (hits == 1, "%dx%d: size %d, position %d,%d: %d anchors",
              w, h, k, gx, gy, hits);
        }
    for (j = 0; j < n; j++) {
      EXPECT (r[j].x >= 0 && r[j].y >= 0 && r[j].width >= 1
          && r[j].height >= 1 && r[j].x + r[j].width <= w
          && r[j].y + r[j].height <= h, "%dx%d: anchor %d outside", w, h, j);
      EXPECT (w < 100 || j == 0 || seen[j], "%dx%d: anchor %d off the grid",
          w, h, j);
    }
    g_free (seen);
  }
  /* @max cuts the list: the first 55 are the coarse grid */
  n = ilgnet_frame_anchors (640, 360, want, ILGNET_N_COARSE_ANCHORS);
  ilgnet_frame_anchors (640, 360, r, ILGNET_N_ANCHORS);
  EXPECT (n == ILGNET_N_COARSE_ANCHORS
      && memcmp (r, want, n * sizeof (IlgnetRect)) == 0, "max %d: %d", 55, n);
  EXPECT (ilgnet_frame_anchors (640, 360, r, 0) == 0, "max 0");
}

static void
reseeded (gconstpointer func)
{
  g_rand_set_seed (rnd, 42);
  ((void (*) (void)) func) ();
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  rnd = g_rand_new ();
  g_test_add_data_func ("/boxes/roipool", test_roipool, reseeded);
  g_test_add_data_func ("/boxes/session", test_box_session, reseeded);
  g_test_add_data_func ("/boxes/side-output", test_side_output, reseeded);
  g_test_add_func ("/boxes/frame-anchors", test_frame_anchors);
  rc = g_test_run ();
  g_rand_free (rnd);
  return rc;
}
