/* libilgnet — run ILGNet-style image quality networks on the CPU.
 *
 * ============================================================================
 * MODEL FILE FORMAT, version 1 (".ilgnet")
 * ============================================================================
 * One self-contained file per model.  It is mmap()ed; weights are used in
 * place, never parsed or copied at load.  All integers little-endian.
 *
 *   offset  size  field
 *   0       8     magic, the ASCII bytes "ILGNETMF"
 *   8       4     u32 format version (1)
 *   12      4     u32 flags (0; readers reject unknown bits)
 *   16      8     u64 header length H, in bytes
 *   24      H     UTF-8 JSON header (an object), right-padded with spaces so
 *                 that 24 + H is a multiple of 64
 *   24+H    D     data section: raw tensors.  D = header "data_size".
 *
 * The file size must be exactly 24 + H + D.  Every tensor starts at an
 * offset (relative to the data section) that is a multiple of 64, so SIMD
 * loads on the mapped weights are aligned.
 *
 * JSON header keys:
 *   "format": "ilgnet", "version": 1
 *   "name": model name shown to users ("ILGNet-AVA1", "ilgnet-compact-…")
 *   "architecture": "ilgnet" | "ilgnet-compact" | any other string
 *   "description", "provenance": free text (where the weights come from)
 *   "input": {
 *       "blob": "data",               name of the graph's input blob
 *       "shape": [C, H, W],           e.g. [3, 227, 227]
 *       "channel_order": "bgr"|"rgb", order of the planes the net expects
 *       "mean": [m0, m1, m2],         per-channel mean, in channel_order
 *       "scale": s,                   value = (pixel_0_255 - mean[c]) * scale
 *       "resize": "squash"|"center"|"letterbox"   the training-time choice
 *   }
 *   "output": { "blob": "loss1/loss", "high_index": 1 }
 *       the score is output[high_index] (a softmax probability of "high").
 *   "data_size": D
 *   "tensors": { NAME: { "dtype": "f32"|"f16"|"i8", "shape": [...],
 *                        "offset": O, "nbytes": B,
 *                        "scales": NAME2 } }          ("scales": i8 only)
 *       i8 tensors are quantized per output channel (dimension 0):
 *       value = q * scales[o], where NAME2 is an f32 tensor of shape [dim0].
 *   "layers": [ { "name": ..., "type": ..., "bottom": [...], "top": [...],
 *                 "blobs": [tensor names], "param": { ... } }, ... ]
 *       in execution order (a topological order); a top equal to its bottom
 *       is an in-place layer.  Types and their "param" keys / "blobs":
 *       Input        —  (shape comes from "input")
 *       Convolution  num_output, kernel [kh,kw], stride [sh,sw], pad [ph,pw],
 *                    dilation [dh,dw], group, bias_term;
 *                    blobs: weight [O, C/group, kh, kw], bias [O]
 *       InnerProduct num_output, bias_term, axis (1); weight [O, K], bias [O]
 *       Pooling      pool "max"|"ave", kernel, stride, pad, global (bool);
 *                    output size uses Caffe's ceil rounding, and the last
 *                    window must start inside the (unpadded-left) input
 *       LRN          local_size, alpha, beta, k, region "across"|"within"
 *       ReLU         negative_slope
 *       PReLU        channel_shared; blobs: slope [C] (or [1])
 *       Concat       axis (1)
 *       Softmax      axis (1)
 *       Dropout      — (identity at inference)
 *       BatchNorm    eps; blobs: mean [C], variance [C] (already divided by
 *                    Caffe's moving-average factor)
 *       Scale        bias_term; blobs: scale [C], bias [C]
 *       Eltwise      operation "sum"|"prod"|"max", coeff [..] (sum only)
 *       Flatten      — (a view: N x (C*H*W))
 *       TanH         —
 *       ROIAveragePooling  pooled [oh,ow], kernel, stride, ref [rh,rw]: an
 *                    AVE Pooling's windows scaled to a box of its input
 *                    (not Caffe's; made by ilgnet_box_session_new)
 *   (Each type is implemented, and its parameters read, in src/layer-*.c.)
 *   Unknown types, dangling bottoms, shape mismatches, out-of-range or
 *   overlapping tensors are rejected at load with an ILGNET_ERROR.
 * ============================================================================
 */
