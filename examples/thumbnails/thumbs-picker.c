/* ilgnet-thumbs: guards, shot detection, stillness, shot clustering and the
 * final choice.  Thresholds follow Hecate (Song et al. 2016) where it gives
 * them, on the same scales (0..1 grey, unnormalised Sobel). */
#include "thumbs-picker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DARK_LUMA 0.075f
#define UNIFORM_SHARE 0.80f
/* Perceptual blur (0..1) at which a frame looks out of focus; sharp
 * photos measure 0.1-0.3 at 160 px.  Flat frames (no gradient) count too. */
#define BLUR_LEVEL 0.5f
#define BLUR_MARGIN 0.2f
#define FLAT_SHARPNESS 0.01f
/* Transition measures (against a frame ~0.2 s back). */
#define ECR_LEVEL 0.35f
#define FADE_LEVEL 0.08f
#define DRIFT_LEVEL 0.25f
/* Colour histogram change between consecutive frames that starts a shot. */
#define CUT_LEVEL 0.40f
/* Soft guards reject at most these shares of the frames still in play. */
#define CAP_DARK 0.15f
#define CAP_UNIFORM 0.15f
#define CAP_TRANSITION 0.20f
#define CAP_BLUR 0.15f
/* A guard failing more than this share of the frames judges the video, not
 * the frames: it then only rejects its capped share. */
#define ADAPT_SHARE 0.5f
/* Cuts: a jump this much above the usual frame-to-frame change nearby. */
#define CUT_FLOOR 0.15f
#define CUT_CONTRAST 3.0f
#define CAP_CUTS 0.10f
/* Rejected runs shorter than this (a flash, a keyframe) do not end a shot. */
#define MIN_GAP (250 * GST_MSECOND)
#define ENDS_SHARE 0.03
#define ENDS_MAX (3 * GST_SECOND)
#define MIN_SHOT_FRAMES 5
/* Keyframes only (ilgnet-thumbs --fast): frames are a second or more
 * apart, so a shot needs two of them, not five. */
#define MIN_SHOT_KEYFRAMES 2
#define KMEANS_ROUNDS 25

typedef struct
{
  int frame;
  float badness;
} Bad;

