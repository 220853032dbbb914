/* Memory planning for a session: which blobs share storage (in-place
 * layers, Flatten views, concat inputs written straight into the concat's
 * output) and where each buffer lives in the one activation arena, reusing
 * memory of buffers whose lifetimes do not overlap.
 *
 * session.c runs each stretch of layers between InnerProducts image by
 * image.  A buffer used only inside one such stretch therefore needs one
 * image's worth of memory ("local"); a buffer crossing stretches holds all
 * images and is kept alive over whole stretches, since image 1 runs the
 * stretch's first layers after image 0 ran its last ones. */
#include "ilgnet-layer.h"

#include <string.h>

#define ARENA_ALIGN 16          /* floats: 64 bytes */

static int
new_root (IlgnetSession * s, gsize size)
{
  IlgnetRoot *r;

  s->roots = g_renew (IlgnetRoot, s->roots, s->n_roots + 1);
  r = &s->roots[s->n_roots];
  memset (r, 0, sizeof (*r));
  r->size = size;
  r->parent = -1;
  r->first = G_MAXINT;
  r->last = -2;
  r->last_write = -2;
  r->last_read = -2;
  return s->n_roots++;
}

static int
top_root (const IlgnetSession * s, int r, gsize * off)
{
  while (s->roots[r].parent >= 0) {
    if (off)
      *off += s->roots[r].parent_off;
    r = s->roots[r].parent;
  }
  return r;
}

IlgnetView
ilgnet_session_view (const IlgnetSession * s, int blob)
{
  IlgnetView v;
  gsize off = s->places[blob].off;
  int t = top_root (s, s->places[blob].root, &off);

  v.data = s->arena + s->roots[t].arena_off + off;
  v.bstride = s->roots[t].local ? 0 : s->roots[t].size;
  v.shape = s->model->blobs[blob].shape;
  return v;
}

static gsize
root_floats (const IlgnetSession * s, const IlgnetRoot * r)
{
  return r->local ? r->size : r->size * s->batch;
}

static gboolean
intervals_overlap (const IlgnetRoot * a, const IlgnetRoot * b)
{
  return a->first <= b->last && b->first <= a->last;
}

gboolean
ilgnet_session_blob_clobbered (const IlgnetSession * s, int blob)
{
  int t = top_root (s, s->places[blob].root, NULL);
  const IlgnetRoot *T = &s->roots[t];
  gsize t0 = T->arena_off, t1 = t0 + root_floats (s, T);
  int i;

  if (T->local && s->batch > 1)
    return TRUE;                /* holds the last image only */
  for (i = 0; i < s->n_roots; i++) {
    const IlgnetRoot *U = &s->roots[i];
    gsize u0, u1;
    if (i == t || U->parent >= 0 || U->first <= T->last)
      continue;
    u0 = U->arena_off;
    u1 = u0 + root_floats (s, U);
    if (u0 < t1 && t0 < u1)
      return TRUE;
  }
  return FALSE;
}

static int
compare_root_size (gconstpointer a, gconstpointer b, gpointer data)
{
  const IlgnetSession *s = data;
  gsize sa = root_floats (s, &s->roots[*(const int *) a]);
  gsize sb = root_floats (s, &s->roots[*(const int *) b]);
  return sa > sb ? -1 : sa < sb;
}

static int
compare_placed (gconstpointer a, gconstpointer b, gpointer data)
{
  const IlgnetSession *s = data;
  gsize oa = s->roots[*(const int *) a].arena_off;
  gsize ob = s->roots[*(const int *) b].arena_off;
  return oa < ob ? -1 : oa > ob;
}

