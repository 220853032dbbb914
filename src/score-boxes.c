/* Scoring many boxes of one frame from one pass of the network's trunk
 * (GAIC / CACNet style): the model is reopened with its input at the
 * frame's aspect and its AVE Pooling heads replaced by ROIAveragePooling
 * layers of the same geometry (layer-roipool.c); a session of that model
 * runs the layers that do not depend on a box once (image 0) and the
 * pooled heads once per box. */
#include "ilgnet-layer.h"

#include <math.h>
#include <string.h>

/* Frames more elongated than this are scored squashed to it. */
#define MAX_ASPECT 4.0

typedef struct
{
  const IlgnetModel *base;
  int height, width;            /* the trunk's input */
  int replaced;
} BoxEdit;

static gboolean
edit_layer (BoxEdit * e, JsonObject * lo, GError ** error)
{
  const char *type = ilgnet_json_get_string (lo, "type", NULL);
  const char *name = ilgnet_json_get_string (lo, "name", NULL);
  JsonNode *pn = json_object_get_member (lo, "param");
  JsonObject *param, *np;
  JsonArray *a;
  const IlgnetLayer *l = NULL;
  const IlgnetBlobShape *in, *out;
  int kh, kw, sh, sw, ph, pw, i;

  if (!type || !name || strcmp (type, "Pooling") != 0 || !pn
      || JSON_NODE_TYPE (pn) != JSON_NODE_OBJECT)
    return TRUE;
  param = json_node_get_object (pn);
  if (g_strcmp0 (ilgnet_json_get_string (param, "pool", "max"), "ave") != 0
      || json_object_get_boolean_member_with_default (param, "global", FALSE))
    return TRUE;
  if (!ilgnet_json_get_pair (param, "kernel", 1, 4096, 1, &kh, &kw, name,
          error)
      || !ilgnet_json_get_pair (param, "stride", 1, 4096, 1, &sh, &sw, name,
          error)
      || !ilgnet_json_get_pair (param, "pad", 0, 4096, 0, &ph, &pw, name,
          error))
    return FALSE;
  /* padded ones are the trunk's own (inception pool branches) */
  if (ph || pw)
    return TRUE;
  for (i = 0; i < e->base->n_layers; i++)
    if (strcmp (e->base->layers[i].name, name) == 0)
      l = &e->base->layers[i];
  if (!l)
    return TRUE;
  in = &e->base->blobs[l->bottoms[0]].shape;
  out = &e->base->blobs[l->top].shape;
  np = json_object_new ();
#define PAIR(key, a0, a1) \
  a = json_array_new (); \
  json_array_add_int_element (a, a0); \
  json_array_add_int_element (a, a1); \
  json_object_set_array_member (np, key, a)
  PAIR ("pooled", out->h, out->w);
  PAIR ("kernel", kh, kw);
  PAIR ("stride", sh, sw);
  PAIR ("ref", in->h, in->w);
#undef PAIR
  json_object_set_string_member (lo, "type", "ROIAveragePooling");
  json_object_set_object_member (lo, "param", np);
  e->replaced++;
  return TRUE;
}

static gboolean
edit_header (JsonObject * root, gpointer data, GError ** error)
{
  BoxEdit *e = data;
  JsonNode *in = json_object_get_member (root, "input");
  JsonNode *layers = json_object_get_member (root, "layers");
  JsonArray *shape;
  guint i;

  if (!in || JSON_NODE_TYPE (in) != JSON_NODE_OBJECT || !layers
      || JSON_NODE_TYPE (layers) != JSON_NODE_ARRAY)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header lacks input or layers");
  shape = json_array_new ();
  json_array_add_int_element (shape, e->base->input.channels);
  json_array_add_int_element (shape, e->height);
  json_array_add_int_element (shape, e->width);
  json_object_set_array_member (json_node_get_object (in), "shape", shape);
  for (i = 0; i < json_array_get_length (json_node_get_array (layers)); i++) {
    JsonNode *ln = json_array_get_element (json_node_get_array (layers), i);
    if (JSON_NODE_TYPE (ln) == JSON_NODE_OBJECT
        && !edit_layer (e, json_node_get_object (ln), error))
      return FALSE;
  }
  if (e->replaced == 0)
    ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "no unpadded AVE Pooling head to "
        "pool boxes with");
  return TRUE;
}

/* Which layers depend on no box (the trunk), checking that boxes only
 * enter through ROIAveragePooling layers reading trunk maps. */
