/* Sessions: preparing the nodes of a model for one batch size (a kernel
 * per layer from its class, f32 copies of the tensors that kernel does not
 * read as stored, ReLU fusion, the arena) and running them. */
#include "ilgnet-layer.h"

#include <string.h>
#include <unistd.h>

#define MAX_BATCH 4096

static int
default_threads (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int) MIN (n, 256) : 1;
}

/* An f32 view of a tensor: mapped when stored as f32, else a copy owned by
 * the node (slot @slot). */
static gboolean
node_f32 (IlgnetNode * node, const IlgnetTensor * t, int slot,
    const float **out, GError ** error)
{
  if (!t) {
    *out = NULL;
    return TRUE;
  }
  if (t->dtype == ILGNET_DTYPE_F32) {
    *out = t->data;
    return TRUE;
  }
  node->owned[slot] = ilgnet_tensor_to_f32 (t);
  if (!node->owned[slot]) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "out of memory converting tensor \"%s\"", t->name);
    return FALSE;
  }
  *out = node->owned[slot];
  return TRUE;
}

/* The class's first usable kernel that reads the weight as stored, else
 * its first usable one reading f32. */
static const IlgnetKernel *
choose_kernel (const IlgnetLayer * l)
{
  IlgnetDtype stored = l->weight ? l->weight->dtype : ILGNET_DTYPE_F32;
  const IlgnetKernel *k;
  int pass;

  for (pass = 0; pass < 2; pass++)
    for (k = l->klass->kernels; k && k->name; k++)
      if (k->weight_dtype == (pass ? ILGNET_DTYPE_F32 : stored)
          && (!k->usable || k->usable (l)))
        return k;
  return NULL;
}

/* A conv/FC followed by an in-place ReLU of its output applies it in the
 * same pass over the output. */
static void
fuse_relu (IlgnetSession * s, int i)
{
  const IlgnetModel *m = s->model;
  const IlgnetLayer *l = &m->layers[i], *next;

  if (!(l->klass->flags & ILGNET_LAYER_TAKES_RELU) || i + 1 >= m->n_layers)
    return;
  next = &m->layers[i + 1];
  if (next->klass->as_relu && next->in_place && next->bottoms[0] == l->top
      && next->klass->as_relu (next, &s->nodes[i].relu_slope)) {
    s->nodes[i].fuse_relu = TRUE;
    s->nodes[i + 1].skip = TRUE;
  }
}

static gboolean
prepare_node (IlgnetSession * s, int i, GError ** error)
{
  const IlgnetLayer *l = &s->model->layers[i];
  IlgnetNode *node = &s->nodes[i];

  node->layer = l;
  if (l->klass->flags & ILGNET_LAYER_SOURCE) {
    node->skip = TRUE;
    return TRUE;
  }
  if ((l->klass->flags & ILGNET_LAYER_IDENTITY) && l->in_place)
    node->skip = TRUE;
  node->kernel = choose_kernel (l);
  if (!node->kernel)
    ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "no kernel of %s runs layer "
        "\"%s\" on this machine", l->type_name, l->name);
  /* kernels reading f16/i8 weights get them as mapped */
  if (node->kernel->weight_dtype == ILGNET_DTYPE_F32
      && !node_f32 (node, l->weight, 0, &node->w, error))
    return FALSE;
  if (l->klass->prepare && !l->klass->prepare (l, node->kernel, &node->kdata))
    ILGNET_FAIL (ILGNET_ERROR_ARGUMENT, "out of memory preparing the weights "
        "of layer \"%s\"", l->name);
  if (!node_f32 (node, l->bias, 1, &node->b, error)
      || !node_f32 (node, l->blob2, 2, &node->w2, error))
    return FALSE;
  fuse_relu (s, i);
  return TRUE;
}

static gboolean
prepare_nodes (IlgnetSession * s, GError ** error)
{
  int i;

  for (i = 0; i < s->model->n_layers; i++)
    if (!prepare_node (s, i, error))
      return FALSE;
  return TRUE;
}

/* Marks idle every layer the output does not depend on (a side branch such
 * as a framing map costs a plain score nothing), unless blobs are kept. */
static void
mark_idle (IlgnetSession * s)
{
  int i;

  if (s->keep_blobs)
    return;
  for (i = 0; i < s->model->n_layers; i++)
    s->nodes[i].idle = TRUE;
  ilgnet_session_need_blob (s, s->model->output_blob);
}

void
ilgnet_session_need_blob (IlgnetSession * s, int blob)
{
  const IlgnetModel *m = s->model;
  gboolean *need = g_new0 (gboolean, m->n_blobs);
  int i, k;

  need[blob] = TRUE;
  for (i = m->n_layers - 1; i >= 0; i--) {
    const IlgnetLayer *l = &m->layers[i];
    if (!need[l->top])
      continue;
    s->nodes[i].idle = FALSE;
    for (k = 0; k < l->n_bottoms; k++)
      need[l->bottoms[k]] = TRUE;
  }
  g_free (need);
}

