// The ggml tensor types by id, as llama.cpp numbers and names them (ggml.h `enum ggml_type`,
// block layouts in ggml-common.h): the one TS table of type names and sizes. Ids 4, 5 (the removed
// q4_2/q4_3) and 31-33, 36-38 (removed q4_0_4_4 … interleaved layouts) are not defined.

export interface GgmlType {
  /** Name as llama.cpp prints it ('q4_K', 'f16', …). */
  readonly name: string;
  /** Elements per block (1 for plain number types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

const t = (name: string, blockSize: number, typeSize: number): GgmlType => ({ name, blockSize, typeSize });

/** ggml type id -> name and block layout. */
export const GGML_TYPES: Readonly<Record<number, GgmlType>> = {
  0: t('f32', 1, 4),
  1: t('f16', 1, 2),
  2: t('q4_0', 32, 18),
  3: t('q4_1', 32, 20),
  6: t('q5_0', 32, 22),
  7: t('q5_1', 32, 24),
  8: t('q8_0', 32, 34),
  9: t('q8_1', 32, 36),
  10: t('q2_K', 256, 84),
  11: t('q3_K', 256, 110),
  12: t('q4_K', 256, 144),
  13: t('q5_K', 256, 176),
  14: t('q6_K', 256, 210),
  15: t('q8_K', 256, 292),
  16: t('iq2_xxs', 256, 66),
  17: t('iq2_xs', 256, 74),
  18: t('iq3_xxs', 256, 98),
  19: t('iq1_s', 256, 50),
  20: t('iq4_nl', 32, 18),
  21: t('iq3_s', 256, 110),
  22: t('iq2_s', 256, 82),
  23: t('iq4_xs', 256, 136),
  24: t('i8', 1, 1),
  25: t('i16', 1, 2),
  26: t('i32', 1, 4),
  27: t('i64', 1, 8),
  28: t('f64', 1, 8),
  29: t('iq1_m', 256, 56),
  30: t('bf16', 1, 2),
  34: t('tq1_0', 256, 54),
  35: t('tq2_0', 256, 66),
  39: t('mxfp4', 32, 17),
};

/** The type's name, or 'type<N>' for an id ggml does not define. */
export function ggmlTypeName(id: number): string {
  return GGML_TYPES[id]?.name ?? `type${id}`;
}

/** Bytes of `elements` values of type `id`; null when the type is unknown or the count is not a
 *  whole number of blocks. */
export function ggmlBytes(id: number, elements: number): number | null {
  const ty = GGML_TYPES[id];
  if (!ty || elements % ty.blockSize !== 0) return null;
  return (elements / ty.blockSize) * ty.typeSize;
}
