/* Checked reads of the model header's JSON members: every getter says in
 * one line which object and key is wrong, since the header comes from a
 * file that a fuzzer mutates.  The only place that interprets JSON values
 * for the header (model-header.c) and the layers (src/layer-*.c). */
#include "ilgnet-private.h"

#include <math.h>

/* Integers may be written 3, 3.0 or true (Caffe's booleans). */
static gboolean
node_get_int (JsonNode * n, gint64 * out)
{
  if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_INT64) {
    *out = json_node_get_int (n);
    return TRUE;
  }
  if (json_node_get_value_type (n) == G_TYPE_BOOLEAN) {
    *out = json_node_get_boolean (n);
    return TRUE;
  }
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE) {
    double d = json_node_get_double (n);
    if (d == floor (d) && fabs (d) < 9e15) {
      *out = (gint64) d;
      return TRUE;
    }
  }
  return FALSE;
}

/* The member, or NULL; a missing required one is an error. */
static gboolean
get_member (JsonObject * obj, const char *key, gboolean required,
    const char *what, JsonNode ** out, GError ** error)
{
  *out = obj ? json_object_get_member (obj, key) : NULL;
  if (!*out && required)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: missing \"%s\"", what, key);
  return TRUE;
}

gboolean
ilgnet_json_get_int (JsonObject * obj, const char *key, gint64 min,
    gint64 max, gint64 * out, gboolean required, const char *what,
    GError ** error)
{
  JsonNode *n;

  if (!get_member (obj, key, required, what, &n, error))
    return FALSE;
  if (n && (!node_get_int (n, out) || *out < min || *out > max))
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be an integer in %"
        G_GINT64_FORMAT "..%" G_GINT64_FORMAT, what, key, min, max);
  return TRUE;
}

gboolean
ilgnet_json_get_number (JsonObject * obj, const char *key, double *out,
    gboolean required, const char *what, GError ** error)
{
  JsonNode *n;
  GType t;

  if (!get_member (obj, key, required, what, &n, error))
    return FALSE;
  if (!n)
    return TRUE;
  t = JSON_NODE_TYPE (n) == JSON_NODE_VALUE ? json_node_get_value_type (n) : 0;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be a number", what,
        key);
  *out = json_node_get_double (n);
  if (!isfinite (*out))
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be finite", what, key);
  return TRUE;
}

gboolean
ilgnet_json_get_pair (JsonObject * obj, const char *key, int min, int max,
    int def, int *h, int *w, const char *what, GError ** error)
{
  JsonNode *n = obj ? json_object_get_member (obj, key) : NULL;
  gint64 x, y;

  *h = *w = def;
  if (!n)
    return TRUE;
  if (JSON_NODE_TYPE (n) == JSON_NODE_ARRAY) {
    JsonArray *arr = json_node_get_array (n);
    guint len = json_array_get_length (arr);
    if (len < 1 || len > 2 || !node_get_int (json_array_get_element (arr, 0),
            &x) || !node_get_int (json_array_get_element (arr, len - 1), &y))
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be [h, w]", what,
          key);
  } else if (node_get_int (n, &x)) {
    y = x;
  } else {
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be [h, w]", what, key);
  }
  if (x < min || x > max || y < min || y > max)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" out of range %d..%d",
        what, key, min, max);
  *h = x;
  *w = y;
  return TRUE;
}

const char *
ilgnet_json_get_string (JsonObject * obj, const char *key, const char *def)
{
  JsonNode *n = obj ? json_object_get_member (obj, key) : NULL;

  if (!n)
    return def;
  if (JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

gboolean
ilgnet_json_get_choice (JsonObject * obj, const char *key,
    const char *const *names, int def, int *out, const char *what,
    GError ** error)
{
  const char *s = ilgnet_json_get_string (obj, key, NULL);
  int i;

  *out = def;
  if (!obj || !json_object_has_member (obj, key))
    return TRUE;
  for (i = 0; s && names[i]; i++)
    if (g_strcmp0 (s, names[i]) == 0) {
      *out = i;
      return TRUE;
    }
  ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "%s: unknown %s \"%s\"", what, key,
      s ? s : "(not a string)");
}