static gsize
scratch_need (const IlgnetModel * m)
{
  gsize need = 0;
  int i;

  for (i = 0; i < m->n_layers; i++)
    if (m->layers[i].klass->scratch)
      need = MAX (need, m->layers[i].klass->scratch (m, &m->layers[i]));
  return need;
}

IlgnetSession *
ilgnet_session_new_full (IlgnetModel * model, int batch, int threads,
    IlgnetSessionFlags flags, GError ** error)
{
  IlgnetSession *s;

  g_return_val_if_fail (model != NULL, NULL);
  if (batch < 1 || batch > MAX_BATCH) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "batch %d is out of range 1..%d", batch, MAX_BATCH);
    return NULL;
  }
  if (!ilgnet_blas_init (error))
    return NULL;
  s = g_new0 (IlgnetSession, 1);
  s->model = ilgnet_model_ref (model);
  s->batch = batch;
  s->threads = threads > 0 ? MIN (threads, 256) : default_threads ();
  s->keep_blobs = (flags & ILGNET_SESSION_KEEP_BLOBS) != 0;
  s->framing_blob = -1;
  s->nodes = g_new0 (IlgnetNode, model->n_layers);
  s->pool = ilgnet_pool_new (s->threads);

  if (!prepare_nodes (s, error) || !ilgnet_session_plan (s, error))
    goto fail;
  mark_idle (s);
  s->arena = g_try_malloc0 (MAX (s->arena_floats, 1) * sizeof (float));
  s->scratch_floats = scratch_need (model);
  s->scratch = g_try_malloc (MAX (s->scratch_floats, 1) * sizeof (float));
  if (!s->arena || !s->scratch) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "cannot allocate %" G_GSIZE_FORMAT " MB of activations for batch %d",
        (s->arena_floats + s->scratch_floats) * 4 >> 20, batch);
    goto fail;
  }
  return s;

fail:
  ilgnet_session_free (s);
  return NULL;
}

IlgnetSession *
ilgnet_session_new (IlgnetModel * model, int batch, int threads,
    GError ** error)
{
  return ilgnet_session_new_full (model, batch, threads, 0, error);
}

void
ilgnet_session_free (IlgnetSession * s)
{
  int i, j;

  if (!s)
    return;
  for (i = 0; s->nodes && i < s->model->n_layers; i++) {
    for (j = 0; j < 3; j++)
      g_free (s->nodes[i].owned[j]);
    if (s->nodes[i].kdata)
      s->nodes[i].layer->klass->release (s->nodes[i].kdata);
  }
  g_free (s->nodes);
  g_free (s->roots);
  g_free (s->places);
  g_free (s->seg_end);
  g_free (s->per_image);
  g_free (s->arena);
  g_free (s->scratch);
  g_free (s->blob_copy);
  g_free (s->boxes);
  g_free (s->trunk);
  ilgnet_pool_free (s->pool);
  ilgnet_model_unref (s->model);
  g_free (s);
}

int
ilgnet_session_get_batch (const IlgnetSession * s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->batch;
}

IlgnetModel *
ilgnet_session_get_model (const IlgnetSession * s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->model;
}

float *
ilgnet_session_get_input (IlgnetSession * s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return ilgnet_session_view (s, s->model->input_blob).data;
}

/* Runs images first..first+n-1 through one layer. */
static void
run_node (IlgnetSession * s, IlgnetNode * node, int first, int n)
{
  const IlgnetLayer *l = node->layer;
  IlgnetView in[ILGNET_MAX_BOTTOMS], out;
  int j;

  for (j = 0; j < l->n_bottoms; j++) {
    in[j] = ilgnet_session_view (s, l->bottoms[j]);
    in[j].data += first * in[j].bstride;
  }
  out = ilgnet_session_view (s, l->top);
  out.data += first * out.bstride;

  node->kernel->forward (s, node, in, &out, n);
}

static void
run_timed (IlgnetSession * s, IlgnetNode * node, int first, int n)
{
  gint64 t0 = s->profiling ? g_get_monotonic_time () : 0;

  run_node (s, node, first, n);
  if (s->profiling)
    node->ms += (g_get_monotonic_time () - t0) / 1000.0;
}

/* Only InnerProduct gains from seeing all images at once (its weights are
 * read once per group of images).  Every other run of layers goes image by
 * image, so each image's activations stay in cache from layer to layer
 * instead of a batch's worth of them streaming through memory. */