#ifndef ILGNET_H
#define ILGNET_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define ILGNET_FORMAT_MAGIC "ILGNETMF"
#define ILGNET_FORMAT_VERSION 1
#define ILGNET_TENSOR_ALIGN 64
/* The most crops ilgnet_multi_crops() returns. */
#define ILGNET_MAX_CROPS 16

#define ILGNET_ERROR (ilgnet_error_quark ())
GQuark ilgnet_error_quark (void);

typedef enum
{
  ILGNET_ERROR_IO,          /* cannot open, read or map a file */
  ILGNET_ERROR_FORMAT,      /* corrupt, truncated or inconsistent file */
  ILGNET_ERROR_UNSUPPORTED, /* unknown layer type, dtype, version */
  ILGNET_ERROR_SHAPE,       /* tensor or blob shapes do not fit */
  ILGNET_ERROR_ARGUMENT     /* bad argument from the caller */
} IlgnetError;

typedef struct _IlgnetModel IlgnetModel;
typedef struct _IlgnetSession IlgnetSession;

/* ---- Models --------------------------------------------------------------- */

/* Maps and validates a model file.  Returns NULL and sets @error (one line,
 * naming the file and what is wrong) on any problem; never aborts. */
IlgnetModel *ilgnet_model_open (const char *path, GError **error);
IlgnetModel *ilgnet_model_ref (IlgnetModel *model);
void ilgnet_model_unref (IlgnetModel *model);

/* What the network expects as input (from the header's "input"). */
typedef struct
{
  int channels, height, width;
  gboolean bgr;   /* planes in B,G,R order (else R,G,B) */
  float mean[3];  /* in plane order */
  float scale;
} IlgnetInputSpec;

const IlgnetInputSpec *ilgnet_model_get_input_spec (const IlgnetModel *model);
const char *ilgnet_model_get_name (const IlgnetModel *model);
/* Any string field of the JSON header ("architecture", "description",
 * "provenance", ...), or NULL. */
const char *ilgnet_model_get_field (const IlgnetModel *model, const char *key);
/* Number of weight values (all tensors, scales excluded). */
guint64 ilgnet_model_get_n_params (const IlgnetModel *model);
/* Bytes of the mapped file. */
gsize ilgnet_model_get_file_size (const IlgnetModel *model);

/* The model used when none is named: $ILGNET_MODEL if set, else the default
 * model of the build tree, else the installed one.  Newly allocated path, or
 * NULL (with @error) when none exists. */
char *ilgnet_default_model_path (GError **error);

/* ---- Sessions: an activation arena + a batch size --------------------------- */

/* Convolutions run on OpenBLAS, which the library loads itself on first use
 * (libopenblas.so.0) so that it can ask for its AVX-512 kernels on CPUs that
 * have them; ILGNET_BLAS_CORETYPE=<OpenBLAS core name> picks another set,
 * ILGNET_BLAS_CORETYPE=default leaves the choice to OpenBLAS.  It is loaded
 * when the program (or plugin) containing libilgnet is, else by the first
 * ilgnet_model_open(), so these variables must be set before that.  The f16/i8
 * fully-connected kernels use AVX-512 or AVX2+F16C when the CPU has them
 * (ILGNET_SIMD=avx2|none forces a narrower version, for tests).  Convolutions
 * with i8 weights compute in int8 with AVX-512 VNNI, AVX-512BW, AVX-VNNI or
 * AVX2, the best the CPU has, else in fp32 (ILGNET_SIMD=avx512|avxvnni|avx2
 * caps it, and ILGNET_SIMD=none runs a portable C int8 kernel; for tests). */

/* One session per thread.  @batch >= 1 images per run; @threads <= 0 means
 * all cores.  The arena is sized here, once. */
IlgnetSession *ilgnet_session_new (IlgnetModel *model, int batch, int threads,
    GError **error);
void ilgnet_session_free (IlgnetSession *session);

typedef enum
{
  /* Give every blob its own memory so that ilgnet_session_get_blob() works
   * for all blobs after a run (by default, memory of blobs no longer needed
   * is reused and only the input, the output and blobs not overwritten can
   * be read back).  For debugging and parity tests. */
  ILGNET_SESSION_KEEP_BLOBS = 1 << 0
} IlgnetSessionFlags;

/* ilgnet_session_new() with @flags. */
IlgnetSession *ilgnet_session_new_full (IlgnetModel *model, int batch,
    int threads, IlgnetSessionFlags flags, GError **error);
