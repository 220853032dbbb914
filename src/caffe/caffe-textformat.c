/* Protocol buffer text format parser: a recursive descent over a small
 * tokenizer.  It knows no schema, so every Caffe version's prototxt parses;
 * the layer code decides what the fields mean. */
#include "caffe-textformat.h"
#include "ilgnet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting than any real net; stops a hostile file from exhausting
 * the stack. */
#define MAX_DEPTH 64

typedef enum
{
  TOK_END,
  TOK_WORD,                     /* identifier, number, enum */
  TOK_STRING,
  TOK_PUNCT                     /* one of { } < > [ ] : , ; */
} TokKind;

typedef struct
{
  const char *p, *end;
  const char *what;
  int line;
  const char *line_start;

  /* current token */
  TokKind kind;
  char punct;
  GString *text;
  int tline, tcol;
} Lexer;

#define LEX_FAIL(lx, l, c, ...) G_STMT_START { \
    char *m_ = g_strdup_printf (__VA_ARGS__); \
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT, "%s:%d:%d: %s", \
        (lx)->what, (l), (c), m_); \
    g_free (m_); \
    return FALSE; \
  } G_STMT_END

static gboolean
is_word_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '+' || c == '-';
}

static int
hex_val (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads one quoted string (the opening quote at lx->p) into lx->text. */
static gboolean
lex_string (Lexer * lx, GError ** error)
{
  char quote = *lx->p++;
  int col = lx->p - lx->line_start;

  while (TRUE) {
    char c;
    if (lx->p >= lx->end || *lx->p == '\n')
      LEX_FAIL (lx, lx->tline, col, "unterminated string");
    c = *lx->p++;
    if (c == quote)
      return TRUE;
    if (c != '\\') {
      g_string_append_c (lx->text, c);
      continue;
    }
    if (lx->p >= lx->end)
      LEX_FAIL (lx, lx->tline, col, "unterminated string");
    c = *lx->p++;
    switch (c) {
      case 'n':
        g_string_append_c (lx->text, '\n');
        break;
      case 't':
        g_string_append_c (lx->text, '\t');
        break;
      case 'r':
        g_string_append_c (lx->text, '\r');
        break;
      case 'x':{
        int v = 0, n = 0;
        while (n < 2 && lx->p < lx->end && hex_val (*lx->p) >= 0)
          v = v * 16 + hex_val (*lx->p++), n++;
        if (n == 0)
          LEX_FAIL (lx, lx->line, (int) (lx->p - lx->line_start),
              "bad \\x escape in string");
        g_string_append_c (lx->text, (char) v);
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0', n = 1;
          while (n < 3 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7')
            v = v * 8 + (*lx->p++ - '0'), n++;
          g_string_append_c (lx->text, (char) v);
        } else {
          /* \" \' \\ \? and anything else stand for themselves */
          g_string_append_c (lx->text, c);
        }
    }
  }
}

static gboolean
lex_next (Lexer * lx, GError ** error)
{
  g_string_truncate (lx->text, 0);
  while (lx->p < lx->end) {
    char c = *lx->p;
    if (c == '\n') {
      lx->line++;
      lx->line_start = ++lx->p;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      lx->p++;
    } else if (c == '#') {
      while (lx->p < lx->end && *lx->p != '\n')
        lx->p++;
    } else {
      break;
    }
  }
  lx->tline = lx->line;
  lx->tcol = (int) (lx->p - lx->line_start) + 1;
  if (lx->p >= lx->end) {
    lx->kind = TOK_END;
    return TRUE;
  }
  if (strchr ("{}<>[]:,;", *lx->p) && *lx->p) {
    lx->kind = TOK_PUNCT;
    lx->punct = *lx->p++;
    return TRUE;
  }
  if (*lx->p == '"' || *lx->p == '\'') {
    lx->kind = TOK_STRING;
    if (!lex_string (lx, error))
      return FALSE;
    /* Adjacent strings concatenate, as in C. */
    while (TRUE) {
      const char *q = lx->p;
      while (q < lx->end && (*q == ' ' || *q == '\t'))
        q++;
      if (q >= lx->end || (*q != '"' && *q != '\''))
        break;
      lx->p = q;
      if (!lex_string (lx, error))
        return FALSE;
    }
    /* Names end up in the model's JSON header, which must be UTF-8. */
    if (!g_utf8_validate (lx->text->str, lx->text->len, NULL))
      LEX_FAIL (lx, lx->tline, lx->tcol, "string is not valid UTF-8");
    return TRUE;
  }
  if (is_word_char (*lx->p)) {
    lx->kind = TOK_WORD;
    while (lx->p < lx->end && is_word_char (*lx->p))
      g_string_append_c (lx->text, *lx->p++);
    return TRUE;
  }
  if (g_ascii_isprint (*lx->p))
    LEX_FAIL (lx, lx->tline, lx->tcol, "unexpected character '%c'", *lx->p);
  LEX_FAIL (lx, lx->tline, lx->tcol, "unexpected byte 0x%02x",
      (guint8) * lx->p);
}

static void
field_free (gpointer data)
{
  IlgnetPbField *f = data;
  g_free (f->name);
  g_free (f->text);
  if (f->msg)
    ilgnet_pb_msg_free (f->msg);
  g_free (f);
}

static IlgnetPbMsg *
msg_new (void)
{
  IlgnetPbMsg *m = g_new0 (IlgnetPbMsg, 1);
  m->fields = g_ptr_array_new_with_free_func (field_free);
  return m;
}

void
ilgnet_pb_msg_free (IlgnetPbMsg * msg)
{
  if (!msg)
    return;
  g_ptr_array_unref (msg->fields);
  g_free (msg);
}

static const char *
tok_desc (Lexer * lx)
{
  static char buf[8];
  switch (lx->kind) {
    case TOK_END:
      return "end of file";
    case TOK_STRING:
      return "a string";
    case TOK_WORD:
      return lx->text->str;
    default:
      g_snprintf (buf, sizeof buf, "'%c'", lx->punct);
      return buf;
  }
}

static gboolean parse_fields (Lexer * lx, IlgnetPbMsg * msg, char close,
    int depth, GError ** error);

static gboolean
add_value (Lexer * lx, IlgnetPbMsg * msg, const char *name, int line,
    int col, GError ** error)
{
  IlgnetPbField *f;

  if (lx->kind != TOK_WORD && lx->kind != TOK_STRING)
    LEX_FAIL (lx, lx->tline, lx->tcol, "expected a value for \"%s\", got %s",
        name, tok_desc (lx));
  f = g_new0 (IlgnetPbField, 1);
  f->name = g_strdup (name);
  f->kind = lx->kind == TOK_WORD ? ILGNET_PB_SCALAR : ILGNET_PB_STRING;
  f->text = g_strdup (lx->text->str);
  f->line = line;
  f->column = col;
  g_ptr_array_add (msg->fields, f);
  return lex_next (lx, error);
}

/* One "name: value", "name { ... }", "name: [v, v]" item. */
static gboolean
parse_field (Lexer * lx, IlgnetPbMsg * msg, int depth, GError ** error)
{
  char *name = NULL;
  int line = lx->tline, col = lx->tcol;
  gboolean colon = FALSE, ok = FALSE;

  if (lx->kind != TOK_WORD || !(g_ascii_isalpha (lx->text->str[0])
          || lx->text->str[0] == '_'))
    LEX_FAIL (lx, lx->tline, lx->tcol, "expected a field name, got %s",
        tok_desc (lx));
  name = g_strdup (lx->text->str);
  if (!lex_next (lx, error))
    goto out;
  if (lx->kind == TOK_PUNCT && lx->punct == ':') {
    colon = TRUE;
    if (!lex_next (lx, error))
      goto out;
  }
  if (lx->kind == TOK_PUNCT && (lx->punct == '{' || lx->punct == '<')) {
    IlgnetPbField *f;
    char close = lx->punct == '{' ? '}' : '>';
    if (depth >= MAX_DEPTH) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s:%d:%d: messages nested too deeply", lx->what, lx->tline,
          lx->tcol);
      goto out;
    }
    f = g_new0 (IlgnetPbField, 1);
    f->name = g_strdup (name);
    f->kind = ILGNET_PB_MESSAGE;
    f->msg = msg_new ();
    f->line = line;
    f->column = col;
    g_ptr_array_add (msg->fields, f);
    if (!lex_next (lx, error))
      goto out;
    ok = parse_fields (lx, f->msg, close, depth + 1, error);
    goto out;
  }
  if (!colon) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s:%d:%d: expected ':' or '{' after \"%s\", got %s", lx->what,
        lx->tline, lx->tcol, name, tok_desc (lx));
    goto out;
  }
  if (lx->kind == TOK_PUNCT && lx->punct == '[') {
    if (!lex_next (lx, error))
      goto out;
    while (!(lx->kind == TOK_PUNCT && lx->punct == ']')) {
      if (!add_value (lx, msg, name, line, col, error))
        goto out;
      if (lx->kind == TOK_PUNCT && lx->punct == ',') {
        if (!lex_next (lx, error))
          goto out;
      } else if (!(lx->kind == TOK_PUNCT && lx->punct == ']')) {
        g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
            "%s:%d:%d: expected ',' or ']', got %s", lx->what, lx->tline,
            lx->tcol, tok_desc (lx));
        goto out;
      }
    }
    ok = lex_next (lx, error);
    goto out;
  }
  ok = add_value (lx, msg, name, line, col, error);
