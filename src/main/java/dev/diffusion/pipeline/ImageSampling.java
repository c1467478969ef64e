package dev.diffusion.pipeline;

import dev.diffusion.scheduler.NoiseSource;
import dev.diffusion.scheduler.Scheduler;

/**
 * The denoising state of one image: its own scheduler, seeded noise, latents and conditioning rows. Nothing here is shared
 * with other images, so images of different jobs can be stepped together in one UNet call and still come out as
 * they would alone.
 */
public final class ImageSampling {

    private final int index;
    private final long seed;
    private final Scheduler scheduler;
    private final NoiseSource noise;
    private final double[] timesteps;
    private final Conditioning conditioning;
    private final double guidanceScale;
    private final double guidanceRescale;
    private final long[] latentShape;
    /** Inpainting's mask and known latents; null for the whole picture. */
    private final LatentInpainting inpainting;
    private double[] latents;
    private int position;

    ImageSampling(int index, long seed, Scheduler scheduler, NoiseSource noise, double[] timesteps,
            long[] latentShape, double[] startLatents, Conditioning conditioning, double guidanceScale,
            double guidanceRescale, LatentInpainting inpainting) {
        this.index = index;
        this.seed = seed;
        this.scheduler = scheduler;
        this.noise = noise;
        this.timesteps = timesteps;
        this.latentShape = latentShape;
        this.latents = startLatents;
        this.conditioning = conditioning;
        this.guidanceScale = guidanceScale;
        this.guidanceRescale = guidanceRescale;
        this.inpainting = inpainting;
    }

    public int index() {
        return index;
    }

    public long seed() {
        return seed;
    }

    /** {@code [channels, height, width]}: only images of the same latent shape can share a UNet call. */
    public long[] latentShape() {
        return latentShape.clone();
    }

    public boolean done() {
        return position >= timesteps.length;
    }

    public int stepsDone() {
        return position;
    }

    public int totalSteps() {
        return timesteps.length;
    }

    /** Rows this image adds to a UNet call: unconditional and conditional with guidance, else conditional only. */
    int rows() {
        return conditioning.guided() ? 2 : 1;
    }

    Conditioning conditioning() {
        return conditioning;
    }

    double currentTimestep() {
        return timesteps[position];
    }

    /** This image's UNet input row: its scaled latents (and an inpainting UNet's mask and masked image). */
    double[] modelInput() {
        double[] scaled = scheduler.scaleModelInput(latents, currentTimestep());
        return inpainting == null ? scaled : inpainting.unetInput(scaled);
    }

    double[] latents() {
        return latents;
    }

    /** Applies guidance to this image's rows of the UNet output and takes the scheduler step. */
    void advance(float[] unetOutput, int firstRow, int rowLength) {
        double[] prediction = conditioning.guided()
                ? Guidance.combine(unetOutput, firstRow * rowLength, (firstRow + 1) * rowLength, rowLength,
                        guidanceScale, guidanceRescale)
                : Guidance.single(unetOutput, firstRow * rowLength, rowLength);
        latents = scheduler.step(prediction, currentTimestep(), latents, noise);
        if (inpainting != null) {
            latents = inpainting.afterStep(latents, scheduler, timesteps, position);
        }
        position++;
        for (double v : latents) {
            if (!Double.isFinite(v)) {
                throw new GenerationException("the model's output became NaN or infinite at step " + position
                        + " of " + timesteps.length + " (seed " + seed + ")");
            }
        }
    }
}
