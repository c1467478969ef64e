package dev.diffusion.image;

/** A picture as packed 8-bit RGB, row by row, as the pipeline takes and gives pictures. */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        Samples.checkSize(width, height, 3, rgb);
    }

    public RgbImage cropped(CropRegion region) {
        return new RgbImage(region.width(), region.height(), Samples.crop(rgb, width, 3, region));
    }

    /** Resized as uploads are ({@link ImageDecoder}, bicubic, the aspect ratio not kept). */
    public RgbImage resized(int newWidth, int newHeight) {
        return new RgbImage(newWidth, newHeight, Samples.resize(rgb, width, height, 3, newWidth, newHeight));
    }

    /** Resized in diffusers' "fill" mode (aspect ratio kept, edges stretched into the rest). */
    public RgbImage resizedToFill(int newWidth, int newHeight) {
        return new RgbImage(newWidth, newHeight, Samples.resizeToFill(rgb, width, height, 3, newWidth, newHeight));
    }

    /** Resized in diffusers' "crop" mode (aspect ratio kept, covering, what sticks out cut). */
    public RgbImage resizedToCover(int newWidth, int newHeight) {
        return new RgbImage(newWidth, newHeight, Samples.resizeToCover(rgb, width, height, 3, newWidth, newHeight));
    }

    /** This picture on a black canvas of {@code canvasWidth × canvasHeight}, its top left corner at (x, y). */
    public RgbImage placedOn(int canvasWidth, int canvasHeight, int x, int y) {
        byte[] canvas = new byte[canvasWidth * canvasHeight * 3];
        Samples.paste(rgb, width, height, canvas, canvasWidth, canvasHeight, 3, x, y);
        return new RgbImage(canvasWidth, canvasHeight, canvas);
    }
}