out:
  g_free (name);
  return ok;
}

static gboolean
parse_fields (Lexer * lx, IlgnetPbMsg * msg, char close, int depth,
    GError ** error)
{
  int open_line = lx->tline;

  while (TRUE) {
    if (lx->kind == TOK_END) {
      if (close == 0)
        return TRUE;
      LEX_FAIL (lx, lx->tline, lx->tcol, "missing '%c' for the message "
          "opened on line %d", close, open_line);
    }
    if (lx->kind == TOK_PUNCT && lx->punct == close) {
      return lex_next (lx, error);
    }
    if (lx->kind == TOK_PUNCT && (lx->punct == ';' || lx->punct == ',')) {
      if (!lex_next (lx, error))
        return FALSE;
      continue;
    }
    if (!parse_field (lx, msg, depth, error))
      return FALSE;
  }
}

IlgnetPbMsg *
ilgnet_pb_text_parse (const char *text, gsize len, const char *what,
    GError ** error)
{
  Lexer lx = { 0 };
  IlgnetPbMsg *msg = msg_new ();
  gboolean ok;

  lx.p = text;
  lx.end = text + len;
  lx.what = what;
  lx.line = 1;
  lx.line_start = text;
  lx.text = g_string_new (NULL);
  /* A UTF-8 byte order mark is harmless; skip it. */
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    lx.p = lx.line_start = text + 3;
  ok = lex_next (&lx, error) && parse_fields (&lx, msg, 0, 0, error);
  g_string_free (lx.text, TRUE);
  if (!ok) {
    ilgnet_pb_msg_free (msg);
    return NULL;
  }
  return msg;
}