static gsize
align_up (gsize v)
{
  return (v + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}

/* Layer indices at which each blob is first defined, last written and
 * last read (the input counts as defined before layer 0). */
typedef struct
{
  int *first_def, *last_write, *last_read;
} BlobUse;

static gboolean
has_flag (const IlgnetLayer * l, IlgnetLayerFlags flag)
{
  return (l->klass->flags & flag) != 0;
}

static void
find_blob_use (const IlgnetModel * m, BlobUse * u)
{
  int b, i, j;

  u->first_def = g_new (int, m->n_blobs);
  u->last_write = g_new (int, m->n_blobs);
  u->last_read = g_new (int, m->n_blobs);
  for (b = 0; b < m->n_blobs; b++) {
    u->first_def[b] = b == m->input_blob ? -1 : G_MAXINT;
    u->last_write[b] = u->first_def[b];
    u->last_read[b] = -2;
  }
  for (i = 0; i < m->n_layers; i++) {
    const IlgnetLayer *l = &m->layers[i];
    for (j = 0; j < l->n_bottoms; j++)
      u->last_read[l->bottoms[j]] = i;
    if (has_flag (l, ILGNET_LAYER_SOURCE))
      continue;
    u->first_def[l->top] = MIN (u->first_def[l->top], i);
    u->last_write[l->top] = i;
  }
}

/* Storage: one root per blob, except in-place outputs and views. */
static void
make_roots (IlgnetSession * s, const BlobUse * u)
{
  const IlgnetModel *m = s->model;
  int b, i;

  s->places[m->input_blob].root = new_root (s,
      ilgnet_blob_shape_size (&m->blobs[m->input_blob].shape));
  for (i = 0; i < m->n_layers; i++) {
    const IlgnetLayer *l = &m->layers[i];
    if (has_flag (l, ILGNET_LAYER_SOURCE) || l->in_place)
      continue;
    /* a view unless someone later writes either side in place */
    if (has_flag (l, ILGNET_LAYER_VIEW) && u->last_write[l->top] == i
        && u->last_write[l->bottoms[0]] <= i) {
      s->places[l->top] = s->places[l->bottoms[0]];
      s->nodes[i].skip = TRUE;
      continue;
    }
    s->places[l->top].root = new_root (s,
        ilgnet_blob_shape_size (&m->blobs[l->top].shape));
  }
  for (b = 0; b < m->n_blobs; b++) {
    IlgnetRoot *r = &s->roots[s->places[b].root];
    r->first = MIN (r->first, u->first_def[b]);
    r->last_write = MAX (r->last_write, u->last_write[b]);
    r->last_read = MAX (r->last_read, u->last_read[b]);
  }
}

/* Whether input @j of gathering layer @i can be produced straight into
 * its output: its own buffer, written before, not read after unless the
 * output stays as it is, and not passed twice. */
static gboolean
can_gather (const IlgnetSession * s, const BlobUse * u, int i, int j)
{
  const IlgnetModel *m = s->model;
  const IlgnetLayer *l = &m->layers[i];
  int bb = l->bottoms[j], r = s->places[bb].root, k;

  if (r == s->places[m->input_blob].root || s->roots[r].parent >= 0
      || r == s->places[l->top].root || s->places[bb].off != 0
      || s->roots[r].size != ilgnet_blob_shape_size (&m->blobs[bb].shape)
      || s->roots[r].last_write > i
      || (u->last_write[l->top] != i && s->roots[r].last_read > i))
    return FALSE;
  for (k = 0; k < l->n_bottoms; k++)
    if (k != j && l->bottoms[k] == bb)
      return FALSE;
  return TRUE;
}

static void
gather_inputs (IlgnetSession * s, const BlobUse * u)
{
  const IlgnetModel *m = s->model;
  int i, j;

  for (i = 0; i < m->n_layers; i++) {
    const IlgnetLayer *l = &m->layers[i];
    int R = s->places[l->top].root;
    gsize hw, coff = 0;
    if (!has_flag (l, ILGNET_LAYER_GATHER))
      continue;
    hw = (gsize) m->blobs[l->top].shape.h * m->blobs[l->top].shape.w;
    for (j = 0; j < l->n_bottoms; j++) {
      int r = s->places[l->bottoms[j]].root;
      if (can_gather (s, u, i, j)) {
        s->roots[r].parent = R;
        s->roots[r].parent_off = coff;
      }
      coff += m->blobs[l->bottoms[j]].shape.c * hw;
    }
  }
}

/* Lifetimes of top-level roots cover their children's; the caller fills
 * the input before a run and reads the output (or, keeping blobs, any
 * blob) after it. */
static void
set_lifetimes (IlgnetSession * s)
{
  const IlgnetModel *m = s->model;
  int L = m->n_layers, i, in_t, out_t;

  for (i = 0; i < s->n_roots; i++) {
    IlgnetRoot *r = &s->roots[i];
    r->last = MAX (r->last_write, r->last_read);
  }
  for (i = 0; i < s->n_roots; i++) {
    int t = top_root (s, i, NULL);
    if (t != i) {
      s->roots[t].first = MIN (s->roots[t].first, s->roots[i].first);
      s->roots[t].last = MAX (s->roots[t].last, s->roots[i].last);
    }
  }
  in_t = top_root (s, s->places[m->input_blob].root, NULL);
  out_t = top_root (s, s->places[m->output_blob].root, NULL);
  s->roots[in_t].first = -1;
  s->roots[in_t].last = L;
  s->roots[out_t].last = L;
  /* Blobs no layer reads are outputs too (a side branch such as a model's
   * framing/cells, read by ilgnet_score_boxes): kept after the run. */
  {
    gboolean *read = g_new0 (gboolean, m->n_blobs);
    int k;
    for (i = 0; i < L; i++)
      for (k = 0; k < m->layers[i].n_bottoms; k++)
        /* an in-place layer reading its own output does not consume it */
        if (m->layers[i].bottoms[k] != m->layers[i].top)
          read[m->layers[i].bottoms[k]] = TRUE;
    for (i = 0; i < L; i++)
      if (!read[m->layers[i].top]) {
        int t = top_root (s, s->places[m->layers[i].top].root, NULL);
        s->roots[t].last = L;
      }
    g_free (read);
  }
  if (s->keep_blobs) {
    for (i = 0; i < s->n_roots; i++) {
      s->roots[i].first = -1;
      s->roots[i].last = L;
    }
  }
}

/* Segments (see session.c): runs of image-by-image layers between
 * batched ones, each batched layer a segment of its own. */
static void
make_segments (IlgnetSession * s)
{
  const IlgnetModel *m = s->model;
  int L = m->n_layers, i, k;

  s->seg_end = g_new (int, L);
  s->per_image = g_new (gboolean, L);
  for (i = 0; i < L;) {
    gboolean batched = has_flag (&m->layers[i], ILGNET_LAYER_BATCHED);
    int e = i + 1;
    if (!batched)
      while (e < L && !has_flag (&m->layers[e], ILGNET_LAYER_BATCHED))
        e++;
    for (k = i; k < e; k++) {
      s->seg_end[k] = e;
      s->per_image[k] = !batched;
    }
    i = e;
  }
}

/* Buffers living within one segment hold one image; the others live over
 * whole segments. */
static void
localize_roots (IlgnetSession * s)
{
  int L = s->model->n_layers, i;

  for (i = 0; i < s->n_roots; i++) {
    IlgnetRoot *r = &s->roots[i];
    if (r->parent >= 0)
      continue;
    if (r->first >= 0 && r->last < L && s->per_image[r->first]
        && s->seg_end[r->first] == s->seg_end[r->last]) {
      r->local = TRUE;
      continue;
    }
    if (r->first >= 0 && s->per_image[r->first]) {
      int st = r->first;
      while (st > 0 && s->seg_end[st - 1] == s->seg_end[r->first])
        st--;
      r->first = st;
    }
    if (r->last >= 0 && r->last < L && s->per_image[r->last])
      r->last = s->seg_end[r->last] - 1;
  }
}

/* The lowest offset where @r fits beside the placed roots alive with it. */
static gsize
lowest_fit (IlgnetSession * s, const IlgnetRoot * r, const int *placed,
    int n_placed)
{
  gsize need = align_up (root_floats (s, r)), pos = 0;
  int *conf = g_new (int, n_placed + 1);
  int n_conf = 0, j;

  for (j = 0; j < n_placed; j++)
    if (intervals_overlap (r, &s->roots[placed[j]]))
      conf[n_conf++] = placed[j];
  g_qsort_with_data (conf, n_conf, sizeof (int), compare_placed, s);
  for (j = 0; j < n_conf; j++) {
    const IlgnetRoot *c = &s->roots[conf[j]];
    gsize cend = c->arena_off + align_up (root_floats (s, c));
    if (c->arena_off >= pos + need)
      break;
    pos = MAX (pos, cend);
  }
  g_free (conf);
  return pos;
}

/* Greedy placement, biggest first, lowest offset that fits in time. */
static void
place_roots (IlgnetSession * s)
{
  int *order = g_new (int, s->n_roots), *placed = g_new (int, s->n_roots);
  int n_top = 0, i;

  for (i = 0; i < s->n_roots; i++)
    if (s->roots[i].parent < 0)
      order[n_top++] = i;
  g_qsort_with_data (order, n_top, sizeof (int), compare_root_size, s);
  s->arena_floats = 0;
  for (i = 0; i < n_top; i++) {
    IlgnetRoot *r = &s->roots[order[i]];
    r->arena_off = lowest_fit (s, r, placed, i);
    s->arena_floats = MAX (s->arena_floats,
        r->arena_off + align_up (root_floats (s, r)));
    placed[i] = order[i];
  }
  g_free (order);
  g_free (placed);
}

gboolean
ilgnet_session_plan (IlgnetSession * s, GError ** error)
{
  BlobUse use;

  s->places = g_new0 (IlgnetBlobPlace, s->model->n_blobs);
  find_blob_use (s->model, &use);
  make_roots (s, &use);
  gather_inputs (s, &use);
  set_lifetimes (s);
  make_segments (s);
  localize_roots (s);
  place_roots (s);
  g_free (use.first_def);
  g_free (use.last_write);
  g_free (use.last_read);

  if (s->arena_floats > G_MAXSIZE / 8)
    ILGNET_FAIL (ILGNET_ERROR_ARGUMENT, "activation arena too large for "
        "batch %d", s->batch);
  return TRUE;
}
