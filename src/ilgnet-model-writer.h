/* Writes an .ilgnet model file (format in src/ilgnet.h): a JSON header the
 * caller fills, plus tensors streamed from the caller's float sources and
 * stored as f32, f16 or per-channel int8. */
#ifndef ILGNET_MODEL_WRITER_H
#define ILGNET_MODEL_WRITER_H

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  ILGNET_STORE_F32,
  ILGNET_STORE_F16,
  ILGNET_STORE_I8               /* symmetric, per output channel (dim 0) */
} IlgnetStoreType;

/* Copies values [@start, @start + @n) of a tensor, as floats, to @dst. */
typedef void (*IlgnetValuesFunc) (gconstpointer source, guint64 start,
    gsize n, float *dst);

typedef struct _IlgnetModelWriter IlgnetModelWriter;

IlgnetModelWriter *ilgnet_model_writer_new (void);
void ilgnet_model_writer_free (IlgnetModelWriter * w);

/* Adds a tensor; its values are read from @source only while writing.
 * An I8 tensor also gets an f32 "NAME.scales" tensor of shape [dim0]. */
void ilgnet_model_writer_add_tensor (IlgnetModelWriter * w, const char *name,
    const gint64 * shape, int ndim, IlgnetStoreType store,
    IlgnetValuesFunc read, gconstpointer source);

/* Number of values in all tensors added (scales excluded). */
guint64 ilgnet_model_writer_get_n_values (const IlgnetModelWriter * w);

/* Writes @path: @header (every key but "tensors" and "data_size", which
 * are added here) and the tensors.  The file appears atomically (written
 * to a temporary name, then renamed); nothing is left behind on error.
 * Non-finite weights, or weights too large for f16, are errors. */
gboolean ilgnet_model_writer_write (IlgnetModelWriter * w,
    JsonObject * header, const char *path, GError ** error);

G_END_DECLS

#endif /* ILGNET_MODEL_WRITER_H */
