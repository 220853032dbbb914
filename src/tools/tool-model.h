/* What ilgnet-score and ilgnet-bench share: the options that choose the
 * model and its session (-m/--model, -b/--batch, -t/--threads) and opening
 * the model they name. */
#ifndef ILGNET_TOOL_MODEL_H
#define ILGNET_TOOL_MODEL_H

#include "ilgnet.h"

typedef struct
{
  gchar *model;                 /* NULL: the default model */
  gint batch;                   /* images per run, at least 1 */
  gint threads;                 /* 0: all cores */
} ToolModelOptions;

/* Adds the options to @ctx's main group; they are read into @o, which
 * must outlive the parsing.  Sets @o's defaults (batch 1, all cores). */
void tool_model_options_add (GOptionContext * ctx, ToolModelOptions * o);

/* After parsing: checks --batch, then opens --model or the default model
 * (ilgnet_default_model_path()). */
IlgnetModel *tool_model_options_open (const ToolModelOptions * o,
    GError ** error);

#endif
