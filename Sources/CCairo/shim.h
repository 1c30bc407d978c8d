#ifndef TRANSFORMER_EXPLORER_CCAIRO_SHIM_H
#define TRANSFORMER_EXPLORER_CCAIRO_SHIM_H
#include <cairo/cairo.h>
#include <cairo/cairo-svg.h>
#include <cairo/cairo-pdf.h>
/* Pango over Cairo: text layout with per-character font fallback (Latin, CJK, emoji), shaping and
   measurement. Cairo's toy text API drew each string in one font. */
#include <pango/pangocairo.h>
/* zlib: checksums for the PNG encoder (Sources/Figures/PNGEncoder.swift). Cairo's PNG support already
   pulls it in (libcairo2-dev → libpng-dev → zlib1g-dev). */
#include <zlib.h>
#endif