/* ---- Access ------------------------------------------------------------ */

const IlgnetPbField *
ilgnet_pb_msg_get (const IlgnetPbMsg * msg, const char *name)
{
  guint i;

  if (!msg)
    return NULL;
  for (i = msg->fields->len; i > 0; i--) {
    const IlgnetPbField *f = g_ptr_array_index (msg->fields, i - 1);
    if (strcmp (f->name, name) == 0)
      return f;
  }
  return NULL;
}

guint
ilgnet_pb_msg_count (const IlgnetPbMsg * msg, const char *name)
{
  guint i, n = 0;

  if (!msg)
    return 0;
  for (i = 0; i < msg->fields->len; i++) {
    const IlgnetPbField *f = g_ptr_array_index (msg->fields, i);
    n += strcmp (f->name, name) == 0;
  }
  return n;
}

const IlgnetPbField *
ilgnet_pb_msg_nth (const IlgnetPbMsg * msg, const char *name, guint index)
{
  guint i;

  if (!msg)
    return NULL;
  for (i = 0; i < msg->fields->len; i++) {
    const IlgnetPbField *f = g_ptr_array_index (msg->fields, i);
    if (strcmp (f->name, name) == 0 && index-- == 0)
      return f;
  }
  return NULL;
}

#define FIELD_FAIL(f, ...) G_STMT_START { \
    char *m_ = g_strdup_printf (__VA_ARGS__); \
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT, "%s:%d:%d: %s", \
        what, (f)->line, (f)->column, m_); \
    g_free (m_); \
    return FALSE; \
  } G_STMT_END

