/* GStreamer ILGNet element: the score file's records (JSON lines, CSV,
 * WebVTT).  Formatting only: the records are written by the score file's
 * own thread (gstilgnetscorefile.c), never here, so that formatting a score
 * can never wait on the disk.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "gstilgnetsidecar.h"

/* A cue with no known end lasts this long. */
#define ILGNET_SIDECAR_MIN_CUE (40 * GST_MSECOND)

struct _GstIlgnetSidecar
{
  gchar *model;
  GstIlgnetSidecarFormat format;

  /* WebVTT: a cue is written once the next result tells where it ends. */
  gboolean have_cue;
  GstIlgnetResult cue;
  gboolean cue_crop;
  GstClockTime cue_start;
  guint n_cues;
};

static GstClockTime
result_time (const GstIlgnetResult * r)
{
  /* Stream time is what a player's position shows. */
  return GST_CLOCK_TIME_IS_VALID (r->stream_time) ? r->stream_time : r->pts;
}

static gchar *
wallclock_now (void)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *s = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  g_date_time_unref (now);
  return s;
}

GstIlgnetSidecar *
gst_ilgnet_sidecar_new (GstIlgnetSidecarFormat format, const gchar * model)
{
  GstIlgnetSidecar *sidecar = g_new0 (GstIlgnetSidecar, 1);

  sidecar->model = g_strdup (model ? model : "");
  sidecar->format = format;
  return sidecar;
}

const gchar *
gst_ilgnet_sidecar_header (GstIlgnetSidecar * sidecar)
{
  switch (sidecar->format) {
    case GST_ILGNET_SIDECAR_CSV:
      return "frame,pts,stream_time,running_time,time,score,crop_x,crop_y,"
          "crop_width,crop_height,frame_score,keep_framing,crop_zoom,"
          "crop_offset_x,crop_offset_y,model,wallclock\n";
    case GST_ILGNET_SIDECAR_WEBVTT:
      return "WEBVTT\n";
    case GST_ILGNET_SIDECAR_JSONL:
      break;
  }
  return NULL;
}

static void
json_add_time (JsonBuilder * b, const gchar * name, GstClockTime t)
{
  json_builder_set_member_name (b, name);
  if (GST_CLOCK_TIME_IS_VALID (t))
    json_builder_add_int_value (b, (gint64) t);
  else
    json_builder_add_null_value (b);
}

/* Four decimals are a tenth of a pixel at 8k; and JSON written with
 * every digit (0.41670000000000001) is noise to read. */
static gdouble
round4 (gdouble v)
{
  return round (v * 1e4) / 1e4 + 0.0;     /* + 0.0: no "-0.0000" */
}

static gchar *
format_jsonl (GstIlgnetSidecar * sidecar, const GstIlgnetResult * r,
    gboolean with_crop)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen;
  JsonNode *root;
  gchar *line, *record, *wall;
  GstClockTime t = result_time (r);
  gdouble zoom, dx, dy;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "frame");
  json_builder_add_int_value (b, (gint64) r->frame);
  json_add_time (b, "pts", r->pts);
  json_add_time (b, "stream_time", r->stream_time);
  json_add_time (b, "running_time", r->running_time);
  json_builder_set_member_name (b, "time");
  if (GST_CLOCK_TIME_IS_VALID (t))
    json_builder_add_double_value (b, (gdouble) t / GST_SECOND);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "score");
  json_builder_add_double_value (b, r->score);
  if (with_crop) {
    json_builder_set_member_name (b, "crop");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "x");
    json_builder_add_int_value (b, r->rect.x);
    json_builder_set_member_name (b, "y");
    json_builder_add_int_value (b, r->rect.y);
    json_builder_set_member_name (b, "width");
    json_builder_add_int_value (b, r->rect.w);
    json_builder_set_member_name (b, "height");
    json_builder_add_int_value (b, r->rect.h);
    json_builder_end_object (b);
    /* "score" is the crop's; this is the frame as it is. */
    json_builder_set_member_name (b, "frame_score");
    json_builder_add_double_value (b, r->frame_score);
    json_builder_set_member_name (b, "keep_framing");
    json_builder_add_boolean_value (b, r->keep_framing);
    gst_ilgnet_result_advice (r, &zoom, &dx, &dy);
    json_builder_set_member_name (b, "crop_zoom");
    json_builder_add_double_value (b, round4 (zoom));
    json_builder_set_member_name (b, "crop_offset_x");
    json_builder_add_double_value (b, round4 (dx));
    json_builder_set_member_name (b, "crop_offset_y");
    json_builder_add_double_value (b, round4 (dy));
  }
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, sidecar->model);
  wall = wallclock_now ();
  json_builder_set_member_name (b, "wallclock");
  json_builder_add_string_value (b, wall);
  g_free (wall);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  line = json_generator_to_data (gen, NULL);
  record = g_strconcat (line, "\n", NULL);
  g_free (line);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return record;
}

static void
csv_time (GString * s, GstClockTime t)
{
  if (GST_CLOCK_TIME_IS_VALID (t))
    g_string_append_printf (s, "%" G_GUINT64_FORMAT, t);
  g_string_append_c (s, ',');
}

