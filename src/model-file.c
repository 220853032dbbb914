/* Opening a .ilgnet file, in phases: mapping it, the fixed preamble, then
 * the JSON header (model-header.c) and its layers (model-graph.c); and the
 * model's public getters.  Everything is checked before anything is
 * trusted: a fuzzer mutates these files. */
#include "ilgnet-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A header is a few KB for real nets; anything huge is corrupt. */
#define MAX_HEADER_SIZE (64u << 20)

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
  for (i = 0; i < model->n_layers; i++) {
    g_free (model->layers[i].name);
    g_free (model->layers[i].params);
  }
  g_free (model->layers);
  for (i = 0; i < model->n_blobs; i++)
    g_free (model->blobs[i].name);
  g_free (model->blobs);
  g_free (model->path);
  g_free (model);
}

/* Phase 1: the file, mapped whole. */
static IlgnetModel *
map_file (const char *path, GError ** error)
{
  IlgnetModel *model;
  struct stat st;
  int fd;

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
  if (st.st_size < ILGNET_PREAMBLE_SIZE) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: truncated: %" G_GINT64_FORMAT " bytes is shorter than the "
        "24-byte preamble", path, (gint64) st.st_size);
    close (fd);
    return NULL;
  }

  model = g_new0 (IlgnetModel, 1);
  model->refcount = 1;
  model->path = g_strdup (path);
  model->fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  model->map_size = st.st_size;
  model->map = mmap (NULL, model->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (model->map == MAP_FAILED) {
    model->map = NULL;
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: cannot map: %s",
        path, g_strerror (errno));
    model_free (model);
    return NULL;
  }
  return model;
}

/* Phase 2: magic, version, flags and the header's length. */
static gboolean
check_preamble (IlgnetModel * model, guint64 * hlen, GError ** error)
{
  guint32 version, flags;

  if (memcmp (model->map, ILGNET_FORMAT_MAGIC, 8) != 0)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "not an ilgnet model (bad magic)");
  version = read_u32 (model->map + 8);
  flags = read_u32 (model->map + 12);
  *hlen = read_u64 (model->map + 16);
  if (version != ILGNET_FORMAT_VERSION)
    ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "unsupported format version %u "
        "(this library reads %d)", version, ILGNET_FORMAT_VERSION);
  if (flags != 0)
    ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "unknown flags 0x%x", flags);
  if (*hlen == 0 || *hlen > MAX_HEADER_SIZE
      || *hlen > model->map_size - ILGNET_PREAMBLE_SIZE)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header length %" G_GUINT64_FORMAT
        " does not fit the %" G_GSIZE_FORMAT "-byte file", *hlen,
        model->map_size);
  if ((ILGNET_PREAMBLE_SIZE + *hlen) % ILGNET_TENSOR_ALIGN != 0)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header length %" G_GUINT64_FORMAT
        " leaves the data section unaligned", *hlen);
  return TRUE;
}

/* Phase 3: the JSON header (model-header.c), then its layers
 * (model-graph.c). */
static gboolean
load_header (IlgnetModel * model, gsize hlen, IlgnetHeaderEdit edit,
    gpointer edit_data, GError ** error)
{
  const char *json = (const char *) model->map + ILGNET_PREAMBLE_SIZE;
  JsonParser *parser = json_parser_new ();
  JsonNode *root, *layers;
  const char *in_blob = NULL, *out_blob = NULL;
  GError *err = NULL;
  gboolean ok = FALSE;

  if (memchr (json, 0, hlen) || !g_utf8_validate (json, hlen, NULL)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "header is not valid UTF-8 text");
  } else if (!json_parser_load_from_data (parser, json, hlen, &err)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "header is not valid JSON: %s", err->message);
    g_clear_error (&err);
  } else if (!(root = json_parser_get_root (parser))
      || JSON_NODE_TYPE (root) != JSON_NODE_OBJECT) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "header is not a JSON object");
  } else if ((!edit || edit (json_node_get_object (root), edit_data, error))
      && ilgnet_model_parse_header (model, json_node_get_object (root),
          hlen, &in_blob, &out_blob, error)) {
    layers = json_object_get_member (json_node_get_object (root), "layers");
    if (!layers || JSON_NODE_TYPE (layers) != JSON_NODE_ARRAY)
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "header has no \"layers\" array");
    else
      ok = ilgnet_model_build_graph (model, json_node_get_array (layers),
          in_blob, out_blob, error);
  }
  g_object_unref (parser);
  return ok;
}

IlgnetModel *
ilgnet_model_open (const char *path, GError ** error)
{
  return ilgnet_model_open_edited (path, NULL, NULL, error);
}

IlgnetModel *
ilgnet_model_open_edited (const char *path, IlgnetHeaderEdit edit,
    gpointer edit_data, GError ** error)
{
  IlgnetModel *model;
  guint64 hlen;
  GError *err = NULL;
  char *p;

  g_return_val_if_fail (path != NULL, NULL);

  /* before any session, which may be made on a thread of its own */
  ilgnet_blas_preload ();

  if (!(model = map_file (path, error)))
    return NULL;
  if (check_preamble (model, &hlen, &err) && load_header (model, hlen, edit, edit_data, &err)) {
    /* Weights are read front to back once per frame; the FC heads
     * dominate. */
    madvise (model->map, model->map_size, MADV_WILLNEED);
    return model;
  }
  /* messages quote parts of the header: keep them on one line */
  for (p = err->message; *p; p++)
    if ((guchar) * p < 0x20)
      *p = ' ';
  g_set_error (error, ILGNET_ERROR, err->code, "%s: %s", path, err->message);
  g_clear_error (&err);
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
