/* The crop suggestion's hysteresis (gst-plugin/gstilgnetcropsuggest.c) on
 * made-up candidate scores: near-equal candidates trading places must not
 * move the box; a clear or sustained winner must; a reset starts afresh;
 * the whole frame is suggested when no crop is clearly better. */
#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstilgnetcropsuggest.h"

#define N_CANDIDATES 6
#define MARGIN 0.04
#define HOLD 4

static GstVideoRectangle rects[N_CANDIDATES];

/* The layout of ilgnet_multi_crops(): the whole frame first. */
static void
make_rects (void)
{
  gint i;

  rects[0] = (GstVideoRectangle) {
  0, 0, 640, 360};
  for (i = 1; i < N_CANDIDATES; i++)
    rects[i] = (GstVideoRectangle) {
    16 * i, 8 * i, 544, 306};
}

/* A frame where the whole frame scores @frame, candidate @a @sa, candidate
 * @b @sb and the others well below. */
static void
fill (gfloat * s, gfloat frame, gint a, gfloat sa, gint b, gfloat sb)
{
  gint i;

  for (i = 0; i < N_CANDIDATES; i++)
    s[i] = 0.1f + 0.01f * i;
  s[0] = frame;
  s[a] = sa;
  if (b > 0)
    s[b] = sb;
}

static gint
update (GstIlgnetCropSuggest * cs, const gfloat * s)
{
  return gst_ilgnet_crop_suggest_update (cs, rects, s, N_CANDIDATES, MARGIN,
      HOLD);
}

/* Starts afresh with candidate 2 just ahead of 4 for five results: 2 is
 * the suggestion held (checked), the start of most tests below. */
static void
settle_on_candidate_2 (GstIlgnetCropSuggest * cs, gfloat * s)
{
  gint i;

  gst_ilgnet_crop_suggest_reset (cs);
  fill (s, 0.30f, 2, 0.62f, 4, 0.60f);
  for (i = 0; i < 5; i++)
    g_assert_cmpint (update (cs, s), ==, 2);
}

static gint
argmax (const gfloat * s, gint n)
{
  gint i, best = 0;

  for (i = 1; i < n; i++)
    if (s[i] > s[best])
      best = i;
  return best;
}

/* Two crops 0.02 apart swap the lead on every result, as on a slow pan:
 * the frame's best changes every time, the suggestion never. */
static void
test_alternation_holds (void)
{
  GstIlgnetCropSuggest cs;
  gfloat s[N_CANDIDATES];
  gint i, first, frame_best_changes = 0, last_best = -1;

  gst_ilgnet_crop_suggest_reset (&cs);
  fill (s, 0.30f, 2, 0.62f, 4, 0.60f);
  first = update (&cs, s);
  g_assert_cmpint (first, ==, 2);
  for (i = 0; i < 60; i++) {
    gboolean odd = i % 2;
    /* With a third candidate joining in now and then. */
    gint third = i % 7 == 3 ? 5 : 0;

    fill (s, 0.30f, 2, odd ? 0.62f : 0.60f, 4, odd ? 0.60f : 0.62f);
    if (third)
      s[third] = 0.625f;
    if (argmax (s, N_CANDIDATES) != last_best)
      frame_best_changes++;
    last_best = argmax (s, N_CANDIDATES);
    g_assert_cmpint (update (&cs, s), ==, first);
  }
  /* The sequence really did flip (else this proves nothing). */
  g_assert_cmpint (frame_best_changes, >, 40);
}

/* A candidate that stays ahead by less than the margin takes over after
 * HOLD results in a row, not before. */
static void
test_sustained_winner_switches (void)
{
  GstIlgnetCropSuggest cs;
  gfloat s[N_CANDIDATES];
  gint i, switched_at = -1;

  settle_on_candidate_2 (&cs, s);
  fill (s, 0.30f, 2, 0.60f, 4, 0.62f);
  for (i = 0; i < 20 && switched_at < 0; i++)
    if (update (&cs, s) == 4)
      switched_at = i;
  g_assert_cmpint (switched_at, >=, HOLD - 1);
  g_assert_cmpint (switched_at, <, HOLD + 4);
  /* And it stays. */
  for (i = 0; i < 10; i++)
    g_assert_cmpint (update (&cs, s), ==, 4);
}

/* A candidate far ahead of the suggestion, re-scored on the same frame,
 * wins at once. */
static void
test_clear_winner_switches_at_once (void)
{
  GstIlgnetCropSuggest cs;
  gfloat s[N_CANDIDATES];

  settle_on_candidate_2 (&cs, s);
  fill (s, 0.30f, 2, 0.40f, 4, 0.80f);
  g_assert_cmpint (update (&cs, s), ==, 4);
}

