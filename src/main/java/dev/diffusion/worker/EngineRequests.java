package dev.diffusion.worker;

import dev.diffusion.image.CropRegion;
import dev.diffusion.image.ImageDecoder;
import dev.diffusion.image.Mask;
import dev.diffusion.image.MaskedFill;
import dev.diffusion.image.OutpaintCanvas;
import dev.diffusion.image.Overlay;
import dev.diffusion.image.RgbImage;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.MaskedStart;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Turns a job's spec into the engine's request: the one place where the job format meets the engine's. For
 * inpainting it also prepares the pictures as diffusers' and AUTOMATIC1111's pipelines do before the engine runs
 * (mask read, inverted, resized with the init image, outpainting canvas, blur, "only masked" crop, fill) and says
 * what becomes of the engine's images after it (the overlay on the input, the crop pasted back).
 */
final class EngineRequests {

    private final long maxInitImagePixels;

    /** @param maxInitImagePixels the largest init image, by its header, that is decoded at all */
    EngineRequests(long maxInitImagePixels) {
        this.maxInitImagePixels = maxInitImagePixels;
    }

    /**
     * The engine's request and what to do with each of its images before they are the job's.
     *
     * @param finish the identity, or for inpainting the overlay of the generated picture on the input
     */
    record Prepared(GenerationRequest request, UnaryOperator<GeneratedImage> finish) {
    }

    /**
     * @throws IllegalArgumentException when the spec cannot be run: its init image or mask is gone or unreadable
     */
    Prepared of(GenerationSpec spec) {
        if (!spec.imageToImage()) {
            return new Prepared(request(spec, null, 1, null, MaskedStart.IMAGE), UnaryOperator.identity());
        }
        byte[] file = spec.initImage().file();
        if (file == null) {
            throw new IllegalArgumentException("the job's init image is no longer held");
        }
        if (spec.inpainting()) {
            return inpainting(spec, file, spec.initImage().inpainting());
        }
        byte[] initImage = decode("init_image", () -> ImageDecoder.decodeRgb(file, spec.width(), spec.height(),
                maxInitImagePixels));
        return new Prepared(request(spec, initImage, spec.initImage().strength(), null, MaskedStart.IMAGE),
                UnaryOperator.identity());
    }

    private Prepared inpainting(GenerationSpec spec, byte[] file, GenerationSpec.Inpainting settings) {
        GenerationSpec.Outpaint outpaint = settings.outpaint();
        int width = spec.width();
        int height = spec.height();
        int innerWidth = outpaint == null ? width : width - outpaint.left() - outpaint.right();
        int innerHeight = outpaint == null ? height : height - outpaint.up() - outpaint.down();
        RgbImage picture = new RgbImage(innerWidth, innerHeight, decode("init_image",
                () -> ImageDecoder.decodeRgb(file, innerWidth, innerHeight, maxInitImagePixels)));
        Mask mask = settings.mask() == null ? null : userMask(file, settings, innerWidth, innerHeight);
        Mask border = null;
        if (outpaint != null) {
            OutpaintCanvas canvas = OutpaintCanvas.extend(picture, mask, outpaint.left(), outpaint.right(),
                    outpaint.up(), outpaint.down(), outpaint.fill() == GenerationSpec.OutpaintFill.NOISE
                            ? OutpaintCanvas.Fill.NOISE : OutpaintCanvas.Fill.EDGE, spec.seed());
            picture = canvas.image();
            mask = canvas.mask();
            border = canvas.border();
        }
        Mask blurred = mask.blurred(settings.maskBlur());
        if (border != null) {
            // the new border stays wholly repainted: its fill would show through a blurred edge
            blurred = blurred.union(border);
        }
        CropRegion crop = settings.area() == GenerationSpec.InpaintArea.MASKED
                ? CropRegion.around(blurred, width, height, settings.padding()).orElse(null) : null;
        RgbImage start = crop == null ? picture : picture.cropped(crop).resizedToFill(width, height);
        Mask engineMask = crop == null ? blurred : blurred.cropped(crop).resizedToFill(width, height);
        if (settings.maskedContent() == GenerationSpec.MaskedContent.FILL) {
            start = MaskedFill.fill(start, engineMask);
        }
        MaskedStart maskedStart = switch (settings.maskedContent()) {
            case LATENT_NOISE -> MaskedStart.NOISE;
            case LATENT_NOTHING -> MaskedStart.ZERO;
            case ORIGINAL, FILL -> MaskedStart.IMAGE;
        };
        GenerationRequest request = request(spec, start.rgb(), spec.initImage().strength(), engineMask.values(),
                maskedStart);
        RgbImage input = picture;
        Mask overlayMask = blurred;
        return new Prepared(request, image -> {
            RgbImage overlaid = Overlay.apply(overlayMask, input, new RgbImage(image.width(), image.height(),
                    image.rgb()), crop);
            return new GeneratedImage(image.index(), image.seed(), overlaid.width(), overlaid.height(),
                    overlaid.rgb());
        });
    }

    /** The client's mask as it reads (inverted if asked), resized with the init image. */
    private Mask userMask(byte[] initImage, GenerationSpec.Inpainting settings, int width, int height) {
        boolean byAlpha = settings.maskMode() == GenerationSpec.MaskMode.ALPHA;
        Mask mask = decode("mask", () -> ImageDecoder.decodeMask(settings.mask(), byAlpha, maxInitImagePixels));
        ImageDecoder.Header init = decode("init_image", () -> ImageDecoder.header(initImage));
        if (mask.width() != init.width() || mask.height() != init.height()) {
            throw new IllegalArgumentException("mask: is " + mask.width() + "×" + mask.height() + " but init_image is "
                    + init.size() + "; the mask must have the init image's pixel size");
        }
        return (settings.maskInvert() ? mask.inverted() : mask).resized(width, height);
    }

    private static GenerationRequest request(GenerationSpec spec, byte[] initImage, double strength, byte[] mask,
            MaskedStart maskedStart) {
        return new GenerationRequest(spec.prompt(), spec.negativePrompt(), spec.width(), spec.height(), spec.steps(),
                spec.guidanceScale(), spec.guidanceRescale(), spec.scheduler(), spec.seed(), spec.numImages(),
                spec.eta(), initImage, strength, mask, maskedStart);
    }

    private static <T> T decode(String field, Supplier<T> decoding) {
        try {
            return decoding.get();
        } catch (ImageDecoder.InvalidImageException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
        }
    }
}