gboolean
ilgnet_pb_field_int (const IlgnetPbField * f, gint64 min, gint64 max,
    gint64 * out, const char *what, GError ** error)
{
  char *end = NULL;
  gint64 v;

  if (f->kind != ILGNET_PB_SCALAR)
    FIELD_FAIL (f, "\"%s\" must be an integer", f->name);
  errno = 0;
  v = g_ascii_strtoll (f->text, &end, 0);
  if (errno || !end || *end || end == f->text)
    FIELD_FAIL (f, "\"%s\" must be an integer, not \"%s\"", f->name, f->text);
  if (v < min || v > max)
    FIELD_FAIL (f, "\"%s\" is %" G_GINT64_FORMAT ", outside %"
        G_GINT64_FORMAT "..%" G_GINT64_FORMAT, f->name, v, min, max);
  *out = v;
  return TRUE;
}

gboolean
ilgnet_pb_field_double (const IlgnetPbField * f, double *out,
    const char *what, GError ** error)
{
  char *end = NULL;
  const char *s = f->text;
  double v;

  if (f->kind != ILGNET_PB_SCALAR)
    FIELD_FAIL (f, "\"%s\" must be a number", f->name);
  errno = 0;
  v = g_ascii_strtod (s, &end);
  /* Text format allows a trailing f on floats ("0.5f"). */
  if (end && (*end == 'f' || *end == 'F') && end[1] == '\0' && end != s)
    end++;
  if (errno == ERANGE && v != 0)
    FIELD_FAIL (f, "\"%s\" is out of range", f->name);
  if (!end || *end || end == s)
    FIELD_FAIL (f, "\"%s\" must be a number, not \"%s\"", f->name, f->text);
  *out = v;
  return TRUE;
}

gboolean
ilgnet_pb_field_bool (const IlgnetPbField * f, gboolean * out,
    const char *what, GError ** error)
{
  if (f->kind == ILGNET_PB_SCALAR) {
    if (!strcmp (f->text, "true") || !strcmp (f->text, "True")
        || !strcmp (f->text, "t") || !strcmp (f->text, "1")) {
      *out = TRUE;
      return TRUE;
    }
    if (!strcmp (f->text, "false") || !strcmp (f->text, "False")
        || !strcmp (f->text, "f") || !strcmp (f->text, "0")) {
      *out = FALSE;
      return TRUE;
    }
  }
  FIELD_FAIL (f, "\"%s\" must be true or false", f->name);
}

gboolean
ilgnet_pb_msg_int (const IlgnetPbMsg * msg, const char *name, gint64 min,
    gint64 max, gint64 def, gint64 * out, const char *what, GError ** error)
{
  const IlgnetPbField *f = ilgnet_pb_msg_get (msg, name);

  *out = def;
  return !f || ilgnet_pb_field_int (f, min, max, out, what, error);
}

gboolean
ilgnet_pb_msg_double (const IlgnetPbMsg * msg, const char *name, double def,
    double *out, const char *what, GError ** error)
{
  const IlgnetPbField *f = ilgnet_pb_msg_get (msg, name);

  *out = def;
  return !f || ilgnet_pb_field_double (f, out, what, error);
}

gboolean
ilgnet_pb_msg_bool (const IlgnetPbMsg * msg, const char *name, gboolean def,
    gboolean * out, const char *what, GError ** error)
{
  const IlgnetPbField *f = ilgnet_pb_msg_get (msg, name);

  *out = def;
  return !f || ilgnet_pb_field_bool (f, out, what, error);
}

gboolean
ilgnet_pb_msg_string (const IlgnetPbMsg * msg, const char *name,
    gboolean allow_scalar, const char *def, const char **out,
    const char *what, GError ** error)
{
  const IlgnetPbField *f = ilgnet_pb_msg_get (msg, name);

  *out = def;
  if (!f)
    return TRUE;
  if (f->kind == ILGNET_PB_STRING
      || (allow_scalar && f->kind == ILGNET_PB_SCALAR)) {
    *out = f->text;
    return TRUE;
  }
  FIELD_FAIL (f, "\"%s\" must be a %s", f->name,
      allow_scalar ? "name" : "quoted string");
}

gboolean
ilgnet_pb_msg_sub (const IlgnetPbMsg * msg, const char *name,
    const IlgnetPbMsg ** out, const char *what, GError ** error)
{
  const IlgnetPbField *f = ilgnet_pb_msg_get (msg, name);

  *out = NULL;
  if (!f)
    return TRUE;
  if (f->kind != ILGNET_PB_MESSAGE)
    FIELD_FAIL (f, "\"%s\" must be a message { ... }", f->name);
  *out = f->msg;
  return TRUE;
}
