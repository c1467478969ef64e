package dev.diffusion.pipeline;

/**
 * A prompt's text-encoder hidden states ({@code tokens × hiddenSize} floats), and the negative prompt's when
 * guidance needs the unconditional pass (else null). Shared by the images of one job; read-only.
 */
record TextConditioning(float[] conditional, float[] unconditional, int tokens, int hiddenSize) {

    boolean guided() {
        return unconditional != null;
    }
}
