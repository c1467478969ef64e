package dev.diffusion.worker;

import dev.diffusion.image.ImageEncoder;
import dev.diffusion.image.PngEncoder;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Infotext;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.pipeline.GeneratedImage;
import java.util.Map;

/**
 * Finished images as files in the job's output format, with AUTOMATIC1111's infotext where A1111 puts it for that
 * format, so that tools that read A1111's pictures read ours too; previews as plain PNG.
 */
final class ImageOutput {

    private ImageOutput() {
    }

    static JobImage finished(GeneratedImage image, GenerationSpec spec) {
        ImageEncoder encoder = spec.output().format().encoder();
        return new JobImage(image.index(), image.seed(), encoder.mediaType(), encoder.encode(image.width(),
                image.height(), image.rgb(), Infotext.of(spec, image.seed()), spec.output().compression()));
    }

    static byte[] preview(GeneratedImage image) {
        return PngEncoder.encode(image.width(), image.height(), image.rgb(), Map.of());
    }
}