static gchar *
format_csv (GstIlgnetSidecar * sidecar, const GstIlgnetResult * r,
    gboolean with_crop)
{
  GString *s = g_string_new (NULL);
  GstClockTime t = result_time (r);
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];
  gchar *wall, *model, **parts;
  gdouble zoom, dx, dy;

  g_string_append_printf (s, "%" G_GUINT64_FORMAT ",", r->frame);
  csv_time (s, r->pts);
  csv_time (s, r->stream_time);
  csv_time (s, r->running_time);
  if (GST_CLOCK_TIME_IS_VALID (t))
    g_string_append (s, g_ascii_formatd (num, sizeof (num), "%.6f",
            (gdouble) t / GST_SECOND));
  g_string_append_c (s, ',');
  /* Locale-independent: a decimal comma would break the columns. */
  g_string_append (s, g_ascii_formatd (num, sizeof (num), "%.6f", r->score));
  if (with_crop) {
    g_string_append_printf (s, ",%d,%d,%d,%d,", r->rect.x, r->rect.y,
        r->rect.w, r->rect.h);
    /* As in JSON lines: "score" is the crop's, this the frame's as it is. */
    g_string_append (s, g_ascii_formatd (num, sizeof (num), "%.6f",
            r->frame_score));
    g_string_append (s, r->keep_framing ? ",true" : ",false");
    gst_ilgnet_result_advice (r, &zoom, &dx, &dy);
    g_string_append_c (s, ',');
    g_string_append (s, g_ascii_formatd (num, sizeof (num), "%.4f",
            round4 (zoom)));
    g_string_append_c (s, ',');
    g_string_append (s, g_ascii_formatd (num, sizeof (num), "%.4f",
            round4 (dx)));
    g_string_append_c (s, ',');
    g_string_append (s, g_ascii_formatd (num, sizeof (num), "%.4f",
            round4 (dy)));
  } else {
    g_string_append (s, ",,,,,,,,,");
  }
  /* Quoted, with quotes doubled, since names are free text. */
  parts = g_strsplit (sidecar->model, "\"", -1);
  model = g_strjoinv ("\"\"", parts);
  g_strfreev (parts);
  wall = wallclock_now ();
  g_string_append_printf (s, ",\"%s\",%s\n", model, wall);
  g_free (wall);
  g_free (model);
  return g_string_free (s, FALSE);
}

static void
vtt_time (gchar * buf, gsize size, GstClockTime t)
{
  guint64 ms = t / GST_MSECOND;

  g_snprintf (buf, size, "%02" G_GUINT64_FORMAT ":%02u:%02u.%03u",
      ms / 3600000, (guint) (ms / 60000 % 60), (guint) (ms / 1000 % 60),
      (guint) (ms % 1000));
}

/* A cue is one record of several lines, written whole. */
static gchar *
format_cue (GstIlgnetSidecar * sidecar, GstClockTime end)
{
  const GstIlgnetResult *r = &sidecar->cue;
  gchar from[32], to[32], num[G_ASCII_DTOSTR_BUF_SIZE];
  gchar *record;

  /* Cue times have millisecond resolution; an empty cue is invalid. */
  if (end / GST_MSECOND <= sidecar->cue_start / GST_MSECOND)
    end = sidecar->cue_start + GST_MSECOND;
  vtt_time (from, sizeof (from), sidecar->cue_start);
  vtt_time (to, sizeof (to), end);
  g_ascii_formatd (num, sizeof (num), "%.3f", r->score);
  if (sidecar->cue_crop)
    record = g_strdup_printf ("\n%u\n%s --> %s\nscore %s\n"
        "crop %d,%d %dx%d\n", ++sidecar->n_cues, from, to, num, r->rect.x,
        r->rect.y, r->rect.w, r->rect.h);
  else
    record = g_strdup_printf ("\n%u\n%s --> %s\nscore %s\n",
        ++sidecar->n_cues, from, to, num);
  sidecar->have_cue = FALSE;
  return record;
}

static gchar *
format_webvtt (GstIlgnetSidecar * sidecar, const GstIlgnetResult * r,
    gboolean with_crop)
{
  GstClockTime start = result_time (r);
  gchar *record = NULL;

  if (!GST_CLOCK_TIME_IS_VALID (start))
    return NULL;                /* nowhere to put it */

  if (sidecar->have_cue) {
    /* Cues must start in increasing order: after a seek backwards, the
     * later results cannot be written. */
    if (start / GST_MSECOND <= sidecar->cue_start / GST_MSECOND)
      return NULL;
    record = format_cue (sidecar, start);
  } else if (sidecar->n_cues > 0 && start <= sidecar->cue_start) {
    return NULL;
  }

  sidecar->cue = *r;
  sidecar->cue_crop = with_crop;
  sidecar->cue_start = start;
  sidecar->have_cue = TRUE;
  return record;
}

gchar *
gst_ilgnet_sidecar_format (GstIlgnetSidecar * sidecar,
    const GstIlgnetResult * result, gboolean with_crop)
{
  switch (sidecar->format) {
    case GST_ILGNET_SIDECAR_JSONL:
      return format_jsonl (sidecar, result, with_crop);
    case GST_ILGNET_SIDECAR_CSV:
      return format_csv (sidecar, result, with_crop);
    case GST_ILGNET_SIDECAR_WEBVTT:
      return format_webvtt (sidecar, result, with_crop);
  }
  g_assert_not_reached ();
  return NULL;
}

gchar *
gst_ilgnet_sidecar_finish (GstIlgnetSidecar * sidecar, GstClockTime end)
{
  GstClockTime cue_end = end;

  if (!sidecar->have_cue)
    return NULL;

  if (!GST_CLOCK_TIME_IS_VALID (cue_end) || cue_end <= sidecar->cue_start) {
    GstClockTime d = sidecar->cue.duration;
    cue_end = sidecar->cue_start + (GST_CLOCK_TIME_IS_VALID (d) && d > 0 ?
        d : ILGNET_SIDECAR_MIN_CUE);
  }
  return format_cue (sidecar, cue_end);
}

void
gst_ilgnet_sidecar_free (GstIlgnetSidecar * sidecar)
{
  if (!sidecar)
    return;
  g_free (sidecar->model);
  g_free (sidecar);
}
