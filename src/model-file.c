/* Opening a .ilgnet file: mapping, the fixed preamble, the JSON header and
 * the tensor table.  Everything is checked before anything is trusted: a
 * fuzzer mutates these files, so each offset, length and count is bounded
 * and overflow-checked here, and layer-level checks live in model-graph.c. */
#include "ilgnet-private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREAMBLE_SIZE 24
/* A header is a few KB for real nets; anything huge is corrupt. */
#define MAX_HEADER_SIZE (64u << 20)
#define MAX_DIM ((gint64) 1 << 31)
#define MAX_TENSOR_ELEMENTS ((guint64) 1 << 34)

static guint32
read_u32 (const guint8 * p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static guint64
read_u64 (const guint8 * p)
{
  return read_u32 (p) | ((guint64) read_u32 (p + 4) << 32);
}

static void
model_free (IlgnetModel * model)
{
  int i;

  if (model->map)
    munmap (model->map, model->map_size);
  if (model->fields)
    g_hash_table_unref (model->fields);
  for (i = 0; i < model->n_tensors; i++)
    g_free (model->tensors[i].name);
  g_free (model->tensors);
  for (i = 0; i < model->n_layers; i++)
    g_free (model->layers[i].name);
  g_free (model->layers);
  for (i = 0; i < model->n_blobs; i++)
    g_free (model->blobs[i].name);
  g_free (model->blobs);
  g_free (model->path);
  g_free (model);
}

IlgnetModel *
ilgnet_model_open (const char *path, GError ** error)
{
  IlgnetModel *model;
  struct stat st;
  int fd;
  guint64 hlen;
  guint32 version, flags;
  GError *err = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  /* before any session, which may be made on a thread of its own */
  ilgnet_blas_preload ();

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot open: %s",
        path, g_strerror (errno));
    return NULL;
  }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
        "%s: not a regular file", path);
    close (fd);
    return NULL;
  }
  if (st.st_size < PREAMBLE_SIZE) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: truncated: %" G_GINT64_FORMAT " bytes is shorter than the "
        "24-byte preamble", path, (gint64) st.st_size);
    close (fd);
    return NULL;
  }

  model = g_new0 (IlgnetModel, 1);
  model->refcount = 1;
  model->path = g_strdup (path);
  model->map_size = st.st_size;
  model->map = mmap (NULL, model->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (model->map == MAP_FAILED) {
    model->map = NULL;
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot map: %s",
        path, g_strerror (errno));
    goto fail;
  }

  if (memcmp (model->map, ILGNET_FORMAT_MAGIC, 8) != 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: not an ilgnet model (bad magic)", path);
    goto fail;
  }
  version = read_u32 (model->map + 8);
  flags = read_u32 (model->map + 12);
  hlen = read_u64 (model->map + 16);
  if (version != ILGNET_FORMAT_VERSION) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s: unsupported format version %u (this library reads %d)", path,
        version, ILGNET_FORMAT_VERSION);
    goto fail;
  }
  if (flags != 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s: unknown flags 0x%x", path, flags);
    goto fail;
  }
  if (hlen == 0 || hlen > MAX_HEADER_SIZE
      || hlen > model->map_size - PREAMBLE_SIZE) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: header length %" G_GUINT64_FORMAT " does not fit the %"
        G_GSIZE_FORMAT "-byte file", path, hlen, model->map_size);
    goto fail;
  }
  if ((PREAMBLE_SIZE + hlen) % ILGNET_TENSOR_ALIGN != 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: header length %" G_GUINT64_FORMAT " leaves the data section "
        "unaligned", path, hlen);
    goto fail;
  }

  if (!ilgnet_model_parse_header (model,
          (const char *) model->map + PREAMBLE_SIZE, hlen, &err)) {
    char *p;
    /* messages quote parts of the header: keep them on one line */
    for (p = err->message; *p; p++)
      if ((guchar) * p < 0x20)
        *p = ' ';
    g_set_error (error, ILGNET_ERROR, err->code, "%s: %s", path, err->message);
    g_clear_error (&err);
    goto fail;
  }
  /* Weights are read front to back once per frame; the FC heads dominate. */
  madvise (model->map, model->map_size, MADV_WILLNEED);
  return model;