static gboolean
find_trunk (IlgnetSession * s, GError ** error)
{
  const IlgnetModel *m = s->model;
  const IlgnetLayerClass *roi = ilgnet_layer_class_find ("ROIAveragePooling");
  gboolean *blob_box = g_new0 (gboolean, m->n_blobs);
  gboolean ok = TRUE;
  int i, k;

  s->trunk = g_new0 (gboolean, m->n_layers);
  for (i = 0; i < m->n_layers && ok; i++) {
    const IlgnetLayer *l = &m->layers[i];
    gboolean any = FALSE, all = TRUE;
    for (k = 0; k < l->n_bottoms; k++) {
      any |= blob_box[l->bottoms[k]];
      all &= blob_box[l->bottoms[k]];
    }
    if (l->klass == roi) {
      if (any) {
        g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
            "layer \"%s\" pools a map that depends on a box", l->name);
        ok = FALSE;
      }
      blob_box[l->top] = TRUE;
    } else if (any && !all) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
          "layer \"%s\" mixes the trunk's maps with a box's", l->name);
      ok = FALSE;
    } else {
      blob_box[l->top] = any;
    }
    s->trunk[i] = !blob_box[l->top];
  }
  if (ok && !blob_box[m->output_blob]) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "the output does not depend on the pooled boxes");
    ok = FALSE;
  }
  g_free (blob_box);
  return ok;
}

/* Whether the framing map @blob of @m weighs the boxes' own heads: its
 * fourth channel (src/framing-term.c) is the output of a 1 x 1
 * convolution whose weights and bias for it are all 0 when it was trained
 * without them (models/train/framing_branch.py).  TRUE when in doubt. */
static gboolean
framing_needs_heads (const IlgnetModel * m, int blob)
{
  const IlgnetLayer *l = NULL;
  float *w, *b = NULL;
  gsize per, i;
  gboolean zero;

  if (m->blobs[blob].shape.c < 4)
    return FALSE;
  for (i = 0; i < (gsize) m->n_layers; i++)
    if (m->layers[i].top == blob)
      l = &m->layers[i];        /* the last writer */
  if (!l || strcmp (l->type_name, "Convolution") != 0 || !l->weight
      || l->weight->n_elements % m->blobs[blob].shape.c)
    return TRUE;
  per = l->weight->n_elements / m->blobs[blob].shape.c;
  w = ilgnet_tensor_to_f32 (l->weight);
  if (l->bias)
    b = ilgnet_tensor_to_f32 (l->bias);
  if (!w || (l->bias && !b)) {
    g_free (w);
    g_free (b);
    return TRUE;
  }
  zero = !b || b[3] == 0.0f;
  for (i = 3 * per; zero && i < 4 * per; i++)
    zero = w[i] == 0.0f;
  g_free (w);
  g_free (b);
  return !zero;
}

int
ilgnet_model_box_anchors (const IlgnetModel * model)
{
  int framing;

  g_return_val_if_fail (model != NULL, ILGNET_N_COARSE_ANCHORS);
  framing = ilgnet_model_find_blob (model, ILGNET_FRAMING_BLOB);
  return framing >= 0 && !framing_needs_heads (model, framing) ?
      ILGNET_N_ANCHORS : ILGNET_N_COARSE_ANCHORS;
}

IlgnetSession *
ilgnet_box_session_new (IlgnetModel * model, int width, int height,
    int max_boxes, int threads, IlgnetSessionFlags flags, GError ** error)
{
  BoxEdit e = { .base = model };
  IlgnetModel *boxes;
  IlgnetSession *s;
  double aspect;
  int framing;
  gboolean heads;

  g_return_val_if_fail (model != NULL, NULL);
  if (max_boxes < 1) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "a box session for %d boxes", max_boxes);
    return NULL;
  }
  if (width < 1 || height < 1) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "frame size %dx%d is empty", width, height);
    return NULL;
  }
  aspect = CLAMP ((double) width / height, 1 / MAX_ASPECT, MAX_ASPECT);
  /* the shorter side at the model's own input size */
  if (aspect >= 1) {
    e.height = model->input.height;
    e.width = MAX (1, (int) lround (model->input.height * aspect));
  } else {
    e.width = model->input.width;
    e.height = MAX (1, (int) lround (model->input.width / aspect));
  }
  boxes = ilgnet_model_open_edited (model->path, edit_header, &e, error);
  if (!boxes)
    return NULL;
  /* a framing map scores boxes relative to the whole frame: one more box;
   * or that box alone when the map needs no box's own heads (heads for
   * 276 boxes of a 640x360 frame cost 206 ms against the trunk's 25 on 2
   * cores) */
  framing = ilgnet_model_find_blob (boxes, ILGNET_FRAMING_BLOB);
  heads = framing < 0 || framing_needs_heads (boxes, framing);
  s = ilgnet_session_new_full (boxes, heads ? max_boxes + (framing >= 0) : 1,
      threads, flags, error);
  ilgnet_model_unref (boxes);
  if (!s)
    return NULL;
  s->framing_blob = framing;
  s->box_heads = heads;
  s->max_boxes = max_boxes;
  if (framing >= 0) {
    ilgnet_session_need_blob (s, framing);
    if (ilgnet_session_blob_clobbered (s, framing)) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
          "the framing map \"%s\" is not kept after a run",
          ILGNET_FRAMING_BLOB);
      ilgnet_session_free (s);
      return NULL;
    }
  }
  if (!find_trunk (s, error)) {
    ilgnet_session_free (s);
    return NULL;
  }
  s->boxes = g_new0 (float, 4 * (gsize) s->batch);
  s->share_trunk = TRUE;
  return s;
}