/* After a reset (flush, seek, new caps) the first result picks freely:
 * the same sequence without the reset keeps the old suggestion. */
static void
test_reset (void)
{
  GstIlgnetCropSuggest cs, control;
  gfloat s[N_CANDIDATES];

  settle_on_candidate_2 (&cs, s);
  control = cs;
  gst_ilgnet_crop_suggest_reset (&cs);
  fill (s, 0.30f, 2, 0.60f, 4, 0.62f);
  g_assert_cmpint (update (&control, s), ==, 2);
  g_assert_cmpint (update (&cs, s), ==, 4);
}

/* The whole frame within the margin of the best crop is suggested ("keep
 * as is"), and with hysteresis too: a crop must beat it clearly. */
static void
test_keep_as_is (void)
{
  GstIlgnetCropSuggest cs;
  gfloat s[N_CANDIDATES];
  gint i;

  gst_ilgnet_crop_suggest_reset (&cs);
  fill (s, 0.60f, 2, 0.62f, 4, 0.55f);
  g_assert_cmpint (argmax (s, N_CANDIDATES), ==, 2);
  for (i = 0; i < 20; i++) {
    s[2] = i % 2 ? 0.62f : 0.63f;
    g_assert_cmpint (update (&cs, s), ==, 0);
  }
  /* The frame loses clearly: the crop is suggested. */
  fill (s, 0.30f, 2, 0.62f, 4, 0.55f);
  g_assert_cmpint (update (&cs, s), ==, 2);
  /* Equal scores everywhere (a solid colour): the frame as it is. */
  gst_ilgnet_crop_suggest_reset (&cs);
  for (i = 0; i < N_CANDIDATES; i++)
    s[i] = 0.5f;
  g_assert_cmpint (update (&cs, s), ==, 0);
}

/* Margin 0 and hold 1 give every frame's own best (the element without
 * hysteresis), whatever came before. */
static void
test_no_hysteresis (void)
{
  GstIlgnetCropSuggest cs;
  gfloat s[N_CANDIDATES];
  GRand *rand = g_rand_new_with_seed (11);
  gint i, j;

  gst_ilgnet_crop_suggest_reset (&cs);
  for (i = 0; i < 200; i++) {
    for (j = 0; j < N_CANDIDATES; j++)
      s[j] = (gfloat) g_rand_double (rand);
    g_assert_cmpint (gst_ilgnet_crop_suggest_update (&cs, rects, s,
            N_CANDIDATES, 0.0, 1), ==, argmax (s, N_CANDIDATES));
  }
  g_rand_free (rand);
}

/* Another list (new frame size) starts afresh; nonsense input is refused
 * without a crash. */
static void
test_new_list_and_bad_input (void)
{
  GstIlgnetCropSuggest cs;
  gfloat s[N_CANDIDATES];

  settle_on_candidate_2 (&cs, s);
  /* Candidate 2 is another rectangle now: a list of its own. */
  rects[2].w -= 10;
  fill (s, 0.30f, 2, 0.60f, 4, 0.62f);
  g_assert_cmpint (update (&cs, s), ==, 4);
  rects[2].w += 10;
  g_assert_cmpint (gst_ilgnet_crop_suggest_update (&cs, rects, s, 5, MARGIN,
          HOLD), ==, 4);
  g_assert_cmpint (gst_ilgnet_crop_suggest_update (&cs, rects, s, 0, MARGIN,
          HOLD), ==, 0);
  g_assert_cmpint (gst_ilgnet_crop_suggest_update (&cs, NULL, s, 3, MARGIN,
          HOLD), ==, 0);
  g_assert_cmpint (gst_ilgnet_crop_suggest_update (&cs, rects, NULL, 3,
          MARGIN, HOLD), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  make_rects ();
  g_test_add_func ("/crop-suggest/alternation-holds", test_alternation_holds);
  g_test_add_func ("/crop-suggest/sustained-winner",
      test_sustained_winner_switches);
  g_test_add_func ("/crop-suggest/clear-winner",
      test_clear_winner_switches_at_once);
  g_test_add_func ("/crop-suggest/reset", test_reset);
  g_test_add_func ("/crop-suggest/keep-as-is", test_keep_as_is);
  g_test_add_func ("/crop-suggest/no-hysteresis", test_no_hysteresis);
  g_test_add_func ("/crop-suggest/new-list", test_new_list_and_bad_input);
  return g_test_run ();
}