fail:
  model_free (model);
  return NULL;
}

IlgnetModel *
ilgnet_model_ref (IlgnetModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_atomic_int_inc (&model->refcount);
  return model;
}

void
ilgnet_model_unref (IlgnetModel * model)
{
  if (model && g_atomic_int_dec_and_test (&model->refcount))
    model_free (model);
}

const IlgnetInputSpec *
ilgnet_model_get_input_spec (const IlgnetModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return &model->input;
}

IlgnetResize
ilgnet_model_get_resize (const IlgnetModel * model)
{
  g_return_val_if_fail (model != NULL, ILGNET_RESIZE_SQUASH);
  return model->resize;
}

const char *
ilgnet_model_get_name (const IlgnetModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->name;
}

const char *
ilgnet_model_get_field (const IlgnetModel * model, const char *key)
{
  g_return_val_if_fail (model != NULL && key != NULL, NULL);
  return g_hash_table_lookup (model->fields, key);
}

guint64
ilgnet_model_get_n_params (const IlgnetModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->n_params;
}

gsize
ilgnet_model_get_file_size (const IlgnetModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->map_size;
}

const IlgnetTensor *
ilgnet_model_find_tensor (const IlgnetModel * model, const char *name)
{
  int i;

  for (i = 0; i < model->n_tensors; i++)
    if (strcmp (model->tensors[i].name, name) == 0)
      return &model->tensors[i];
  return NULL;
}

/* ---- JSON header --------------------------------------------------------- */

#define FAIL(code, ...) G_STMT_START { \
    g_set_error (error, ILGNET_ERROR, code, __VA_ARGS__); \
    goto out; \
  } G_STMT_END

gboolean
ilgnet_json_get_int (JsonObject * obj, const char *key, gint64 min,
    gint64 max, gint64 * out, gboolean required, const char *what,
    GError ** error);
gboolean ilgnet_json_get_number (JsonObject * obj, const char *key,
    double *out, gboolean required, const char *what, GError ** error);

static const char *
get_string (JsonObject * obj, const char *key)
{
  JsonNode *n = json_object_get_member (obj, key);
  if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static int
compare_tensor_offset (gconstpointer a, gconstpointer b)
{
  const IlgnetTensor *ta = *(const IlgnetTensor * const *) a;
  const IlgnetTensor *tb = *(const IlgnetTensor * const *) b;
  return ta->offset < tb->offset ? -1 : ta->offset > tb->offset;
}

static gboolean
parse_tensor (IlgnetModel * model, IlgnetTensor * t, const char *name,
    JsonNode * node, GError ** error)
{
  JsonObject *obj;
  JsonArray *shape;
  const char *dtype;
  gint64 v;
  guint64 esize, n = 1;
  guint i;
  gboolean ret = FALSE;

  t->name = g_strdup (name);
  if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
    FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" is not an object", name);
  obj = json_node_get_object (node);
  dtype = get_string (obj, "dtype");
  if (!dtype)
    FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has no dtype", name);
  if (strcmp (dtype, "f32") == 0) {
    t->dtype = ILGNET_DTYPE_F32;
    esize = 4;
  } else if (strcmp (dtype, "f16") == 0) {
    t->dtype = ILGNET_DTYPE_F16;
    esize = 2;
  } else if (strcmp (dtype, "i8") == 0) {
    t->dtype = ILGNET_DTYPE_I8;
    esize = 1;
  } else {
    FAIL (ILGNET_ERROR_UNSUPPORTED, "tensor \"%s\" has unknown dtype \"%s\"",
        name, dtype);
  }
  node = json_object_get_member (obj, "shape");
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_ARRAY)
    FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has no shape array", name);
  shape = json_node_get_array (node);
  if (json_array_get_length (shape) < 1
      || json_array_get_length (shape) > ILGNET_MAX_DIMS)
    FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has %u dimensions (1 to 4 "
        "allowed)", name, json_array_get_length (shape));
  t->ndim = json_array_get_length (shape);
  for (i = 0; i < (guint) t->ndim; i++) {
    JsonNode *d = json_array_get_element (shape, i);
    if (JSON_NODE_TYPE (d) != JSON_NODE_VALUE
        || json_node_get_value_type (d) != G_TYPE_INT64
        || json_node_get_int (d) < 1 || json_node_get_int (d) > MAX_DIM)
      FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has a bad dimension %u",
          name, i);
    t->shape[i] = json_node_get_int (d);
    n *= t->shape[i];
    if (n > MAX_TENSOR_ELEMENTS)
      FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" is too large", name);
  }
  t->n_elements = n;
  if (!ilgnet_json_get_int (obj, "offset", 0, G_MAXINT64, &v, TRUE, name,
          error))
    goto out;
  t->offset = v;
  if (!ilgnet_json_get_int (obj, "nbytes", 0, G_MAXINT64, &v, TRUE, name,
          error))
    goto out;
  t->nbytes = v;
  if (t->nbytes != n * esize)
    FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\": nbytes %" G_GUINT64_FORMAT
        " does not match its shape and dtype (%" G_GUINT64_FORMAT ")",
        name, t->nbytes, n * esize);
  if (t->offset % ILGNET_TENSOR_ALIGN != 0)
    FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\": offset %" G_GUINT64_FORMAT
        " is not %d-byte aligned", name, t->offset, ILGNET_TENSOR_ALIGN);
  if (t->offset > model->data_size || t->nbytes > model->data_size - t->offset)
    FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" (offset %" G_GUINT64_FORMAT
        ", %" G_GUINT64_FORMAT " bytes) lies outside the %" G_GUINT64_FORMAT
        "-byte data section", name, t->offset, t->nbytes, model->data_size);
  ret = TRUE;