gboolean
ilgnet_score_boxes (IlgnetSession * s, const IlgnetImage * image,
    const IlgnetRect * boxes, int n, float *scores, GError ** error)
{
  int i, max, run, whole;

  g_return_val_if_fail (s != NULL && image != NULL, FALSE);
  if (!s->share_trunk)
    ILGNET_FAIL (ILGNET_ERROR_ARGUMENT, "not a box session "
        "(ilgnet_box_session_new)");
  max = s->max_boxes;
  if (n < 1 || n > max || !boxes || !scores)
    ILGNET_FAIL (ILGNET_ERROR_ARGUMENT, "%d boxes for a box session of %d",
        n, max);
  if (!ilgnet_image_check (image, NULL, error))
    return FALSE;
  for (i = 0; i < n; i++) {
    const IlgnetRect *r = &boxes[i];
    if (r->width < 1 || r->height < 1 || r->x < 0 || r->y < 0
        || r->x + r->width > image->width || r->y + r->height > image->height)
      ILGNET_FAIL (ILGNET_ERROR_ARGUMENT, "box %d (%d,%d %dx%d) is not "
          "inside the %dx%d frame", i, r->x, r->y, r->width, r->height,
          image->width, image->height);
    if (!s->box_heads)
      continue;                 /* the session pools the whole frame only */
    s->boxes[4 * i + 0] = (float) r->x / image->width;
    s->boxes[4 * i + 1] = (float) r->y / image->height;
    s->boxes[4 * i + 2] = (float) (r->x + r->width) / image->width;
    s->boxes[4 * i + 3] = (float) (r->y + r->height) / image->height;
  }
  run = n;
  whole = n;
  if (!s->box_heads) {
    /* a = 0: every box's score is the whole frame's plus its framing
     * term, so only the whole frame's heads run */
    s->boxes[0] = s->boxes[1] = 0.0f;
    s->boxes[2] = s->boxes[3] = 1.0f;
    run = 1;
    whole = 0;
  } else if (s->framing_blob >= 0) {    /* the whole frame, last */
    s->boxes[4 * n + 0] = s->boxes[4 * n + 1] = 0.0f;
    s->boxes[4 * n + 2] = s->boxes[4 * n + 3] = 1.0f;
    run = n + 1;
  }
  if (!ilgnet_preprocess (&s->model->input, image, NULL, ILGNET_RESIZE_SQUASH,
          ilgnet_session_get_input (s), error)
      || !ilgnet_session_run (s, run, error))
    return FALSE;
  for (i = 0; i < n; i++)
    scores[i] = ilgnet_session_get_score (s, s->box_heads ? i : whole);
  if (s->framing_blob >= 0) {
    int shape[4];
    const float *cells = ilgnet_session_get_blob (s, ILGNET_FRAMING_BLOB,
        shape, error);
    if (!cells)
      return FALSE;
    ilgnet_framing_adjust (cells, shape[1], shape[2], shape[3], image->width,
        image->height, boxes, n, ilgnet_session_get_score (s, whole), scores);
    for (i = 0; i < n; i++)
      if (!isfinite (scores[i]))
        ILGNET_FAIL (ILGNET_ERROR_FORMAT, "the framing map gives box %d a "
            "score that is not a number (broken weights?)", i);
  }
  return TRUE;
}

static void
add_anchor (IlgnetRect * rects, int *n, int max, int x, int y, int w, int h)
{
  if (*n < max)
    rects[(*n)++] = (IlgnetRect) {
    x, y, w, h};
}

int
ilgnet_frame_anchors (int width, int height, IlgnetRect * rects, int max)
{
  int n = 0, pass, k, gx, gy;

  if (!rects || width < 1 || height < 1 || max < 1)
    return 0;
  max = MIN (max, ILGNET_N_ANCHORS);
  add_anchor (rects, &n, max, 0, 0, width, height);
  /* GAIC-style, keeping the frame's aspect: 11 sizes from 1/2 to 11/12 of
   * each side in steps of 1/24, each at 5 x 5 positions (the slack in
   * quarters).  A 70 % framing is then within half a step of an anchor
   * (6 sizes at 3 x 3 reached a mean IoU of 0.83 at best on
   * framing-eval's cases, these 0.92).  The coarse grid (every other size
   * and position: 6 x 3 x 3) comes first, so that the first
   * ILGNET_N_COARSE_ANCHORS are that grid. */
  for (pass = 0; pass < 2; pass++)
    for (k = 0; k < 11; k++) {
      double side = 0.5 + k / 24.0;
      int cw = MAX (1, (int) lround (width * side));
      int ch = MAX (1, (int) lround (height * side));
      for (gy = 0; gy < 5; gy++)
        for (gx = 0; gx < 5; gx++) {
          gboolean coarse = k % 2 == 0 && gx % 2 == 0 && gy % 2 == 0;
          if (coarse != (pass == 0))
            continue;
          add_anchor (rects, &n, max, (width - cw) * gx / 4,
              (height - ch) * gy / 4, cw, ch);
        }
    }
  return n;
}
