/* edgec data-movement kernels: dtype-generic copies that work in element sizes (bytes).
 * Include after edgec_runtime.h. remap covers Slice, Pad, Tile, Expand, constant-index Gather and nearest Resize;
 * transpose covers Transpose, DepthToSpace and SpaceToDepth; copy2d covers Concat and Split; gather takes runtime indices.
 * Elements move through memcpy (fixed sizes where known), so no access breaks strict aliasing. */
#ifndef EDGEC_KERNELS_LAYOUT_H
#define EDGEC_KERNELS_LAYOUT_H

/* Largest rank the multi-axis kernels take (after the lowering merges axes). */
#define EDGEC_LAYOUT_MAX_RANK 8

/* Fill n elements of bsize bytes with *value (value NULL: zero bytes), by doubling copies. */
static EDGEC_UNUSED void edgec_fill_elems(void *dst, ptrdiff_t n, size_t bsize, const void *value) {
  unsigned char *d = (unsigned char *)dst;
  size_t total = (size_t)n * bsize, done = bsize;
  if (n <= 0) return;
  if (!value) {
    memset(d, 0, total);
    return;
  }
  memcpy(d, value, bsize);
  while (done < total) {
    size_t k = done < total - done ? done : total - done;
    memcpy(d + done, d, k);
    done += k;
  }
}

/* Copy rows of row_bytes between strided buffers (Concat inputs into place, Split outputs out of place). */
static EDGEC_UNUSED void edgec_copy2d(void *dst, ptrdiff_t dst_stride, const void *src, ptrdiff_t src_stride, ptrdiff_t rows,
                                      size_t row_bytes) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  ptrdiff_t r;
  if (dst_stride == (ptrdiff_t)row_bytes && src_stride == (ptrdiff_t)row_bytes) {
    memcpy(d, s, (size_t)rows * row_bytes);
    return;
  }
  for (r = 0; r < rows; r++) memcpy(d + r * dst_stride, s + r * src_stride, row_bytes);
}

/* Gather n elements of ES bytes at byte stride ist through index map m (inlined per constant ES). */
EDGEC_INLINE void edgec_gather_row(unsigned char *EDGEC_RESTRICT d, const unsigned char *EDGEC_RESTRICT s, ptrdiff_t n,
                                   const int32_t *m, ptrdiff_t ist, size_t ES) {
  ptrdiff_t j;
  for (j = 0; j < n; j++) memcpy(d + (size_t)j * ES, s + (ptrdiff_t)m[j] * ist, ES);
}

/* Copy n elements of ES bytes at byte stride ist (inlined per constant ES). */
EDGEC_INLINE void edgec_strided_row(unsigned char *EDGEC_RESTRICT d, const unsigned char *EDGEC_RESTRICT s, ptrdiff_t n,
                                    ptrdiff_t ist, size_t ES) {
  ptrdiff_t j;
  for (j = 0; j < n; j++) memcpy(d + (size_t)j * ES, s + j * ist, ES);
}

/* One output row of remap: n elements of es bytes from src row s along map m (NULL: identity; -1 entries: fill).
 * gather: the map has no -1 and short runs, so copy element by element; else copy maximal contiguous runs. */
static EDGEC_UNUSED void edgec_remap_row(unsigned char *EDGEC_RESTRICT d, const unsigned char *EDGEC_RESTRICT s, ptrdiff_t n,
                                         const int32_t *m, ptrdiff_t ist, size_t es, size_t bsize, const void *fill, int gather) {
  ptrdiff_t j, k;
  if (!m || gather) {
    if (!m && ist == (ptrdiff_t)es) {
      memcpy(d, s, (size_t)n * es);
      return;
    }
    switch (es) {
    case 1: if (m) edgec_gather_row(d, s, n, m, ist, 1); else edgec_strided_row(d, s, n, ist, 1); return;
    case 2: if (m) edgec_gather_row(d, s, n, m, ist, 2); else edgec_strided_row(d, s, n, ist, 2); return;
    case 4: if (m) edgec_gather_row(d, s, n, m, ist, 4); else edgec_strided_row(d, s, n, ist, 4); return;
    case 8: if (m) edgec_gather_row(d, s, n, m, ist, 8); else edgec_strided_row(d, s, n, ist, 8); return;
    default: if (m) edgec_gather_row(d, s, n, m, ist, es); else edgec_strided_row(d, s, n, ist, es); return;
    }
  }
  for (j = 0; j < n; j = k) {
    int32_t v = m[j];
    k = j + 1;
    if (v < 0) {
      while (k < n && m[k] < 0) k++;
      edgec_fill_elems(d + (size_t)j * es, (k - j) * (ptrdiff_t)(es / bsize), bsize, fill);
    } else {
      if (ist == (ptrdiff_t)es)
        while (k < n && m[k] == v + (k - j)) k++;
      memcpy(d + (size_t)j * es, s + (ptrdiff_t)v * ist, (size_t)(k - j) * es);
    }
  }
}

/* dst[j0..jr] = src[map0[j0]..mapr[jr]] over rank axes of output dims odims, input byte strides istrides.
 * maps holds every axis map back to back; moff[a] is axis a's offset in it (-1: identity). A -1 map entry
 * writes the fill element (bsize bytes, NULL: zeros). Elements are group * bsize bytes (trailing axes merged).
 * A row whose source equals the previous row's is copied from the previous output row. */