out:
  return ret;
}

static gboolean
parse_input (IlgnetModel * model, JsonObject * root, GError ** error)
{
  JsonNode *node = json_object_get_member (root, "input");
  JsonObject *in;
  JsonArray *arr;
  const char *s;
  gboolean ret = FALSE;
  guint i;
  double scale = 1.0;
  int dims[3];

  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
    FAIL (ILGNET_ERROR_FORMAT, "header has no \"input\" object");
  in = json_node_get_object (node);
  if (!get_string (in, "blob"))
    FAIL (ILGNET_ERROR_FORMAT, "\"input\" has no \"blob\" name");
  node = json_object_get_member (in, "shape");
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_ARRAY
      || json_array_get_length (json_node_get_array (node)) != 3)
    FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"shape\" must be [C, H, W]");
  arr = json_node_get_array (node);
  for (i = 0; i < 3; i++) {
    JsonNode *d = json_array_get_element (arr, i);
    if (JSON_NODE_TYPE (d) != JSON_NODE_VALUE
        || json_node_get_value_type (d) != G_TYPE_INT64
        || json_node_get_int (d) < 1 || json_node_get_int (d) > 16384)
      FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"shape\" has a bad dimension");
    dims[i] = json_node_get_int (d);
  }
  if (dims[0] > 4096)
    FAIL (ILGNET_ERROR_FORMAT, "\"input\" has too many channels");
  model->input.channels = dims[0];
  model->input.height = dims[1];
  model->input.width = dims[2];

  s = get_string (in, "channel_order");
  if (!s || strcmp (s, "bgr") == 0)
    model->input.bgr = TRUE;
  else if (strcmp (s, "rgb") == 0)
    model->input.bgr = FALSE;
  else
    FAIL (ILGNET_ERROR_FORMAT, "\"input\" has unknown channel_order \"%s\"", s);

  node = json_object_get_member (in, "mean");
  if (node) {
    if (JSON_NODE_TYPE (node) != JSON_NODE_ARRAY
        || json_array_get_length (json_node_get_array (node)) != 3)
      FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"mean\" must hold 3 numbers");
    arr = json_node_get_array (node);
    for (i = 0; i < 3; i++) {
      JsonNode *d = json_array_get_element (arr, i);
      if (JSON_NODE_TYPE (d) != JSON_NODE_VALUE
          || (json_node_get_value_type (d) != G_TYPE_INT64
              && json_node_get_value_type (d) != G_TYPE_DOUBLE))
        FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"mean\" must hold 3 numbers");
      model->input.mean[i] = json_node_get_double (d);
    }
  }
  s = get_string (in, "resize");
  if (!s || strcmp (s, "squash") == 0)
    model->resize = ILGNET_RESIZE_SQUASH;
  else if (strcmp (s, "center") == 0)
    model->resize = ILGNET_RESIZE_CENTER;
  else if (strcmp (s, "letterbox") == 0)
    model->resize = ILGNET_RESIZE_LETTERBOX;
  else
    FAIL (ILGNET_ERROR_FORMAT, "\"input\" has unknown resize \"%s\"", s);

  if (!ilgnet_json_get_number (in, "scale", &scale, FALSE, "input", error))
    goto out;
  if (!(scale > 0 && scale < 1e6))
    FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"scale\" must be positive");
  model->input.scale = scale;
  ret = TRUE;