static int
cmp_bad (const void *a, const void *b)
{
  const Bad *x = a, *y = b;
  if (x->badness != y->badness)
    return x->badness < y->badness ? 1 : -1;
  return x->frame - y->frame;
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

static float
median (float *v, int n)
{
  if (n == 0)
    return 0;
  qsort (v, n, sizeof (float), cmp_float);
  return v[n / 2];
}

/* Worst first: marks the worst of @bad with @flaw in @set, no more than
 * @cap of the frames @set does not reject yet. */
static void
mark_worst (guint8 * set, int n, const Bad * bad, int n_bad, float cap,
    guint8 flaw)
{
  int in_play = 0;
  for (int i = 0; i < n; i++)
    in_play += set[i] == 0;
  int limit = (int) (cap * in_play);
  for (int i = 0, done = 0; i < n_bad && done < limit; i++)
    if (set[bad[i].frame] == 0) {
      set[bad[i].frame] |= flaw;
      done++;
    }
}

/* Applies one guard: @bad are the frames failing its absolute test. */
static void
guard (IlgnetThumbsResult * r, Bad * bad, int n_bad, float cap, guint8 flaw)
{
  int n = r->n_frames;
  qsort (bad, n_bad, sizeof (Bad), cmp_bad);
  for (int i = 0; i < n_bad; i++)
    r->hard[bad[i].frame] |= flaw;
  if (n_bad <= ADAPT_SHARE * n) {
    for (int i = 0; i < n_bad; i++)
      r->reject[bad[i].frame] |= flaw;
  } else {
    mark_worst (r->reject, n, bad, n_bad, cap, flaw);
  }
  mark_worst (r->soft, n, bad, n_bad, cap, flaw);
}

static void
apply_guards (IlgnetThumbsResult * r, const IlgnetThumbsFrame * f, int n)
{
  Bad *bad = g_new (Bad, n);
  int nb;

  /* Intro and outro. */
  GstClockTime t0 = f[0].pts, t1 = f[n - 1].pts;
  if (GST_CLOCK_TIME_IS_VALID (t0) && GST_CLOCK_TIME_IS_VALID (t1) && t1 > t0) {
    GstClockTime margin = MIN ((GstClockTime) ((t1 - t0) * ENDS_SHARE),
        ENDS_MAX);
    for (int i = 0; i < n; i++)
      if (f[i].pts < t0 + margin || f[i].pts > t1 - margin)
        r->hard[i] = r->reject[i] = r->soft[i] = ILGNET_THUMBS_ENDS;
  }

  nb = 0;
  for (int i = 0; i < n; i++)
    if (f[i].luma < DARK_LUMA)
      bad[nb++] = (Bad) { i, -f[i].luma };
  guard (r, bad, nb, CAP_DARK, ILGNET_THUMBS_DARK);

  nb = 0;
  for (int i = 0; i < n; i++)
    if (f[i].uniformity >= UNIFORM_SHARE)
      bad[nb++] = (Bad) { i, f[i].uniformity };
  guard (r, bad, nb, CAP_UNIFORM, ILGNET_THUMBS_UNIFORM);

  /* A frame is mid-transition when it differs from the frame a lag before
   * it, or the frame a lag after it does from it: both ends of a fade. */
  float *t = g_new (float, n);
  for (int i = 0; i < n; i++)
    t[i] = MAX (f[i].ecr / ECR_LEVEL, MAX (f[i].fade / FADE_LEVEL,
            f[i].drift / DRIFT_LEVEL));
  nb = 0;
  for (int i = 0; i < n; i++) {
    float worst = t[i];
    for (int j = i + 1; j < n && GST_CLOCK_TIME_IS_VALID (f[j].pts)
        && f[j].pts <= f[i].pts + ILGNET_THUMBS_LAG; j++)
      worst = MAX (worst, t[j]);
    if (worst >= 1.f)
      bad[nb++] = (Bad) { i, worst };
  }
  g_free (t);
  guard (r, bad, nb, CAP_TRANSITION, ILGNET_THUMBS_TRANSITION);

  /* Clearly blurrier than this video's typical frame also counts: dark or
   * heavily compressed footage measures less blur than there is. */
  float *v = g_new (float, n);
  int nv = 0;
  for (int i = 0; i < n; i++)
    if (f[i].sharpness >= FLAT_SHARPNESS)
      v[nv++] = f[i].blur;
  float level = nv ? MIN (BLUR_LEVEL, median (v, nv) + BLUR_MARGIN) :
      BLUR_LEVEL;
  g_free (v);
  nb = 0;
  for (int i = 0; i < n; i++)
    if (f[i].blur >= level || f[i].sharpness < FLAT_SHARPNESS)
      bad[nb++] = (Bad) { i, f[i].blur };
  guard (r, bad, nb, CAP_BLUR, ILGNET_THUMBS_BLUR);

  g_free (bad);
}

/* A cut: a big change from the previous frame, or a clear jump above the
 * usual change around it (dark scenes change little in colour). */
static gboolean *
find_cuts (const IlgnetThumbsFrame * f, int n)
{
  gboolean *cut = g_new0 (gboolean, MAX (n, 1));
  float *near = g_new (float, 64);
  int big = 0;
  /* Big changes on more than CAP_CUTS of the frames are the footage's
   * nature (noise, shaking, fast motion), not cuts: then only jumps above
   * the local usual count. */
  for (int i = 1; i < n; i++)
    big += f[i].cut >= CUT_LEVEL;
  gboolean absolute = big <= CAP_CUTS * n;
  for (int i = 1; i < n; i++) {
    int m = 0;
    for (int j = MAX (1, i - 12); j <= MIN (n - 1, i + 12) && m < 64; j++)
      if (j != i)
        near[m++] = f[j].cut;
    float usual = median (near, m);
    cut[i] = (absolute && f[i].cut >= CUT_LEVEL) || (f[i].cut >= CUT_FLOOR
        && f[i].cut >= CUT_CONTRAST * usual);
  }
  g_free (near);
  return cut;
}

static void
find_shots (IlgnetThumbsResult * r, const IlgnetThumbsFrame * f, int n,
    int min_shot_frames)
{
  const guint8 breaks = ILGNET_THUMBS_DARK | ILGNET_THUMBS_UNIFORM |
      ILGNET_THUMBS_TRANSITION;
  gboolean *cut = find_cuts (f, n);
  gboolean *gap = g_new0 (gboolean, n + 1);
  int shot = -1, start = 0, n_shots = 0;

  /* Only runs of rejected frames long enough to be a real gap split. */
  for (int i = 0; i < n;) {
    int j = i;
    while (j < n && (r->reject[j] & breaks))
      j++;
    if (j > i) {
      GstClockTime len = f[j - 1].pts - f[i].pts;
      gboolean real = len >= MIN_GAP || i == 0 || j == n;
      for (int k = i; k < j; k++)
        gap[k] = real;
      i = j;
    } else {
      i++;
    }
  }
  gap[n] = TRUE;

  for (int i = 0; i <= n; i++) {
    if (shot >= 0 && (gap[i] || cut[i])) {
      /* Close the current shot; too short ones are flashes, not shots. */
      if (i - start < min_shot_frames) {
        for (int j = start; j < i; j++)
          r->shot[j] = -1;
        n_shots--;
      }
      shot = -1;
    }
    if (i == n)
      break;
    if (gap[i]) {
      r->shot[i] = -1;
      continue;
    }
    if (shot < 0) {
      shot = n_shots++;
      start = i;
    }
    r->shot[i] = shot;
  }
  r->n_shots = n_shots;
  g_free (cut);
  g_free (gap);
}

static float
stillness (const IlgnetThumbsFrame * f, int n, int i)
{
  /* Difference to both neighbours: low inside calm moments. */
  float next = i + 1 < n ? f[i + 1].motion : f[i].motion;
  return (f[i].motion + next) / 2;
}

static gboolean
usable (const IlgnetThumbsResult * r, const IlgnetThumbsFrame * f, int i,
    int tier)
{
  if (f[i].score < 0)
    return FALSE;
  if (tier == 0)
    return r->reject[i] == 0;
  if (tier == 1)
    return r->soft[i] == 0;
  if (tier == 2)
    return !(r->soft[i] & ILGNET_THUMBS_ENDS);
  return TRUE;
}

/* The best frame of a shot: among its stiller half, the highest score;
 * frames the guards accept beat those passing only the capped ones. */
static int
best_in_shot (const IlgnetThumbsResult * r, const IlgnetThumbsFrame * f,
    int n, int shot, int max_tier)
{
  for (int tier = 0; tier <= max_tier; tier++) {
    float *s = g_new (float, n);
    int ns = 0, best = -1;
    int lo = 0, hi = n;
    /* Shots are contiguous: find their span once. */
    while (lo < n && r->shot[lo] != shot)
      lo++;
    hi = lo;
    while (hi < n && r->shot[hi] == shot)
      hi++;
    for (int i = lo; i < hi; i++)
      if (usable (r, f, i, tier))
        s[ns++] = stillness (f, n, i);
    if (ns) {
      float limit = median (s, ns);
      for (int i = lo; i < hi; i++)
        if (usable (r, f, i, tier) && stillness (f, n, i) <= limit
            && (best < 0 || f[i].score > f[best].score))
          best = i;
    }
    g_free (s);
    if (best >= 0)
      return best;
  }
  return -1;
}

#define FEAT_DIM (ILGNET_THUMBS_HIST_BINS + ILGNET_THUMBS_EDGE_CELLS)

static void
shot_features (const IlgnetThumbsResult * r, const IlgnetThumbsFrame * f,
    int n, int shot, float *feat)
{
  int count = 0;
  memset (feat, 0, FEAT_DIM * sizeof (float));
  for (int i = 0; i < n; i++) {
    if (r->shot[i] != shot)
      continue;
    /* Square roots make the L2 distance a Hellinger-like colour distance. */
    for (int b = 0; b < ILGNET_THUMBS_HIST_BINS; b++)
      feat[b] += sqrtf (f[i].hist[b]);
    for (int c = 0; c < ILGNET_THUMBS_EDGE_CELLS; c++)
      feat[ILGNET_THUMBS_HIST_BINS + c] += 2.f * f[i].edges[c];
    count++;
  }
  for (int d = 0; count && d < FEAT_DIM; d++)
    feat[d] /= count;
}

static float
dist2 (const float *a, const float *b)
{
  float d = 0;
  for (int i = 0; i < FEAT_DIM; i++)
    d += (a[i] - b[i]) * (a[i] - b[i]);
  return d;
}

/* k-means over shot features; farthest-point start from the best-scoring
 * shot so the result does not depend on chance.  Fills @label. */
static void
cluster (float *feat, const float *quality, int m, int k, int *label)
{
  float *centre, *nearest;
  int first = 0;

  if (m <= 0 || k <= 0 || k > m)
    return;
  centre = g_new0 (float, (gsize) k * FEAT_DIM);
  nearest = g_new (float, m);

  for (int i = 1; i < m; i++)
    if (quality[i] > quality[first])
      first = i;
  memcpy (centre, feat + first * FEAT_DIM, FEAT_DIM * sizeof (float));
  for (int i = 0; i < m; i++)
    nearest[i] = dist2 (feat + i * FEAT_DIM, centre);
  for (int c = 1; c < k; c++) {
    int far = 0;
    for (int i = 1; i < m; i++)
      if (nearest[i] > nearest[far])
        far = i;
    memcpy (centre + c * FEAT_DIM, feat + far * FEAT_DIM,
        FEAT_DIM * sizeof (float));
    for (int i = 0; i < m; i++)
      nearest[i] = MIN (nearest[i], dist2 (feat + i * FEAT_DIM,
              centre + c * FEAT_DIM));
  }

  for (int round = 0; round < KMEANS_ROUNDS; round++) {
    gboolean changed = FALSE;
    for (int i = 0; i < m; i++) {
      int best = 0;
      float bd = G_MAXFLOAT;
      for (int c = 0; c < k; c++) {
        float d = dist2 (feat + i * FEAT_DIM, centre + c * FEAT_DIM);
        if (d < bd) {
          bd = d;
          best = c;
        }
      }
      changed |= round == 0 || label[i] != best;
      label[i] = best;
    }
    if (!changed)
      break;
    for (int c = 0; c < k; c++) {
      int count = 0;
      float *ctr = centre + c * FEAT_DIM;
      for (int i = 0; i < m; i++)
        if (label[i] == c) {
          if (!count)
            memset (ctr, 0, FEAT_DIM * sizeof (float));
          for (int d = 0; d < FEAT_DIM; d++)
            ctr[d] += feat[i * FEAT_DIM + d];
          count++;
        }
      for (int d = 0; count && d < FEAT_DIM; d++)
        ctr[d] /= count;
    }
  }
  g_free (centre);
  g_free (nearest);
}

static int
cmp_pick_score (const void *a, const void *b)
{
  const IlgnetThumbsPick *x = a, *y = b;
  if (x->score != y->score)
    return x->score < y->score ? 1 : -1;
  return x->frame - y->frame;
}

static GstClockTime
gap_between (const IlgnetThumbsFrame * f, int a, int b)
{
  GstClockTime x = f[a].pts, y = f[b].pts;
  return x > y ? x - y : y - x;
}

/* Adds picks beyond one per shot, as far in time from the others as the
 * video allows, when it has fewer usable shots than K. */
static void
fill (IlgnetThumbsResult * r, const IlgnetThumbsFrame * f, int n, int k,
    int tier)
{
  GstClockTime span = f[n - 1].pts - f[0].pts;
  GstClockTime min_gap = MAX (GST_SECOND, span / (2 * k));

  while (r->n_picks < k && min_gap > 0) {
    int best = -1;
    for (int i = 0; i < n; i++) {
      gboolean near = FALSE;
      if (!usable (r, f, i, tier) || (tier < 2 && r->shot[i] < 0))
        continue;
      for (int p = 0; p < r->n_picks && !near; p++)
        near = gap_between (f, i, r->picks[p].frame) < min_gap;
      if (!near && (best < 0 || f[i].score > f[best].score))
        best = i;
    }
    if (best < 0) {
      min_gap /= 2;
      if (min_gap < GST_SECOND / 10)
        break;
      continue;
    }
    r->picks[r->n_picks++] = (IlgnetThumbsPick) {
    best, r->shot[best], f[best].score, TRUE};
  }
}

/* One pick per shot (per cluster of shots when there are more than K),
 * then more from the same shots if needed, using frames of @tier. */
static void
choose (IlgnetThumbsResult * r, const IlgnetThumbsFrame * f, int n, int k,
    int tier)
{
  int m = 0;
  int *best = g_new (int, MAX (r->n_shots, 1));
  int *shots = g_new (int, MAX (r->n_shots, 1));
  for (int s = 0; s < r->n_shots; s++) {
    int b = best_in_shot (r, f, n, s, tier);
    if (b >= 0) {
      shots[m] = s;
      best[m++] = b;
    }
  }

  if (m > k) {
    float *feat = g_new (float, m * FEAT_DIM);
    float *quality = g_new (float, m);
    int *label = g_new (int, m);
    for (int i = 0; i < m; i++) {
      shot_features (r, f, n, shots[i], feat + i * FEAT_DIM);
      quality[i] = f[best[i]].score;
    }
    cluster (feat, quality, m, k, label);
    for (int c = 0; c < k; c++) {
      int w = -1;
      for (int i = 0; i < m; i++)
        if (label[i] == c && (w < 0 || quality[i] > quality[w]))
          w = i;
      if (w >= 0)
        r->picks[r->n_picks++] = (IlgnetThumbsPick) {
        best[w], shots[w], quality[w], FALSE};
    }
    g_free (feat);
    g_free (quality);
    g_free (label);
  } else {
    for (int i = 0; i < m; i++)
      r->picks[r->n_picks++] = (IlgnetThumbsPick) {
      best[i], shots[i], f[best[i]].score, FALSE};
  }
  if (r->n_picks < k)
    fill (r, f, n, k, tier);
  g_free (best);
  g_free (shots);
}

static IlgnetThumbsResult *
pick (const IlgnetThumbsFrame * f, int n, int k, int min_shot_frames)
{
  IlgnetThumbsResult *r = g_new0 (IlgnetThumbsResult, 1);
  r->n_frames = n;
  r->hard = g_new0 (guint8, MAX (n, 1));
  r->reject = g_new0 (guint8, MAX (n, 1));
  r->soft = g_new0 (guint8, MAX (n, 1));
  r->shot = g_new0 (int, MAX (n, 1));
  r->picks = g_new0 (IlgnetThumbsPick, MAX (k, 1));
  if (n == 0 || k <= 0)
    return r;

  apply_guards (r, f, n);
  find_shots (r, f, n, min_shot_frames);

  /* Frames the guards accept first; only if they cannot give K picks
   * (even several per shot), frames passing the capped guards too. */
  choose (r, f, n, k, 0);
  if (r->n_picks < k) {
    r->n_picks = 0;
    r->relaxed = TRUE;
    choose (r, f, n, k, 1);
  }
  if (r->n_picks == 0)
    /* Nothing survives: take what there is, still spread in time. */
    fill (r, f, n, k, 2);
  if (r->n_picks == 0)
    fill (r, f, n, k, 3);
  qsort (r->picks, r->n_picks, sizeof (IlgnetThumbsPick), cmp_pick_score);
  return r;
}

void
ilgnet_thumbs_result_free (IlgnetThumbsResult * r)
{
  if (!r)
    return;
  g_free (r->hard);
  g_free (r->reject);
  g_free (r->soft);
  g_free (r->shot);
  g_free (r->picks);
  g_free (r);
}

const char *
ilgnet_thumbs_flaw_name (guint8 flaws)
{
  if (flaws & ILGNET_THUMBS_DARK)
    return "dark";
  if (flaws & ILGNET_THUMBS_UNIFORM)
    return "uniform";
  if (flaws & ILGNET_THUMBS_TRANSITION)
    return "transition";
  if (flaws & ILGNET_THUMBS_BLUR)
    return "blur";
  if (flaws & ILGNET_THUMBS_ENDS)
    return "ends";
  return "ok";
}

IlgnetThumbsResult *
ilgnet_thumbs_pick (const IlgnetThumbsFrame * f, int n, int k)
{
  return pick (f, n, k, MIN_SHOT_FRAMES);
}

IlgnetThumbsResult *
ilgnet_thumbs_pick_keyframes (const IlgnetThumbsFrame * f, int n, int k)
{
  return pick (f, n, k, MIN_SHOT_KEYFRAMES);
}
