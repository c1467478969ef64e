package dev.diffusion.pipeline;

/** One finished image: packed 8-bit RGB, row-major, and the seed that made it. */
public record GeneratedImage(int index, long seed, int width, int height, byte[] rgb) {
}
