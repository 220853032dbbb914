# ORC kernels of preprocess.c: the per-pixel work of turning packed 8-bit
# pixels into planar, mean-subtracted, scaled floats, and the weighted row
# accumulation of the resampler.  Compiled by orcc at build time; the
# committed preprocess-orc-dist.c/.h are used when orcc is missing.

.function ilgnet_orc_unpack_u8x4_f32
.dest 4 d0 float
.dest 4 d1 float
.dest 4 d2 float
.dest 4 d3 float
.source 4 s guint32
.floatparam 4 m0
.floatparam 4 m1
.floatparam 4 m2
.floatparam 4 m3
.floatparam 4 sc
.temp 2 lo
.temp 2 hi
.temp 1 b
.temp 2 w
.temp 4 l
.temp 4 f

splitlw hi, lo, s
select0wb b, lo
convubw w, b
convuwl l, w
convlf f, l
subf f, f, m0
mulf d0, f, sc
select1wb b, lo
convubw w, b
convuwl l, w
convlf f, l
subf f, f, m1
mulf d1, f, sc
select0wb b, hi
convubw w, b
convuwl l, w
convlf f, l
subf f, f, m2
mulf d2, f, sc
select1wb b, hi
convubw w, b
convuwl l, w
convlf f, l
subf f, f, m3
mulf d3, f, sc

.function ilgnet_orc_accumulate_f32
.dest 4 d float
.source 4 s float
.floatparam 4 w
.temp 4 t

mulf t, s, w
addf d, d, t
