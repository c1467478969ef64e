package dev.diffusion.image;

/**
 * Writes packed RGB pixels in one picture format, with AUTOMATIC1111's generation parameters ("infotext") embedded
 * where A1111 puts them for that format, so that tools reading A1111's pictures read ours too.
 */
public interface ImageEncoder {

    /** OpenAI's default {@code output_compression}: the least lossy setting of each format. */
    int DEFAULT_COMPRESSION = 100;

    /** The {@code Content-Type} of what {@link #encode} returns. */
    String mediaType();

    /** The usual file name extension, without the dot. */
    String fileExtension();

    /**
     * Encodes {@code width × height} pixels, three bytes (R, G, B) each, row by row.
     *
     * @param parameters  the infotext to embed; {@code null} embeds none
     * @param compression OpenAI's {@code output_compression}, 0..100, where 100 loses the least; each encoder says
     *                    what it means for its format
     * @throws IllegalArgumentException when the pixels do not fit the size, or the compression is out of range
     */
    byte[] encode(int width, int height, byte[] rgb, String parameters, int compression);
}
