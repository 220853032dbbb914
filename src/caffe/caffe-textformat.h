/* Protocol buffer text format (the .prototxt syntax), parsed into a generic
 * tree of fields without a schema: the Caffe layer code interprets it. */
#ifndef ILGNET_CAFFE_TEXTFORMAT_H
#define ILGNET_CAFFE_TEXTFORMAT_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IlgnetPbMsg IlgnetPbMsg;

typedef enum
{
  ILGNET_PB_SCALAR,             /* a bare token: number, enum, true/false */
  ILGNET_PB_STRING,             /* a quoted string, unescaped */
  ILGNET_PB_MESSAGE             /* a nested { ... } */
} IlgnetPbKind;

typedef struct
{
  char *name;
  IlgnetPbKind kind;
  char *text;                   /* SCALAR and STRING */
  IlgnetPbMsg *msg;             /* MESSAGE */
  int line, column;             /* where the field name starts (1-based) */
} IlgnetPbField;

struct _IlgnetPbMsg
{
  GPtrArray *fields;            /* of IlgnetPbField*, in file order */
};

/* Parses protobuf text format.  @what names the input in messages (a file
 * name).  Syntax errors give "@what:LINE:COL: what is wrong". */
IlgnetPbMsg *ilgnet_pb_text_parse (const char *text, gsize len,
    const char *what, GError ** error);
void ilgnet_pb_msg_free (IlgnetPbMsg * msg);

/* The last field called @name (protobuf: the last one wins), or NULL. */
const IlgnetPbField *ilgnet_pb_msg_get (const IlgnetPbMsg * msg,
    const char *name);
/* The number of fields called @name, and the @index'th of them. */
guint ilgnet_pb_msg_count (const IlgnetPbMsg * msg, const char *name);
const IlgnetPbField *ilgnet_pb_msg_nth (const IlgnetPbMsg * msg,
    const char *name, guint index);

/* Typed access.  Each returns TRUE and leaves @out at @def when the field
 * is absent; FALSE with "@what:LINE:COL: ..." when it has the wrong kind or
 * is out of range.  Enum-like values (MAX, ACROSS_CHANNELS) are SCALARs. */
gboolean ilgnet_pb_field_int (const IlgnetPbField * f, gint64 min,
    gint64 max, gint64 * out, const char *what, GError ** error);
gboolean ilgnet_pb_field_double (const IlgnetPbField * f, double *out,
    const char *what, GError ** error);
gboolean ilgnet_pb_field_bool (const IlgnetPbField * f, gboolean * out,
    const char *what, GError ** error);
gboolean ilgnet_pb_msg_int (const IlgnetPbMsg * msg, const char *name,
    gint64 min, gint64 max, gint64 def, gint64 * out, const char *what,
    GError ** error);
gboolean ilgnet_pb_msg_double (const IlgnetPbMsg * msg, const char *name,
    double def, double *out, const char *what, GError ** error);
gboolean ilgnet_pb_msg_bool (const IlgnetPbMsg * msg, const char *name,
    gboolean def, gboolean * out, const char *what, GError ** error);
/* A STRING field (or an enum SCALAR when @allow_scalar), else @def. */
gboolean ilgnet_pb_msg_string (const IlgnetPbMsg * msg, const char *name,
    gboolean allow_scalar, const char *def, const char **out,
    const char *what, GError ** error);
/* A nested message; NULL (no error) when absent, FALSE when not a message. */
gboolean ilgnet_pb_msg_sub (const IlgnetPbMsg * msg, const char *name,
    const IlgnetPbMsg ** out, const char *what, GError ** error);

G_END_DECLS

#endif /* ILGNET_CAFFE_TEXTFORMAT_H */
