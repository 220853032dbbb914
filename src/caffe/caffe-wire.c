/* Protocol buffer wire format reader.  Every length is checked against the
 * end of the enclosing message before use, so a truncated or hostile
 * caffemodel gives an error, never a read out of the mapping. */
#include "caffe-wire.h"
#include "ilgnet.h"

void
ilgnet_wire_reader_init (IlgnetWireReader * r, const guint8 * base,
    const guint8 * start, gsize len, const char *what)
{
  r->base = base;
  r->p = start;
  /* An empty file maps to NULL: NULL + 0 is undefined behaviour in C. */
  r->end = len ? start + len : start;
  r->what = what;
}

void
ilgnet_wire_reader_sub (const IlgnetWireReader * parent,
    const IlgnetWireField * f, IlgnetWireReader * sub)
{
  ilgnet_wire_reader_init (sub, parent->base, f->data, f->len, parent->what);
}

gboolean
ilgnet_wire_varint (const guint8 ** p, const guint8 * end, guint64 * out)
{
  guint64 v = 0;
  int shift;

  for (shift = 0; shift < 64; shift += 7) {
    guint8 b;
    if (*p >= end)
      return FALSE;
    b = *(*p)++;
    v |= (guint64) (b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return TRUE;
    }
  }
  return FALSE;                 /* more than 10 bytes */
}

gboolean
ilgnet_wire_next (IlgnetWireReader * r, IlgnetWireField * f, GError ** error)
{
  const guint8 *start = r->p;
  guint64 key, len;

  if (r->p >= r->end)
    return FALSE;
  if (!ilgnet_wire_varint (&r->p, r->end, &key))
    goto truncated;
  f->number = key >> 3;
  f->wire = key & 7;
  f->data = NULL;
  f->len = 0;
  f->value = 0;
  if (f->number == 0 || key >> 32)
    goto bad;
  switch (f->wire) {
    case ILGNET_WIRE_VARINT:
      if (!ilgnet_wire_varint (&r->p, r->end, &f->value))
        goto truncated;
      return TRUE;
    case ILGNET_WIRE_FIXED64:
    case ILGNET_WIRE_FIXED32:
      len = f->wire == ILGNET_WIRE_FIXED64 ? 8 : 4;
      if ((guint64) (r->end - r->p) < len)
        goto truncated;
      f->data = r->p;
      f->len = len;
      r->p += len;
      return TRUE;
    case ILGNET_WIRE_LEN:
      if (!ilgnet_wire_varint (&r->p, r->end, &len))
        goto truncated;
      if (len > (guint64) (r->end - r->p))
        goto truncated;
      f->data = r->p;
      f->len = len;
      r->p += len;
      return TRUE;
    default:
      goto bad;
  }

truncated:
  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
      "%s: truncated or corrupt protobuf field at byte %" G_GSIZE_FORMAT,
      r->what, (gsize) (start - r->base));
  r->p = r->end;
  return FALSE;
bad:
  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
      "%s: corrupt protobuf field (wire type %u) at byte %" G_GSIZE_FORMAT,
      r->what, (guint) (key & 7), (gsize) (start - r->base));
  r->p = r->end;
  return FALSE;
}