/* The session's model (not a new reference). */
IlgnetModel *ilgnet_session_get_model (const IlgnetSession *session);
int ilgnet_session_get_batch (const IlgnetSession *session);

/* The planar float input, batch x C x H x W, to fill before a run. */
float *ilgnet_session_get_input (IlgnetSession *session);
/* Runs the first @n (1..batch) images of the input. */
gboolean ilgnet_session_run (IlgnetSession *session, int n, GError **error);
/* P(high quality) of image @i after a run. */
float ilgnet_session_get_score (const IlgnetSession *session, int i);
/* A blob's values after a run (NCHW, N = batch; in-place layers leave their
 * final value), its shape in @shape (N, C, H, W; 1 for missing dims).  NULL
 * with @error for an unknown name. */
const float *ilgnet_session_get_blob (IlgnetSession *session, const char *name,
    int shape[4], GError **error);

/* Per-layer timing of the last run, when enabled (for ilgnet-bench). */
void ilgnet_session_set_profiling (IlgnetSession *session, gboolean enable);
/* Calls @func for each layer of the last run with its accumulated time. */
typedef void (*IlgnetProfileFunc) (const char *layer, const char *type,
    double ms, gpointer user_data);
void ilgnet_session_foreach_profile (const IlgnetSession *session,
    IlgnetProfileFunc func, gpointer user_data);
/* The same, also naming the kernel that ran the layer ("im2col-gemm",
 * "gemv-f16", ...) and the layer's floating-point operations per image. */
typedef void (*IlgnetKernelProfileFunc) (const char *layer, const char *type,
    const char *kernel, guint64 flops, double ms, gpointer user_data);
void ilgnet_session_foreach_kernel_profile (const IlgnetSession *session,
    IlgnetKernelProfileFunc func, gpointer user_data);

/* ---- Preprocessing ------------------------------------------------------------ */

typedef enum
{
  ILGNET_PIXEL_RGB,   /* packed 8-bit, 3 bytes a pixel */
  ILGNET_PIXEL_BGR,
  ILGNET_PIXEL_RGBX,  /* 4 bytes a pixel; X ignored (also RGBA) */
  ILGNET_PIXEL_BGRX,  /* also BGRA */
  ILGNET_PIXEL_XRGB,  /* also ARGB */
  ILGNET_PIXEL_XBGR   /* also ABGR */
} IlgnetPixelFormat;

typedef enum
{
  ILGNET_RESIZE_SQUASH,    /* whole region scaled to the input size */
  ILGNET_RESIZE_CENTER,    /* shortest side scaled, centre cropped */
  ILGNET_RESIZE_LETTERBOX, /* whole region, aspect kept, padded with mean */
  ILGNET_RESIZE_MULTI      /* several crops scored (ilgnet_multi_crops) */
} IlgnetResize;

typedef struct
{
  int x, y, width, height;
} IlgnetRect;

/* The resize mode the model was trained with (header "input" "resize";
 * SQUASH when absent). */
IlgnetResize ilgnet_model_get_resize (const IlgnetModel *model);

typedef struct
{
  const guint8 *data;
  int width, height;
  int stride;               /* bytes from one row to the next */
  IlgnetPixelFormat format;
} IlgnetImage;

/* Writes one C x H x W input for @spec from the @roi of @image (NULL: all of
 * it), resized per @mode (SQUASH, CENTER or LETTERBOX; MULTI is an error).
 * Downscaling averages the source pixels each output pixel covers (no
 * aliasing); upscaling is bilinear. */
gboolean ilgnet_preprocess (const IlgnetInputSpec *spec,
    const IlgnetImage *image, const IlgnetRect *roi, IlgnetResize mode,
    float *dst, GError **error);

/* The candidate crops of an image scored in ILGNET_RESIZE_MULTI mode: the
 * whole frame first, then crops of other sizes and positions.  Returns how
 * many (<= @max, <= ILGNET_MAX_CROPS). */
int ilgnet_multi_crops (int width, int height, IlgnetRect *rects, int max);

/* Scores one image: preprocesses per @mode (MULTI scores every candidate
 * crop, in batches of the session's size) and runs the net.  @score gets
 * the whole-image score for SQUASH/CENTER/LETTERBOX and the best crop's for
 * MULTI; @best (optional) the rectangle that score belongs to. */
