/* Scoring whole images: one crop, or several candidate crops in batches
 * (their preprocessing spread over the session's threads). */
#include "ilgnet-session-private.h"

static void
add_rect (IlgnetRect * rects, int *n, int max, int x, int y, int w, int h)
{
  int i;

  if (*n >= max || w < 1 || h < 1)
    return;
  for (i = 0; i < *n; i++)
    if (rects[i].x == x && rects[i].y == y && rects[i].width == w
        && rects[i].height == h)
      return;
  rects[*n] = (IlgnetRect) {
  x, y, w, h};
  (*n)++;
}

int
ilgnet_multi_crops (int width, int height, IlgnetRect * rects, int max)
{
  /* the frame, then crops keeping its aspect: 85 % of each side at the
   * corners and centre, 70 % on a 3x3 grid (GAIC-style anchors, few enough
   * to score with a full net); then the centred square */
  static const float sides[2] = { 0.85f, 0.70f };
  int n = 0, s, gx, gy;

  if (!rects || width < 1 || height < 1 || max < 1)
    return 0;
  max = MIN (max, ILGNET_MAX_CROPS);
  add_rect (rects, &n, max, 0, 0, width, height);
  for (s = 0; s < 2; s++) {
    int cw = MAX (1, (int) (width * sides[s] + 0.5f));
    int ch = MAX (1, (int) (height * sides[s] + 0.5f));
    for (gy = 0; gy < 3; gy++)
      for (gx = 0; gx < 3; gx++) {
        /* 85 %: corners and centre only */
        if (s == 0 && (gx == 1) != (gy == 1))
          continue;
        add_rect (rects, &n, max, (width - cw) * gx / 2,
            (height - ch) * gy / 2, cw, ch);
      }
  }
  {
    int side = MIN (width, height);
    add_rect (rects, &n, max, (width - side) / 2, (height - side) / 2, side,
        side);
  }
  return n;
}

typedef struct
{
  const IlgnetInputSpec *spec;
  const IlgnetImage *image;
  const IlgnetRect *rects;
  float *input;
  gsize per;
  gint failed;
} CropJob;

static void
crop_task (int task, gpointer data)
{
  CropJob *j = data;

  /* the image and rectangles were checked already: this cannot fail, but
   * stay safe if it does */
  if (!ilgnet_preprocess (j->spec, j->image, &j->rects[task],
          ILGNET_RESIZE_SQUASH, j->input + task * j->per, NULL))
    g_atomic_int_set (&j->failed, 1);
}

int
ilgnet_score_crops (IlgnetSession * session, const IlgnetImage * image,
    IlgnetRect * rects, float *scores, int max, GError ** error)
{
  const IlgnetInputSpec *spec;
  float *input;
  gsize per;
  int n, batch, i, j;

  g_return_val_if_fail (session != NULL && rects != NULL && scores != NULL,
      -1);
  if (!ilgnet_image_check (image, NULL, error))
    return -1;
  if (max < 1) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "room for %d crops, need at least 1", max);
    return -1;
  }
  spec = ilgnet_model_get_input_spec (ilgnet_session_get_model (session));
  per = (gsize) spec->channels * spec->height * spec->width;
  batch = ilgnet_session_get_batch (session);
  input = ilgnet_session_get_input (session);

  n = ilgnet_multi_crops (image->width, image->height, rects, max);
  for (i = 0; i < n; i += batch) {
    int m = MIN (batch, n - i);
    CropJob job = { spec, image, rects + i, input, per, 0 };

    ilgnet_pool_run (session->pool, m, crop_task, &job);
    if (job.failed) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
          "cannot preprocess a crop of the %dx%d image", image->width,
          image->height);
      return -1;
    }
    if (!ilgnet_session_run (session, m, error))
      return -1;
    for (j = 0; j < m; j++)
      scores[i + j] = ilgnet_session_get_score (session, j);
  }
  return n;
}

gboolean
ilgnet_score_image (IlgnetSession * session, const IlgnetImage * image,
    IlgnetResize mode, float *score, IlgnetRect * best, GError ** error)
{
  IlgnetModel *model;
  const IlgnetInputSpec *spec;
  IlgnetRect rects[ILGNET_MAX_CROPS];
  float scores[ILGNET_MAX_CROPS];
  int n, i, best_i = 0;
  float best_score = -1.0f;

  g_return_val_if_fail (session != NULL && score != NULL, FALSE);
  if (!ilgnet_image_check (image, NULL, error))
    return FALSE;
  model = ilgnet_session_get_model (session);
  spec = ilgnet_model_get_input_spec (model);

  if (mode != ILGNET_RESIZE_MULTI) {
    if (!ilgnet_preprocess (spec, image, NULL, mode,
            ilgnet_session_get_input (session), error)
        || !ilgnet_session_run (session, 1, error))
      return FALSE;
    *score = ilgnet_session_get_score (session, 0);
    if (best) {
      *best = (IlgnetRect) {
      0, 0, image->width, image->height};
      if (mode == ILGNET_RESIZE_CENTER) {
        /* the part preprocessing kept */
        if ((gint64) image->width * spec->height >
            (gint64) image->height * spec->width) {
          best->width = MAX (1, (int) ((gint64) image->height * spec->width /
                  spec->height));
          best->x = (image->width - best->width) / 2;
        } else {
          best->height = MAX (1, (int) ((gint64) image->width *
                  spec->height / spec->width));
          best->y = (image->height - best->height) / 2;
        }
      }
    }
    return TRUE;
  }

  n = ilgnet_score_crops (session, image, rects, scores, ILGNET_MAX_CROPS,
      error);
  if (n < 0)
    return FALSE;
  for (i = 0; i < n; i++)
    /* ties keep the earlier (larger) crop */
    if (scores[i] > best_score) {
      best_score = scores[i];
      best_i = i;
    }
  *score = best_score;
  if (best)
    *best = rects[best_i];
  return TRUE;
}
