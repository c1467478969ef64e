package dev.diffusion.jobs;

/**
 * A finished image of a job: its index in the request, the seed that made it, and the encoded file with its media
 * type (such as {@code image/png}).
 */
public record JobImage(int index, long seed, String mediaType, byte[] data) {
}
