package dev.diffusion.jobs;

/** A finished image of a job: its index in the request, the seed that made it and the encoded PNG. */
public record JobImage(int index, long seed, byte[] png) {
}