out:
  return ret;
}

gboolean
ilgnet_model_parse_header (IlgnetModel * model, const char *json, gsize len,
    GError ** error)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *root, *tobj;
  JsonNode *node;
  JsonObjectIter iter;
  const char *key;
  GError *err = NULL;
  gboolean ret = FALSE;
  gint64 v;
  IlgnetTensor **sorted = NULL;
  int i;

  model->fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  if (memchr (json, 0, len) || !g_utf8_validate (json, len, NULL))
    FAIL (ILGNET_ERROR_FORMAT, "header is not valid UTF-8 text");
  if (!json_parser_load_from_data (parser, json, len, &err)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "header is not valid JSON: %s", err->message);
    g_clear_error (&err);
    goto out;
  }
  node = json_parser_get_root (parser);
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
    FAIL (ILGNET_ERROR_FORMAT, "header is not a JSON object");
  root = json_node_get_object (node);

  if (g_strcmp0 (get_string (root, "format"), "ilgnet") != 0)
    FAIL (ILGNET_ERROR_FORMAT, "header \"format\" is not \"ilgnet\"");
  if (!ilgnet_json_get_int (root, "version", 0, G_MAXINT, &v, TRUE, "header",
          error))
    goto out;
  if (v != ILGNET_FORMAT_VERSION)
    FAIL (ILGNET_ERROR_UNSUPPORTED, "header version %" G_GINT64_FORMAT
        " is not supported", v);

  /* Every string member is exposed through ilgnet_model_get_field(). */
  json_object_iter_init (&iter, root);
  while (json_object_iter_next (&iter, &key, &node)) {
    if (JSON_NODE_TYPE (node) == JSON_NODE_VALUE
        && json_node_get_value_type (node) == G_TYPE_STRING)
      g_hash_table_insert (model->fields, g_strdup (key),
          g_strdup (json_node_get_string (node)));
  }
  model->name = g_hash_table_lookup (model->fields, "name");
  if (!model->name) {
    model->name = g_path_get_basename (model->path);
    g_hash_table_insert (model->fields, g_strdup ("name"), model->name);
  }

  if (!ilgnet_json_get_int (root, "data_size", 0, G_MAXINT64, &v, TRUE,
          "header", error))
    goto out;
  model->data_size = v;
  if (model->data_size != model->map_size - PREAMBLE_SIZE - len)
    FAIL (ILGNET_ERROR_FORMAT, "file is %" G_GSIZE_FORMAT " bytes but the "
        "header announces %" G_GUINT64_FORMAT " bytes of data after %"
        G_GSIZE_FORMAT " (truncated or padded)", model->map_size,
        model->data_size, PREAMBLE_SIZE + len);
  model->data = model->map + PREAMBLE_SIZE + len;

  if (!parse_input (model, root, error))
    goto out;

  /* Tensors */
  node = json_object_get_member (root, "tensors");
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
    FAIL (ILGNET_ERROR_FORMAT, "header has no \"tensors\" object");
  tobj = json_node_get_object (node);
  model->n_tensors = json_object_get_size (tobj);
  if (model->n_tensors > 100000)
    FAIL (ILGNET_ERROR_FORMAT, "header lists too many tensors");
  model->tensors = g_new0 (IlgnetTensor, MAX (model->n_tensors, 1));
  i = 0;
  json_object_iter_init (&iter, tobj);
  while (json_object_iter_next (&iter, &key, &node)) {
    if (!parse_tensor (model, &model->tensors[i++], key, node, error))
      goto out;
    model->tensors[i - 1].data = model->data + model->tensors[i - 1].offset;
  }
  /* Scales of i8 tensors; counted once per reference target */
  i = 0;
  json_object_iter_init (&iter, tobj);
  while (json_object_iter_next (&iter, &key, &node)) {
    IlgnetTensor *t = &model->tensors[i++];
    const char *sname = get_string (json_node_get_object (node), "scales");
    const IlgnetTensor *s;
    if (t->dtype != ILGNET_DTYPE_I8) {
      if (json_object_has_member (json_node_get_object (node), "scales"))
        FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" is not i8 but has scales",
            t->name);
      continue;
    }
    if (!sname)
      FAIL (ILGNET_ERROR_FORMAT, "i8 tensor \"%s\" has no \"scales\"",
          t->name);
    s = ilgnet_model_find_tensor (model, sname);
    if (!s || s->dtype != ILGNET_DTYPE_F32 || s->ndim != 1
        || s->shape[0] != t->shape[0])
      FAIL (ILGNET_ERROR_FORMAT, "i8 tensor \"%s\": scales \"%s\" must be an "
          "f32 tensor of shape [%" G_GINT64_FORMAT "]", t->name, sname,
          t->shape[0]);
    t->scales = s;
    ((IlgnetTensor *) s)->is_scales = TRUE;
  }
  for (i = 0; i < model->n_tensors; i++) {
    IlgnetTensor *t = &model->tensors[i];
    if (t->scales) {
      /* NaN/inf scales would poison every score; reject them here */
      const float *sc = t->scales->data;
      gint64 j;
      for (j = 0; j < t->shape[0]; j++)
        if (!isfinite (sc[j]))
          FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has a non-finite scale",
              t->name);
    }
    if (t->scales && t->scales->dtype == ILGNET_DTYPE_I8)
      FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\": bad scales", t->name);
    if (t->is_scales && t->dtype == ILGNET_DTYPE_I8)
      FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\": bad scales", t->name);
  }
  for (i = 0; i < model->n_tensors; i++)
    if (!model->tensors[i].is_scales)
      model->n_params += model->tensors[i].n_elements;

  /* No two tensors may share bytes. */
  sorted = g_new (IlgnetTensor *, MAX (model->n_tensors, 1));
  for (i = 0; i < model->n_tensors; i++)
    sorted[i] = &model->tensors[i];
  qsort (sorted, model->n_tensors, sizeof (*sorted), compare_tensor_offset);
  for (i = 1; i < model->n_tensors; i++) {
    if (sorted[i - 1]->offset + sorted[i - 1]->nbytes > sorted[i]->offset)
      FAIL (ILGNET_ERROR_FORMAT, "tensors \"%s\" and \"%s\" overlap",
          sorted[i - 1]->name, sorted[i]->name);
  }

  /* Output */
  node = json_object_get_member (root, "output");
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_OBJECT
      || !get_string (json_node_get_object (node), "blob"))
    FAIL (ILGNET_ERROR_FORMAT, "header has no \"output\" blob");
  if (!ilgnet_json_get_int (json_node_get_object (node), "high_index", 0,
          G_MAXINT, &v, FALSE, "output", error))
    goto out;
  model->high_index = json_object_has_member (json_node_get_object (node),
      "high_index") ? v : 1;

  node = json_object_get_member (root, "layers");
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_ARRAY)
    FAIL (ILGNET_ERROR_FORMAT, "header has no \"layers\" array");
  {
    JsonObject *in = json_node_get_object (json_object_get_member (root,
            "input"));
    JsonObject *outo = json_node_get_object (json_object_get_member (root,
            "output"));
    /* model-graph.c resolves the names; pass them through the fields table */
    g_hash_table_insert (model->fields, g_strdup (" input-blob"),
        g_strdup (get_string (in, "blob")));
    g_hash_table_insert (model->fields, g_strdup (" output-blob"),
        g_strdup (get_string (outo, "blob")));
  }
  if (!ilgnet_model_build_graph (model, json_node_get_array (node), error))
    goto out;
  ret = TRUE;

out:
  g_free (sorted);
  g_object_unref (parser);
  return ret;
}
