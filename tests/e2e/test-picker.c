/* Unit checks of ilgnet-thumbs' measures and picker on synthetic frames
 * whose properties are known by construction (no video, no model). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thumbs-picker.h"

static int failures;

#define CHECK(cond, ...) do { \
    if (cond) { printf ("ok: "); } else { printf ("FAIL: "); failures++; } \
    printf (__VA_ARGS__); printf ("\n"); \
  } while (0)

#define W 160
#define H 90

typedef struct
{
  guint8 px[W * H * 3];
} Img;

/* A textured scene: a checkerboard in a tint of its own. */
static void
scene (Img * im, int kind, int shift)
{
  static const int tint[4][3] = {
    {250, 120, 60}, {60, 230, 90}, {80, 110, 250}, {240, 230, 120}
  };
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int on = (((x + shift) / 16) + (y / 16)) % 2;
      guint8 *p = im->px + (y * W + x) * 3;
      for (int c = 0; c < 3; c++)
        p[c] = on ? tint[kind][c] : tint[kind][c] / 4;
    }
}

static void
box_blur (Img * im, int r)
{
  static Img tmp;
  for (int pass = 0; pass < 2; pass++) {
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        for (int c = 0; c < 3; c++) {
          int s = 0, n = 0;
          for (int d = -r; d <= r; d++) {
            int xx = pass ? x : CLAMP (x + d, 0, W - 1);
            int yy = pass ? CLAMP (y + d, 0, H - 1) : y;
            s += im->px[(yy * W + xx) * 3 + c];
            n++;
          }
          tmp.px[(y * W + x) * 3 + c] = s / n;
        }
    memcpy (im->px, tmp.px, sizeof (tmp.px));
  }
}

static void
scale (Img * im, float g)
{
  for (int i = 0; i < W * H * 3; i++)
    im->px[i] = (guint8) (im->px[i] * g + 0.5f);
}

typedef enum
{ CLEAN, BLACK, BLURRED } Kind;

/* Builds a 25 fps video of @n segments (scene, kind, seconds, score) and
 * analyses it. */
typedef struct
{
  int scene;
  Kind kind;
  double seconds;
  float score;
} Seg;

static IlgnetThumbsFrame *
make_video (const Seg * segs, int n_segs, float gain, int *n_out)
{
  IlgnetThumbsAnalyser *a = ilgnet_thumbs_analyser_new ();
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (IlgnetThumbsFrame));
  static Img im;
  int f = 0;
  for (int s = 0; s < n_segs; s++) {
    int count = (int) (segs[s].seconds * 25);
    for (int i = 0; i < count; i++, f++) {
      IlgnetThumbsFrame fr;
      if (segs[s].kind == BLACK)
        memset (im.px, 0, sizeof (im.px));
      else
        scene (&im, segs[s].scene, i / 5);
      if (segs[s].kind == BLURRED)
        box_blur (&im, 4);
      if (gain != 1.f)
        scale (&im, gain);
      ilgnet_thumbs_analyser_add (a, im.px, W, H, W * 3,
          (GstClockTime) f * GST_SECOND / 25, &fr);
      /* The model scores every 12th frame. */
      if (f % 12 == 0)
        fr.score = segs[s].score + 0.001f * (i % 7);
      g_array_append_val (frames, fr);
    }
  }
  ilgnet_thumbs_analyser_free (a);
  *n_out = frames->len;
  return (IlgnetThumbsFrame *) g_array_free (frames, FALSE);
}

static int
seg_of (const Seg * segs, int n_segs, GstClockTime t)
{
  double at = 0, ts = t / 1e9;
  for (int s = 0; s < n_segs; s++) {
    if (ts < at + segs[s].seconds)
      return s;
    at += segs[s].seconds;
  }
  return n_segs - 1;
}

