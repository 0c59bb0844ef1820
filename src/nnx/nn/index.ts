/** Layers, initialisers and activations (Flax's nnx.nn). */
export * as initializers from "./initializers.js";
export type { Initializer } from "./initializers.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Conv, type ConvOptions, type ConvPadding } from "./conv.js";
export { BatchNorm, LayerNorm, type BatchNormOptions, type LayerNormOptions } from "./normalization.js";
export { Dropout, type DropoutOptions, type DropoutRngs } from "./dropout.js";
export { Embed, type EmbedOptions } from "./embed.js";
export * from "./activations.js";