gboolean ilgnet_score_image (IlgnetSession *session, const IlgnetImage *image,
    IlgnetResize mode, float *score, IlgnetRect *best, GError **error);

/* Scores every candidate crop of ILGNET_RESIZE_MULTI, not only the best:
 * for callers that choose among them themselves (e.g. to hold a crop
 * steady over video frames).  Fills @rects with the first @max candidates
 * of ilgnet_multi_crops() and @scores with each one's score (the crop
 * squashed to the input size, as ilgnet_score_image() does; in batches of
 * the session's size).  Returns how many (the same count as
 * ilgnet_multi_crops (width, height, rects, @max)), or -1 with @error. */
int ilgnet_score_crops (IlgnetSession *session, const IlgnetImage *image,
    IlgnetRect *rects, float *scores, int max, GError **error);

/* ---- One pass, many boxes ------------------------------------------------------ */

/* How many ilgnet_frame_anchors() returns at most, and how many of them
 * make its coarse grid. */
#define ILGNET_N_ANCHORS 276
#define ILGNET_N_COARSE_ANCHORS 55

/* Candidate crops of a frame for ilgnet_score_boxes(): the whole frame
 * first, then GAIC-style anchors keeping its aspect, 11 sizes from 1/2 to
 * 11/12 of each side (steps of 1/24) at 5 x 5 positions.  The first
 * ILGNET_N_COARSE_ANCHORS are a coarse grid of them (the whole frame, 6
 * sizes in steps of 1/12 at 3 x 3 positions): pass that as @max where
 * each box costs a pass of the heads (ilgnet_model_box_anchors()).
 * Returns how many (<= @max, <= ILGNET_N_ANCHORS). */
int ilgnet_frame_anchors (int width, int height, IlgnetRect *rects, int max);

/* How many of ilgnet_frame_anchors() to score with @model: all
 * (ILGNET_N_ANCHORS) when its framing map scores boxes without their own
 * heads (as the default model's: a box then costs a few thousand
 * multiply-adds), else the coarse grid's ILGNET_N_COARSE_ANCHORS (each box
 * a pass of the heads, and a session image of memory). */
int ilgnet_model_box_anchors (const IlgnetModel *model);

/* A session that scores up to @max_boxes boxes of a @width x @height frame
 * from ONE pass of the network's trunk: @model reopened with its input at
 * the frame's aspect (the shorter side at the model's own size; 227 x 404
 * for 640 x 360) and its unpadded AVE Pooling heads replaced by
 * ROIAveragePooling layers of the same windows, scaled to each box.  For
 * the whole frame at the model's own input size that is the model itself.
 * Fails (UNSUPPORTED) for models without such heads.  Free with
 * ilgnet_session_free(); ilgnet_session_get_blob() reads the shared
 * trunk's maps as image 0. */
IlgnetSession *ilgnet_box_session_new (IlgnetModel *model, int width,
    int height, int max_boxes, int threads, IlgnetSessionFlags flags,
    GError **error);

/* TRUE when @model carries a framing map (see ilgnet_score_boxes()): its
 * one-pass box scores judge what each box discards, not only what it
 * holds. */
gboolean ilgnet_model_has_framing (const IlgnetModel *model);

/* Scores @n (<= the session's max_boxes) boxes of @image in one pass: the
 * image squashed to the session's input, the trunk run once, every box's
 * heads run on its pooled maps.  @scores gets n values, P(high) as
 * ilgnet_session_get_score().  Boxes must lie inside the image.
 *
 * A model with a framing map (a side output named "framing/cells": what
 * each cell of the trunk's grid adds to the
 * picture and where a frame's edge belongs) scores each box relative to
 * the whole frame instead: the whole frame's score plus what the box keeps
 * and discards of the map (src/framing-term.c), so a box scores above the
 * whole frame when cutting its surroundings improves the framing.  The
 * whole frame's own score is the model's.  When the map weighs the boxes'
 * own heads by 0 (the default model's), only the whole frame's heads run:
 * the trunk is then the whole cost, however many boxes. */
gboolean ilgnet_score_boxes (IlgnetSession *session, const IlgnetImage *image,
    const IlgnetRect *boxes, int n, float *scores, GError **error);

G_END_DECLS

#endif /* ILGNET_H */