gboolean
ilgnet_session_run (IlgnetSession * s, int n, GError ** error)
{
  int L, i, img;

  g_return_val_if_fail (s != NULL, FALSE);
  if (n < 1 || n > s->batch) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "cannot run %d images in a session of batch %d", n, s->batch);
    return FALSE;
  }
  /* our pool splits the GEMMs; OpenBLAS runs each part on its caller */
  ilgnet_blas_set_threads (1);
  L = s->model->n_layers;
  for (i = 0; i < L; i++)
    s->nodes[i].ms = 0;
  for (i = 0; i < L; i = s->seg_end[i]) {
    if (!s->per_image[i]) {
      if (!s->nodes[i].idle)
        run_timed (s, &s->nodes[i], 0, s->share_trunk && s->trunk[i] ? 1 : n);
      continue;
    }
    for (img = 0; img < n; img++) {
      int k;
      for (k = i; k < s->seg_end[i]; k++)
        if (!s->nodes[k].skip && !s->nodes[k].idle
            && !(img > 0 && s->share_trunk && s->trunk[k]))
          run_timed (s, &s->nodes[k], img, 1);
    }
  }
  return TRUE;
}

float
ilgnet_session_get_score (const IlgnetSession * s, int i)
{
  IlgnetView v;

  g_return_val_if_fail (s != NULL && i >= 0 && i < s->batch, 0.0f);
  v = ilgnet_session_view (s, s->model->output_blob);
  return ilgnet_view_image (&v, i)[s->model->high_index];
}

const float *
ilgnet_session_get_blob (IlgnetSession * s, const char *name, int shape[4],
    GError ** error)
{
  int b, i;
  IlgnetView v;
  gsize size;

  g_return_val_if_fail (s != NULL && name != NULL, NULL);
  b = ilgnet_model_find_blob (s->model, name);
  if (b < 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "no blob named \"%s\" in model %s", name, s->model->name);
    return NULL;
  }
  for (i = s->model->n_layers - 1; i >= 0; i--)
    if (s->model->layers[i].top == b) {
      if (s->nodes[i].idle) {
        g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
            "blob \"%s\" is off the path to the output and not computed; "
            "create the session with ILGNET_SESSION_KEEP_BLOBS", name);
        return NULL;
      }
      break;
    }
  if (!s->keep_blobs && ilgnet_session_blob_clobbered (s, b)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "blob \"%s\" is not kept after a run (its memory is reused); create "
        "the session with ILGNET_SESSION_KEEP_BLOBS", name);
    return NULL;
  }
  v = ilgnet_session_view (s, b);
  size = ilgnet_blob_shape_size (&v.shape);
  if (shape) {
    shape[0] = s->batch;
    shape[1] = v.shape.c;
    shape[2] = v.shape.h;
    shape[3] = v.shape.w;
  }
  if (v.bstride == size)
    return v.data;
  /* a concat input living inside the concat's buffer: gather it */
  if (s->blob_copy_floats < size * s->batch) {
    g_free (s->blob_copy);
    s->blob_copy_floats = size * s->batch;
    s->blob_copy = g_new (float, s->blob_copy_floats);
  }
  for (i = 0; i < s->batch; i++)
    memcpy (s->blob_copy + i * size, ilgnet_view_image (&v, i),
        size * sizeof (float));
  return s->blob_copy;
}

void
ilgnet_session_set_profiling (IlgnetSession * s, gboolean enable)
{
  int i;

  g_return_if_fail (s != NULL);
  s->profiling = enable;
  for (i = 0; i < s->model->n_layers; i++)
    s->nodes[i].ms = 0;
}

void
ilgnet_session_foreach_kernel_profile (const IlgnetSession * s,
    IlgnetKernelProfileFunc func, gpointer user_data)
{
  const IlgnetModel *m;
  int i;

  g_return_if_fail (s != NULL && func != NULL);
  m = s->model;
  for (i = 0; i < m->n_layers; i++) {
    const IlgnetNode *node = &s->nodes[i];
    const IlgnetLayer *l = node->layer;
    guint64 flops = ilgnet_layer_flops (m, l);
    char *type;
    if (node->skip || node->idle)
      continue;
    /* a fused ReLU is the next layer: reported as part of this one */
    if (node->fuse_relu)
      flops += ilgnet_layer_flops (m, &m->layers[i + 1]);
    type = node->fuse_relu ? g_strconcat (l->type_name, "+",
        m->layers[i + 1].type_name, NULL) : g_strdup (l->type_name);
    func (l->name, type, node->kernel->name, flops, node->ms, user_data);
    g_free (type);
  }
}

typedef struct
{
  IlgnetProfileFunc func;
  gpointer user_data;
} ProfileAdapter;

static void
profile_without_kernel (const char *layer, const char *type,
    const char *kernel, guint64 flops, double ms, gpointer data)
{
  const ProfileAdapter *a = data;

  a->func (layer, type, ms, a->user_data);
}

void
ilgnet_session_foreach_profile (const IlgnetSession * s,
    IlgnetProfileFunc func, gpointer user_data)
{
  ProfileAdapter a = { func, user_data };

  g_return_if_fail (s != NULL && func != NULL);
  ilgnet_session_foreach_kernel_profile (s, profile_without_kernel, &a);
}
