package dev.diffusion.image;

/**
 * diffusers' {@code VaeImageProcessor.apply_overlay(mask, init_image, image, crop_coords)}: an inpainted picture over
 * its input, so that what the mask keeps stays the input's, to the level, and the (blurred) mask's grey edge blends
 * the two. With a crop region the picture, generated for that region, is first scaled back to it and put in place.
 */
public final class Overlay {

    private Overlay() {
    }

    /**
     * @param mask      the mask as the input was inpainted with (after blur), the input's size
     * @param input     the picture before inpainting
     * @param generated the inpainted picture: the input's size, or with {@code crop} the size it was generated at
     * @param crop      where in the input {@code generated} belongs; null for the whole picture
     */
    public static RgbImage apply(Mask mask, RgbImage input, RgbImage generated, CropRegion crop) {
        if (mask.width() != input.width() || mask.height() != input.height()) {
            throw new IllegalArgumentException("the mask and the input must be of one size");
        }
        RgbImage placed = crop == null ? generated
                : generated.resizedToCover(crop.width(), crop.height()).placedOn(input.width(), input.height(),
                        crop.x1(), crop.y1());
        if (placed.width() != input.width() || placed.height() != input.height()) {
            throw new IllegalArgumentException("the generated picture must be the input's size");
        }
        byte[] kept = PillowCompositing.unpremultiplied(PillowCompositing.keptPremultiplied(input.rgb(), mask));
        byte[] out = PillowCompositing.opaque(placed.rgb());
        PillowCompositing.compositeOver(out, kept);
        return new RgbImage(input.width(), input.height(), PillowCompositing.withoutAlpha(out));
    }
}