static EDGEC_UNUSED void edgec_remap(void *dst, const void *src, int rank, const ptrdiff_t *odims, const ptrdiff_t *istrides,
                                     const int32_t *maps, const ptrdiff_t *moff, size_t bsize, size_t group, const void *fill,
                                     int gather) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  size_t es = bsize * group;
  ptrdiff_t n = odims[rank - 1], rows = 1, r, prev = -2, idx[EDGEC_LAYOUT_MAX_RANK];
  const int32_t *im = moff[rank - 1] >= 0 ? maps + moff[rank - 1] : NULL;
  size_t row_bytes = (size_t)n * es;
  int a;
  for (a = 0; a < rank - 1; a++) {
    rows *= odims[a];
    idx[a] = 0;
  }
  for (r = 0; r < rows; r++) {
    unsigned char *drow = d + (size_t)r * row_bytes;
    ptrdiff_t off = 0;
    for (a = 0; a < rank - 1; a++) {
      ptrdiff_t v = moff[a] >= 0 ? (ptrdiff_t)maps[moff[a] + idx[a]] : idx[a];
      if (v < 0) {
        off = -1;
        break;
      }
      off += v * istrides[a];
    }
    if (off == prev) memcpy(drow, drow - row_bytes, row_bytes);
    else if (off < 0) edgec_fill_elems(drow, n * (ptrdiff_t)group, bsize, fill);
    else edgec_remap_row(drow, s + off, n, im, istrides[rank - 1], es, bsize, fill, gather);
    prev = off;
    for (a = rank - 2; a >= 0; a--) {
      if (++idx[a] < odims[a]) break;
      idx[a] = 0;
    }
  }
}

/* Tiled transpose of batch matrices of rows x cols elements of ES bytes into cols x rows (inlined per constant ES). */
EDGEC_INLINE void edgec_transpose2d_es(unsigned char *EDGEC_RESTRICT d, const unsigned char *EDGEC_RESTRICT s, ptrdiff_t batch,
                                       ptrdiff_t rows, ptrdiff_t cols, size_t ES) {
  const ptrdiff_t T = 16;
  ptrdiff_t b, i0, j0, i, j;
  for (b = 0; b < batch; b++) {
    const unsigned char *sb = s + (size_t)b * (size_t)(rows * cols) * ES;
    unsigned char *db = d + (size_t)b * (size_t)(rows * cols) * ES;
    for (i0 = 0; i0 < rows; i0 += T) {
      ptrdiff_t i1 = i0 + T < rows ? i0 + T : rows;
      for (j0 = 0; j0 < cols; j0 += T) {
        ptrdiff_t j1 = j0 + T < cols ? j0 + T : cols;
        for (j = j0; j < j1; j++)
          for (i = i0; i < i1; i++) memcpy(db + (size_t)(j * rows + i) * ES, sb + (size_t)(i * cols + j) * ES, ES);
      }
    }
  }
}

/* Batched 2-D transpose: src [batch][rows][cols] -> dst [batch][cols][rows], elements of es bytes. */
static EDGEC_UNUSED void edgec_transpose2d(void *dst, const void *src, ptrdiff_t batch, ptrdiff_t rows, ptrdiff_t cols, size_t es) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  switch (es) {
  case 1: edgec_transpose2d_es(d, s, batch, rows, cols, 1); break;
  case 2: edgec_transpose2d_es(d, s, batch, rows, cols, 2); break;
  case 4: edgec_transpose2d_es(d, s, batch, rows, cols, 4); break;
  case 8: edgec_transpose2d_es(d, s, batch, rows, cols, 8); break;
  default: edgec_transpose2d_es(d, s, batch, rows, cols, es); break;
  }
}

/* General transpose: output dims odims (rank <= EDGEC_LAYOUT_MAX_RANK), istrides[a] = input byte stride of output axis a. */
static EDGEC_UNUSED void edgec_transpose(void *dst, const void *src, int rank, const ptrdiff_t *odims, const ptrdiff_t *istrides,
                                         size_t es) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  ptrdiff_t n = odims[rank - 1], ist = istrides[rank - 1], rows = 1, r, off = 0, idx[EDGEC_LAYOUT_MAX_RANK];
  size_t row_bytes = (size_t)n * es;
  int a;
  for (a = 0; a < rank - 1; a++) {
    rows *= odims[a];
    idx[a] = 0;
  }
  for (r = 0; r < rows; r++) {
    edgec_remap_row(d + (size_t)r * row_bytes, s + off, n, NULL, ist, es, es, NULL, 1);
    for (a = rank - 2; a >= 0; a--) {
      off += istrides[a];
      if (++idx[a] < odims[a]) break;
      off -= istrides[a] * odims[a];
      idx[a] = 0;
    }
  }
}

/* Gather with runtime indices (int32 i32 or int64 i64, the other NULL): data viewed as [outer][dim][inner_bytes],
 * output [outer][n][inner_bytes]. Negative indices count from the end; out-of-range indices yield zeros. */
static EDGEC_UNUSED void edgec_gather(void *dst, const void *src, ptrdiff_t outer, ptrdiff_t dim, size_t inner_bytes,
                                      const int32_t *i32, const int64_t *i64, ptrdiff_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  ptrdiff_t o, j;
  for (o = 0; o < outer; o++)
    for (j = 0; j < n; j++) {
      int64_t i = i32 ? (int64_t)i32[j] : i64[j];
      unsigned char *dp = d + (size_t)(o * n + j) * inner_bytes;
      if (i < 0) i += dim;
      if (i < 0 || i >= dim) memset(dp, 0, inner_bytes);
      else memcpy(dp, s + (size_t)(o * dim + (ptrdiff_t)i) * inner_bytes, inner_bytes);
    }
}

#endif