static void
test_measures (void)
{
  static Img sharp, soft, black, other;
  IlgnetThumbsFrame a, b, c, d, e;
  IlgnetThumbsAnalyser *an = ilgnet_thumbs_analyser_new ();
  double sum = 0;

  scene (&sharp, 0, 0);
  soft = sharp;
  box_blur (&soft, 4);
  memset (black.px, 0, sizeof (black.px));
  scene (&other, 2, 0);
  for (int i = 0; i < W * H; i++)
    sum += (77 * sharp.px[3 * i] + 150 * sharp.px[3 * i + 1] +
        29 * sharp.px[3 * i + 2]) / 256.0;
  ilgnet_thumbs_analyser_add (an, sharp.px, W, H, W * 3, 0, &a);
  ilgnet_thumbs_analyser_add (an, black.px, W, H, W * 3, GST_SECOND, &b);
  ilgnet_thumbs_analyser_add (an, sharp.px, W, H, W * 3, 2 * GST_SECOND, &c);
  ilgnet_thumbs_analyser_add (an, soft.px, W, H, W * 3, 3 * GST_SECOND, &d);
  ilgnet_thumbs_analyser_add (an, other.px, W, H, W * 3, 4 * GST_SECOND, &e);
  ilgnet_thumbs_analyser_free (an);

  CHECK (fabs (a.luma - sum / (W * H) / 255) < 0.005,
      "luma %.4f is the mean grey %.4f", a.luma, sum / (W * H) / 255);
  CHECK (b.luma == 0 && b.uniformity == 1 && b.contrast == 0,
      "black frame: luma 0, uniform, no contrast");
  CHECK (a.blur < 0.3 && d.blur > 0.5,
      "blur measure: sharp %.2f, blurred %.2f", a.blur, d.blur);
  CHECK (d.sharpness < a.sharpness, "Sobel: sharp %.3f, blurred %.3f",
      a.sharpness, d.sharpness);
  CHECK (e.cut > 0.4 && d.cut < e.cut,
      "cut to another scene %.2f > change to its blurred self %.2f", e.cut,
      d.cut);
  CHECK (b.ecr == 1 && c.ecr == 1, "edge change ratio 1 to and from black");
  CHECK (e.ecr > 0.5, "edge change ratio %.2f at a cut", e.ecr);
}

static void
test_picks (void)
{
  /* The blurred and black parts score highest: a score-only picker would
   * take them. */
  const Seg segs[] = {
    {0, CLEAN, 4, 0.3f}, {0, BLACK, 1, 0.9f}, {1, CLEAN, 4, 0.5f},
    {2, BLURRED, 3, 0.95f}, {2, CLEAN, 4, 0.4f}, {3, CLEAN, 4, 0.6f},
  };
  int n, ns = G_N_ELEMENTS (segs);
  IlgnetThumbsFrame *f = make_video (segs, ns, 1.f, &n);

  for (int k = 1; k <= 5; k++) {
    IlgnetThumbsResult *r = ilgnet_thumbs_pick (f, n, k);
    for (int i = 0; i < r->n_picks; i++)
      printf ("  pick %.2f s, shot %d, segment %d, score %.3f\n",
          f[r->picks[i].frame].pts / 1e9, r->picks[i].shot,
          seg_of (segs, ns, f[r->picks[i].frame].pts), r->picks[i].score);
    gboolean clean = TRUE, distinct = TRUE, ranked = TRUE;
    int want = MIN (k, 4);
    for (int i = 0; i < r->n_picks; i++) {
      int si = seg_of (segs, ns, f[r->picks[i].frame].pts);
      clean &= segs[si].kind == CLEAN;
      for (int j = 0; j < i; j++)
        distinct &= seg_of (segs, ns, f[r->picks[j].frame].pts) != si;
      if (i)
        ranked &= r->picks[i].score <= r->picks[i - 1].score;
    }
    CHECK (r->n_picks == k, "k=%d: %d picks", k, r->n_picks);
    CHECK (clean, "k=%d: no pick from the black or blurred parts", k);
    CHECK (ranked, "k=%d: picks ranked by score", k);
    if (k <= 4)
      CHECK (distinct, "k=%d: picks from %d different shots", k, want);
    if (k == 4) {
      /* One per clean shot: the scene-3 shot scores best. */
      CHECK (seg_of (segs, ns, f[r->picks[0].frame].pts) == 5,
          "k=4: best pick from the best-scoring clean shot");
    }
    if (k == 5) {
      int extra = 0;
      for (int i = 0; i < r->n_picks; i++)
        extra += r->picks[i].same_shot;
      CHECK (extra == 1, "k=5 > 4 usable shots: one extra pick marked");
    }
    ilgnet_thumbs_result_free (r);
  }
  g_free (f);

  /* Night: everything under the darkness threshold; still k picks, none
   * from the black part. */
  f = make_video (segs, ns, 0.12f, &n);
  IlgnetThumbsResult *r = ilgnet_thumbs_pick (f, n, 3);
  gboolean clean = TRUE;
  for (int i = 0; i < r->n_picks; i++)
    clean &= segs[seg_of (segs, ns, f[r->picks[i].frame].pts)].kind != BLACK;
  CHECK (r->n_picks == 3 && clean,
      "dark video: 3 picks (relaxed %d), none black", r->relaxed);
  ilgnet_thumbs_result_free (r);
  g_free (f);

  r = ilgnet_thumbs_pick (NULL, 0, 3);
  CHECK (r->n_picks == 0, "no frames: no picks");
  ilgnet_thumbs_result_free (r);
}

int
main (void)
{
  test_measures ();
  test_picks ();
  printf ("%d failures\n", failures);
  return failures ? 1 : 0;
}
