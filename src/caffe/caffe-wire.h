/* Protocol buffer wire format: a bounds-checked, zero-copy field reader. */
#ifndef ILGNET_CAFFE_WIRE_H
#define ILGNET_CAFFE_WIRE_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ILGNET_WIRE_VARINT = 0,
  ILGNET_WIRE_FIXED64 = 1,
  ILGNET_WIRE_LEN = 2,
  ILGNET_WIRE_FIXED32 = 5
} IlgnetWireType;

typedef struct
{
  const guint8 *p, *end;
  const guint8 *base;           /* start of the whole buffer, for offsets */
  const char *what;             /* file name for messages */
} IlgnetWireReader;

/* One field: for VARINT, @value; for FIXED32/FIXED64, @data (4 or 8
 * bytes); for LEN, @data and @len (pointing into the buffer). */
typedef struct
{
  guint32 number;
  IlgnetWireType wire;
  guint64 value;
  const guint8 *data;
  gsize len;
} IlgnetWireField;

void ilgnet_wire_reader_init (IlgnetWireReader * r, const guint8 * base,
    const guint8 * start, gsize len, const char *what);
/* A sub-reader over a LEN field's payload. */
void ilgnet_wire_reader_sub (const IlgnetWireReader * parent,
    const IlgnetWireField * f, IlgnetWireReader * sub);
/* Reads the next field.  Returns FALSE at the end (with no error) or on a
 * malformed field (with @error naming the byte offset). */
gboolean ilgnet_wire_next (IlgnetWireReader * r, IlgnetWireField * f,
    GError ** error);
/* Decodes one varint from a packed payload; FALSE if it runs past @end. */
gboolean ilgnet_wire_varint (const guint8 ** p, const guint8 * end,
    guint64 * out);

G_END_DECLS

#endif /* ILGNET_CAFFE_WIRE_H */
